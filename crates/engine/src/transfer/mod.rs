//! Moving bytes: uploads (precomputed MD5 so dedup skips bytes, resumable
//! after a crash), downloads (recorded temp file, resumable, MD5 check,
//! mtime, atomic rename),
//! copies between accounts streamed from one to the other, a shared
//! bandwidth limit and the per-file retry policy ([`TransferError::is_retryable`]).

mod download;
pub(crate) mod exec;
mod fatal;
pub(crate) mod md5_filler;
mod relay;
pub(crate) mod stash;
pub mod temp;
mod throttle;
mod upload;

pub use download::{Downloaded, LocalTarget, RemoteFile, download, set_mtime};
pub use fatal::{Fatal, Stopped};
pub use relay::{Source, relay};
pub use throttle::Throttle;
pub use upload::{UploadDone, upload};

use std::time::Duration;

/// A per-file failure.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The service or the client failed.
    #[error(transparent)]
    Api(#[from] fjordsync_jottacloud::Error),
    /// A local file operation failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A download broke off in the middle (a reset, a body cut short). The
    /// client does not retry a stream its caller reads, so the engine does.
    #[error(transparent)]
    Cut(fjordsync_jottacloud::Error),
    /// The local file changed while it was being uploaded.
    #[error("the file changed while it was being uploaded")]
    Changed,
    /// The downloaded bytes do not match the listing.
    #[error("downloaded content does not match: expected MD5 {expected}, got {actual}")]
    Mismatch {
        /// From the listing.
        expected: String,
        /// What arrived.
        actual: String,
    },
    /// The local path goes through a symbolic link or a mount point: skipped, never written.
    #[error(transparent)]
    UnsafePath(#[from] crate::local::UnsafePath),
    /// The task was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// Something we do not do (yet).
    #[error("{0}")]
    Unsupported(String),
    /// The state database failed.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

impl From<crate::local::MkdirError> for TransferError {
    fn from(e: crate::local::MkdirError) -> Self {
        match e {
            crate::local::MkdirError::Unsafe(u) => TransferError::UnsafePath(u),
            crate::local::MkdirError::Io(e) => TransferError::Io(e),
        }
    }
}

impl TransferError {
    /// Worth another attempt at the file: the engine's one retry rule.
    ///
    /// The engine tries again only what the client cannot: a local file
    /// that changed while it was read, a download that broke off in the
    /// middle or does not match, a local read that came up short. Errors
    /// of the service and the connection ([`TransferError::Api`]) are never
    /// tried again here: the client has already retried what can work
    /// (resent the request, started another upload round; see
    /// [`fjordsync_jottacloud::Retry`]), so one more loop on top would only
    /// multiply the requests to a busy service. Never what cannot succeed
    /// ([`TransferError::fatal`]: a full disk or storage).
    pub fn is_retryable(&self) -> bool {
        if self.fatal().is_some() {
            return false;
        }
        match self {
            TransferError::Changed | TransferError::Mismatch { .. } => true,
            TransferError::Cut(e) => read_again(e),
            TransferError::Io(e) => matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::Interrupted | std::io::ErrorKind::TimedOut
            ),
            _ => false,
        }
    }

    /// A failure while reading a download's body: [`TransferError::Cut`]
    /// when the client says it broke off ([`fjordsync_jottacloud::Retry::Interrupted`]).
    pub fn in_body(e: fjordsync_jottacloud::Error) -> TransferError {
        if read_again(&e) { TransferError::Cut(e) } else { TransferError::Api(e) }
    }

    /// A failure that ends the whole run, because every further file would
    /// meet it too (full disk, used-up quota, read-only disk, full storage).
    pub fn fatal(&self) -> Option<Fatal> {
        match self {
            TransferError::Io(e) => Fatal::of_io(e),
            TransferError::Api(e) | TransferError::Cut(e) => Fatal::of_api(e),
            _ => None,
        }
    }
}

/// A body the engine reads itself (a download, a listing, a backup's pack)
/// broke off or came garbled: reading it again may work. Everything else
/// the client has already retried as far as it is worth.
pub fn read_again(e: &fjordsync_jottacloud::Error) -> bool {
    e.retry() == fjordsync_jottacloud::Retry::Interrupted
}

/// Delay before attempt `n` (1-based retries): 0.5 s, 1 s, 2 s, ... capped at 8 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << n.min(4).saturating_sub(1))).min(Duration::from_secs(8))
}

#[cfg(test)]
mod tests {
    use std::io;

    use fjordsync_jottacloud::{ApiError, Error as E};

    use super::*;

    fn api(status: u16) -> Box<ApiError> {
        Box::new(ApiError { status, ..Default::default() })
    }

    #[test]
    fn the_engines_retry_table() {
        let quota = || E::QuotaExceeded(api(507));
        let cases: Vec<(TransferError, bool)> = vec![
            // What only the engine can do again.
            (TransferError::Changed, true),
            (TransferError::Mismatch { expected: "a".into(), actual: "b".into() }, true),
            (TransferError::Cut(E::Protocol("body ended".into())), true),
            (TransferError::Io(io::Error::from(io::ErrorKind::UnexpectedEof)), true),
            // The client already retried these: never again on top.
            (TransferError::Api(E::Server(api(500))), false),
            (TransferError::Api(E::Server(api(503))), false),
            (TransferError::Api(E::RateLimited { retry_after: None, detail: api(429) }), false),
            (TransferError::Api(E::Protocol("bad JSON reply".into())), false),
            (TransferError::Api(E::NotFound(api(404))), false),
            (TransferError::Api(E::BadRequest(api(400))), false),
            // A stream that failed for a reason reading again cannot fix.
            (TransferError::Cut(E::Server(api(500))), false),
            // What cannot succeed.
            (TransferError::Api(quota()), false),
            (TransferError::Cut(quota()), false),
            (TransferError::Io(io::Error::from(io::ErrorKind::StorageFull)), false),
            (TransferError::Io(io::Error::from(io::ErrorKind::PermissionDenied)), false),
            (TransferError::Io(io::Error::from(io::ErrorKind::NotFound)), false),
            (TransferError::Cancelled, false),
            (TransferError::Unsupported("x".into()), false),
        ];
        for (e, want) in cases {
            assert_eq!(e.is_retryable(), want, "{e:?}");
        }
    }

    #[test]
    fn a_body_error_is_a_cut_only_when_it_broke_off() {
        assert!(matches!(TransferError::in_body(E::Protocol("short".into())), TransferError::Cut(_)));
        assert!(matches!(TransferError::in_body(E::Server(api(500))), TransferError::Api(_)));
    }
}
