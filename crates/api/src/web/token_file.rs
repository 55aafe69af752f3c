//! The daemon's access token, kept in `<config>/daemon.token`.
//!
//! Unlike the app's bridge, the daemon keeps its token across restarts, so a
//! bookmarked link keeps working on a home server that reboots. Whoever can
//! read the file can use the API, so it is created 0600 and refused when its
//! permissions are wider (like ssh refuses a readable private key): a token
//! that other users could have read is not a secret any more.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::access::AccessToken;

/// The file's name in the configuration folder.
pub const TOKEN_FILE: &str = "daemon.token";

/// Why the token file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error(
        "{path} can be read by other users (mode {mode:o}), so its access token is not secret: run `chmod 600 {path}`, \
         or delete the file to make a new token (open links then stop working)"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path} is not a regular file (a link or a folder): remove it, and a new token is made at the next start")]
    NotAFile { path: PathBuf },
    #[error("{path} does not hold an access token (64 hex digits): delete it, and a new one is made at the next start")]
    Damaged { path: PathBuf },
    #[error("cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// The token in `path`, made (0600) if the file does not exist. A symbolic
/// link is never followed, neither to read nor to create.
pub fn load_or_create(path: &Path) -> Result<AccessToken, TokenFileError> {
    let io_err = |source| TokenFileError::Io { path: path.to_path_buf(), source };
    match open_existing(path) {
        Ok(file) => read_token(path, file),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let token = AccessToken::generate();
            match create_new(path) {
                Ok(mut file) => {
                    file.write_all(format!("{}\n", token.as_str()).as_bytes()).map_err(io_err)?;
                    file.sync_all().map_err(io_err)?;
                    Ok(token)
                }
                // Another daemon made it at the same moment: use that one.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    read_token(path, open_existing(path).map_err(|e| not_a_file_or(path, e))?)
                }
                Err(e) => Err(io_err(e)),
            }
        }
        Err(e) => Err(not_a_file_or(path, e)),
    }
}

fn read_token(path: &Path, mut file: File) -> Result<AccessToken, TokenFileError> {
    let io_err = |source| TokenFileError::Io { path: path.to_path_buf(), source };
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Err(TokenFileError::NotAFile { path: path.to_path_buf() });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TokenFileError::TooOpen { path: path.to_path_buf(), mode });
        }
    }
    let mut text = String::new();
    // A token is 65 bytes; a huge file is not one.
    (&mut file)
        .take(4096)
        .read_to_string(&mut text)
        .map_err(|_| TokenFileError::Damaged { path: path.to_path_buf() })?;
    AccessToken::parse(&text).ok_or_else(|| TokenFileError::Damaged { path: path.to_path_buf() })
}

/// A symbolic link at `path` shows as ELOOP with `O_NOFOLLOW`.
fn not_a_file_or(path: &Path, e: io::Error) -> TokenFileError {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return TokenFileError::NotAFile { path: path.to_path_buf() };
    }
    TokenFileError::Io { path: path.to_path_buf(), source: e }
}

fn open_existing(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// `O_CREAT | O_EXCL`: fails on anything already there, a dangling link too.
fn create_new(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        let first = load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert_eq!(load_or_create(&path).unwrap().as_str(), first.as_str());
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_file_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(matches!(e, TokenFileError::TooOpen { mode: 0o644, .. }), "{e:?}");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn links_and_junk_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(matches!(load_or_create(&path), Err(TokenFileError::NotAFile { .. })), "dangling link");
        assert!(!target.exists(), "nothing created through the link");
        std::fs::remove_file(&path).unwrap();

        create_new(&path).unwrap().write_all(b"not a token").unwrap();
        assert!(matches!(load_or_create(&path), Err(TokenFileError::Damaged { .. })));
    }
}
