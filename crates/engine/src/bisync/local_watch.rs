//! Local changes for continuous two-way sync: the OS's file events
//! (inotify, FSEvents, ReadDirectoryChangesW) through notify-debouncer-full,
//! which joins a rename's two halves and drops the duplicates an editor's
//! save makes. The events are only a hint of *where* to look: what changed
//! is always decided by a run against the base, so a lost or doubled event
//! costs at most one run, never a wrong action.
//!
//! The handler runs on the debouncer's thread; it only adds paths to a
//! bounded set and wakes the watch loop, so a burst of 100,000 events holds
//! at most [`MAX_PATHS`] paths.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify_debouncer_full::notify::event::EventKind;
use notify_debouncer_full::notify::{self, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use tokio::sync::Notify;

use super::base::Base;
use super::names::fold;
use super::temporary::is_temporary;
use crate::local::{inode, times};

/// More changed paths than this in one batch: the next run simply looks
/// at everything (it would anyway), and the set stops growing.
pub const MAX_PATHS: usize = 10_000;

/// What the events said since the loop last looked.
#[derive(Debug, Default)]
pub struct LocalChanges {
    /// Changed paths (absolute), unless `everything`.
    pub paths: HashSet<PathBuf>,
    /// Too many paths, or the OS dropped events (queue overflow): only a
    /// full run can tell what changed.
    pub everything: bool,
    /// The OS said its event queue overflowed (said once to the user).
    pub overflowed: bool,
    /// A watcher error, in the user's words.
    pub error: Option<String>,
}

impl LocalChanges {
    /// True when there is anything to look at.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.everything && self.error.is_none()
    }
}

/// Shared between the debouncer's thread and the watch loop.
#[derive(Default)]
pub struct Inbox {
    changes: Mutex<LocalChanges>,
    /// Woken on every batch with something in it.
    pub wake: Notify,
}

impl Inbox {
    /// Takes what has come in so far.
    pub fn take(&self) -> LocalChanges {
        std::mem::take(&mut *crate::lock::lock(&self.changes))
    }
}

/// Why the folder cannot be watched; the loop falls back to looking at
/// everything on every poll.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The OS limit on watched folders is reached (Linux:
    /// `fs.inotify.max_user_watches`).
    #[error("the system's limit on watched folders is reached")]
    Limit,
    /// Any other failure to start watching.
    #[error("{0}")]
    Other(String),
}

/// A running watcher of one folder; dropping it stops it.
pub struct LocalWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

impl LocalWatcher {
    /// Watches `root` recursively. Events settle for `debounce` first
    /// (rename halves joined, an editor's temp-write-rename seen as one).
    pub fn start(root: &Path, debounce: Duration, inbox: Arc<Inbox>) -> Result<LocalWatcher, WatchError> {
        let root_owned = root.to_path_buf();
        let handler = move |result: DebounceEventResult| handle(&root_owned, &inbox, result);
        let mut debouncer = new_debouncer(debounce, None, handler).map_err(|e| WatchError::Other(e.to_string()))?;
        debouncer.watch(root, RecursiveMode::Recursive).map_err(|e| match e.kind {
            notify::ErrorKind::MaxFilesWatch => WatchError::Limit,
            _ => WatchError::Other(e.to_string()),
        })?;
        Ok(LocalWatcher { _debouncer: debouncer })
    }
}

fn handle(root: &Path, inbox: &Inbox, result: DebounceEventResult) {
    let mut wake = false;
    {
        let mut c = crate::lock::lock(&inbox.changes);
        match result {
            Ok(events) => {
                for e in events {
                    if e.need_rescan() {
                        c.everything = true;
                        c.overflowed = true;
                        wake = true;
                        continue;
                    }
                    // Reads (our own uploads open files) are not changes.
                    if matches!(e.kind, EventKind::Access(_)) {
                        continue;
                    }
                    for p in &e.paths {
                        if !counts(root, p) {
                            continue;
                        }
                        wake = true;
                        if c.everything {
                            continue;
                        }
                        if c.paths.len() >= MAX_PATHS {
                            c.everything = true;
                            c.paths.clear();
                        } else {
                            c.paths.insert(p.clone());
                        }
                    }
                }
            }
            Err(errors) => {
                for e in errors {
                    if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                        c.error = Some("the system's limit on watched folders is reached".into());
                    } else {
                        c.error = Some(e.to_string());
                    }
                    c.everything = true;
                    wake = true;
                }
            }
        }
    }
    if wake {
        inbox.wake.notify_one();
    }
}

/// False for paths no run would ever carry: editors' temporary files (the
/// `.x.swp` of an atomic save), our own download temp files
/// (`.fjordsync-….part`) and anything outside the root.
fn counts(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else { return false };
    let Some(name) = rel.file_name().and_then(|n| n.to_str()) else { return true };
    !(is_temporary(name) || (name.starts_with(".fjordsync-") && name.ends_with(".part")))
}

/// True when every path is as the base last recorded it: a file with the
/// same size, modification time and inode, a folder the base knows, or a
/// path neither has. Such events were the run's own writes (a download
/// renamed into place, a folder made), and need no run of their own.
/// Reads only metadata, never content.
pub fn all_as_recorded(root: &Path, paths: &HashSet<PathBuf>, base: &Base) -> bool {
    paths.iter().all(|p| {
        let Ok(rel) = p.strip_prefix(root) else { return true };
        let Some(key) = key_of(rel) else { return false };
        let item = base.get(&fold(&key));
        match std::fs::symlink_metadata(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => item.is_none(),
            Err(_) => false,
            Ok(meta) if meta.is_dir() => item.is_some_and(|b| b.is_folder()),
            Ok(meta) if meta.is_file() => item.is_some_and(|b| {
                !b.is_folder()
                    && b.local_size == meta.len()
                    && b.local_mtime_ns == times(&meta).1
                    && b.local_inode == inode(&meta)
            }),
            Ok(_) => false,
        }
    })
}

/// The base key of a relative path (`a/b.txt`); `None` for a name that
/// is not Unicode (the run will report it).
fn key_of(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    parts.map(|p| p.join("/")).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bisync::BaseItem;

    #[test]
    fn temporary_and_own_files_do_not_count() {
        let root = Path::new("/r");
        assert!(counts(root, Path::new("/r/notes.txt")));
        assert!(counts(root, Path::new("/r/sub")));
        assert!(!counts(root, Path::new("/r/.notes.txt.swp")));
        assert!(!counts(root, Path::new("/r/sub/.fjordsync-0123456789abcdef.part")));
        assert!(!counts(root, Path::new("/elsewhere/x")));
    }

    /// A file as the base recorded it is our own write; a touched one is
    /// a change; a file the base does not know is a change.
    #[test]
    fn recorded_paths_need_no_run() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        let meta = std::fs::metadata(root.join("a.txt")).unwrap();
        let mut base = Base::new();
        base.insert(
            fold("a.txt"),
            BaseItem {
                key: "a.txt".into(),
                local_size: 1,
                local_mtime_ns: times(&meta).1,
                local_inode: inode(&meta),
                ..Default::default()
            },
        );
        let set = |names: &[&str]| names.iter().map(|n| root.join(n)).collect::<HashSet<_>>();
        assert!(all_as_recorded(root, &set(&["a.txt", "gone.txt"]), &base));
        std::fs::write(root.join("b.txt"), "b").unwrap();
        assert!(!all_as_recorded(root, &set(&["a.txt", "b.txt"]), &base));
        std::fs::write(root.join("a.txt"), "changed").unwrap();
        assert!(!all_as_recorded(root, &set(&["a.txt"]), &base));
    }
}
