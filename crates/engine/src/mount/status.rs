//! What a kept mount is doing, as its shell shows it (a card on the Mount
//! screen, the tray's list).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where a mount is in its life.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MountState {
    /// Opening the storage folder and attaching it.
    Starting,
    /// Reachable where [`MountStatus::location`] says.
    Mounted,
    /// It could not start (the network, the service) and tries again at
    /// [`MountStatus::retry_at_ms`].
    Retrying,
    /// Stopping: uploading what is pending first.
    Stopping,
    /// Not mounted (stopped, or ended by an error it cannot fix by
    /// waiting; [`MountStatus::problem`] says which).
    Stopped,
}

/// Where a mounted folder is reached.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum MountLocation {
    /// A local folder.
    Folder {
        /// The mount point.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        path: PathBuf,
    },
    /// The local WebDAV server (its login stays with the shell that opens
    /// it; it is never part of a status).
    WebDav {
        /// `http://127.0.0.1:PORT/`.
        url: String,
    },
}

/// A problem worth showing: a code the shells word, and the details.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountProblem {
    /// `upload_failed`, `storage_full`, `no_folder`, `mountpoint`,
    /// `unreachable`, `failed`.
    pub code: String,
    /// What happened, in words.
    pub message: String,
}

/// A mount's state and numbers.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MountStatus {
    /// Where it is in its life.
    pub state: MountState,
    /// Where it is reached, while mounted.
    pub location: Option<MountLocation>,
    /// Bytes in the read cache.
    pub cached_bytes: u64,
    /// Files written and not yet on the storage (they survive a crash and
    /// are uploaded at the next start).
    pub pending_uploads: u32,
    /// Of those, the ones that failed and wait for the next start (a full
    /// storage, a name the service refuses): waiting now will not help.
    pub failed_uploads: u32,
    /// The last problem: an upload that failed, or why it is not mounted.
    pub problem: Option<MountProblem>,
    /// When it tries again (Unix ms), while retrying.
    pub retry_at_ms: Option<i64>,
}

impl MountStatus {
    /// A status in `state` with nothing else known.
    pub fn new(state: MountState) -> MountStatus {
        MountStatus {
            state,
            location: None,
            cached_bytes: 0,
            pending_uploads: 0,
            failed_uploads: 0,
            problem: None,
            retry_at_ms: None,
        }
    }
}
