//! The engine's error type: what went wrong, in words a user can act on.

use crate::remotes::RemotesError;
use crate::secrets::SecretError;

/// Anything the engine can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Reading or changing the remote list failed.
    #[error(transparent)]
    Remotes(#[from] RemotesError),
    /// The secret store failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The service or the client library failed.
    #[error(transparent)]
    Api(#[from] fjordsync_jottacloud::Error),
    /// The remote has no stored token (never signed in, or removed from the keyring).
    #[error("remote {0:?} has no stored sign-in")]
    NotSignedIn(String),
    /// The remote's settings cannot be used as they are.
    #[error("{0}")]
    Invalid(String),
    /// A named task could not be used (not found, busy, bad name...).
    #[error(transparent)]
    Task(#[from] crate::tasks::TaskError),
    /// A two-way sync could not start (sides, busy pair).
    #[error(transparent)]
    Bisync(#[from] crate::bisync::BisyncError),
    /// The state database failed.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// A local file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
}

impl EngineError {
    /// True when only a new sign-in can fix this (`remote reconnect`).
    pub fn needs_reconnect(&self) -> bool {
        matches!(self, EngineError::NotSignedIn(_) | EngineError::Api(fjordsync_jottacloud::Error::ReconnectNeeded(_)))
    }
}

/// Result with [`EngineError`].
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
