//! One walk of a local folder: names mapped to remote form, per-folder
//! `.fjordsyncignore` files (gitignore syntax), the task filter, symlinks
//! skipped (or followed, loop-safe, when asked), and our own download temp
//! files left out (only those recorded as ours: a user's file that merely
//! looks like one is walked like any other). Folders are handed
//! to the caller one at a time, so the walk holds one folder's files, not
//! the tree's.

use std::collections::hash_map::Entry as Slot;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use fjordsync_jottacloud::names::{encode_os_name, fold_case, validate_remote_name};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::filter::Filter;
use crate::tree::{Entry, Folder, Skipped};

/// The per-folder ignore file.
pub const IGNORE_FILE: &str = ".fjordsyncignore";

/// What the walk keeps besides the folders it hands out: what the
/// preflight and the plan's notes need.
#[derive(Debug, Default)]
pub struct LocalWalk {
    /// False when the root is not a folder (or does not exist).
    pub exists: bool,
    /// Left out (symlinks, unreadable entries, ...).
    pub skipped: Vec<Skipped>,
    /// Pairs of keys that differ only in case (the service would merge them).
    pub collisions: Vec<(String, String)>,
    /// Names the service refuses (too long, ...): (user path, reason).
    pub refused: Vec<(String, String)>,
    /// Names stored as look-alikes: (user name, remote name).
    pub mapped: Vec<(String, String)>,
    /// Keys hidden by a `.fjordsyncignore` (a sync must not delete them on the destination).
    pub ignored_prefixes: Vec<String>,
    /// Keys of our own download temp files that were left out (see `transfer::temp`).
    pub temps: Vec<String>,
}

struct Dir {
    path: PathBuf,
    key: String,
    user: String,
    ignores: Vec<Gitignore>,
}

/// Walks `root` (blocking; call from `spawn_blocking`), handing each folder
/// (the root first, as `""`) with its files to `each`, which returns false
/// to stop the walk. `temps` are our recorded download temp files (paths
/// relative to `root`), which are left out.
pub fn walk(
    root: &Path,
    filter: &Filter,
    follow_symlinks: bool,
    temps: &HashSet<PathBuf>,
    mut each: impl FnMut(Folder) -> bool,
) -> LocalWalk {
    let mut out = LocalWalk::default();
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => out.exists = true,
        _ => return out,
    }
    let mut visited = HashSet::new();
    if let Some(id) = dir_id(root) {
        visited.insert(id);
    }
    let mut stack = vec![Dir { path: root.to_path_buf(), key: String::new(), user: String::new(), ignores: vec![] }];
    while let Some(dir) = stack.pop() {
        let mut ignores = dir.ignores.clone();
        let ignore_path = dir.path.join(IGNORE_FILE);
        if ignore_path.is_file() {
            let mut b = GitignoreBuilder::new(&dir.path);
            if let Some(e) = b.add(&ignore_path) {
                tracing::warn!("{}: {e}", ignore_path.display());
            }
            if let Ok(g) = b.build() {
                ignores.push(g);
            }
        }
        let entries = match std::fs::read_dir(&dir.path) {
            Ok(e) => e,
            Err(e) => {
                out.skipped.push(Skipped { key: dir.key.clone(), reason: format!("cannot read folder: {e}") });
                continue;
            }
        };
        let mut files = Vec::new();
        // Folded name -> key, for case collisions among siblings.
        let mut seen: HashMap<String, String> = HashMap::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let remote = encode_os_name(&name);
            let user_name = name.to_string_lossy().into_owned();
            let key = if dir.key.is_empty() { remote.clone() } else { format!("{}/{remote}", dir.key) };
            let user = if dir.user.is_empty() { user_name.clone() } else { format!("{}/{user_name}", dir.user) };
            let path = entry.path();
            if path.strip_prefix(root).is_ok_and(|rel| temps.contains(rel)) {
                out.temps.push(key);
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let meta = if ft.is_symlink() {
                if !follow_symlinks {
                    out.skipped.push(Skipped {
                        key,
                        reason: format!("symbolic link {}", crate::remedy::Remedy::FollowSymlinks.cli()),
                    });
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        out.skipped.push(Skipped { key, reason: format!("broken symbolic link: {e}") });
                        continue;
                    }
                }
            } else {
                match entry.metadata() {
                    Ok(m) => m,
                    Err(e) => {
                        out.skipped.push(Skipped { key, reason: format!("cannot read: {e}") });
                        continue;
                    }
                }
            };
            let is_dir = meta.is_dir();
            if ignores.iter().any(|g| g.matched(&path, is_dir).is_ignore()) {
                out.ignored_prefixes.push(key);
                continue;
            }
            if let Err(e) = validate_remote_name(&remote) {
                let reason = match e {
                    fjordsync_jottacloud::Error::InvalidName { reason, .. } => reason,
                    e => e.to_string(),
                };
                out.refused.push((user.clone(), reason));
                continue;
            }
            if remote != user_name {
                out.mapped.push((user.clone(), remote.clone()));
            }
            if is_dir {
                if filter.skips_dir(&user) {
                    continue;
                }
                if follow_symlinks
                    && let Some(id) = dir_id(&path)
                    && !visited.insert(id)
                {
                    out.skipped.push(Skipped { key, reason: "symbolic link loop".into() });
                    continue;
                }
                match seen.entry(fold_case(&remote)) {
                    Slot::Occupied(o) if o.get() != &key => out.collisions.push((o.get().clone(), key.clone())),
                    Slot::Occupied(_) => {}
                    Slot::Vacant(v) => {
                        v.insert(key.clone());
                    }
                }
                stack.push(Dir { path, key, user, ignores: ignores.clone() });
            } else if meta.is_file() {
                let (mtime, mtime_ns) = times(&meta);
                if !filter.accepts_file(&user, &key, meta.len(), mtime) {
                    continue;
                }
                match seen.entry(fold_case(&remote)) {
                    Slot::Occupied(o) => {
                        out.collisions.push((o.get().clone(), key));
                        continue;
                    }
                    Slot::Vacant(v) => {
                        v.insert(key);
                    }
                }
                let (size, inode) = (meta.len(), inode(&meta));
                files.push(Entry { name: remote.into(), size, mtime, mtime_ns, inode, md5: None });
            } else {
                out.skipped.push(Skipped { key, reason: "not a regular file".into() });
            }
        }
        if !each(Folder { key: dir.key, files }) {
            break;
        }
    }
    out
}

/// Walks `root` into a list of folders (tests and small trees).
pub fn walk_all(root: &Path, filter: &Filter, follow_symlinks: bool) -> (LocalWalk, Vec<Folder>) {
    let mut folders = Vec::new();
    let w = walk(root, filter, follow_symlinks, &HashSet::new(), |f| {
        folders.push(f);
        true
    });
    (w, folders)
}

/// Seconds (floored) and nanoseconds since the epoch.
pub(crate) fn times(meta: &std::fs::Metadata) -> (i64, i64) {
    match meta.modified().ok().and_then(|t| jiff::Timestamp::try_from(t).ok()) {
        Some(t) => (t.as_second(), t.as_nanosecond() as i64),
        None => (0, 0),
    }
}

#[cfg(unix)]
pub(crate) fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
pub(crate) fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

#[cfg(unix)]
fn dir_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(path: &Path) -> Option<(u64, u64)> {
    // Without inode numbers, the canonical path stands in for identity.
    use std::hash::{Hash, Hasher};
    let c = std::fs::canonicalize(path).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    c.hash(&mut h);
    Some((0, h.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::FilterOptions;

    #[test]
    fn only_recorded_temp_files_are_left_out() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("sub")).unwrap();
        std::fs::write(r.join("sub/.fjordsync-00000000000000aa.part"), b"ours").unwrap();
        std::fs::write(r.join(".x.fjordsync-1.part"), b"the user's").unwrap();
        std::fs::write(r.join(".fjordsync-00000000000000bb.part"), b"the user's too").unwrap();
        let f = Filter::new(&FilterOptions::default()).unwrap();
        let ours: HashSet<PathBuf> = [PathBuf::from("sub/.fjordsync-00000000000000aa.part")].into();
        let mut keys = Vec::new();
        let w = walk(r, &f, false, &ours, |d| {
            keys.extend(d.files.iter().map(|e| d.file_key(&e.name)));
            true
        });
        keys.sort();
        assert_eq!(keys, vec![".fjordsync-00000000000000bb.part", ".x.fjordsync-1.part"]);
        assert_eq!(w.temps, vec!["sub/.fjordsync-00000000000000aa.part".to_string()]);
    }

    #[test]
    fn walks_with_ignore_files_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("a/b")).unwrap();
        std::fs::create_dir_all(r.join("empty")).unwrap();
        std::fs::write(r.join("a/b/x:y.txt"), b"1").unwrap();
        std::fs::write(r.join("a/skip.log"), b"1").unwrap();
        std::fs::write(r.join("a/.fjordsyncignore"), b"*.log\n").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(r, r.join("a/loop")).unwrap();
        let f = Filter::new(&FilterOptions::default()).unwrap();
        let (w, folders) = walk_all(r, &f, false);
        let mut keys: Vec<_> = folders.iter().flat_map(|d| d.files.iter().map(|e| d.file_key(&e.name))).collect();
        keys.sort();
        assert_eq!(keys, vec!["a/.fjordsyncignore", "a/b/x\u{FF1A}y.txt"]);
        assert_eq!(folders.len(), 4, "the root and three folders");
        assert_eq!(w.mapped.len(), 1);
        assert_eq!(w.ignored_prefixes, vec!["a/skip.log".to_string()]);
        #[cfg(unix)]
        {
            assert_eq!(w.skipped.len(), 1);
            let (_, folders) = walk_all(r, &f, true);
            let files: usize = folders.iter().map(|d| d.files.len()).sum();
            assert_eq!(files, 2, "the loop is not followed");
        }
        let long = "x".repeat(300);
        std::fs::write(r.join(&long), b"1").unwrap_or(());
    }
}
