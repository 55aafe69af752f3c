//! Paths inside the served folder.

use std::fmt;

use fjordsync_jottacloud::RemotePath;

use crate::error::{Result, VfsError};

/// A path below the served folder: a list of names as the user sees them
/// (`a:b` stays `a:b`; the storage's look-alike mapping happens in
/// [`VfsPath::remote`]). `.`, `..`, empty names, `/` and NUL are refused, so
/// no path can point outside the folder.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct VfsPath(Vec<String>);

impl VfsPath {
    /// The served folder itself.
    pub fn root() -> VfsPath {
        VfsPath(Vec::new())
    }

    /// `/a/b`, `a/b/` or `` (the root); empty segments are skipped.
    pub fn parse(s: &str) -> Result<VfsPath> {
        let mut p = VfsPath::root();
        for seg in s.split('/').filter(|s| !s.is_empty()) {
            p = p.join(seg)?;
        }
        Ok(p)
    }

    /// This path with one more name.
    pub fn join(&self, name: &str) -> Result<VfsPath> {
        let bad = |reason: &str| Err(VfsError::InvalidName { name: name.to_string(), reason: reason.to_string() });
        if name.is_empty() {
            return bad("a name cannot be empty");
        }
        if name == "." || name == ".." {
            return bad("it means a folder, not a name");
        }
        if name.contains(['/', '\0']) {
            return bad("a name cannot contain '/' or NUL");
        }
        let mut v = self.0.clone();
        v.push(name.to_string());
        Ok(VfsPath(v))
    }

    /// The names from the root down.
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// The last name; `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// The folder holding this path; `None` for the root.
    pub fn parent(&self) -> Option<VfsPath> {
        let (_, rest) = self.0.split_last()?;
        Some(VfsPath(rest.to_vec()))
    }

    /// True for the served folder itself.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// True if `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &VfsPath) -> bool {
        self.0.starts_with(&other.0)
    }

    /// `self` with its `from` prefix replaced by `to` (`self` must start with `from`).
    pub(crate) fn rebase(&self, from: &VfsPath, to: &VfsPath) -> VfsPath {
        let mut v = to.0.clone();
        v.extend_from_slice(&self.0[from.0.len()..]);
        VfsPath(v)
    }

    /// The storage path below `root`, each name mapped the way rclone and
    /// the rest of Fjordsync map it.
    pub fn remote(&self, root: &RemotePath) -> Result<RemotePath> {
        let mut p = root.clone();
        for seg in &self.0 {
            p = p.join_local(seg.as_bytes()).map_err(|e| match e {
                fjordsync_jottacloud::Error::InvalidName { name, reason } => VfsError::InvalidName { name, reason },
                e => VfsError::InvalidName { name: seg.clone(), reason: e.to_string() },
            })?;
        }
        Ok(p)
    }

    /// The key in the state file: `/a/b` (`/` for the root).
    pub(crate) fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for VfsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for s in &self.0 {
            write!(f, "/{s}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for VfsPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VfsPath({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_folder() {
        assert_eq!(VfsPath::parse("/a//b/").unwrap().segments(), ["a", "b"]);
        assert!(VfsPath::parse("/").unwrap().is_root());
        for bad in ["/a/../b", "..", "/./x"] {
            assert!(matches!(VfsPath::parse(bad), Err(VfsError::InvalidName { .. })), "{bad}");
        }
        assert!(VfsPath::root().join("a\0b").is_err());
        let p = VfsPath::parse("/x/y/z").unwrap();
        let moved = p.rebase(&VfsPath::parse("/x").unwrap(), &VfsPath::parse("/q/r").unwrap());
        assert_eq!(moved.to_string(), "/q/r/y/z");
        assert_eq!(p.parent().unwrap().to_string(), "/x/y");
    }

    #[test]
    fn names_map_to_storage_names() {
        let root = RemotePath::new("Jotta", "Archive").unwrap();
        let p = VfsPath::parse("/a:b/c?").unwrap().remote(&root).unwrap();
        assert_eq!(p.segments(), ["a\u{FF1A}b", "c\u{FF1F}"]);
    }
}
