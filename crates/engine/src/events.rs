//! The progress stream every shell renders: the CLI prints it, the app will
//! forward it to the UI. Events are plain values (serde, tagged by `event`).

use serde::{Deserialize, Serialize};

/// Counters for a run (what `log` lists and `finished` carries).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    /// New files written to a remote.
    pub uploaded: u64,
    /// New files written locally.
    pub downloaded: u64,
    /// Existing destination files replaced with new content.
    pub updated: u64,
    /// Destination files whose time was fixed without moving content.
    pub retimed: u64,
    /// Files copied server-side.
    pub copied: u64,
    /// Destination files deleted (trash unless hard).
    pub deleted: u64,
    /// Source files removed by `move`.
    pub moved: u64,
    /// Folders created.
    pub mkdirs: u64,
    /// Files already identical on both sides.
    pub unchanged: u64,
    /// Files skipped (symlinks, names that cannot exist locally, ...).
    pub skipped: u64,
    /// Files that failed after retries.
    pub failed: u64,
    /// Uploads the service deduplicated (no bytes sent).
    pub deduplicated: u64,
    /// Bytes actually transferred.
    pub bytes: u64,
    /// Bytes not transferred again because an interrupted upload or download
    /// resumed where it stopped (on the service, or in the temporary file).
    pub resumed_bytes: u64,
    /// `check`: files only on the source.
    pub missing_on_dst: u64,
    /// `check`: files only on the destination.
    pub extra_on_dst: u64,
    /// `check`: files whose content differs.
    pub different: u64,
}

/// Totals known after planning.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanTotals {
    /// Files to upload or download as new.
    pub creates: u64,
    /// Files to replace.
    pub updates: u64,
    /// Files whose time only is set.
    pub retimes: u64,
    /// Files to delete on the destination.
    pub deletes: u64,
    /// Folders to create.
    pub mkdirs: u64,
    /// Files identical on both sides.
    pub unchanged: u64,
    /// Bytes to transfer at most (dedup may skip some).
    pub bytes: u64,
    /// Files to transfer.
    pub files: u64,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TaskEvent {
    /// The run exists (its id is final).
    Started {
        /// Run id.
        run: i64,
        /// Task kind.
        kind: String,
        /// Source.
        source: String,
        /// Destination.
        destination: String,
    },
    /// Planning finished.
    Planned {
        /// Run id.
        run: i64,
        /// What will be done.
        #[serde(flatten)]
        totals: PlanTotals,
    },
    /// One step of the plan (dry runs only, so a reviewer sees every file).
    PlannedFile {
        /// `create`, `update`, `retime`, `delete`, `mkdir`, `rmdir`.
        action: String,
        /// User path.
        path: String,
        /// Size of the source file (0 for deletes and folders).
        bytes: u64,
    },
    /// Something the preflight refuses.
    Problem {
        /// `case-collision`, `name-refused`, `quota`, ...
        kind: String,
        /// User path.
        path: String,
        /// In words.
        message: String,
    },
    /// A file transfer began.
    FileStarted {
        /// User path.
        path: String,
        /// What is done to it.
        action: String,
        /// Its size.
        bytes: u64,
    },
    /// A file is done.
    FileFinished {
        /// User path.
        path: String,
        /// What was done.
        action: String,
        /// Bytes sent (0 when deduplicated or only retimed).
        bytes: u64,
    },
    /// A file failed or was skipped.
    FileFailed {
        /// User path.
        path: String,
        /// What was tried.
        action: String,
        /// Why.
        error: String,
        /// True for a skip (not an error).
        skipped: bool,
    },
    /// A `check` difference.
    Difference {
        /// `missing-on-dst`, `extra-on-dst`, `different`.
        kind: String,
        /// User path.
        path: String,
    },
    /// Throttled progress (about ten per second).
    Progress {
        /// Bytes done.
        bytes_done: u64,
        /// Bytes planned.
        bytes_total: u64,
        /// Files done.
        files_done: u64,
        /// Files planned.
        files_total: u64,
        /// Bytes per second (recent).
        rate: u64,
        /// Seconds left, when known.
        eta: Option<u64>,
    },
    /// The run ended.
    Finished {
        /// Run id (0 for a dry run, which records nothing).
        run: i64,
        /// `ok`, `failed`, `refused`, `cancelled`, `dry-run`, `differences`.
        outcome: String,
        /// Wall time.
        duration_ms: u64,
        /// Counters.
        #[serde(flatten)]
        counters: Counters,
    },
}

/// Where events go. Must be cheap: it is called from transfer workers.
pub type EventSink = std::sync::Arc<dyn Fn(TaskEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn discard() -> EventSink {
    std::sync::Arc::new(|_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_is_flat_json() {
        let e = TaskEvent::Finished {
            run: 3,
            outcome: "ok".into(),
            duration_ms: 5,
            counters: Counters { uploaded: 2, ..Default::default() },
        };
        let v: serde_json::Value = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], "finished");
        assert_eq!(v["run"], 3);
        assert_eq!(v["uploaded"], 2);
    }
}
