//! Moving bytes: uploads (precomputed MD5 so dedup skips bytes, resumable
//! after a crash), downloads (recorded temp file, resumable, MD5 check,
//! mtime, atomic rename),
//! copies between accounts streamed from one to the other, a shared
//! bandwidth limit and the per-file retry policy.

mod download;
pub(crate) mod exec;
mod fatal;
pub(crate) mod md5_filler;
mod relay;
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
    /// Worth another attempt: network trouble, busy service, a cut or
    /// corrupted transfer, a file that changed. Never what cannot succeed
    /// ([`TransferError::fatal`]: a full disk or storage).
    pub fn is_retryable(&self) -> bool {
        use fjordsync_jottacloud::Error as E;
        if self.fatal().is_some() {
            return false;
        }
        match self {
            TransferError::Api(e) => matches!(
                e,
                E::Http(_)
                    | E::RateLimited { .. }
                    | E::Server(_)
                    | E::Timeout(_)
                    | E::Protocol(_)
                    | E::Md5Mismatch { .. }
            ),
            TransferError::Io(_) | TransferError::Changed | TransferError::Mismatch { .. } => true,
            _ => false,
        }
    }

    /// A failure that ends the whole run, because every further file would
    /// meet it too (full disk, used-up quota, read-only disk, full storage).
    pub fn fatal(&self) -> Option<Fatal> {
        match self {
            TransferError::Io(e) => Fatal::of_io(e),
            TransferError::Api(e) => Fatal::of_api(e),
            _ => None,
        }
    }
}

/// Delay before attempt `n` (1-based retries): 0.5 s, 1 s, 2 s, ... capped at 8 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << n.min(4).saturating_sub(1))).min(Duration::from_secs(8))
}
