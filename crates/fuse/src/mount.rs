//! Mounting, unmounting, and telling a fjordsync mount from others.

use std::io;
use std::path::{Path, PathBuf};

use fjordsync_vfs::Vfs;
use fuser::{Config, MountOption, Session};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::fs::Fs;

/// The mount type's subtype and the start of its source name: how
/// `fjordsync unmount` recognises our mounts in `/proc/self/mountinfo`.
const NAME: &str = "fjordsync";

/// Kernel requests served at once: a slow download holds one thread only.
const THREADS: usize = 8;

/// Why a folder could not be mounted.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// The mount point does not exist.
    #[error("{}: no such folder: create an empty folder to mount on", .0.display())]
    Missing(PathBuf),
    /// The mount point is a file or a link.
    #[error("{}: not a folder: mount on an empty folder", .0.display())]
    NotFolder(PathBuf),
    /// The mount point has something in it (which the mount would hide).
    #[error("{}: the folder is not empty: mount on an empty folder, so nothing in it is hidden", .0.display())]
    NotEmpty(PathBuf),
    /// A mount whose program is gone is still there.
    #[error(
        "{}: a mount whose program has stopped is still there: run `fjordsync unmount {}` first",
        .0.display(), .0.display()
    )]
    Stale(PathBuf),
    /// The kernel refused the mount.
    #[error("{}: could not mount: {source} (FUSE needs /dev/fuse; install the fuse3 package)", path.display())]
    Fuse {
        /// The mount point.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
}

/// Why a folder could not be unmounted.
#[derive(Debug, thiserror::Error)]
pub enum UnmountError {
    /// Nothing is mounted there.
    #[error("{}: nothing is mounted there", .0.display())]
    NotMounted(PathBuf),
    /// Something else is mounted there.
    #[error("{}: this is a {fstype} mount of {what}, not a fjordsync one: unmount it with umount", path.display())]
    NotOurs {
        /// The mount point.
        path: PathBuf,
        /// Its file system type.
        fstype: String,
        /// What is mounted.
        what: String,
    },
    /// A program still uses a file or folder in it.
    #[error(
        "{}: still in use (a program has a file or folder open there, or a shell is in it): close it and try again, \
         or detach it now with `fjordsync unmount --lazy {}`",
        .0.display(), .0.display()
    )]
    Busy(PathBuf),
    /// Any other failure.
    #[error("{}: could not unmount: {source}", path.display())]
    Failed {
        /// The mount point.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
}

/// A mounted folder, served until someone unmounts it.
#[derive(Debug)]
pub struct Mounted {
    point: PathBuf,
    ended: Option<oneshot::Receiver<io::Result<()>>>,
}

/// Mounts `vfs` on the empty folder `mountpoint`; `source` names it in
/// the mount table (`fjordsync:REMOTE:PATH`). Blocking (the mount system
/// call); core calls run on `rt`.
pub fn mount(vfs: Vfs, rt: Handle, mountpoint: &Path, source: &str) -> Result<Mounted, MountError> {
    check_mountpoint(mountpoint)?;
    let point = absolute(mountpoint);
    let mut config = Config::default();
    config.mount_options = vec![
        MountOption::FSName(format!("{NAME}:{source}")),
        MountOption::Subtype(NAME.to_string()),
        MountOption::DefaultPermissions,
        MountOption::NoAtime,
        MountOption::NoDev,
        MountOption::NoSuid,
    ];
    config.n_threads = Some(THREADS);
    let session = Session::new(Fs::new(vfs, rt), &point, &config)
        .map_err(|source| MountError::Fuse { path: point.clone(), source })?;
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("fjordsync-fuse".into())
        .spawn(move || {
            let _ = tx.send(session.run());
        })
        .map_err(|source| MountError::Fuse { path: point.clone(), source })?;
    Ok(Mounted { point, ended: Some(rx) })
}

impl Mounted {
    /// The mount point (absolute).
    pub fn point(&self) -> &Path {
        &self.point
    }

    /// Waits until the folder is unmounted (by [`Mounted::unmount`],
    /// `fjordsync unmount` or `fusermount3 -u`) and every request is done.
    pub async fn ended(&mut self) -> io::Result<()> {
        match self.ended.as_mut() {
            Some(rx) => {
                let r = rx.await.unwrap_or(Ok(()));
                self.ended = None;
                r
            }
            None => std::future::pending().await,
        }
    }

    /// Unmounts; `lazy` detaches it even while in use (it goes once the
    /// last file open in it is closed).
    pub fn unmount(&self, lazy: bool) -> Result<(), UnmountError> {
        unmount(&self.point, lazy)
    }
}

/// Refuses anything but an empty folder we can read.
fn check_mountpoint(p: &Path) -> Result<(), MountError> {
    let meta = match std::fs::symlink_metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(MountError::Missing(p.into())),
        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => return Err(MountError::Stale(p.into())),
        Err(source) => return Err(MountError::Fuse { path: p.into(), source }),
    };
    if !meta.is_dir() {
        return Err(MountError::NotFolder(p.into()));
    }
    match std::fs::read_dir(p) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(MountError::NotEmpty(p.into())),
        },
        Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Err(MountError::Stale(p.into())),
        Err(source) => Err(MountError::Fuse { path: p.into(), source }),
    }
}

/// `p` made absolute without touching `p` itself (a dead mount cannot be
/// looked at): its parent resolved, its name kept.
fn absolute(p: &Path) -> PathBuf {
    let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) => parent.canonicalize().unwrap_or_else(|_| parent.into()).join(name),
        _ => p,
    }
}

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    /// Where it is mounted.
    pub point: PathBuf,
    /// File system type (`fuse`, `fuse.fjordsync`, `ext4`...).
    pub fstype: String,
    /// What is mounted (for ours: `fjordsync:REMOTE:PATH`).
    pub source: String,
}

impl MountEntry {
    /// True for a fjordsync mount (as root the type is plain `fuse`; through
    /// fusermount3 it is `fuse.fjordsync`).
    pub fn is_ours(&self) -> bool {
        self.fstype == format!("fuse.{NAME}")
            || (self.fstype.starts_with("fuse") && self.source.starts_with(&format!("{NAME}:")))
    }
}

/// What is mounted at `path` (the last mount there), if anything.
pub fn find_mount(path: &Path) -> Option<MountEntry> {
    let point = absolute(path);
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    table.lines().filter_map(parse_mountinfo).rfind(|e| e.point == point)
}

/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
fn parse_mountinfo(line: &str) -> Option<MountEntry> {
    let (left, right) = line.split_once(" - ")?;
    let point = left.split(' ').nth(4)?;
    let mut right = right.split(' ');
    let fstype = right.next()?;
    let source = right.next()?;
    Some(MountEntry { point: PathBuf::from(unescape(point)), fstype: unescape(fstype), source: unescape(source) })
}

/// The kernel writes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Unmounts the fjordsync mount at `path` (refusing any other kind): with
/// umount(2) as root, else with `fusermount3 -u`. `lazy` detaches it even
/// while in use (and clears a mount whose program died).
pub fn unmount(path: &Path, lazy: bool) -> Result<(), UnmountError> {
    let Some(entry) = find_mount(path) else { return Err(UnmountError::NotMounted(path.into())) };
    if !entry.is_ours() {
        return Err(UnmountError::NotOurs { path: path.into(), fstype: entry.fstype, what: entry.source });
    }
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(entry.point.as_os_str().as_bytes())
        .map_err(|e| UnmountError::Failed { path: path.into(), source: io::Error::other(e) })?;
    let flags = if lazy { libc::MNT_DETACH } else { 0 };
    // SAFETY: `c` is a valid NUL-terminated path for the call's duration.
    if unsafe { libc::umount2(c.as_ptr(), flags) } == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EBUSY) => Err(UnmountError::Busy(path.into())),
        // Not root: the setuid helper may unmount what this user mounted.
        Some(libc::EPERM) => {
            let mut cmd = std::process::Command::new("fusermount3");
            cmd.arg(if lazy { "-uz" } else { "-u" }).arg(&entry.point);
            match cmd.output() {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => {
                    let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    if said.contains("busy") {
                        Err(UnmountError::Busy(path.into()))
                    } else {
                        Err(UnmountError::Failed { path: path.into(), source: io::Error::other(said) })
                    }
                }
                Err(e) => Err(UnmountError::Failed {
                    path: path.into(),
                    source: io::Error::other(format!("fusermount3 could not be run ({e}): install the fuse3 package")),
                }),
            }
        }
        _ => Err(UnmountError::Failed { path: path.into(), source: err }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_are_read_with_escapes() {
        let e = parse_mountinfo(
            "95 30 0:52 / /tmp/my\\040mnt rw,nosuid,nodev,noatime - fuse fjordsync:demo:Archive/a rw,user_id=0",
        )
        .unwrap();
        assert_eq!(e.point, PathBuf::from("/tmp/my mnt"));
        assert!(e.is_ours());
        let other = parse_mountinfo("36 35 98:0 / /data rw master:1 - ext4 /dev/vda rw").unwrap();
        assert!(!other.is_ours());
        let helper = parse_mountinfo("97 30 0:53 / /m rw - fuse.fjordsync fjordsync rw").unwrap();
        assert!(helper.is_ours());
    }

    #[test]
    fn a_mount_point_must_be_an_empty_folder() {
        let dir = std::env::temp_dir().join(format!("fjordsync-fuse-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(check_mountpoint(&dir).is_ok());
        std::fs::write(dir.join("x"), b"x").unwrap();
        assert!(matches!(check_mountpoint(&dir), Err(MountError::NotEmpty(_))));
        assert!(matches!(check_mountpoint(&dir.join("x")), Err(MountError::NotFolder(_))));
        assert!(matches!(check_mountpoint(&dir.join("nope")), Err(MountError::Missing(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
