//! Files written here whose content is in the cache folder, not (yet) on
//! the storage: the overlay that `stat`, `list` and `read` see on top of
//! the storage's listings. Each entry mirrors a row of the state file.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use jiff::Timestamp;

use crate::meta::{FileState, Kind, Meta};
use crate::path::VfsPath;
use crate::state::StagedRow;

/// One staged file.
#[derive(Debug, Clone)]
pub(crate) struct Staged {
    pub(crate) file: String,
    pub(crate) md5: String,
    pub(crate) size: u64,
    pub(crate) modified: Option<Timestamp>,
    pub(crate) local_only: bool,
    /// When its upload may start.
    pub(crate) due: Instant,
    /// Failed upload rounds so far (for the backoff).
    pub(crate) attempts: u32,
    /// Set when the upload failed in a way another try cannot fix; it waits
    /// for the next start.
    pub(crate) failed: Option<String>,
}

impl Staged {
    pub(crate) fn from_row(row: &StagedRow, due: Instant) -> Staged {
        Staged {
            file: row.file.clone(),
            md5: row.md5.clone(),
            size: row.size,
            modified: row.modified,
            local_only: row.local_only,
            due,
            attempts: 0,
            failed: None,
        }
    }

    pub(crate) fn row(&self, path: &VfsPath) -> StagedRow {
        StagedRow {
            path: path.clone(),
            file: self.file.clone(),
            md5: self.md5.clone(),
            size: self.size,
            modified: self.modified,
            local_only: self.local_only,
        }
    }

    pub(crate) fn meta(&self) -> Meta {
        Meta {
            kind: Kind::File,
            size: self.size,
            modified: self.modified,
            created: None,
            md5: Some(self.md5.clone()),
            revision: None,
            state: if self.local_only { FileState::LocalOnly } else { FileState::Pending },
        }
    }
}

/// All staged files by path.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    map: BTreeMap<VfsPath, Staged>,
    /// Paths with an upload in flight: a path never has two at once, so a
    /// newer close of it uploads after the older one ends and the storage
    /// ends with the newest content.
    in_flight: HashSet<VfsPath>,
}

impl Overlay {
    pub(crate) fn get(&self, path: &VfsPath) -> Option<&Staged> {
        self.map.get(path)
    }

    pub(crate) fn get_mut(&mut self, path: &VfsPath) -> Option<&mut Staged> {
        self.map.get_mut(path)
    }

    pub(crate) fn insert(&mut self, path: VfsPath, s: Staged) -> Option<Staged> {
        self.map.insert(path, s)
    }

    /// Removes the entry at `path` if its content is still `file`.
    pub(crate) fn remove_if(&mut self, path: &VfsPath, file: &str) {
        if self.map.get(path).is_some_and(|s| s.file == file) {
            self.map.remove(path);
        }
    }

    /// The staged children of `folder`.
    pub(crate) fn children<'a>(&'a self, folder: &'a VfsPath) -> impl Iterator<Item = (&'a str, &'a Staged)> + 'a {
        self.map
            .range(folder.clone()..)
            .take_while(move |(p, _)| p.starts_with(folder))
            .filter(move |(p, _)| p.segments().len() == folder.segments().len() + 1)
            .filter_map(|(p, s)| Some((p.name()?, s)))
    }

    /// Removes and returns the entries at or below `path`.
    pub(crate) fn remove_under(&mut self, path: &VfsPath) -> Vec<(VfsPath, Staged)> {
        let keys: Vec<VfsPath> = self.map.keys().filter(|p| p.starts_with(path)).cloned().collect();
        keys.into_iter().filter_map(|k| self.map.remove(&k).map(|s| (k, s))).collect()
    }

    /// Moves the entries at or below `from` under `to`; returns the
    /// entries they replaced (whose content files are now unused).
    pub(crate) fn move_under(&mut self, from: &VfsPath, to: &VfsPath) -> Vec<Staged> {
        let mut replaced = Vec::new();
        for (p, s) in self.remove_under(from) {
            if let Some(old) = self.map.insert(p.rebase(from, to), s) {
                replaced.push(old);
            }
        }
        replaced
    }

    /// The upload to run next: the one due first among those to upload
    /// whose path has no upload in flight.
    pub(crate) fn next_due(&self) -> Option<(VfsPath, Staged)> {
        self.map
            .iter()
            .filter(|(p, s)| !s.local_only && s.failed.is_none() && !self.in_flight.contains(*p))
            .min_by_key(|(_, s)| s.due)
            .map(|(p, s)| (p.clone(), s.clone()))
    }

    /// Takes the upload to run next if it is due by `now`, marking its path
    /// in flight until [`Overlay::release`].
    pub(crate) fn claim_due(&mut self, now: Instant) -> Option<(VfsPath, Staged)> {
        let (path, s) = self.next_due().filter(|(_, s)| s.due <= now)?;
        self.in_flight.insert(path.clone());
        Some((path, s))
    }

    /// Takes the first pending upload `pick` accepts whose path has no
    /// upload in flight (due or not), marking it in flight.
    pub(crate) fn claim_where(&mut self, pick: impl Fn(&VfsPath, &Staged) -> bool) -> Option<(VfsPath, Staged)> {
        let (path, s) = self
            .map
            .iter()
            .find(|(p, s)| !s.local_only && !self.in_flight.contains(*p) && pick(p, s))
            .map(|(p, s)| (p.clone(), s.clone()))?;
        self.in_flight.insert(path.clone());
        Some((path, s))
    }

    /// Ends the upload in flight at `path`.
    pub(crate) fn release(&mut self, path: &VfsPath) {
        self.in_flight.remove(path);
    }

    /// How many uploads are in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Files waiting for upload (failed ones included).
    pub(crate) fn pending(&self) -> impl Iterator<Item = (&VfsPath, &Staged)> {
        self.map.iter().filter(|(_, s)| !s.local_only)
    }
}
