//! Planning: compare the two listings and decide, per file, what to do. The
//! result is a [`Plan`] value that `--dry-run` prints, the app will show for
//! review, and the runner applies. Planning reads no file content except
//! local MD5s that the comparison needs (and those come from the hash cache
//! when unchanged). The comparison runs folder by folder ([`Planner`]), so
//! it holds one folder of each side at a time plus what must change.

mod preflight;
mod steps;

use std::collections::{HashMap, HashSet};

use fjordsync_jottacloud::names::fold_case;
use serde::Serialize;

pub use preflight::{BackupSide, INSIDE_BACKUP, Problem, inside_backup, preflight, quota_problem, refusal};
pub use steps::{Group, SPILL_AT, StepIter, Steps};

use crate::events::PlanTotals;
use crate::task::TaskKind;
use crate::tree::{Entry, FileItem, Folder, Listing, Skipped, parent_key};

/// What to do with one file or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
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
    /// The source file (for transfers, retimes and `move`).
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
    /// Steps in order: folders, transfers, then deletes (deepest first),
    /// then folders to remove. A large plan keeps most of them in a
    /// temporary file: read them with `steps.iter()` (by value).
    pub steps: Steps,
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

/// Indices of `local`'s files whose equality with `other`'s cannot be
/// decided without MD5s: same size and (with `checksum`, or for `check`)
/// always, otherwise only when the times differ. Files that already carry
/// an MD5 are left out.
pub fn needs_md5(local: &Folder, other: Option<&Folder>, checksum: bool) -> Vec<usize> {
    let Some(other) = other else { return Vec::new() };
    if other.files.is_empty() {
        return Vec::new();
    }
    let by_name = index_by_name(other);
    local
        .files
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let o = &other.files[*by_name.get(&fold_case(&l.name))?];
            (l.md5.is_none() && l.size == o.size && (checksum || l.mtime != o.mtime)).then_some(i)
        })
        .collect()
}

fn index_by_name(f: &Folder) -> HashMap<String, usize> {
    f.files.iter().enumerate().map(|(i, e)| (fold_case(&e.name), i)).collect()
}

/// Compares two listings folder by folder. Each folder of either side is
/// given to [`Planner::folder`] once, paired with the other side's folder of
/// the same (folded) key; local MD5s are filled in beforehand where
/// [`needs_md5`] said. Unchanged files leave nothing behind but a counter
/// (except for `move`, which must remove their source), so what the planner
/// keeps grows with the changes and the number of folders, not the files.
pub struct Planner {
    kind: TaskKind,
    checksum: bool,
    plan: Plan,
    /// Keys only on the destination, for `check` to report.
    extra: Vec<String>,
    /// Why a key cannot be written on the destination (see [`Planner::refusing`]).
    refuse: Option<RefuseFn>,
    /// Folded keys of folders that a transfer creates (it and its ancestors).
    covered: HashSet<String>,
    /// Source folders missing on the destination: (folded, key).
    mkdirs: Vec<(String, String)>,
    /// Destination folders missing on the source: (folded, key).
    rmdirs: Vec<(String, String)>,
    /// Folded keys of the source's folders.
    src_dirs: HashSet<String>,
}

/// See [`Planner::refusing`].
pub type RefuseFn = Box<dyn Fn(&str) -> Option<String> + Send>;

impl Planner {
    /// A planner for `kind`; `checksum` compares content whatever the times
    /// say (`--checksum`, and always for `check`).
    pub fn new(kind: TaskKind, checksum: bool) -> Planner {
        Planner {
            kind,
            checksum: checksum || kind == TaskKind::Check,
            plan: Plan::default(),
            extra: Vec::new(),
            refuse: None,
            covered: HashSet::new(),
            mkdirs: Vec::new(),
            rmdirs: Vec::new(),
            src_dirs: HashSet::new(),
        }
    }

    /// Steps whose key `refuse` gives a reason against (a local destination
    /// that cannot take the name) are skipped with that reason instead of
    /// planned; folders to remove are not asked about.
    pub fn refusing(mut self, refuse: RefuseFn) -> Planner {
        self.refuse = Some(refuse);
        self
    }

    /// Per-file entries the planner holds in memory (steps not spilled to
    /// disk, `check` findings): a no-op holds none, whatever the number of files.
    pub fn retained(&self) -> usize {
        self.plan.steps.in_memory() + self.extra.len() + self.plan.differences.len()
    }

    fn push(&mut self, step: Step) {
        if step.action != Action::Rmdir
            && let Some(reason) = self.refuse.as_ref().and_then(|f| f(&step.key))
        {
            self.plan.skipped.push(Skipped { key: step.key, reason });
            return;
        }
        self.plan.steps.push(step);
    }

    /// Plans one folder: `src` and `dst` are the same folder on each side
    /// (`None` where that side does not have it).
    pub fn folder(&mut self, src: Option<&Folder>, dst: Option<&Folder>) {
        let Some(any) = src.or(dst) else { return };
        let folded = fold_case(&any.key);
        if let Some(s) = src {
            self.plan.source_files += s.files.len() as u64;
            if !folded.is_empty() && dst.is_none() {
                self.mkdirs.push((folded.clone(), s.key.clone()));
            }
            self.src_dirs.insert(folded.clone());
        }
        if let Some(d) = dst {
            self.plan.destination_files += d.files.len() as u64;
            if !folded.is_empty() && src.is_none() {
                self.rmdirs.push((folded.clone(), d.key.clone()));
            }
        }
        let dst_files: &[Entry] = dst.map_or(&[], |d| &d.files);
        let mut matched = vec![false; dst_files.len()];
        let mut transfers_here = false;
        if let Some(s) = src {
            let by_name = dst.filter(|d| !d.files.is_empty()).map(index_by_name).unwrap_or_default();
            for e in &s.files {
                let d = by_name.get(&fold_case(&e.name)).map(|&i| {
                    matched[i] = true;
                    &dst_files[i]
                });
                transfers_here |= self.file(s, e, d);
            }
        }
        if transfers_here {
            let mut k = Some(any.key.as_str());
            while let Some(p) = k {
                if !self.covered.insert(fold_case(p)) {
                    break;
                }
                k = parent_key(p);
            }
        }
        if matches!(self.kind, TaskKind::Sync | TaskKind::Check)
            && let Some(d) = dst
        {
            for (e, _) in d.files.iter().zip(&matched).filter(|(_, m)| !**m) {
                let key = d.file_key(&e.name);
                if self.kind == TaskKind::Check {
                    self.extra.push(key);
                } else {
                    self.push(Step { action: Action::Delete, key, src: None, dst: Some(e.item()) });
                }
            }
        }
    }

    /// Decides one source file; true when it is transferred.
    fn file(&mut self, folder: &Folder, s: &Entry, d: Option<&Entry>) -> bool {
        let (kind, checksum) = (self.kind, self.checksum);
        let action = match d {
            None => Action::Create,
            Some(d) if d.size != s.size => Action::Update,
            Some(d) => match (&s.md5, &d.md5) {
                (Some(a), Some(b)) if checksum || s.mtime != d.mtime => {
                    if a != b {
                        Action::Update
                    } else if s.mtime != d.mtime && kind != TaskKind::Check {
                        Action::Retime
                    } else {
                        Action::Unchanged
                    }
                }
                _ if s.mtime == d.mtime && !checksum => Action::Unchanged,
                // Hashes missing (unreadable file): treat as changed, the transfer will tell.
                _ => Action::Update,
            },
        };
        let totals = &mut self.plan.totals;
        if kind == TaskKind::Check {
            let found = match action {
                Action::Create => "missing-on-dst",
                Action::Update => "different",
                _ => {
                    totals.unchanged += 1;
                    return false;
                }
            };
            self.plan.differences.push(Difference { kind: found, key: folder.file_key(&s.name) });
            return false;
        }
        match action {
            Action::Create => totals.creates += 1,
            Action::Update => totals.updates += 1,
            Action::Retime => totals.retimes += 1,
            _ => totals.unchanged += 1,
        }
        let transfer = matches!(action, Action::Create | Action::Update);
        if transfer {
            totals.bytes += s.size;
            totals.files += 1;
        }
        if action != Action::Unchanged || kind == TaskKind::Move {
            let key = folder.file_key(&s.name);
            self.push(Step { action, key, src: Some(s.item()), dst: d.map(Entry::item) });
        }
        transfer
    }

    /// The plan. `protected` keys (hidden by `.fjordsyncignore`) are never
    /// deleted; `source_exists` is false when the source folder is missing.
    pub fn finish(mut self, protected: &[String], source_exists: bool) -> Plan {
        let kind = self.kind;
        let protected: Vec<String> = protected.iter().map(|p| fold_case(p)).collect();
        let is_protected = |key: &str| {
            let k = fold_case(key);
            protected.iter().any(|p| k == *p || (k.starts_with(p.as_str()) && k.as_bytes().get(p.len()) == Some(&b'/')))
        };
        if kind != TaskKind::Check {
            let covered = std::mem::take(&mut self.covered);
            for (f, key) in std::mem::take(&mut self.mkdirs) {
                if !covered.contains(&f) {
                    self.push(Step { action: Action::Mkdir, key, src: None, dst: None });
                }
            }
        }
        if kind == TaskKind::Sync {
            // Only the topmost extra folders; deeper ones go with them.
            let src_dirs = std::mem::take(&mut self.src_dirs);
            for (f, key) in std::mem::take(&mut self.rmdirs) {
                if !is_protected(&key) && parent_key(&f).is_none_or(|p| src_dirs.contains(p)) {
                    self.push(Step { action: Action::Rmdir, key, src: None, dst: None });
                }
            }
        }
        let mut plan = self.plan;
        plan.source_exists = source_exists;
        plan.steps.sort();
        if !protected.is_empty() && plan.steps.group_len(Group::Deletes) > 0 {
            plan.steps.retain(|s| s.action != Action::Delete || !is_protected(&s.key));
        }
        plan.totals.mkdirs = plan.steps.group_len(Group::Mkdirs) as u64;
        plan.totals.deletes = plan.steps.group_len(Group::Deletes) as u64;
        let extra = self.extra.into_iter().filter(|k| !is_protected(k));
        plan.differences.extend(extra.map(|key| Difference { kind: "extra-on-dst", key }));
        plan.differences.sort_by(|a, b| a.key.cmp(&b.key));
        plan
    }
}

/// Plans two whole listings (remote to remote, and tests).
pub fn compare(
    kind: TaskKind,
    mut src: Listing,
    mut dst: Listing,
    checksum: bool,
    protected: &[String],
) -> std::io::Result<Plan> {
    let mut p = Planner::new(kind, checksum);
    let mut keys = src.keys();
    keys.append(&mut dst.keys());
    keys.sort();
    keys.dedup();
    for k in keys {
        p.folder(src.take(&k)?.as_ref(), dst.take(&k)?.as_ref());
    }
    Ok(p.finish(protected, src.exists))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Md5;

    /// A test MD5 from a short hex tag.
    fn md5(tag: &str) -> Option<Md5> {
        crate::tree::parse_md5(&format!("{tag:0>32}"))
    }

    fn item(key: &str, size: u64, mtime: i64, md5tag: Option<&str>) -> (String, Entry) {
        let (parent, name) = key.rsplit_once('/').unwrap_or(("", key));
        (parent.into(), Entry { name: name.into(), size, mtime, mtime_ns: 0, inode: 0, md5: md5tag.and_then(md5) })
    }

    fn tree(items: &[(String, Entry)], dirs: &[&str]) -> Listing {
        let mut t = Listing::empty_root();
        for d in dirs {
            t.add_dir((*d).into());
        }
        for (parent, e) in items {
            t.add_file(parent, e.clone());
        }
        t
    }

    #[test]
    fn decides_per_file() {
        let src = || {
            tree(
                &[
                    item("new.txt", 1, 10, None),
                    item("same.txt", 2, 10, None),
                    item("touched.txt", 3, 20, Some("aa")),
                    item("changed.txt", 4, 20, Some("bb")),
                    item("grown.txt", 9, 10, None),
                ],
                &["empty"],
            )
        };
        let dst = || {
            tree(
                &[
                    item("same.txt", 2, 10, Some("1")),
                    item("touched.txt", 3, 10, Some("aa")),
                    item("changed.txt", 4, 10, Some("cc")),
                    item("grown.txt", 5, 10, Some("1")),
                    item("old/gone.txt", 1, 10, Some("1")),
                ],
                &["old"],
            )
        };
        // Which local MD5s the comparison needs (before they are filled in).
        let mut bare = src().take("").unwrap().unwrap();
        bare.files.iter_mut().for_each(|e| e.md5 = None);
        let root = dst().take("").unwrap();
        let mut need: Vec<_> =
            needs_md5(&bare, root.as_ref(), false).into_iter().map(|i| bare.files[i].name.to_string()).collect();
        need.sort();
        assert_eq!(need, vec!["changed.txt", "touched.txt"]);
        let plan = compare(TaskKind::Sync, src(), dst(), false, &[]).unwrap();
        let steps: Vec<Step> = plan.steps.iter().collect();
        let got: Vec<_> = steps.iter().map(|s| (s.action, s.key.as_str())).collect();
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
        assert_eq!((plan.source_files, plan.destination_files), (5, 5));
        let retime = &steps[4];
        assert_eq!(retime.dst.as_ref().and_then(|d| d.md5.clone()), Some(format!("{:0>32}", "aa")));
        let check = compare(TaskKind::Check, src(), dst(), true, &[]).unwrap();
        let kinds: Vec<_> = check.differences.iter().map(|d| (d.kind, d.key.as_str())).collect();
        assert!(kinds.contains(&("missing-on-dst", "new.txt")));
        assert!(kinds.contains(&("extra-on-dst", "old/gone.txt")));
        assert!(kinds.contains(&("different", "changed.txt")));
        let protected = compare(TaskKind::Sync, src(), dst(), false, &["old".into()]).unwrap();
        assert_eq!(protected.totals.deletes, 0);
        let moved = compare(TaskKind::Move, src(), dst(), false, &[]).unwrap();
        assert!(moved.steps.iter().any(|s| s.action == Action::Unchanged && s.key == "same.txt"));
    }

    #[test]
    fn folders_match_case_insensitively() {
        let src = tree(
            &[item("Photos/a.jpg", 1, 10, None), item("Photos/Sub/b.jpg", 1, 10, None)],
            &["Photos", "Photos/Sub"],
        );
        let dst = tree(&[item("photos/A.JPG", 1, 10, Some("1"))], &["photos"]);
        let plan = compare(TaskKind::Sync, src, dst, false, &[]).unwrap();
        let steps: Vec<Step> = plan.steps.iter().collect();
        let got: Vec<_> = steps.iter().map(|s| (s.action, s.key.as_str())).collect();
        assert_eq!(got, vec![(Action::Create, "Photos/Sub/b.jpg")], "no mkdir: the upload creates the folder");
        assert_eq!(plan.totals.unchanged, 1);
    }

    /// The shape of planning memory: unchanged files leave nothing behind,
    /// however many there are (only counters), so a no-op re-sync holds
    /// one folder of each side at a time.
    #[test]
    fn unchanged_files_are_not_retained() {
        for n in [12u64, 20_000] {
            let mut p = Planner::new(TaskKind::Sync, false);
            for f in 0..4 {
                let folder = Folder {
                    key: format!("d{f}"),
                    files: (0..n / 4)
                        .map(|i| Entry {
                            name: format!("f{i}").into(),
                            size: i,
                            mtime: 7,
                            mtime_ns: 0,
                            inode: 0,
                            md5: None,
                        })
                        .collect(),
                };
                let mut remote = folder.clone();
                remote.key = remote.key.to_uppercase();
                remote.files.iter_mut().for_each(|e| e.md5 = md5("ab"));
                p.folder(Some(&folder), Some(&remote));
                assert_eq!(p.retained(), 0, "{n} unchanged files retained entries");
            }
            let plan = p.finish(&[], true);
            assert!(plan.steps.is_empty());
            assert_eq!(plan.totals.unchanged, n);
            assert_eq!((plan.source_files, plan.destination_files), (n, n));
        }
        // Changes are what is kept.
        let mut p = Planner::new(TaskKind::Sync, false);
        let one = Folder { key: String::new(), files: vec![item("x", 1, 1, None).1] };
        p.folder(Some(&one), None);
        assert_eq!(p.retained(), 1);
    }
}
