//! The core's errors as errno values.

use fjordsync_vfs::VfsError;
use fuser::Errno;

/// The errno a program should see for `e`. Failures that are not the
/// caller's fault (the network, the cache folder) are logged here, since the
/// kernel passes on nothing but the number.
pub(crate) fn errno(e: &VfsError) -> Errno {
    match e {
        VfsError::NotFound(_) => Errno::ENOENT,
        VfsError::Exists(_) => Errno::EEXIST,
        VfsError::IsFolder(_) => Errno::EISDIR,
        VfsError::NotFolder(_) => Errno::ENOTDIR,
        VfsError::InvalidName { reason, .. } if reason.contains("long") => Errno::ENAMETOOLONG,
        VfsError::InvalidName { .. } => Errno::EINVAL,
        VfsError::NotSupported { .. } => Errno::EPERM,
        VfsError::QuotaExceeded => Errno::ENOSPC,
        VfsError::Forbidden(_) => Errno::EACCES,
        VfsError::Io(io) if io.raw_os_error() == Some(libc::ENOSPC) => {
            tracing::warn!("{e}");
            Errno::ENOSPC
        }
        _ => {
            tracing::warn!("{e}");
            Errno::EIO
        }
    }
}
