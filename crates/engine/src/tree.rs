//! What a listing of one side yields: files and folders keyed by their
//! relative path in remote form (`a/b.txt`, names mapped with
//! `names::encode_name`), matched case-insensitively because the service is.

use std::collections::HashMap;

use fjordsync_jottacloud::names::{decode_name, fold_case};

/// A file on either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileItem {
    /// Relative path in remote form, `/`-separated.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, whole seconds (the service's precision).
    pub mtime: i64,
    /// Modification time in nanoseconds (local files; hash cache key).
    pub mtime_ns: i64,
    /// Inode / file id (local files; hash cache key).
    pub inode: u64,
    /// MD5 when known (always for remote files).
    pub md5: Option<String>,
}

/// Something left out of a listing, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Relative path in remote form.
    pub key: String,
    /// Why.
    pub reason: String,
}

/// One side's listing.
#[derive(Debug, Default)]
pub struct Tree {
    /// Files by folded key.
    pub files: HashMap<String, FileItem>,
    /// Folders: folded key → key.
    pub dirs: HashMap<String, String>,
    /// Left out (symlinks, unreadable entries, ...).
    pub skipped: Vec<Skipped>,
    /// Pairs of names that differ only in case (the service would merge them).
    pub collisions: Vec<(String, String)>,
    /// False when the root does not exist at all.
    pub exists: bool,
}

impl Tree {
    /// Adds a file, noting a case collision instead of overwriting.
    pub fn add_file(&mut self, item: FileItem) {
        let folded = fold_case(&item.key);
        if let Some(dir) = self.dirs.get(&folded) {
            self.collisions.push((dir.clone(), item.key.clone()));
            return;
        }
        match self.files.get(&folded) {
            Some(other) => self.collisions.push((other.key.clone(), item.key)),
            None => {
                self.files.insert(folded, item);
            }
        }
    }

    /// Adds a folder, noting a case collision with a file or another folder.
    pub fn add_dir(&mut self, key: String) {
        let folded = fold_case(&key);
        if let Some(f) = self.files.get(&folded) {
            self.collisions.push((f.key.clone(), key));
            return;
        }
        match self.dirs.get(&folded) {
            Some(other) if other != &key => self.collisions.push((other.clone(), key)),
            Some(_) => {}
            None => {
                self.dirs.insert(folded, key);
            }
        }
    }

    /// Number of files.
    pub fn file_count(&self) -> usize {
        self.files.len()
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

    fn f(key: &str) -> FileItem {
        FileItem { key: key.into(), size: 1, mtime: 0, mtime_ns: 0, inode: 0, md5: None }
    }

    #[test]
    fn case_collisions_are_noted() {
        let mut t = Tree::default();
        t.add_file(f("Hello.doc"));
        t.add_file(f("hello.doc"));
        t.add_dir("Sub".into());
        t.add_dir("sub".into());
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.collisions.len(), 2);
        assert_eq!(user_path("a\u{FF1A}b/c"), "a:b/c");
    }
}
