//! Where Fjordsync keeps its settings.
//!
//! One directory holds everything that is not a secret: `remotes.json`, the lock
//! files that serialise token refreshes between processes, and (with the
//! explicit file secret store) the secrets themselves. Tests and portable setups
//! point it elsewhere with `--config-dir` or `FJORDSYNC_CONFIG_DIR`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "FJORDSYNC_CONFIG_DIR";

/// The configuration directory, created on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDir {
    root: PathBuf,
}

impl ConfigDir {
    /// Uses `explicit` if given, else `FJORDSYNC_CONFIG_DIR`, else the platform's
    /// config directory (`~/.config/fjordsync` on Linux).
    pub fn resolve(explicit: Option<&Path>) -> io::Result<ConfigDir> {
        let root = match explicit {
            Some(p) => p.to_path_buf(),
            None => match std::env::var_os(CONFIG_DIR_ENV) {
                Some(p) if !p.is_empty() => PathBuf::from(p),
                _ => dirs::config_dir()
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::NotFound,
                            "no home or config directory found; set FJORDSYNC_CONFIG_DIR",
                        )
                    })?
                    .join("fjordsync"),
            },
        };
        ConfigDir::at(root)
    }

    /// Uses exactly `root`, creating it (mode 0700 on Unix) if needed.
    pub fn at(root: impl Into<PathBuf>) -> io::Result<ConfigDir> {
        let root = root.into();
        create_private_dir(&root)?;
        // Canonical so that two spellings of one directory share keyring entries.
        let root = fs::canonicalize(&root)?;
        Ok(ConfigDir { root })
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The list of remotes.
    pub fn remotes_file(&self) -> PathBuf {
        self.root.join("remotes.json")
    }

    /// A subdirectory, created private on first use.
    pub fn subdir(&self, name: &str) -> io::Result<PathBuf> {
        let dir = self.root.join(name);
        create_private_dir(&dir)?;
        Ok(dir)
    }
}

/// Creates `dir` and its parents; the leaf gets mode 0700 on Unix because it may
/// hold secrets (file store) and lock files named after remotes.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed to disk, then renamed over the target. A crash leaves either the old
/// or the new file, never a torn one. `private` makes the file 0600 before any
/// byte is written.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        if private {
            options.mode(0o600);
        }
    }
    #[cfg(not(unix))]
    let _ = private;
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_content_and_keeps_mode_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = ConfigDir::at(tmp.path().join("cfg")).unwrap();
        let file = dir.path().join("x.json");
        write_atomic(&file, b"one", true).unwrap();
        write_atomic(&file, b"two", true).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(dmode, 0o700);
        }
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
