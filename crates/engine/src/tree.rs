//! What a listing of one side yields, folder by folder: each [`Folder`]
//! holds its files by name only (no full paths), in remote form (`a/b.txt`,
//! names mapped with `names::encode_name`), matched case-insensitively
//! because the service is. The local side is never held whole: the walk
//! hands folders to the planner one at a time. A remote listing arrives as
//! one stream in no documented order beyond "a folder before its files", so
//! it is kept as a [`Listing`] of compact folders until the planner takes
//! them.

use std::collections::HashMap;

use fjordsync_jottacloud::names::{decode_name, fold_case};

/// A file's metadata as a planned step carries it (the step holds the key).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileItem {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds (the service's precision).
    pub mtime: i64,
    /// Modification time in nanoseconds (local files; hash cache key).
    pub mtime_ns: i64,
    /// Inode / file id (local files; hash cache key).
    pub inode: u64,
    /// Lower-case hex MD5 when known (always for remote files).
    pub md5: Option<String>,
}

/// An MD5 digest, kept as bytes (16 instead of a 56-byte string).
pub type Md5 = [u8; 16];

/// Parses a hex MD5 (either case); `None` when it is not one.
pub fn parse_md5(hex: &str) -> Option<Md5> {
    let b = hex.as_bytes();
    if b.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in b.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex of an MD5.
pub fn md5_hex(m: &Md5) -> String {
    crate::local::hash_hex(m)
}

/// One file of a [`Folder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file's name in remote form (no folder).
    pub name: Box<str>,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds.
    pub mtime: i64,
    /// Modification time in nanoseconds (local files).
    pub mtime_ns: i64,
    /// Inode / file id (local files).
    pub inode: u64,
    /// MD5 when known (always for remote files; local ones when the planner asked).
    pub md5: Option<Md5>,
}

impl Entry {
    /// The metadata a step carries.
    pub fn item(&self) -> FileItem {
        FileItem {
            size: self.size,
            mtime: self.mtime,
            mtime_ns: self.mtime_ns,
            inode: self.inode,
            md5: self.md5.as_ref().map(md5_hex),
        }
    }
}

/// One folder of a listing and its files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folder {
    /// The folder's relative path in remote form (`""` for the root).
    pub key: String,
    /// Its files.
    pub files: Vec<Entry>,
}

impl Folder {
    /// The full key of a file in this folder.
    pub fn file_key(&self, name: &str) -> String {
        join_key(&self.key, name)
    }
}

/// `parent/name`, or `name` at the root.
pub fn join_key(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent}/{name}") }
}

/// Something left out of a listing, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative path in remote form.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// A whole listing held in memory (the remote side), by folded folder key.
#[derive(Debug, Default)]
pub struct Listing {
    /// Folders by folded key; the root is `""`.
    pub folders: HashMap<Box<str>, Folder>,
    /// False when the root does not exist at all.
    pub exists: bool,
    /// The folder the last file went to: (key, folded key).
    last: Option<(String, Box<str>)>,
}

impl Listing {
    /// An existing, empty listing (just the root folder).
    pub fn empty_root() -> Listing {
        let mut l = Listing { exists: true, ..Default::default() };
        l.add_dir(String::new());
        l
    }

    /// Adds a folder (no-op when present).
    pub fn add_dir(&mut self, key: String) -> &mut Folder {
        self.folders.entry(fold_case(&key).into_boxed_str()).or_insert_with(|| Folder { key, files: Vec::new() })
    }

    /// Adds a file to the folder `parent` (created when missing).
    pub fn add_file(&mut self, parent: &str, entry: Entry) {
        if self.last.as_ref().is_none_or(|(k, _)| k != parent) {
            self.last = Some((parent.to_string(), fold_case(parent).into()));
        }
        let Some((key, folded)) = &self.last else { return };
        match self.folders.get_mut(folded) {
            Some(dir) => dir.files.push(entry),
            None => {
                self.folders.insert(folded.clone(), Folder { key: key.clone(), files: vec![entry] });
            }
        }
    }

    /// Takes a folder out by its folded key.
    pub fn take(&mut self, folded: &str) -> Option<Folder> {
        self.folders.remove(folded)
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.folders.values().map(|f| f.files.len()).sum()
    }
}

/// A remote-form relative path as the user sees it (look-alikes mapped back).
pub fn user_path(key: &str) -> String {
    key.split('/').map(|s| String::from_utf8_lossy(&decode_name(s)).into_owned()).collect::<Vec<_>>().join("/")
}

/// The folded key of the parent folder, if any.
pub fn parent_key(key: &str) -> Option<&str> {
    key.rsplit_once('/').map(|(p, _)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_md5s() {
        assert_eq!(user_path("a\u{FF1A}b/c"), "a:b/c");
        let m = parse_md5("0123456789ABCDEF0123456789abcdef").unwrap();
        assert_eq!(md5_hex(&m), "0123456789abcdef0123456789abcdef");
        assert_eq!(parse_md5("xyz"), None);
        assert_eq!(join_key("", "a"), "a");
        assert_eq!(join_key("a", "b"), "a/b");
    }
}
