//! Planning: compare the two listings and decide, per file, what to do. The
//! result is a [`Plan`] value that `--dry-run` prints, the app will show for
//! review, and the runner applies. Planning reads no file content except
//! local MD5s that the comparison needs (and those come from the hash cache
//! when unchanged).

mod preflight;

use std::collections::HashSet;

use fjordsync_jottacloud::names::fold_case;
use serde::Serialize;

pub use preflight::{Problem, preflight};

use crate::events::PlanTotals;
use crate::task::TaskKind;
use crate::tree::{FileItem, Skipped, Tree, parent_key};

/// What to do with one file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// New on the destination.
    Create,
    /// Replace the destination's content.
    Update,
    /// Same content; set the destination's modification time.
    Retime,
    /// Only on the destination (sync): delete it there.
    Delete,
    /// A folder missing on the destination.
    Mkdir,
    /// A folder only on the destination (sync).
    Rmdir,
    /// Already identical (kept in the plan for `move`, which then removes the source).
    Unchanged,
}

impl Action {
    /// The word used in logs and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Retime => "retime",
            Action::Delete => "delete",
            Action::Mkdir => "mkdir",
            Action::Rmdir => "rmdir",
            Action::Unchanged => "unchanged",
        }
    }
}

/// One planned step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What to do.
    pub action: Action,
    /// Relative path in remote form.
    pub key: String,
    /// The source file (for transfers and retimes).
    pub src: Option<FileItem>,
    /// The destination file it replaces or deletes.
    pub dst: Option<FileItem>,
}

/// A `check` finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `missing-on-dst`, `extra-on-dst` or `different`.
    pub kind: &'static str,
    /// Relative path in remote form.
    pub key: String,
}

/// The whole plan.
#[derive(Debug, Default)]
pub struct Plan {
    /// Steps in order: folders, transfers, then deletes (deepest first).
    pub steps: Vec<Step>,
    /// Counts and bytes.
    pub totals: PlanTotals,
    /// What the service (or the destination) cannot take; non-empty refuses the task.
    pub problems: Vec<Problem>,
    /// Things worth knowing that are not errors (look-alike names).
    pub notes: Vec<String>,
    /// Left out of both listings (symlinks, unusable names).
    pub skipped: Vec<Skipped>,
    /// Files on the source.
    pub source_files: u64,
    /// Files on the destination.
    pub destination_files: u64,
    /// False when the source folder does not exist.
    pub source_exists: bool,
    /// `check` findings.
    pub differences: Vec<Difference>,
    /// Bytes the upload would add to the account, and its free space if limited.
    pub quota: Option<(u64, Option<u64>)>,
}

/// Keys of destination-side files whose equality cannot be decided without
/// MD5s: same size and (with `checksum`, or for `check`) always, otherwise
/// only when the times differ.
pub fn needs_md5(src: &Tree, dst: &Tree, checksum: bool) -> Vec<String> {
    src.files
        .iter()
        .filter_map(|(folded, s)| {
            let d = dst.files.get(folded)?;
            (s.size == d.size && (checksum || s.mtime != d.mtime)).then(|| folded.clone())
        })
        .collect()
}

/// Compares two listings whose MD5s are filled in where [`needs_md5`] said.
/// `protected` keys (hidden by `.fjordsyncignore`) are never deleted.
pub fn compare(kind: TaskKind, src: &Tree, dst: &Tree, checksum: bool, protected: &[String]) -> Plan {
    let mut plan = Plan {
        source_files: src.files.len() as u64,
        destination_files: dst.files.len() as u64,
        source_exists: src.exists,
        ..Default::default()
    };
    let mut transfers = Vec::new();
    let mut covered: HashSet<String> = HashSet::new();
    let mut keys: Vec<&String> = src.files.keys().collect();
    keys.sort();
    for folded in keys {
        let s = &src.files[folded];
        let action = match dst.files.get(folded) {
            None => Action::Create,
            Some(d) if d.size != s.size => Action::Update,
            Some(d) => match (&s.md5, &d.md5) {
                (Some(a), Some(b)) if checksum || s.mtime != d.mtime || kind == TaskKind::Check => {
                    if !a.eq_ignore_ascii_case(b) {
                        Action::Update
                    } else if s.mtime != d.mtime && kind != TaskKind::Check {
                        Action::Retime
                    } else {
                        Action::Unchanged
                    }
                }
                _ if s.mtime == d.mtime && !checksum && kind != TaskKind::Check => Action::Unchanged,
                // Hashes missing (unreadable file): treat as changed, the transfer will tell.
                _ => Action::Update,
            },
        };
        if kind == TaskKind::Check {
            match action {
                Action::Create => plan.differences.push(Difference { kind: "missing-on-dst", key: s.key.clone() }),
                Action::Update => plan.differences.push(Difference { kind: "different", key: s.key.clone() }),
                _ => plan.totals.unchanged += 1,
            }
            continue;
        }
        match action {
            Action::Create => plan.totals.creates += 1,
            Action::Update => plan.totals.updates += 1,
            Action::Retime => plan.totals.retimes += 1,
            _ => plan.totals.unchanged += 1,
        }
        if matches!(action, Action::Create | Action::Update) {
            plan.totals.bytes += s.size;
            plan.totals.files += 1;
            let mut k = s.key.as_str();
            while let Some(p) = parent_key(k) {
                if !covered.insert(fold_case(p)) {
                    break;
                }
                k = p;
            }
        }
        if action == Action::Unchanged && kind != TaskKind::Move {
            continue;
        }
        transfers.push(Step { action, key: s.key.clone(), src: Some(s.clone()), dst: dst.files.get(folded).cloned() });
    }
    // Folders missing on the destination that no transfer creates (empty folders).
    let mut mkdirs: Vec<&String> =
        src.dirs.iter().filter(|(f, _)| !dst.dirs.contains_key(*f) && !covered.contains(*f)).map(|(_, k)| k).collect();
    mkdirs.sort();
    if kind != TaskKind::Check {
        for k in mkdirs {
            plan.totals.mkdirs += 1;
            plan.steps.push(Step { action: Action::Mkdir, key: k.clone(), src: None, dst: None });
        }
    }
    plan.steps.extend(transfers);
    let is_protected = |key: &str| {
        protected.iter().any(|p| {
            let (p, k) = (fold_case(p), fold_case(key));
            k == p || (k.starts_with(&p) && k.as_bytes().get(p.len()) == Some(&b'/'))
        })
    };
    if matches!(kind, TaskKind::Sync | TaskKind::Check) {
        let mut extra: Vec<&FileItem> =
            dst.files.iter().filter(|(f, _)| !src.files.contains_key(*f)).map(|(_, d)| d).collect();
        extra.sort_by(|a, b| b.key.cmp(&a.key));
        for d in extra {
            if is_protected(&d.key) {
                continue;
            }
            if kind == TaskKind::Check {
                plan.differences.push(Difference { kind: "extra-on-dst", key: d.key.clone() });
                continue;
            }
            plan.totals.deletes += 1;
            plan.steps.push(Step { action: Action::Delete, key: d.key.clone(), src: None, dst: Some(d.clone()) });
        }
        if kind == TaskKind::Sync {
            // Only the topmost extra folders; deeper ones go with them.
            let mut rmdirs: Vec<&String> = dst
                .dirs
                .iter()
                .filter(|(f, k)| {
                    !src.dirs.contains_key(*f)
                        && !is_protected(k)
                        && parent_key(f).is_none_or(|p| src.dirs.contains_key(p))
                })
                .map(|(_, k)| k)
                .collect();
            rmdirs.sort();
            for k in rmdirs {
                plan.steps.push(Step { action: Action::Rmdir, key: k.clone(), src: None, dst: None });
            }
        }
    }
    plan.differences.sort_by(|a, b| a.key.cmp(&b.key));
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, size: u64, mtime: i64, md5: Option<&str>) -> FileItem {
        FileItem { key: key.into(), size, mtime, mtime_ns: 0, inode: 0, md5: md5.map(Into::into) }
    }

    fn tree(items: &[FileItem], dirs: &[&str]) -> Tree {
        let mut t = Tree { exists: true, ..Default::default() };
        for d in dirs {
            t.add_dir((*d).into());
        }
        for i in items {
            t.add_file(i.clone());
        }
        t
    }

    #[test]
    fn decides_per_file() {
        let src = tree(
            &[
                item("new.txt", 1, 10, None),
                item("same.txt", 2, 10, None),
                item("touched.txt", 3, 20, Some("aa")),
                item("changed.txt", 4, 20, Some("bb")),
                item("grown.txt", 9, 10, None),
            ],
            &["empty"],
        );
        let dst = tree(
            &[
                item("same.txt", 2, 10, Some("x")),
                item("touched.txt", 3, 10, Some("aa")),
                item("changed.txt", 4, 10, Some("cc")),
                item("grown.txt", 5, 10, Some("x")),
                item("old/gone.txt", 1, 10, Some("x")),
            ],
            &["old"],
        );
        let mut need = needs_md5(&src, &dst, false);
        need.sort();
        assert_eq!(need, vec!["changed.txt", "touched.txt"]);
        let plan = compare(TaskKind::Sync, &src, &dst, false, &[]);
        let got: Vec<_> = plan.steps.iter().map(|s| (s.action, s.key.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Action::Mkdir, "empty"),
                (Action::Update, "changed.txt"),
                (Action::Update, "grown.txt"),
                (Action::Create, "new.txt"),
                (Action::Retime, "touched.txt"),
                (Action::Delete, "old/gone.txt"),
                (Action::Rmdir, "old"),
            ]
        );
        assert_eq!(plan.totals.bytes, 1 + 4 + 9);
        let check = compare(TaskKind::Check, &src, &dst, true, &[]);
        let kinds: Vec<_> = check.differences.iter().map(|d| (d.kind, d.key.as_str())).collect();
        assert!(kinds.contains(&("missing-on-dst", "new.txt")));
        assert!(kinds.contains(&("extra-on-dst", "old/gone.txt")));
        assert!(kinds.contains(&("different", "changed.txt")));
        let protected = compare(TaskKind::Sync, &src, &dst, false, &["old".into()]);
        assert_eq!(protected.totals.deletes, 0);
    }
}
