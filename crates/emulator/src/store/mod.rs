//! The file tree: devices, mountpoints, folders, files, revisions and the trash.
//!
//! Children are kept in `BTreeMap`s keyed by the folded name ([`fold`]), which
//! gives case-insensitive lookups, first-casing-wins display names and the
//! case-insensitive listing order in one structure. The whole store sits behind
//! one mutex that is never held across an `.await`; file bytes live in
//! [`content::ContentStore`], outside the lock.
//!
//! This file holds the [`Store`] and how a path finds its way in it. The
//! entries are in `file` and `folder`; what the service does to them, one
//! file each: `mountpoints`, `folders`, `files`, `trash`, `sharing`,
//! `uploads`, `liststream`; saving in `persist`.

pub mod content;
mod file;
mod files;
mod folder;
mod folders;
mod liststream;
mod mountpoints;
pub mod persist;
mod sharing;
mod trash;
mod uploads;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use file::{EMPTY_MD5, File, RevState, Revision, Trashed};
pub use folder::{Device, Folder};
pub use liststream::StreamEntry;
pub use uploads::{Allocation, Upload};

use crate::errors::{Fail, Res};
use crate::names::fold;

/// The built-in device and its mountpoints (3.4).
pub const JOTTA: &str = "Jotta";
pub const JOTTA_MOUNTS: &[&str] = &["Archive", "Shared", "Sync"];
pub const TRASH: &str = "Trash";

/// A path below a mountpoint, as names the client sent (any casing).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Loc {
    pub device: String,
    pub mp: String,
    pub names: Vec<String>,
}

impl Loc {
    pub fn parent(&self) -> Loc {
        let mut p = self.clone();
        p.names.pop();
        p
    }
    pub fn leaf(&self) -> Option<&str> {
        self.names.last().map(String::as_str)
    }
}

/// What a path names.
pub enum Item<'a> {
    Mount(&'a Folder),
    Folder(&'a Folder),
    File(&'a File),
}

/// The whole account state that is persisted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Store {
    pub devices: BTreeMap<String, Device>,
    pub uploads: HashMap<String, Upload>,
    pub next_batch: u64,
    pub write_locked: bool,
    pub quota_write_locked: bool,
    /// Upload ids whose partial bytes should be deleted (drained by routes).
    #[serde(skip)]
    pub garbage: Vec<String>,
}

impl Default for Store {
    fn default() -> Self {
        Self::new(crate::time::now())
    }
}

impl Store {
    /// A fresh account with the built-in `Jotta` device.
    pub fn new(now: i64) -> Self {
        let mut mountpoints = BTreeMap::new();
        for m in JOTTA_MOUNTS {
            mountpoints.insert(fold(m), Folder::new(m, now));
        }
        let mut devices = BTreeMap::new();
        devices.insert(
            fold(JOTTA),
            Device {
                name: JOTTA.into(),
                dtype: "JOTTA".into(),
                sid: uuid::Uuid::new_v4().to_string(),
                modified: now,
                mountpoints,
            },
        );
        Store {
            devices,
            uploads: HashMap::new(),
            next_batch: 1,
            write_locked: false,
            quota_write_locked: false,
            garbage: Vec::new(),
        }
    }

    pub fn usage(&self) -> u64 {
        self.devices.values().flat_map(|d| d.mountpoints.values()).map(Folder::stored_bytes).sum()
    }

    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.get(&fold(name))
    }

    pub fn mount(&self, dev: &str, mp: &str) -> Option<&Folder> {
        self.device(dev)?.mountpoints.get(&fold(mp))
    }

    fn mount_mut(&mut self, dev: &str, mp: &str) -> Res<&mut Folder> {
        self.devices
            .get_mut(&fold(dev))
            .ok_or_else(|| Fail::not_found(format!("no device {dev}")))?
            .mountpoints
            .get_mut(&fold(mp))
            .ok_or_else(|| Fail::not_found(format!("no mountpoint {mp}")))
    }

    /// The folder at `names` below a mountpoint (trashed ones included).
    pub fn folder(&self, dev: &str, mp: &str, names: &[String]) -> Option<&Folder> {
        let mut cur = self.mount(dev, mp)?;
        for n in names {
            cur = cur.folders.get(&fold(n))?;
        }
        Some(cur)
    }

    fn folder_mut(&mut self, dev: &str, mp: &str, names: &[String]) -> Option<&mut Folder> {
        let mut cur = self.mount_mut(dev, mp).ok()?;
        for n in names {
            cur = cur.folders.get_mut(&fold(n))?;
        }
        Some(cur)
    }

    /// What `loc` names; a live item wins over a trashed one of the same name.
    pub fn item(&self, loc: &Loc) -> Option<Item<'_>> {
        let Some((leaf, parent)) = loc.names.split_last() else {
            return self.mount(&loc.device, &loc.mp).map(Item::Mount);
        };
        let p = self.folder(&loc.device, &loc.mp, parent)?;
        let k = fold(leaf);
        let folder = p.folders.get(&k);
        let file = p.files.get(&k);
        match (folder, file) {
            (Some(d), Some(f)) => {
                if f.is_live() && d.deleted.is_some() {
                    Some(Item::File(f))
                } else {
                    Some(Item::Folder(d))
                }
            }
            (Some(d), None) => Some(Item::Folder(d)),
            (None, Some(f)) => Some(Item::File(f)),
            (None, None) => None,
        }
    }

    pub fn file(&self, loc: &Loc) -> Option<&File> {
        let (leaf, parent) = loc.names.split_last()?;
        self.folder(&loc.device, &loc.mp, parent)?.files.get(&fold(leaf))
    }

    fn file_mut(&mut self, loc: &Loc) -> Option<&mut File> {
        let (leaf, parent) = loc.names.split_last()?;
        self.folder_mut(&loc.device, &loc.mp, parent)?.files.get_mut(&fold(leaf))
    }

    /// Display names (device, mountpoint, folders…) of an existing folder path,
    /// for the `<path>`/`<abspath>` elements.
    pub fn display(&self, dev: &str, mp: &str, names: &[String]) -> Option<Vec<String>> {
        let d = self.device(dev)?;
        let mut cur = d.mountpoints.get(&fold(mp))?;
        let mut out = vec![d.name.clone(), cur.name.clone()];
        for n in names {
            cur = cur.folders.get(&fold(n))?;
            out.push(cur.name.clone());
        }
        Some(out)
    }

    fn check_writable(&self) -> Res<()> {
        if self.write_locked {
            return Err(Fail::denied("account is write-locked"));
        }
        Ok(())
    }

    fn new_batch(&mut self, now: i64) -> Trashed {
        let batch = self.next_batch;
        self.next_batch += 1;
        Trashed { at: now, batch }
    }

    /// Walk to (creating, and bringing back from the trash) the folder `names`.
    /// A live file on the way is a conflict.
    fn ensure_folder(&mut self, dev: &str, mp: &str, names: &[String], now: i64) -> Res<&mut Folder> {
        let mut cur = self.mount_mut(dev, mp)?;
        for n in names {
            let k = fold(n);
            if !cur.folders.contains_key(&k) && cur.files.get(&k).is_some_and(File::is_live) {
                return Err(Fail::conflict(format!("{n} is a file")));
            }
            let next = cur.folders.entry(k).or_insert_with(|| Folder::new(n, now));
            if next.deleted.is_some() {
                next.deleted = None;
            }
            cur = next;
        }
        Ok(cur)
    }
}
