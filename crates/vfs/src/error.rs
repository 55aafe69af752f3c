//! What can go wrong, in the words a file manager's user understands.

use std::path::PathBuf;

use fjordsync_jottacloud::Error as ApiError;

/// Result alias of this crate.
pub type Result<T, E = VfsError> = std::result::Result<T, E>;

/// Errors of the filesystem core. Frontends map the kinds to their own codes
/// (HTTP statuses, errno values); the texts are for logs and terminals.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VfsError {
    /// Nothing at this path.
    #[error("{0}: no such file or folder")]
    NotFound(String),
    /// Something is already at this path.
    #[error("{0} already exists")]
    Exists(String),
    /// A file was expected.
    #[error("{0} is a folder, not a file")]
    IsFolder(String),
    /// A folder was expected.
    #[error("{0} is a file, not a folder")]
    NotFolder(String),
    /// A name the storage cannot hold (`.`, `..`, a slash, too long, ...).
    #[error("{name:?} cannot be used as a name: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why not.
        reason: String,
    },
    /// An operation this folder does not offer (moving the served folder
    /// itself, giving a stored file a name kept only in the cache, ...).
    #[error("{path}: {what}")]
    NotSupported {
        /// The path asked for.
        path: String,
        /// What is not possible.
        what: &'static str,
    },
    /// The account's storage is full: uploads wait until space is freed.
    #[error("the Jottacloud storage is full: free some space (empty the trash) and try again")]
    QuotaExceeded,
    /// The account is locked or the path is not ours.
    #[error("Jottacloud refused {0}: the account may be locked or read-only")]
    Forbidden(String),
    /// The cache folder cannot be used.
    #[error("the cache folder {}: {what}", path.display())]
    CacheDir {
        /// The folder or file in it.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The state file (pending uploads, properties) failed.
    #[error("the cache's state file {}: {source}", path.display())]
    State {
        /// The SQLite file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// Jottacloud (or the way to it) failed; the text says how.
    #[error("{path}: {source}")]
    Remote {
        /// The path asked for.
        path: String,
        /// The client's error.
        #[source]
        source: ApiError,
    },
    /// Local I/O in the cache folder.
    #[error("the cache folder: {0}")]
    Io(#[from] std::io::Error),
}

impl VfsError {
    /// The client's error for `path`, sorted into the kinds above.
    pub(crate) fn remote(path: impl std::fmt::Display, e: ApiError) -> VfsError {
        let path = path.to_string();
        match e {
            ApiError::NotFound(_) => VfsError::NotFound(path),
            ApiError::Conflict(_) => VfsError::Exists(path),
            ApiError::QuotaExceeded(_) => VfsError::QuotaExceeded,
            ApiError::Forbidden(_) => VfsError::Forbidden(path),
            ApiError::InvalidName { name, reason } => VfsError::InvalidName { name, reason },
            source => VfsError::Remote { path, source },
        }
    }

    /// True for failures that another try cannot fix (a full storage, a
    /// locked account, a refused name): pending uploads stop retrying them.
    pub fn is_final(&self) -> bool {
        match self {
            VfsError::Remote { source, .. } => source.retry() == fjordsync_jottacloud::Retry::Never,
            VfsError::Io(_) | VfsError::State { .. } => false,
            _ => true,
        }
    }
}
