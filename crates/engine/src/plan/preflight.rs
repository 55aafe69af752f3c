//! The preflight: what the service cannot take, found before anything is
//! sent. Any problem refuses the task; the hint says how to get past it,
//! for the kinds of problem found: rename, free space, or leave files out
//! with `--exclude`.

use serde::Serialize;

use crate::guard::Refusal;
use crate::remedy::Remedy;
use crate::tree::user_path;

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `case-collision`, `name-refused`, `quota`, `source-missing`.
    pub kind: &'static str,
    /// The user path(s) involved.
    pub path: String,
    /// In words.
    pub message: String,
}

/// Problems of a source listing bound for the service: `collisions` holds
/// pairs of keys that differ only in case, `refused` (user path, reason) from
/// the walk.
pub fn preflight(collisions: &[(String, String)], refused: &[(String, String)], to_remote: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    if to_remote {
        for (a, b) in collisions {
            let (a, b) = (user_path(a), user_path(b));
            out.push(Problem {
                kind: "case-collision",
                path: a.clone(),
                message: format!(
                    "case collision: {a:?} and {b:?} differ only in case; Jottacloud would store them as one file"
                ),
            });
        }
        for (path, reason) in refused {
            out.push(Problem {
                kind: "name-refused",
                path: path.clone(),
                message: format!("name refused by the service: {path:?}: {reason}"),
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The problem of a task that needs more than the account has free.
pub fn quota_problem(needed: u64, free: u64) -> Problem {
    Problem {
        kind: "quota",
        path: String::new(),
        message: format!(
            "not enough space in the cloud storage: the task needs up to {}, the account has {} free",
            size(needed),
            size(free)
        ),
    }
}

/// The kind of [`inside_backup`] problems.
pub const INSIDE_BACKUP: &str = "inside-backup";

/// Which side of a task lies in an encrypted backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupSide {
    /// The destination: the task would write into the repository.
    Destination,
    /// The source of a move: the task would delete from the repository.
    MoveSource,
}

/// The problem of a task whose `path` is the encrypted backup `repo` or
/// lies inside it (user paths, as the user wrote them).
pub fn inside_backup(side: BackupSide, path: &str, repo: &str) -> Problem {
    let what = match side {
        BackupSide::Destination => "Writing there",
        BackupSide::MoveSource => "Moving files out of it",
    };
    let message = if path == repo {
        format!("{path} is an encrypted backup. {what} would damage the backup.")
    } else {
        format!("{path} is inside an encrypted backup ({repo}). {what} would damage the backup.")
    };
    Problem { kind: INSIDE_BACKUP, path: path.to_string(), message }
}

/// The refusal for `problems` (not empty): the first problem in words, how
/// many more there are, and what to do about the kinds found.
pub fn refusal(problems: &[Problem]) -> Refusal {
    if let Some(p) = problems.iter().find(|p| p.kind == INSIDE_BACKUP) {
        // Nothing to rename or exclude: the folder itself is wrong.
        return Refusal { message: p.message.clone(), hint: "Choose another folder; nothing was written.".into() };
    }
    let first = problems.first().map_or("", |p| p.message.as_str());
    let more = problems.len().saturating_sub(1);
    let message = if more == 0 {
        format!("{}{first}", Remedy::PreflightLabel.cli())
    } else {
        format!("{}{first} (and {more} more problem{})", Remedy::PreflightLabel.cli(), if more == 1 { "" } else { "s" })
    };
    let quota = problems.iter().any(|p| p.kind == "quota");
    let names = problems.iter().any(|p| p.kind != "quota");
    let exclude = Remedy::Exclude.cli();
    let hint = match (quota, names) {
        (true, false) => format!(
            "free space in the cloud storage (delete files, empty the trash) or upgrade the subscription, \
             or leave files out {exclude}; nothing was sent"
        ),
        (true, true) => format!(
            "rename the files named above, free space in the cloud storage (or upgrade the subscription), \
             or leave files out {exclude}; nothing was sent"
        ),
        _ => format!("rename the files, or leave them out {exclude}; nothing was sent"),
    };
    Refusal { message, hint }
}

/// Bytes for people, with the exact count (the numbers are compared with
/// what the service shows): `30.0 MiB (31457280 bytes)`.
fn size(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    format!("{} ({bytes} bytes)", bytesize::ByteSize::b(bytes).display().iec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quota_refusal_says_to_free_space_not_to_rename() {
        let r = refusal(&[quota_problem(30 << 20, 1 << 20)]);
        assert_eq!(
            r.message,
            "preflight: not enough space in the cloud storage: the task needs up to 30.0 MiB (31457280 bytes), \
             the account has 1.0 MiB (1048576 bytes) free"
        );
        assert!(r.hint.contains("free space in the cloud storage"), "{}", r.hint);
        assert!(!r.hint.contains("rename"), "{}", r.hint);
    }

    #[test]
    fn a_backup_refusal_says_to_choose_another_folder() {
        let p = inside_backup(BackupSide::Destination, "Backups/laptop/data", "Backups/laptop");
        let r = refusal(&[p]);
        assert_eq!(
            r.message,
            "Backups/laptop/data is inside an encrypted backup (Backups/laptop). Writing there would damage the backup."
        );
        assert!(r.hint.starts_with("Choose another folder"), "{}", r.hint);
        let p = inside_backup(BackupSide::MoveSource, "B", "B");
        assert_eq!(p.message, "B is an encrypted backup. Moving files out of it would damage the backup.");
    }

    #[test]
    fn a_name_refusal_says_to_rename() {
        let p = preflight(&[], &[("a?".into(), "bad".into())], true);
        let r = refusal(&p);
        assert!(r.hint.starts_with("rename the files"), "{}", r.hint);
        let mut both = p.clone();
        both.insert(0, quota_problem(2048, 10));
        let r = refusal(&both);
        assert!(r.message.ends_with("(and 1 more problem)"), "{}", r.message);
        assert!(r.hint.contains("rename") && r.hint.contains("free space"), "{}", r.hint);
    }
}
