//! Failures that end the whole run: a full disk, a used-up quota, a
//! read-only file system, a full cloud storage. Every further file would
//! fail the same way, so trying each one (five times, downloading again each
//! time) only wastes time and bandwidth and buries the one message that
//! matters under thousands of identical ones.

use std::io;

/// Why a run cannot go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fatal {
    /// The local disk has no space left (`ENOSPC`, Windows' "disk full").
    DiskFull,
    /// The user's disk quota on this computer is used up (`EDQUOT`).
    DiskQuota,
    /// The local file system is mounted read-only (`EROFS`).
    ReadOnly,
    /// The service refused the bytes: the account's storage is full.
    StorageFull,
}

impl Fatal {
    /// The run-ending cause behind a local I/O error, looking through
    /// errors wrapped in [`io::Error::other`].
    pub fn of_io(e: &io::Error) -> Option<Fatal> {
        match e.kind() {
            io::ErrorKind::StorageFull => Some(Fatal::DiskFull),
            io::ErrorKind::QuotaExceeded => Some(Fatal::DiskQuota),
            io::ErrorKind::ReadOnlyFilesystem => Some(Fatal::ReadOnly),
            _ => e.get_ref().and_then(|inner| inner.downcast_ref::<io::Error>()).and_then(Fatal::of_io),
        }
    }

    /// The run-ending cause behind a client error.
    pub fn of_api(e: &fjordsync_jottacloud::Error) -> Option<Fatal> {
        use fjordsync_jottacloud::Error as E;
        match e {
            E::QuotaExceeded(_) => Some(Fatal::StorageFull),
            E::Io(io) => Fatal::of_io(io),
            _ => None,
        }
    }
}

/// How a run ended early: the cause, and the file that met it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stopped {
    /// What happened.
    pub cause: Fatal,
    /// Where: the local path (or remote path) being written when it happened.
    pub path: String,
}

impl Stopped {
    /// What happened, in the user's words.
    pub fn message(&self) -> String {
        let path = &self.path;
        match self.cause {
            Fatal::DiskFull => format!("the disk is full: no space left to write {path}; the run stopped"),
            Fatal::DiskQuota => format!("your disk quota is used up: no room left to write {path}; the run stopped"),
            Fatal::ReadOnly => format!("the disk is read-only: {path} cannot be written; the run stopped"),
            Fatal::StorageFull => {
                format!("the cloud storage is full: the account has no room left for {path}; the run stopped")
            }
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self.cause {
            Fatal::DiskFull => {
                "free space on that disk (or choose a destination on another disk), then run the task again"
            }
            Fatal::DiskQuota => "free space within your disk quota (or ask for a larger one), then run the task again",
            Fatal::ReadOnly => "choose a writable destination (or mount the disk writable), then run the task again",
            Fatal::StorageFull => {
                "free space in the cloud storage (delete files, empty the trash) or upgrade the subscription, then run the task again"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_errors_that_end_a_run() {
        // The errors the OS gives, by number (Linux), as std maps them.
        #[cfg(target_os = "linux")]
        for (errno, want) in [(28, Fatal::DiskFull), (122, Fatal::DiskQuota), (30, Fatal::ReadOnly)] {
            assert_eq!(Fatal::of_io(&io::Error::from_raw_os_error(errno)), Some(want), "errno {errno}");
        }
        for (kind, want) in [
            (io::ErrorKind::StorageFull, Fatal::DiskFull),
            (io::ErrorKind::QuotaExceeded, Fatal::DiskQuota),
            (io::ErrorKind::ReadOnlyFilesystem, Fatal::ReadOnly),
        ] {
            assert_eq!(Fatal::of_io(&io::Error::from(kind)), Some(want));
            // Wrapped once more, as some layers do.
            assert_eq!(Fatal::of_io(&io::Error::other(io::Error::from(kind))), Some(want));
        }
        for kind in [io::ErrorKind::PermissionDenied, io::ErrorKind::NotFound, io::ErrorKind::Interrupted] {
            assert_eq!(Fatal::of_io(&io::Error::from(kind)), None);
        }
    }

    #[test]
    fn the_services_quota_ends_a_run() {
        use fjordsync_jottacloud::{ApiError, Error as E};
        let api = || Box::new(ApiError { status: 403, message: Some("quota exceeded".into()), ..Default::default() });
        assert_eq!(Fatal::of_api(&E::QuotaExceeded(api())), Some(Fatal::StorageFull));
        assert_eq!(Fatal::of_api(&E::Forbidden(api())), None);
        assert_eq!(Fatal::of_api(&E::Io(io::Error::from(io::ErrorKind::StorageFull))), Some(Fatal::DiskFull));
    }
}
