//! The preflight: what the service cannot take, found before anything is
//! sent. Any problem refuses the task; the hint says how to get past it
//! (rename, or leave the files out with `--exclude`).

use serde::Serialize;

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
