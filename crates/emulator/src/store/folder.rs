//! A folder entry (a mountpoint is one too) and a device: the tree and the
//! trash flags that travel through it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{File, RevState, Trashed};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Folder {
    pub name: String,
    pub created: i64,
    pub modified: i64,
    pub deleted: Option<Trashed>,
    pub folders: BTreeMap<String, Folder>,
    pub files: BTreeMap<String, File>,
}

impl Folder {
    pub fn new(name: &str, now: i64) -> Self {
        Folder {
            name: name.to_string(),
            created: now,
            modified: now,
            deleted: None,
            folders: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    /// Bytes of the current revisions of live files below.
    pub fn size(&self) -> u64 {
        let files: u64 = self.files.values().filter(|f| f.is_live()).filter_map(|f| f.current().map(|r| r.size)).sum();
        files + self.folders.values().filter(|f| f.deleted.is_none()).map(Folder::size).sum::<u64>()
    }

    /// Bytes of every completed revision below, trash included (account usage).
    pub(super) fn stored_bytes(&self) -> u64 {
        let files: u64 = self
            .files
            .values()
            .flat_map(|f| f.revisions.iter())
            .filter(|r| r.state == RevState::Completed)
            .map(|r| r.size)
            .sum();
        files + self.folders.values().map(Folder::stored_bytes).sum::<u64>()
    }

    pub fn live_folder(&self, key: &str) -> Option<&Folder> {
        self.folders.get(key).filter(|f| f.deleted.is_none())
    }

    pub fn live_file(&self, key: &str) -> Option<&File> {
        self.files.get(key).filter(|f| f.is_live())
    }

    pub(super) fn trash(&mut self, t: Trashed) {
        if self.deleted.is_none() {
            self.deleted = Some(t);
        }
        for f in self.files.values_mut() {
            if f.deleted.is_none() {
                f.deleted = Some(t);
            }
        }
        for d in self.folders.values_mut() {
            if d.deleted.is_none() {
                d.trash(t);
            }
        }
    }

    /// Bring back this folder and what was trashed in the same batch below it.
    pub(super) fn restore_batch(&mut self, batch: u64) {
        self.deleted = None;
        for f in self.files.values_mut() {
            if f.deleted.is_some_and(|t| t.batch == batch) {
                f.deleted = None;
            }
        }
        for d in self.folders.values_mut() {
            if d.deleted.is_some_and(|t| t.batch == batch) {
                d.restore_batch(batch);
            }
        }
    }

    /// Remove trashed items below; returns (folders, files) removed.
    pub(super) fn purge(&mut self, dropped_uploads: &mut Vec<String>) -> (u64, u64) {
        let mut counts = (0, 0);
        self.files.retain(|_, f| {
            if f.deleted.is_some() {
                counts.1 += 1;
                dropped_uploads.extend(f.drop_pending());
                false
            } else {
                true
            }
        });
        let mut gone = Vec::new();
        for (k, d) in self.folders.iter_mut() {
            if d.deleted.is_some() {
                let (fo, fi) = d.count_all(dropped_uploads);
                counts.0 += fo + 1;
                counts.1 += fi;
                gone.push(k.clone());
            } else {
                let (fo, fi) = d.purge(dropped_uploads);
                counts.0 += fo;
                counts.1 += fi;
            }
        }
        for k in gone {
            self.folders.remove(&k);
        }
        counts
    }

    fn count_all(&mut self, dropped_uploads: &mut Vec<String>) -> (u64, u64) {
        let mut counts = (0, self.files.len() as u64);
        for f in self.files.values_mut() {
            dropped_uploads.extend(f.drop_pending());
        }
        for d in self.folders.values_mut() {
            let (fo, fi) = d.count_all(dropped_uploads);
            counts.0 += fo + 1;
            counts.1 += fi;
        }
        counts
    }

    pub(super) fn drop_all_pending(&mut self, out: &mut Vec<String>) {
        for f in self.files.values_mut() {
            out.extend(f.drop_pending());
        }
        for d in self.folders.values_mut() {
            d.drop_all_pending(out);
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    pub name: String,
    pub dtype: String,
    pub sid: String,
    pub modified: i64,
    pub mountpoints: BTreeMap<String, Folder>,
}
