//! What can go wrong with a backup repository, as values a shell can match.

use rustic_core::RusticError;

/// A backup operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The password opens none of the repository's keys. Nothing was changed.
    #[error("wrong password for the repository at {0}")]
    WrongPassword(String),
    /// There is no repository at the location (no `config` file).
    #[error("no backup repository at {0} (create one with `init`)")]
    NotARepository(String),
    /// `init` found a repository already there.
    #[error("a backup repository already exists at {0}")]
    AlreadyExists(String),
    /// No snapshot matches what was asked for.
    #[error("no snapshot {0:?} in the repository")]
    SnapshotNotFound(String),
    /// A path inside a snapshot does not exist.
    #[error("{path:?} is not in snapshot {snapshot}")]
    PathNotFound {
        /// The snapshot (short id).
        snapshot: String,
        /// The path asked for.
        path: String,
    },
    /// A restore would replace files that differ from the snapshot.
    #[error("restoring would overwrite {0} existing file(s) in the target folder")]
    WouldOverwrite(u64),
    /// Restored files read back did not match the snapshot.
    #[error("{0} restored file(s) do not match the snapshot when read back")]
    VerifyFailed(u64),
    /// No password was given and none is kept for the task; the message
    /// says where to put one.
    #[error("{0}")]
    PasswordRequired(String),
    /// The operation was cancelled; the repository is consistent (see the module docs).
    #[error("cancelled")]
    Cancelled,
    /// Bad options (an empty retention policy, a bad glob, ...).
    #[error("{0}")]
    Invalid(String),
    /// `check` found damage.
    #[error("the repository check found {0} error(s)")]
    CheckFailed(usize),
    /// Opening the remote, or the service itself, failed.
    #[error(transparent)]
    Engine(#[from] crate::EngineError),
    /// A local file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// rustic_core failed; the message is its guidance line and cause.
    #[error("{0}")]
    Repository(String),
}

/// Result with [`BackupError`].
pub type Result<T, E = BackupError> = std::result::Result<T, E>;

impl From<Box<RusticError>> for BackupError {
    fn from(e: Box<RusticError>) -> Self {
        BackupError::Repository(short_message(&e))
    }
}

/// rustic's `Display` is a multi-line report with links; keep the message
/// (with its placeholders filled) and the causes.
pub(crate) fn short_message(e: &RusticError) -> String {
    let full = e.to_string();
    let mut lines = full.lines();
    let mut message = None;
    while let Some(l) = lines.next() {
        if l.trim() == "Message:" {
            message = lines.find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string());
            break;
        }
    }
    let mut out = message.unwrap_or_else(|| full.lines().next().unwrap_or_default().to_string());
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A repository id in full (rustic's `Display` shows only 8 digits).
pub(crate) fn hex(id: &rustic_core::Id) -> String {
    id.to_hex().as_str().to_string()
}

/// Runs a blocking repository call off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        // rustic unwraps some errors in its worker threads (e.g. a failed
        // read during restore): keep the gist of the panic, not its backtrace.
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let text = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("unknown error");
            tracing::debug!("rustic panicked: {text}");
            let gist = text.split(", backtrace:").next().unwrap_or(text);
            let gist: String = gist.chars().take(400).collect();
            Err(BackupError::Repository(format!("the repository operation stopped: {gist}")))
        }
        Err(e) => Err(BackupError::Repository(format!("the repository task failed: {e}"))),
    }
}
