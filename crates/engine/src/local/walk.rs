//! One walk of a local folder: names mapped to remote form, per-folder
//! `.fjordsyncignore` files (gitignore syntax), the task filter, and
//! symlinks skipped (or followed, loop-safe, when asked).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use fjordsync_jottacloud::names::{encode_os_name, validate_remote_name};
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::filter::Filter;
use crate::tree::{FileItem, Skipped, Tree};

/// The per-folder ignore file.
pub const IGNORE_FILE: &str = ".fjordsyncignore";

/// The walk's result: the tree plus what the preflight needs.
#[derive(Debug, Default)]
pub struct LocalWalk {
    /// Files and folders.
    pub tree: Tree,
    /// Names the service refuses (too long, ...): (user path, reason).
    pub refused: Vec<(String, String)>,
    /// Names stored as look-alikes: (user name, remote name).
    pub mapped: Vec<(String, String)>,
    /// Keys hidden by a `.fjordsyncignore` (a sync must not delete them on the destination).
    pub ignored_prefixes: Vec<String>,
}

struct Dir {
    path: PathBuf,
    key: String,
    user: String,
    ignores: Vec<Gitignore>,
}

/// Walks `root` (blocking; call from `spawn_blocking`).
pub fn walk(root: &Path, filter: &Filter, follow_symlinks: bool) -> LocalWalk {
    let mut out = LocalWalk::default();
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => out.tree.exists = true,
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
                out.tree.skipped.push(Skipped { key: dir.key.clone(), reason: format!("cannot read folder: {e}") });
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let remote = encode_os_name(&name);
            let user_name = name.to_string_lossy().into_owned();
            let key = if dir.key.is_empty() { remote.clone() } else { format!("{}/{remote}", dir.key) };
            let user = if dir.user.is_empty() { user_name.clone() } else { format!("{}/{user_name}", dir.user) };
            let path = entry.path();
            if is_our_temp(&user_name) {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let meta = if ft.is_symlink() {
                if !follow_symlinks {
                    out.tree.skipped.push(Skipped { key, reason: "symbolic link (use --follow-symlinks)".into() });
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        out.tree.skipped.push(Skipped { key, reason: format!("broken symbolic link: {e}") });
                        continue;
                    }
                }
            } else {
                match entry.metadata() {
                    Ok(m) => m,
                    Err(e) => {
                        out.tree.skipped.push(Skipped { key, reason: format!("cannot read: {e}") });
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
                    out.tree.skipped.push(Skipped { key, reason: "symbolic link loop".into() });
                    continue;
                }
                out.tree.add_dir(key.clone());
                stack.push(Dir { path, key, user, ignores: ignores.clone() });
            } else if meta.is_file() {
                let (mtime, mtime_ns) = times(&meta);
                if !filter.accepts_file(&user, &key, meta.len(), mtime) {
                    continue;
                }
                out.tree.add_file(FileItem { key, size: meta.len(), mtime, mtime_ns, inode: inode(&meta), md5: None });
            } else {
                out.tree.skipped.push(Skipped { key, reason: "not a regular file".into() });
            }
        }
    }
    out
}

/// Our own download temp files (`.<name>.fjordsync-<hex>.part`).
fn is_our_temp(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".part") && name.contains(".fjordsync-")
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
    use crate::task::TaskOptions;

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
        let f = Filter::new(&TaskOptions::default()).unwrap();
        let w = walk(r, &f, false);
        let mut keys: Vec<_> = w.tree.files.values().map(|f| f.key.clone()).collect();
        keys.sort();
        assert_eq!(keys, vec!["a/.fjordsyncignore", "a/b/x\u{FF1A}y.txt"]);
        assert_eq!(w.tree.dirs.len(), 3);
        assert_eq!(w.mapped.len(), 1);
        assert_eq!(w.ignored_prefixes, vec!["a/skip.log".to_string()]);
        #[cfg(unix)]
        {
            assert_eq!(w.tree.skipped.len(), 1);
            let w = walk(r, &f, true);
            assert_eq!(w.tree.files.len(), 2, "the loop is not followed");
        }
        let long = "x".repeat(300);
        std::fs::write(r.join(&long), b"1").unwrap_or(());
    }
}
