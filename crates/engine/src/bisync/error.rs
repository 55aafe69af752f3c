//! What can stop a two-way sync run as a whole (a file's own failure is an
//! [`super::apply::ItemError`] and never stops the run).

use std::path::PathBuf;

/// Why a two-way sync run could not start.
#[derive(Debug, thiserror::Error)]
pub enum BisyncError {
    /// The first side is not a local folder.
    #[error("{0} is not a local folder; a two-way sync takes a local folder first, then REMOTE:PATH")]
    NotLocal(String),
    /// The second side is not a remote folder.
    #[error("{0} is not a storage folder; a two-way sync takes a local folder first, then REMOTE:PATH")]
    NotRemote(String),
    /// Another run of the same pair holds it (this process or another).
    #[error("another two-way sync of {local} and {remote} is running; wait for it to finish, then run again")]
    Busy {
        /// The local folder.
        local: String,
        /// The remote folder.
        remote: String,
    },
    /// The pair's lock file could not be made or locked.
    #[error("cannot take the two-way sync lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No open conflict with this id for this pair.
    #[error("no open conflict {0} in this two-way sync; it may have been resolved already")]
    NoConflict(i64),
    /// A version of a conflicted file changed (or went) since the conflict
    /// was recorded: resolving now could throw away the newer change.
    #[error("{0} changed since the conflict was found; sync first, then resolve what is left")]
    ConflictChanged(String),
}
