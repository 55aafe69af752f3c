//! A task is a value: what to do (kind), from where, to where, and how
//! (options). It can be stored (serde), run, cancelled and run again; the
//! app will keep tasks in the state database. New kinds (backup, two-way
//! sync, mount) add variants here without touching the existing ones.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::filter::FilterOptions;

/// What a task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Copy new and changed files; never delete on the destination.
    Copy,
    /// Make the destination an exact mirror of the source (deletes extras).
    Sync,
    /// Copy, verify, then delete each source file.
    Move,
    /// Compare both sides by size and MD5; change nothing.
    Check,
}

impl TaskKind {
    /// The verb, as the CLI spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Copy => "copy",
            TaskKind::Sync => "sync",
            TaskKind::Move => "move",
            TaskKind::Check => "check",
        }
    }
}

/// One side of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Location {
    /// A folder on this machine.
    Local {
        /// The folder.
        path: PathBuf,
    },
    /// A folder on a configured remote; `path` is the user's `/`-separated
    /// path below the remote's mountpoint ("" for the root).
    Remote {
        /// Remote name.
        remote: String,
        /// User path (names as typed; mapped to remote names when used).
        path: String,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Local { path } => write!(f, "{}", path.display()),
            Location::Remote { remote, path } => write!(f, "{remote}:{path}"),
        }
    }
}

/// How many deletes a sync may do before the guard refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxDelete {
    /// At most this many files.
    Count(u64),
    /// At most this share of the destination's files (100 allows anything,
    /// including emptying the destination from an empty source).
    Percent(f64),
}

impl MaxDelete {
    /// Parses `N` or `N%`.
    pub fn parse(s: &str) -> Result<MaxDelete, String> {
        let s = s.trim();
        if let Some(p) = s.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| format!("{s:?} is not a percentage"))?;
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("{s:?}: a percentage is between 0% and 100%"));
            }
            Ok(MaxDelete::Percent(v))
        } else {
            s.parse().map(MaxDelete::Count).map_err(|_| format!("{s:?} is not a number of files or a percentage"))
        }
    }
}

/// How a task runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskOptions {
    /// Plan and report; change nothing.
    pub dry_run: bool,
    /// Compare by MD5 instead of size + modification time.
    pub checksum: bool,
    /// Parallel file transfers.
    pub transfers: usize,
    /// Parallel hashers (checkers).
    pub checkers: usize,
    /// Bandwidth limit in bytes per second (both directions together).
    pub bwlimit: Option<u64>,
    /// Which files the task considers. Flattened, and in this place, so a
    /// stored task's JSON is what it was when these were fields here: the
    /// state database finds a task by its exact JSON text.
    #[serde(flatten)]
    pub filters: FilterOptions,
    /// Delete guard override.
    pub max_delete: Option<MaxDelete>,
    /// Delete remote files permanently instead of moving them to the trash.
    pub hard_delete: bool,
    /// Follow symbolic links (loop-safe) instead of skipping them.
    pub follow_symlinks: bool,
    /// Only these relative paths (remote form), for "retry failed only".
    pub only: Option<Vec<String>>,
    /// Per-file attempts before a file is reported failed.
    pub attempts: u32,
    /// Keep no earlier versions on the service (rclone's
    /// `--jottacloud-no-versions`): before new content replaces a remote
    /// file, that file is deleted permanently (`rm`, never the trash: a
    /// trashed file at the path would come back as the upload's older
    /// revision). Saves the space old versions take; costs undo, since the
    /// replaced content is gone for good. Left out of the JSON when off, so
    /// a stored task's text (the state database's lookup key) is unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_versions: bool,
}

impl Default for TaskOptions {
    fn default() -> Self {
        TaskOptions {
            dry_run: false,
            checksum: false,
            transfers: 4,
            checkers: 8,
            bwlimit: None,
            filters: FilterOptions::default(),
            max_delete: None,
            hard_delete: false,
            follow_symlinks: false,
            only: None,
            attempts: 5,
            no_versions: false,
        }
    }
}

/// A complete task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// What it does.
    pub kind: TaskKind,
    /// Where files come from.
    pub source: Location,
    /// Where they go.
    pub destination: Location,
    /// How.
    #[serde(default)]
    pub options: TaskOptions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_delete_forms() {
        assert_eq!(MaxDelete::parse("10"), Ok(MaxDelete::Count(10)));
        assert_eq!(MaxDelete::parse("100%"), Ok(MaxDelete::Percent(100.0)));
        assert!(MaxDelete::parse("abc").is_err());
        assert!(MaxDelete::parse("101%").is_err());
    }

    #[test]
    fn spec_round_trips() {
        let spec = TaskSpec {
            kind: TaskKind::Copy,
            source: Location::Remote { remote: "demo".into(), path: "a".into() },
            destination: Location::Local { path: "/x".into() },
            options: TaskOptions::default(),
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<TaskSpec>(&json).unwrap(), spec);
    }

    /// A task as stored before the filters moved into `FilterOptions` (the
    /// filter fields sit among the others): it loads with every filter, and
    /// is written back to the same text, which the state database's task
    /// lookup compares.
    #[test]
    fn stored_task_json_keeps_its_shape() {
        let stored = concat!(
            r#"{"kind":"sync","source":{"type":"local","path":"/home/me/Photos"},"#,
            r#""destination":{"type":"remote","remote":"demo","path":"Photos"},"#,
            r#""options":{"dry_run":false,"checksum":true,"transfers":4,"checkers":8,"bwlimit":1000,"#,
            r#""include":["*.jpg"],"exclude":["tmp/","*.bak"],"min_size":1,"max_size":2048,"#,
            r#""min_age_secs":60,"max_age_secs":86400,"max_delete":{"percent":50.0},"hard_delete":false,"#,
            r#""follow_symlinks":true,"only":["a.jpg"],"attempts":5}}"#
        );
        let spec: TaskSpec = serde_json::from_str(stored).unwrap();
        assert_eq!(
            spec.options.filters,
            FilterOptions {
                include: vec!["*.jpg".into()],
                exclude: vec!["tmp/".into(), "*.bak".into()],
                min_size: Some(1),
                max_size: Some(2048),
                min_age_secs: Some(60),
                max_age_secs: Some(86400),
            }
        );
        assert_eq!(spec.options.bwlimit, Some(1000));
        assert_eq!(spec.options.max_delete, Some(MaxDelete::Percent(50.0)));
        assert_eq!(spec.options.only, Some(vec!["a.jpg".to_string()]));
        assert_eq!(serde_json::to_string(&spec).unwrap(), stored);
    }

    /// `no_versions` is written only when on: a task stored before it
    /// existed is written back to exactly its old text, and one with it on
    /// keeps it.
    #[test]
    fn no_versions_leaves_old_specs_unchanged() {
        let stored = concat!(
            r#"{"kind":"copy","source":{"type":"local","path":"/p"},"#,
            r#""destination":{"type":"remote","remote":"demo","path":"P"},"#,
            r#""options":{"dry_run":false,"checksum":false,"transfers":4,"checkers":8,"bwlimit":null,"#,
            r#""include":[],"exclude":[],"min_size":null,"max_size":null,"min_age_secs":null,"#,
            r#""max_age_secs":null,"max_delete":null,"hard_delete":false,"follow_symlinks":false,"#,
            r#""only":null,"attempts":5}}"#
        );
        let spec: TaskSpec = serde_json::from_str(stored).unwrap();
        assert!(!spec.options.no_versions);
        assert_eq!(serde_json::to_string(&spec).unwrap(), stored);

        let mut on = spec.clone();
        on.options.no_versions = true;
        let json = serde_json::to_string(&on).unwrap();
        assert!(json.ends_with(r#""attempts":5,"no_versions":true}}"#), "{json}");
        assert_eq!(serde_json::from_str::<TaskSpec>(&json).unwrap(), on);
    }

    /// Options stored with only some fields (older versions, hand-written
    /// specs) fill in the rest, filters included, from the defaults.
    #[test]
    fn partial_options_take_defaults() {
        let o: TaskOptions = serde_json::from_str(r#"{"exclude":["*.tmp"],"transfers":2}"#).unwrap();
        assert_eq!(o.filters, FilterOptions { exclude: vec!["*.tmp".into()], ..Default::default() });
        assert_eq!(o.transfers, 2);
        assert_eq!(o.attempts, TaskOptions::default().attempts);
        let empty: TaskOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, TaskOptions::default());
    }
}
