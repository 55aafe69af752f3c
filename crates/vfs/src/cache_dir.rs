//! The cache folder's layout, and the only ways files in it are opened.
//!
//! ```text
//! <cache>/state.db   pending uploads, local-only files, properties (SQLite)
//! <cache>/staged/    written content: waiting for upload, or local-only
//! <cache>/read/      the read cache (emptied at every start)
//! <cache>/lock       held while a server uses the folder
//! ```
//!
//! A file being written lives in `staged/` under a random name; only a
//! closed file gets a row in the state file, so at start every content
//! file without a row (a write cut by a crash) is removed.
//!
//! `<cache>/lock` is held (an OS file lock) while a [`crate::Vfs`] uses the
//! folder: two servers sharing one queue of pending uploads would upload
//! each other's files and delete each other's content.
//!
//! Every file name in it is made by us (a random id or a checked MD5), never
//! taken from a client. Sub-folders that are symbolic links are refused, new
//! files are created with `O_EXCL` (which does not follow a link) and
//! existing ones opened with `O_NOFOLLOW`, so nothing is ever written
//! through a link someone placed there.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Result, VfsError};

/// The cache folder, checked and laid out.
#[derive(Debug)]
pub(crate) struct CacheDir {
    root: PathBuf,
    /// Holds the folder's lock until released or dropped.
    lock: std::sync::Mutex<Option<File>>,
}

impl CacheDir {
    /// Creates the folder and its sub-folders as needed, refuses links, and
    /// empties the read cache (its index lived in memory).
    pub(crate) fn open(root: &Path) -> Result<CacheDir> {
        std::fs::create_dir_all(root).map_err(|e| dir_error(root, &e))?;
        // The user chose this folder (it may live on another disk through a
        // link); below it, nothing may be a link.
        let root = root.canonicalize().map_err(|e| dir_error(root, &e))?;
        let lock_path = root.join("lock");
        let lock = match create_new(&lock_path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                open_rw(&lock_path).map_err(|e| dir_error(&lock_path, &e))?
            }
            Err(e) => return Err(dir_error(&lock_path, &e)),
        };
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(VfsError::CacheDir {
                    path: root,
                    what:
                        "is in use by another Fjordsync server or mount: stop it, or give this one its own cache folder"
                            .into(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(dir_error(&lock_path, &e)),
        }
        let dir = CacheDir { root, lock: std::sync::Mutex::new(Some(lock)) };
        for sub in ["staged", "read"] {
            dir.ensure_dir(&dir.root.join(sub))?;
        }
        dir.empty(&dir.root.join("read"))?;
        Ok(dir)
    }

    /// Lets another process use the folder (after a stop).
    pub(crate) fn release(&self) {
        self.lock.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    pub(crate) fn state_file(&self) -> PathBuf {
        self.root.join("state.db")
    }

    pub(crate) fn staged(&self, name: &str) -> PathBuf {
        self.root.join("staged").join(name)
    }

    pub(crate) fn staged_dir(&self) -> PathBuf {
        self.root.join("staged")
    }

    pub(crate) fn read_dir(&self) -> PathBuf {
        self.root.join("read")
    }

    fn ensure_dir(&self, p: &Path) -> Result<()> {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() && !m.file_type().is_symlink() => Ok(()),
            Ok(_) => Err(VfsError::CacheDir {
                path: p.to_path_buf(),
                what: "is a link or a file where a folder should be; remove it".into(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => std::fs::create_dir(p).map_err(|e| dir_error(p, &e)),
            Err(e) => Err(dir_error(p, &e)),
        }
    }

    /// Removes everything inside `dir` (links are removed, never followed).
    fn empty(&self, dir: &Path) -> Result<()> {
        for entry in std::fs::read_dir(dir).map_err(|e| dir_error(dir, &e))? {
            let entry = entry?;
            let p = entry.path();
            if entry.file_type()?.is_dir() {
                std::fs::remove_dir_all(&p)?;
            } else {
                std::fs::remove_file(&p)?;
            }
        }
        Ok(())
    }
}

fn dir_error(p: &Path, e: &io::Error) -> VfsError {
    VfsError::CacheDir { path: p.to_path_buf(), what: e.to_string() }
}

/// A random file name for staged or temporary content.
pub(crate) fn new_name() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Creates a new file (fails if anything, a link included, is there).
pub(crate) fn create_new(p: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).create_new(true).open(p)
}

/// Opens an existing file for reading and writing, never through a link.
pub(crate) fn open_rw(p: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true);
    no_follow(&mut o);
    o.open(p)
}

/// Opens an existing file for reading, never through a link.
pub(crate) fn open_read(p: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    no_follow(&mut o);
    o.open(p)
}

#[cfg(unix)]
fn no_follow(o: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    o.custom_flags(libc::O_NOFOLLOW);
}

#[cfg(not(unix))]
fn no_follow(_: &mut OpenOptions) {}

/// Removes a file we made; a missing one is fine.
pub(crate) fn remove(p: &Path) {
    if let Err(e) = std::fs::remove_file(p)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!("could not remove {}: {e}", p.display());
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_in_the_cache_folder_are_refused_and_the_read_cache_emptied() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let cache = tmp.path().join("cache");
        std::fs::create_dir(&cache).unwrap();
        std::os::unix::fs::symlink(&outside, cache.join("staged")).unwrap();
        assert!(matches!(CacheDir::open(&cache), Err(VfsError::CacheDir { .. })));
        std::fs::remove_file(cache.join("staged")).unwrap();

        let dir = CacheDir::open(&cache).unwrap();
        std::fs::write(dir.read_dir().join("block"), b"x").unwrap();
        let target = outside.join("victim");
        std::fs::write(&target, b"keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.staged("link")).unwrap();
        assert!(create_new(&dir.staged("link")).is_err());
        assert!(open_rw(&dir.staged("link")).is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");

        assert!(matches!(CacheDir::open(&cache), Err(VfsError::CacheDir { .. })), "the folder is in use");
        dir.release();
        CacheDir::open(&cache).unwrap();
        assert!(!dir.read_dir().join("block").exists());
    }
}
