//! Is a path below a local root free of symbolic links and mount points?
//!
//! Everything the engine writes, renames or deletes under a local folder
//! (downloads, their temporary files, new folders, times, files moved to the
//! stash) must stay inside that folder. A symbolic link (on Windows also a
//! junction) below the root would take the write somewhere else, replacing a
//! file the user keeps elsewhere; a folder on another filesystem (a mount
//! point) belongs to someone else's disk. Such paths are skipped with the
//! reason this module gives.
//!
//! The root itself may be a link: the user chose it, so only the components
//! *below* it are checked. The check runs when the run is planned and again
//! just before each write, so a link made in between is still caught.
//! (A link swapped in during the few microseconds between that second check
//! and the write itself is not; new files are created with `O_EXCL`, which
//! never follows a link at the final name.)

use std::path::{Component, Path, PathBuf};

/// What makes a path unsafe to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeKind {
    /// A symbolic link (or a Windows junction).
    Symlink,
    /// A folder on another filesystem than the root (a mount point).
    MountPoint,
    /// The path is not below the root at all.
    OutsideRoot,
}

/// A path the engine refuses to write through.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.message())]
pub struct UnsafePath {
    /// The component that is a link or a mount point (or the whole path).
    pub at: PathBuf,
    /// Which kind of trouble.
    pub kind: UnsafeKind,
}

impl UnsafePath {
    fn message(&self) -> String {
        let at = self.at.display();
        let exclude = crate::remedy::Remedy::Exclude.cli();
        match self.kind {
            UnsafeKind::Symlink => format!(
                "skipped: {at} is a symbolic link; Fjordsync never writes or deletes through a link in the local folder \
                 (replace the link with a real folder or file, or leave the path out {exclude})"
            ),
            UnsafeKind::MountPoint => format!(
                "skipped: {at} is on another disk (a mount point); Fjordsync never writes or deletes across one \
                 (sync that disk as its own folder, or leave the path out {exclude})"
            ),
            UnsafeKind::OutsideRoot => format!("skipped: {at} is not inside the local folder"),
        }
    }
}

/// A failure to create a folder safely: either an unsafe path or an I/O error.
#[derive(Debug, thiserror::Error)]
pub enum MkdirError {
    /// A link or mount point is in the way.
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    /// Creating the folder failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A local root the engine writes below.
#[derive(Debug, Clone)]
pub struct SafeRoot {
    root: PathBuf,
    /// The root's filesystem (following the root if it is a link).
    device: Option<u64>,
}

impl SafeRoot {
    /// The root as the user gave it (it may itself be a link).
    pub fn new(root: &Path) -> SafeRoot {
        SafeRoot { root: root.to_path_buf(), device: std::fs::metadata(root).ok().and_then(|m| device(&m)) }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Checks every existing component of `path` below the root, the last
    /// one included. Components that do not exist yet are fine: they will be
    /// created as real folders (see [`SafeRoot::create_dirs`]). A component
    /// that cannot be read ends the check; the write then fails with its own error.
    pub fn check(&self, path: &Path) -> Result<(), UnsafePath> {
        let outside = || UnsafePath { at: path.to_path_buf(), kind: UnsafeKind::OutsideRoot };
        let rel = path.strip_prefix(&self.root).map_err(|_| outside())?;
        let mut at = self.root.clone();
        for c in rel.components() {
            let Component::Normal(name) = c else { return Err(outside()) };
            at.push(name);
            let Ok(meta) = std::fs::symlink_metadata(&at) else { return Ok(()) };
            self.check_one(&at, &meta)?;
        }
        Ok(())
    }

    fn check_one(&self, at: &Path, meta: &std::fs::Metadata) -> Result<(), UnsafePath> {
        if meta.file_type().is_symlink() {
            return Err(UnsafePath { at: at.to_path_buf(), kind: UnsafeKind::Symlink });
        }
        if self.device.is_some() && device(meta) != self.device {
            return Err(UnsafePath { at: at.to_path_buf(), kind: UnsafeKind::MountPoint });
        }
        Ok(())
    }

    /// `create_dir_all` that never goes through a link or a mount point:
    /// each component is checked, and a missing one is made with `mkdir`,
    /// which does not follow a link at its name.
    pub fn create_dirs(&self, dir: &Path) -> Result<(), MkdirError> {
        let outside = || UnsafePath { at: dir.to_path_buf(), kind: UnsafeKind::OutsideRoot };
        let rel = dir.strip_prefix(&self.root).map_err(|_| outside())?;
        if std::fs::metadata(&self.root).is_err() {
            std::fs::create_dir_all(&self.root)?;
        }
        let mut at = self.root.clone();
        for c in rel.components() {
            let Component::Normal(name) = c else { return Err(outside().into()) };
            at.push(name);
            match std::fs::create_dir(&at) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let meta = std::fs::symlink_metadata(&at)?;
                    self.check_one(&at, &meta)?;
                    if !meta.is_dir() {
                        return Err(MkdirError::Io(e));
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
fn device(meta: &std::fs::Metadata) -> Option<u64> {
    Some(std::os::unix::fs::MetadataExt::dev(meta))
}

#[cfg(not(unix))]
fn device(_meta: &std::fs::Metadata) -> Option<u64> {
    // Windows mount points are junctions, which `is_symlink` already reports.
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_below_the_root_are_refused_the_root_itself_may_be_one() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        let elsewhere = d.path().join("elsewhere");
        std::fs::create_dir_all(real.join("sub")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, real.join("link")).unwrap();
        std::os::unix::fs::symlink(d.path().join("nowhere"), real.join("file-link")).unwrap();
        let root_link = d.path().join("root-link");
        std::os::unix::fs::symlink(&real, &root_link).unwrap();

        for root in [&real, &root_link] {
            let safe = SafeRoot::new(root);
            assert!(safe.check(&root.join("sub/new/file.txt")).is_ok());
            let e = safe.check(&root.join("link/planted.txt")).unwrap_err();
            assert_eq!((e.kind, e.at), (UnsafeKind::Symlink, root.join("link")));
            assert_eq!(safe.check(&root.join("file-link")).unwrap_err().kind, UnsafeKind::Symlink);
            assert!(matches!(safe.create_dirs(&root.join("link/inner")), Err(MkdirError::Unsafe(_))));
            assert!(matches!(safe.create_dirs(&root.join("file-link")), Err(MkdirError::Unsafe(_))));
            safe.create_dirs(&root.join("sub/a/b")).unwrap();
            assert_eq!(safe.check(Path::new("/etc/passwd")).unwrap_err().kind, UnsafeKind::OutsideRoot);
        }
        assert!(std::fs::read_dir(&elsewhere).unwrap().next().is_none(), "nothing was made through the link");
        assert!(real.join("sub/a/b").is_dir());
    }

    #[test]
    fn a_folder_on_another_device_is_a_mount_point() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("mnt")).unwrap();
        // Pretend the root lives on another device than everything below it.
        let safe = SafeRoot { root: d.path().to_path_buf(), device: Some(u64::MAX) };
        let e = safe.check(&d.path().join("mnt/file")).unwrap_err();
        assert!(e.to_string().contains("another disk"), "{e}");
        assert_eq!((e.kind, e.at), (UnsafeKind::MountPoint, d.path().join("mnt")));
    }
}
