//! Why a mount cannot start or stay.

use std::path::PathBuf;

/// A mount's failure, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// The task's settings cannot work.
    #[error("{0}")]
    Invalid(String),
    /// A mount point must be a full path (a mount is kept by programs
    /// started anywhere).
    #[error("{}: the folder to mount on must be a full path", .0.display())]
    MountpointNotFull(PathBuf),
    /// Ports below 1024 are the system's.
    #[error("port {0} is reserved for the system: choose one from 1024 up")]
    PortReserved(u16),
    /// A smaller read cache would evict the file being read.
    #[error("the cache needs at least {} MiB, so a file being read is not dropped from it", super::spec::MIN_CACHE_BYTES >> 20)]
    CacheTooSmall,
    /// This build or system cannot mount on a folder.
    #[error("this system cannot show the storage as a folder here; open it in the file manager instead")]
    FolderUnsupported,
    /// The storage folder is missing.
    #[error("{0}: this folder is not on the storage any more; create it again or choose another one")]
    NoSuchFolder(String),
    /// The storage path names a file.
    #[error("{0} is a file on the storage: mount the folder that holds it")]
    NotAFolder(String),
    /// The mount point cannot be used.
    #[error("{path}: {why}")]
    Mountpoint {
        /// The mount point.
        path: PathBuf,
        /// Why, in the user's words.
        why: String,
    },
    /// The local WebDAV server could not listen.
    #[error("could not open the local WebDAV server on {addr}: {source}")]
    Listen {
        /// The address tried.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// It ended by itself (unmounted by another program); the scheduler
    /// mounts it again after a pause.
    #[error("{0}; it is mounted again in a minute (use Unmount in Fjordsync to keep it unmounted)")]
    Ended(String),
    /// The storage (or the network) failed; waiting may fix it.
    #[error(transparent)]
    Engine(#[from] crate::EngineError),
    /// The filesystem core failed.
    #[error(transparent)]
    Vfs(#[from] fjordsync_vfs::VfsError),
}

impl MountError {
    /// True when trying again later may work (the network, the service),
    /// false when the user has to change something first.
    pub fn is_transient(&self) -> bool {
        match self {
            MountError::Engine(crate::EngineError::Api(e)) => e.retry() != fjordsync_jottacloud::Retry::Never,
            MountError::Vfs(e) => !e.is_final(),
            _ => false,
        }
    }
}
