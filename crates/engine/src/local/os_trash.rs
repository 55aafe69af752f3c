//! The OS trash (the freedesktop Trash on Linux, the Recycle Bin on Windows,
//! Finder's Trash on macOS): where a two-way sync puts a local file that was
//! deleted on the other side. That is where people look for a file a sync
//! client removed, and where their desktop offers "Restore". When the OS
//! trash cannot take a file (no trash on that disk, a sandbox), the run's
//! stash keeps it instead, so nothing is ever deleted for good.

use std::path::{Path, PathBuf};

use crate::transfer::stash;

/// Where a deleted local file went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kept {
    /// The OS trash.
    OsTrash,
    /// The run's stash (the OS trash refused it): this path.
    Stash(PathBuf),
}

/// Moves `path` to the OS trash, or into `stash_dir` under `key` when the
/// OS trash cannot take it.
pub fn delete(path: &Path, stash_dir: &Path, key: &str) -> std::io::Result<Kept> {
    match trash::delete(path) {
        Ok(()) => Ok(Kept::OsTrash),
        Err(e) => {
            tracing::info!("the OS trash refused {}: {e}; keeping it in the run's stash", path.display());
            stash::keep_moved(stash_dir, path, key).map(Kept::Stash)
        }
    }
}

/// Why a file could not be put back from the OS trash.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// Something is at the original place again.
    #[error("something is at its place again; it stays in the trash")]
    Occupied,
    /// This system's trash cannot be searched by a program.
    #[error("put it back from the system's trash (this system does not let programs restore from it)")]
    Unsupported,
    /// The trash could not be read or written.
    #[error("the system's trash: {0}")]
    Trash(String),
}

/// Puts back the newest item of the OS trash that was `original` and was
/// deleted at or after `since_s` (Unix seconds). `Ok(false)`: not there
/// (emptied from the trash, or restored by the user already).
#[cfg(any(
    target_os = "windows",
    all(unix, not(target_os = "macos"), not(target_os = "ios"), not(target_os = "android"))
))]
pub fn restore(original: &Path, since_s: i64) -> Result<bool, RestoreError> {
    if original.symlink_metadata().is_ok() {
        return Err(RestoreError::Occupied);
    }
    let items = trash::os_limited::list().map_err(|e| RestoreError::Trash(e.to_string()))?;
    let newest = items
        .into_iter()
        .filter(|i| i.time_deleted >= since_s && i.original_path() == original)
        .max_by_key(|i| i.time_deleted);
    let Some(item) = newest else { return Ok(false) };
    match trash::os_limited::restore_all([item]) {
        Ok(()) => Ok(true),
        Err(trash::Error::RestoreCollision { .. }) => Err(RestoreError::Occupied),
        Err(e) => Err(RestoreError::Trash(e.to_string())),
    }
}

/// See the other `restore`: Finder's Trash cannot be searched by a program.
#[cfg(not(any(
    target_os = "windows",
    all(unix, not(target_os = "macos"), not(target_os = "ios"), not(target_os = "android"))
)))]
pub fn restore(_original: &Path, _since_s: i64) -> Result<bool, RestoreError> {
    Err(RestoreError::Unsupported)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The freedesktop trash of a throwaway home: XDG_DATA_HOME is read at
    /// each call, and nothing else in the engine's lib tests reads it.
    #[test]
    fn a_deleted_file_goes_to_the_trash_and_comes_back() {
        let home = tempfile::tempdir().unwrap();
        let files = home.path().join("pair");
        std::fs::create_dir_all(&files).unwrap();
        let trash_home = home.path().join("data");
        // SAFETY: no other test of this binary reads or sets the variable.
        unsafe { std::env::set_var("XDG_DATA_HOME", &trash_home) };
        let file = files.join("report.txt");
        std::fs::write(&file, b"keep me").unwrap();
        let before = jiff::Timestamp::now().as_second() - 1;
        assert_eq!(delete(&file, &home.path().join("stash"), "report.txt").unwrap(), Kept::OsTrash);
        assert!(!file.exists());
        assert!(trash_home.join("Trash/files/report.txt").exists(), "in the freedesktop trash");
        // Something new at its place: it stays in the trash.
        std::fs::write(&file, b"new").unwrap();
        assert!(matches!(restore(&file, before), Err(RestoreError::Occupied)));
        std::fs::remove_file(&file).unwrap();
        assert!(restore(&file, before).unwrap());
        assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
        std::fs::remove_file(&file).unwrap();
        assert!(!restore(&file, before).unwrap(), "nothing left to restore");
    }
}
