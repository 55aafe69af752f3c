//! The stash: where a run keeps the local files it deletes or replaces
//! (`<config>/stash/<run>/`, kept 30 days), so `undo` and a conflict
//! resolution can put them back. One-way runs, two-way runs and conflict
//! resolutions all keep files the same way, here.

use std::path::{Path, PathBuf};

use crate::local;

/// Moves the local file `path` into `stash_dir` under `key` (its path in the
/// run): a rename, or a copy and delete when the stash is on another disk.
pub fn keep_moved(stash_dir: &Path, path: &Path, key: &str) -> std::io::Result<PathBuf> {
    let target = target(stash_dir, key)?;
    if std::fs::rename(path, &target).is_err() {
        std::fs::copy(path, &target)?;
        std::fs::remove_file(path)?;
    }
    Ok(target)
}

/// Keeps a copy of the local file `path`, about to be replaced, in
/// `stash_dir` under `key`: a hard link (free), or a copy.
pub fn keep_copy(stash_dir: &Path, path: &Path, key: &str) -> std::io::Result<PathBuf> {
    let target = target(stash_dir, key)?;
    let _ = std::fs::remove_file(&target);
    if std::fs::hard_link(path, &target).is_err() {
        std::fs::copy(path, &target)?;
    }
    Ok(target)
}

/// The stash path for `key`, with its folders made.
fn target(stash_dir: &Path, key: &str) -> std::io::Result<PathBuf> {
    let target = local::local_path(stash_dir, key).map_err(std::io::Error::other)?;
    if let Some(p) = target.parent() {
        std::fs::create_dir_all(p)?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_and_copied_files_keep_their_path_in_the_stash() {
        let dir = tempfile::tempdir().unwrap();
        let (root, stash) = (dir.path().join("root"), dir.path().join("stash"));
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/x.txt"), b"x").unwrap();
        std::fs::write(root.join("y.txt"), b"y").unwrap();

        let moved = keep_moved(&stash, &root.join("a/x.txt"), "a/x.txt").unwrap();
        assert_eq!(moved, stash.join("a/x.txt"));
        assert!(!root.join("a/x.txt").exists());
        assert_eq!(std::fs::read(&moved).unwrap(), b"x");

        let copied = keep_copy(&stash, &root.join("y.txt"), "y.txt").unwrap();
        assert_eq!(std::fs::read(&copied).unwrap(), b"y");
        assert!(root.join("y.txt").exists(), "a copy leaves the original");
    }
}
