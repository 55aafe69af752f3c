//! Remote keys → local paths. A name from the server must never escape the
//! target folder: `..`, `.`, empty names, separators and NUL in a decoded
//! name are refused.

use std::path::{Path, PathBuf};

use fjordsync_jottacloud::names::decode_name;

/// A remote name that cannot be a local name here.
#[derive(Debug, thiserror::Error)]
#[error("{name:?} cannot be a local file name: {reason}")]
pub struct PathError {
    /// The remote name.
    pub name: String,
    /// Why.
    pub reason: &'static str,
}

/// The local path for a remote-form key below `root`.
pub fn local_path(root: &Path, key: &str) -> Result<PathBuf, PathError> {
    let mut p = root.to_path_buf();
    for seg in key.split('/') {
        let raw = decode_name(seg);
        let bad = |reason| Err(PathError { name: seg.to_string(), reason });
        if raw.is_empty() {
            return bad("empty name");
        }
        if raw == b"." || raw == b".." {
            return bad("`.` and `..` would leave the folder");
        }
        if raw.contains(&b'/') || raw.contains(&0) || (cfg!(windows) && raw.contains(&b'\\')) {
            return bad("contains a path separator or NUL");
        }
        p.push(os_name(raw)?);
    }
    Ok(p)
}

#[cfg(unix)]
fn os_name(raw: Vec<u8>) -> Result<std::ffi::OsString, PathError> {
    use std::os::unix::ffi::OsStringExt;
    Ok(std::ffi::OsString::from_vec(raw))
}

#[cfg(not(unix))]
fn os_name(raw: Vec<u8>) -> Result<std::ffi::OsString, PathError> {
    String::from_utf8(raw)
        .map(Into::into)
        .map_err(|e| PathError { name: String::from_utf8_lossy(e.as_bytes()).into_owned(), reason: "not UTF-8" })
}

/// The hash-cache key of a local path (lossless on Unix, where paths are bytes).
pub fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_escapes() {
        let root = Path::new("/t");
        assert_eq!(local_path(root, "a/b\u{FF1A}c").unwrap(), Path::new("/t/a/b:c"));
        // The look-alike for ".." decodes to "..": refused.
        assert!(local_path(root, "\u{FF0E}\u{FF0E}/x").is_err());
        assert!(local_path(root, "a\u{FF0F}b").is_err(), "an encoded slash must not become a separator");
        assert!(local_path(root, "a//b").is_err());
    }
}
