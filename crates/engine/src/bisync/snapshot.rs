//! Each side as it is now: one walk of the local folder, one streamed
//! listing (`liststream`) of the remote folder, each into a map by folded
//! key (see [`super::names::fold`]). Local MD5s are read only for files whose
//! size, mtime or inode differ from the base (through the hash cache, so a
//! file is read at most once per change), which keeps a no-op run to a walk
//! and one request.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use fjordsync_jottacloud::{Client, RemotePath, TreeEntry};
use futures_util::StreamExt;

use super::base::Base;
use super::names::{fold, name};
use super::temporary::is_temporary;
use crate::filter::Filter;
use crate::local::{self, HashCache, LocalWalk};
use crate::tree::{FileItem, Skipped, user_path};

/// A local file as walked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalFile {
    /// Size.
    pub size: u64,
    /// Modification time, whole seconds.
    pub mtime: i64,
    /// Modification time, ns.
    pub mtime_ns: i64,
    /// Inode.
    pub inode: u64,
    /// MD5, read when the file differs from the base (or is new).
    pub md5: Option<String>,
}

/// A remote file as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteFile {
    /// Size.
    pub size: u64,
    /// Modification time, whole seconds.
    pub mtime: i64,
    /// MD5 (the service always has it).
    pub md5: String,
    /// Identity (`uuid`), when listed.
    pub uuid: Option<String>,
    /// When this revision was uploaded (seconds), when listed.
    pub updated: Option<i64>,
}

/// A folder, or a file with its side's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<F> {
    /// A folder.
    Folder,
    /// A file.
    File(F),
}

/// One item of a side: its key as that side spells it, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<F> {
    /// Relative path in remote form, as this side spells it.
    pub key: String,
    /// Folder or file.
    pub node: Node<F>,
}

/// One side, by folded key. The root itself is not an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot<F> {
    /// False when the root folder does not exist (an unmounted disk, a
    /// remote folder removed elsewhere).
    pub exists: bool,
    /// The items.
    pub items: BTreeMap<String, Item<F>>,
    /// Pairs of keys that fold to the same form (case or NFC/NFD): the
    /// other side could not hold both.
    pub collisions: Vec<(String, String)>,
}

impl<F> Default for Snapshot<F> {
    fn default() -> Self {
        Snapshot { exists: true, items: BTreeMap::new(), collisions: Vec::new() }
    }
}

impl<F> Snapshot<F> {
    /// Adds an item; a second key of the same folded form is a collision.
    pub fn insert(&mut self, key: String, node: Node<F>) {
        match self.items.entry(fold(&key)) {
            std::collections::btree_map::Entry::Occupied(o) => {
                if o.get().key != key {
                    self.collisions.push((o.get().key.clone(), key));
                }
            }
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(Item { key, node });
            }
        }
    }

    /// Files (not folders) in the snapshot.
    pub fn file_count(&self) -> usize {
        self.items.values().filter(|i| matches!(i.node, Node::File(_))).count()
    }
}

/// The local side and what its walk found besides the items.
pub struct LocalSide {
    /// The items.
    pub snapshot: Snapshot<LocalFile>,
    /// The walk's report (refused names, skipped links, ...).
    pub walk: LocalWalk,
    /// Editor and office temporary files left out.
    pub temporary: Vec<Skipped>,
}

/// Walks the local root (blocking: call from `spawn_blocking`). `temps`
/// are our recorded download temp files, left out. MD5s are read only for
/// files that differ from the base, `checkers` files at a time.
pub fn local_side(
    root: &Path,
    filter: &Filter,
    follow_symlinks: bool,
    temps: &HashSet<PathBuf>,
    base: &Base,
    cache: &HashCache,
    checkers: usize,
) -> std::io::Result<LocalSide> {
    let mut snapshot = Snapshot::default();
    let mut temporary = Vec::new();
    let mut folders = Vec::new();
    let walk = local::walk(root, filter, follow_symlinks, temps, |f| {
        folders.push(f);
        true
    });
    snapshot.exists = walk.exists;
    // Files whose MD5 must be read: (key, path, stat).
    let mut to_hash: Vec<(String, PathBuf, FileItem)> = Vec::new();
    for folder in folders {
        if !folder.key.is_empty() {
            snapshot.insert(folder.key.clone(), Node::Folder);
        }
        for e in &folder.files {
            let key = folder.file_key(&e.name);
            if is_temporary(&e.name) {
                temporary.push(Skipped { key, reason: "an editor's temporary file (never synced)".into() });
                continue;
            }
            let file = LocalFile { size: e.size, mtime: e.mtime, mtime_ns: e.mtime_ns, inode: e.inode, md5: None };
            let unchanged = base.get(&fold(&key)).is_some_and(|b| {
                !b.is_folder()
                    && b.local_size == file.size
                    && b.local_mtime_ns == file.mtime_ns
                    && b.local_inode == file.inode
            });
            if !unchanged {
                let path = local::local_path(root, &key).map_err(std::io::Error::other)?;
                let item = FileItem { size: e.size, mtime: e.mtime, mtime_ns: e.mtime_ns, inode: e.inode, md5: None };
                to_hash.push((key.clone(), path, item));
            }
            snapshot.insert(key, Node::File(file));
        }
    }
    for (key, result) in hash_all(&to_hash, cache, checkers) {
        match result {
            Ok(md5) => {
                if let Some(Item { node: Node::File(f), .. }) = snapshot.items.get_mut(&fold(key)) {
                    f.md5 = Some(md5);
                }
            }
            // Gone or unreadable since the walk: left out of this run (and
            // so left alone on both sides).
            Err(err) => {
                snapshot.items.remove(&fold(key));
                temporary.push(Skipped { key: key.clone(), reason: format!("cannot read: {err}") });
            }
        }
    }
    Ok(LocalSide { snapshot, walk, temporary })
}

/// Reads the MD5s through the cache, `checkers` threads at a time (a first
/// run reads every file once; later runs only the changed ones).
fn hash_all<'a>(
    files: &'a [(String, PathBuf, FileItem)],
    cache: &HashCache,
    checkers: usize,
) -> Vec<(&'a String, std::io::Result<String>)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::with_capacity(files.len()));
    std::thread::scope(|scope| {
        for _ in 0..checkers.clamp(1, 32).min(files.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((key, path, item)) = files.get(i) else { break };
                    let md5 = cache.md5(path, item);
                    crate::lock::lock(&results).push((key, md5));
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Lists the remote root in one streamed request. A missing root is an
/// empty snapshot with `exists == false`.
pub async fn remote_side(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
) -> Result<Snapshot<RemoteFile>, fjordsync_jottacloud::Error> {
    let mut snapshot = Snapshot::default();
    let mut stream = match client.list_tree(root).await {
        Ok(s) => s,
        Err(e) if e.is_not_found() => return Ok(Snapshot { exists: false, ..Snapshot::default() }),
        Err(e) => return Err(e),
    };
    let mut excluded: Vec<String> = Vec::new();
    while let Some(entry) = stream.next().await {
        match entry? {
            TreeEntry::Folder { path } => {
                let key = path.join("/");
                if excluded.iter().any(|p| super::names::is_under(&key, p)) {
                    continue;
                }
                if filter.skips_dir(&user_path(&key)) {
                    excluded.push(key);
                    continue;
                }
                snapshot.insert(key, Node::Folder);
            }
            TreeEntry::File { path, size, md5, modified, updated, uuid, .. } => {
                let key = path.join("/");
                let mtime = modified.map(|t| t.as_second()).unwrap_or(0);
                if excluded.iter().any(|p| super::names::is_under(&key, p))
                    || !filter.accepts_file(&user_path(&key), &key, size, mtime)
                    || is_temporary(name(&key))
                {
                    continue;
                }
                let file = RemoteFile { size, mtime, md5, uuid, updated: updated.map(|t| t.as_second()) };
                snapshot.insert(key, Node::File(file));
            }
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two spellings of one name in a folder (case, or composed and
    /// decomposed accents) are a collision, kept once.
    #[test]
    fn names_folding_alike_collide() {
        let mut s: Snapshot<()> = Snapshot::default();
        s.insert("Caf\u{e9}.txt".into(), Node::File(()));
        s.insert("Cafe\u{301}.txt".into(), Node::File(()));
        s.insert("CAF\u{c9}.TXT".into(), Node::File(()));
        s.insert("other.txt".into(), Node::File(()));
        assert_eq!(s.items.len(), 2);
        assert_eq!(s.collisions.len(), 2);
        assert_eq!(s.collisions[0], ("Caf\u{e9}.txt".to_string(), "Cafe\u{301}.txt".to_string()));
    }

    /// The walk's MD5s are read only for files that differ from the base,
    /// and several at a time.
    #[test]
    fn only_changed_files_are_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for i in 0..20 {
            std::fs::write(root.join(format!("f{i}.txt")), format!("content {i}")).unwrap();
        }
        let cache = HashCache::new(Default::default(), None);
        let filter = Filter::new(&Default::default()).unwrap();
        let first = local_side(root, &filter, false, &HashSet::new(), &Base::new(), &cache, 4).unwrap();
        assert_eq!(first.snapshot.file_count(), 20);
        let mut base = Base::new();
        for (folded, item) in &first.snapshot.items {
            let Node::File(f) = &item.node else { continue };
            assert_eq!(f.md5.as_deref(), Some(crate::local::md5_of_file(&root.join(&item.key)).unwrap().as_str()));
            if item.key != "f3.txt" {
                let b = crate::bisync::BaseItem {
                    key: item.key.clone(),
                    md5: f.md5.clone(),
                    size: f.size,
                    local_size: f.size,
                    local_mtime_ns: f.mtime_ns,
                    local_inode: f.inode,
                    ..Default::default()
                };
                base.insert(folded.clone(), b);
            }
        }
        let again = local_side(root, &filter, false, &HashSet::new(), &base, &cache, 4).unwrap();
        let hashed: Vec<&str> = again
            .snapshot
            .items
            .values()
            .filter(|i| matches!(&i.node, Node::File(f) if f.md5.is_some()))
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(hashed, ["f3.txt"]);
    }
}
