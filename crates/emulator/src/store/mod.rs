//! The file tree: devices, mountpoints, folders, files, revisions and the trash.
//!
//! Children are kept in `BTreeMap`s keyed by the folded name ([`fold`]), which
//! gives case-insensitive lookups, first-casing-wins display names and the
//! case-insensitive listing order in one structure. The whole store sits behind
//! one mutex that is never held across an `.await`; file bytes live in
//! [`content::ContentStore`], outside the lock.

pub mod content;
pub mod persist;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::errors::{Fail, Res};
use crate::names::fold;

/// Size and MD5 of the empty file, which is always "known" content.
pub const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// When and in which delete operation an item went to the trash. The batch
/// lets `restore=true` bring back exactly what was trashed together.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Trashed {
    pub at: i64,
    pub batch: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum RevState {
    Completed,
    Incomplete,
    Corrupt,
}

impl RevState {
    pub fn as_str(self) -> &'static str {
        match self {
            RevState::Completed => "COMPLETED",
            RevState::Incomplete => "INCOMPLETE",
            RevState::Corrupt => "CORRUPT",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    pub state: RevState,
    pub created: i64,
    pub modified: i64,
    pub updated: i64,
    pub mime: String,
    pub size: u64,
    pub md5: String,
    /// The upload feeding a non-completed revision.
    #[serde(default)]
    pub upload_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub uuid: String,
    pub deleted: Option<Trashed>,
    /// Oldest first.
    pub revisions: Vec<Revision>,
    pub public_uri: Option<String>,
}

impl File {
    fn new(name: &str) -> Self {
        File {
            name: name.to_string(),
            uuid: uuid::Uuid::new_v4().to_string(),
            deleted: None,
            revisions: Vec::new(),
            public_uri: None,
        }
    }

    /// The newest COMPLETED revision: the visible content.
    pub fn current(&self) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.state == RevState::Completed)
    }

    fn current_mut(&mut self) -> Option<&mut Revision> {
        self.revisions.iter_mut().rev().find(|r| r.state == RevState::Completed)
    }

    /// A newer, not completed revision (an upload in progress or a corrupt one).
    pub fn latest_pending(&self) -> Option<&Revision> {
        let last = self.revisions.last()?;
        (last.state != RevState::Completed).then_some(last)
    }

    /// Older completed revisions, newest first.
    pub fn history(&self) -> Vec<&Revision> {
        let cur = self.current().map(|r| r.number);
        self.revisions.iter().rev().filter(|r| r.state == RevState::Completed && Some(r.number) != cur).collect()
    }

    pub fn revision(&self, number: u32) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.number == number)
    }

    fn next_number(&self) -> u32 {
        self.revisions.last().map_or(1, |r| r.number + 1)
    }

    /// Drop pending revisions (a new revision supersedes unfinished uploads);
    /// returns their upload ids so their partial bytes can be removed.
    fn drop_pending(&mut self) -> Vec<String> {
        let mut ids = Vec::new();
        self.revisions.retain(|r| {
            if r.state == RevState::Completed {
                true
            } else {
                ids.extend(r.upload_id.clone());
                false
            }
        });
        ids
    }

    pub fn is_live(&self) -> bool {
        self.deleted.is_none()
    }
}

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
    fn stored_bytes(&self) -> u64 {
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

    fn trash(&mut self, t: Trashed) {
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
    fn restore_batch(&mut self, batch: u64) {
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
    fn purge(&mut self, dropped_uploads: &mut Vec<String>) -> (u64, u64) {
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

    fn drop_all_pending(&mut self, out: &mut Vec<String>) {
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

/// The built-in device and its mountpoints (3.4).
pub const JOTTA: &str = "Jotta";
pub const JOTTA_MOUNTS: &[&str] = &["Archive", "Shared", "Sync"];
pub const TRASH: &str = "Trash";

/// An unfinished upload session (5.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub id: String,
    pub loc: Loc,
    pub md5: String,
    pub size: u64,
    pub created: i64,
    pub modified: i64,
}

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

/// Result of allocate.
pub enum Allocation {
    /// Nothing to send; the file already has the content.
    Completed,
    /// Bytes needed: the upload; `fresh` is false for the same unfinished one.
    Pending { upload: Upload, fresh: bool },
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

fn guess_mime(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("txt") => "text/plain",
        Some("html" | "htm") => "text/html",
        Some("pdf") => "application/pdf",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
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

    // ----- devices and mountpoints -------------------------------------------------

    pub fn create_device(&mut self, name: &str, dtype: &str, now: i64) -> Res<()> {
        self.check_writable()?;
        self.devices.entry(fold(name)).or_insert_with(|| Device {
            name: name.to_string(),
            dtype: dtype.to_string(),
            sid: uuid::Uuid::new_v4().to_string(),
            modified: now,
            mountpoints: BTreeMap::new(),
        });
        Ok(())
    }

    pub fn create_mountpoint(&mut self, dev: &str, name: &str, now: i64) -> Res<()> {
        self.check_writable()?;
        let d = self.devices.get_mut(&fold(dev)).ok_or_else(|| Fail::not_found(format!("no device {dev}")))?;
        if d.mountpoints.contains_key(&fold(name)) {
            return Ok(());
        }
        if d.dtype == "JOTTA" {
            return Err(Fail::denied("custom mountpoints not allowed on Jotta"));
        }
        d.mountpoints.insert(fold(name), Folder::new(name, now));
        d.modified = now;
        Ok(())
    }

    // ----- folders ------------------------------------------------------------------

    /// `mkDir=true`: create with parents, idempotent, restoring trashed folders.
    pub fn mkdir(&mut self, loc: &Loc, now: i64) -> Res<()> {
        self.check_writable()?;
        if loc.names.is_empty() {
            if self.mount(&loc.device, &loc.mp).is_some() {
                return Ok(());
            }
            return self.create_mountpoint(&loc.device, &loc.mp, now);
        }
        self.ensure_folder(&loc.device, &loc.mp, &loc.names, now)?;
        Ok(())
    }

    /// `mvDir=`: move a folder (with everything in it) to `dst`.
    pub fn move_dir(&mut self, src: &Loc, dst: &Loc, now: i64) -> Res<()> {
        self.check_writable()?;
        let (Some((sleaf, sparent)), Some((dleaf, dparent))) = (src.names.split_last(), dst.names.split_last()) else {
            return Err(Fail::bad("cannot move a mountpoint"));
        };
        match self.item(src) {
            Some(Item::Folder(f)) if f.deleted.is_none() => {}
            Some(Item::File(_)) => return Err(Fail::bad("source is a file")),
            _ => return Err(Fail::not_found("source folder does not exist")),
        }
        let same_mount = fold(&src.device) == fold(&dst.device) && fold(&src.mp) == fold(&dst.mp);
        let sf: Vec<String> = src.names.iter().map(|n| fold(n)).collect();
        let df: Vec<String> = dst.names.iter().map(|n| fold(n)).collect();
        if same_mount && sf == df {
            // Same place, maybe a new casing.
            if let Some(f) = self.folder_mut(&src.device, &src.mp, &src.names) {
                f.name = dleaf.clone();
            }
            return Ok(());
        }
        if same_mount && df.len() > sf.len() && df[..sf.len()] == sf[..] {
            return Err(Fail::bad("cannot move a folder into itself"));
        }
        // A live item at the target is a conflict; a trashed folder there is replaced.
        if let Some(p) = self.folder(&dst.device, &dst.mp, dparent) {
            let k = fold(dleaf);
            if p.live_folder(&k).is_some() || p.live_file(&k).is_some() {
                return Err(Fail::conflict("target exists"));
            }
        }
        self.ensure_folder(&dst.device, &dst.mp, dparent, now)?;
        let parent =
            self.folder_mut(&src.device, &src.mp, sparent).ok_or_else(|| Fail::not_found("source parent missing"))?;
        let Some(mut moved) = parent.folders.remove(&fold(sleaf)) else {
            return Err(Fail::not_found("source folder does not exist"));
        };
        parent.modified = now;
        moved.name = dleaf.clone();
        let target =
            self.folder_mut(&dst.device, &dst.mp, dparent).ok_or_else(|| Fail::internal("target parent vanished"))?;
        if let Some(mut old) = target.folders.insert(fold(dleaf), moved) {
            let mut dropped = Vec::new();
            old.drop_all_pending(&mut dropped);
            self.forget_uploads(dropped);
        }
        Ok(())
    }

    /// `dlDir=true`: trash a folder and its live descendants.
    pub fn trash_dir(&mut self, loc: &Loc, now: i64) -> Res<()> {
        self.check_writable()?;
        if loc.names.is_empty() {
            return Err(Fail::bad("cannot delete a mountpoint"));
        }
        let t = self.new_batch(now);
        let f = self
            .folder_mut(&loc.device, &loc.mp, &loc.names)
            .ok_or_else(|| Fail::not_found("folder does not exist"))?;
        if f.deleted.is_none() {
            f.trash(t);
        }
        Ok(())
    }

    /// `rmDir=true`: delete a folder permanently.
    pub fn remove_dir(&mut self, loc: &Loc) -> Res<()> {
        self.check_writable()?;
        let Some((leaf, parent)) = loc.names.split_last() else {
            return Err(Fail::bad("cannot delete a mountpoint"));
        };
        let p =
            self.folder_mut(&loc.device, &loc.mp, parent).ok_or_else(|| Fail::not_found("folder does not exist"))?;
        let mut gone = p.folders.remove(&fold(leaf)).ok_or_else(|| Fail::not_found("folder does not exist"))?;
        let mut dropped = Vec::new();
        gone.drop_all_pending(&mut dropped);
        self.forget_uploads(dropped);
        Ok(())
    }

    // ----- files --------------------------------------------------------------------

    /// `dl=true`: trash a file (or a folder); a missing path is fine (200).
    pub fn trash_file(&mut self, loc: &Loc, now: i64) -> Res<()> {
        self.check_writable()?;
        match self.item(loc) {
            Some(Item::Folder(_)) => return self.trash_dir(loc, now),
            Some(Item::File(f)) if f.is_live() => {}
            _ => return Ok(()),
        }
        let t = self.new_batch(now);
        if let Some(f) = self.file_mut(loc) {
            f.deleted = Some(t);
        }
        Ok(())
    }

    /// `rm=true`: delete a file permanently.
    pub fn remove_file(&mut self, loc: &Loc) -> Res<()> {
        self.check_writable()?;
        let Some((leaf, parent)) = loc.names.split_last() else {
            return Err(Fail::bad("not a file"));
        };
        let p = self.folder_mut(&loc.device, &loc.mp, parent).ok_or_else(|| Fail::not_found("file does not exist"))?;
        let mut gone = p.files.remove(&fold(leaf)).ok_or_else(|| Fail::not_found("file does not exist"))?;
        let dropped = gone.drop_pending();
        self.forget_uploads(dropped);
        Ok(())
    }

    /// Clear the trashed flag on every folder from the mountpoint down to `names`.
    fn restore_ancestors(&mut self, dev: &str, mp: &str, names: &[String]) {
        let Ok(mut cur) = self.mount_mut(dev, mp) else {
            return;
        };
        for n in names {
            let Some(next) = cur.folders.get_mut(&fold(n)) else {
                return;
            };
            next.deleted = None;
            cur = next;
        }
    }

    /// `restore=true`: bring back an item, what was trashed with it, and its parents.
    pub fn restore(&mut self, loc: &Loc) -> Res<()> {
        self.check_writable()?;
        let Some((leaf, parent)) = loc.names.split_last() else {
            return Ok(());
        };
        let parent = parent.to_vec();
        let p = self.folder_mut(&loc.device, &loc.mp, &parent).ok_or_else(|| Fail::not_found("no such item"))?;
        let k = fold(leaf);
        if let Some(d) = p.folders.get_mut(&k).filter(|d| d.deleted.is_some()) {
            let batch = d.deleted.map(|t| t.batch).unwrap_or(0);
            d.restore_batch(batch);
        } else if let Some(f) = p.files.get_mut(&k) {
            f.deleted = None;
        } else if !p.folders.contains_key(&k) {
            return Err(Fail::not_found("no such item"));
        }
        self.restore_ancestors(&loc.device, &loc.mp, &parent);
        Ok(())
    }

    /// Add a completed revision with known content at `loc` (creating parents and
    /// the file, restoring what was trashed unless `keep_trashed`). When the
    /// current revision already has this content only the times change.
    #[allow(clippy::too_many_arguments)]
    fn put_content(
        &mut self,
        loc: &Loc,
        md5: &str,
        size: u64,
        created: i64,
        modified: i64,
        now: i64,
        keep_trashed: bool,
    ) -> Res<()> {
        let Some((leaf, parent)) = loc.names.split_last() else {
            return Err(Fail::bad("path names a mountpoint"));
        };
        let parent = parent.to_vec();
        let k = fold(leaf);
        let folder = if keep_trashed {
            self.folder_mut(&loc.device, &loc.mp, &parent).ok_or_else(|| Fail::not_found("parent missing"))?
        } else {
            self.ensure_folder(&loc.device, &loc.mp, &parent, now)?
        };
        if folder.live_folder(&k).is_some() {
            return Err(Fail::conflict(format!("{leaf} is a folder")));
        }
        folder.modified = now;
        let file = folder.files.entry(k).or_insert_with(|| File::new(leaf));
        if !keep_trashed {
            file.deleted = None;
        }
        let same = file.current().is_some_and(|r| r.md5 == md5 && r.size == size);
        let mut dropped = Vec::new();
        if same {
            if let Some(r) = file.current_mut() {
                r.created = created;
                r.modified = modified;
            }
        } else {
            dropped = file.drop_pending();
            let number = file.next_number();
            file.revisions.push(Revision {
                number,
                state: RevState::Completed,
                created,
                modified,
                updated: now,
                mime: guess_mime(leaf).into(),
                size,
                md5: md5.to_string(),
                upload_id: None,
            });
        }
        self.forget_uploads(dropped);
        Ok(())
    }

    /// `cp=` / `mv=` of a file.
    pub fn copy_file(&mut self, src: &Loc, dst: &Loc, is_move: bool, now: i64) -> Res<()> {
        self.check_writable()?;
        let Some(dleaf) = dst.leaf() else {
            return Err(Fail::bad("target names a mountpoint"));
        };
        let f = match self.item(src) {
            Some(Item::File(f)) => f.clone(),
            Some(_) => return Err(Fail::bad("source is a folder; use mvDir")),
            None => return Err(Fail::no_file("Source file does not exist")),
        };
        let Some(rev) = f.current().cloned() else {
            return Err(Fail::no_file("Source file has no completed revision"));
        };
        let same_place = src.device.to_lowercase() == dst.device.to_lowercase()
            && fold(&src.mp) == fold(&dst.mp)
            && src.names.iter().map(|n| fold(n)).eq(dst.names.iter().map(|n| fold(n)));
        if is_move && same_place {
            if let Some(f) = self.file_mut(src) {
                f.name = dleaf.to_string();
            }
            return Ok(());
        }
        // Conflicts first, before anything changes.
        if let Some(p) = self.folder(&dst.device, &dst.mp, &dst.names[..dst.names.len() - 1])
            && p.live_folder(&fold(dleaf)).is_some()
        {
            return Err(Fail::conflict("target is a folder"));
        }
        let dparent = dst.parent();
        self.ensure_folder(&dst.device, &dst.mp, &dparent.names, now)?;
        if is_move {
            let Some((sleaf, sparent)) = src.names.split_last() else {
                return Err(Fail::bad("bad source"));
            };
            let sp = self
                .folder_mut(&src.device, &src.mp, sparent)
                .ok_or_else(|| Fail::no_file("Source file does not exist"))?;
            let Some(mut moved) = sp.files.remove(&fold(sleaf)) else {
                return Err(Fail::no_file("Source file does not exist"));
            };
            moved.name = dleaf.to_string();
            let tp = self
                .folder_mut(&dst.device, &dst.mp, &dparent.names)
                .ok_or_else(|| Fail::internal("target parent vanished"))?;
            tp.modified = now;
            if let Some(mut old) = tp.files.insert(fold(dleaf), moved) {
                let dropped = old.drop_pending();
                self.forget_uploads(dropped);
            }
            return Ok(());
        }
        // Copy: onto a trashed file it lands as a new revision that stays trashed.
        let target_trashed = self.file(dst).is_some_and(|f| !f.is_live());
        self.put_content(dst, &rev.md5, rev.size, rev.created, rev.modified, now, target_trashed)
    }

    /// `cphash=true`: set times when the content matches, else dedup-create;
    /// `Ok(false)` when the content is unknown (404, client must upload).
    #[allow(clippy::too_many_arguments)]
    pub fn cphash(
        &mut self,
        loc: &Loc,
        md5: &str,
        size: u64,
        created: Option<i64>,
        modified: Option<i64>,
        content_known: bool,
        now: i64,
    ) -> Res<bool> {
        self.check_writable()?;
        if let Some(Item::Folder(f)) = self.item(loc)
            && f.deleted.is_none()
        {
            return Err(Fail::conflict("path is a folder"));
        }
        let existing = self.file(loc).and_then(|f| f.current().cloned());
        let matches = existing.as_ref().is_some_and(|r| r.md5 == md5 && r.size == size);
        if !matches && !content_known {
            return Ok(false);
        }
        let modified = modified.or(existing.as_ref().map(|r| r.modified)).unwrap_or(now);
        let created = created.or(existing.as_ref().map(|r| r.created)).unwrap_or(modified);
        self.put_content(loc, md5, size, created, modified, now, false)?;
        self.restore_ancestors(&loc.device, &loc.mp, &loc.parent().names);
        Ok(true)
    }

    /// `mode=enableShare` / `disableShare`.
    pub fn share(&mut self, loc: &Loc, on: bool) -> Res<()> {
        match self.item(loc) {
            Some(Item::File(_)) => {}
            Some(_) => return Err(Fail::bad("only files can be shared")),
            None => return Err(Fail::not_found("no such file")),
        }
        let f = self.file_mut(loc).ok_or_else(|| Fail::not_found("no such file"))?;
        if on {
            if f.public_uri.is_none() {
                f.public_uri = Some(uuid::Uuid::new_v4().simple().to_string());
            }
        } else {
            f.public_uri = None;
        }
        Ok(())
    }

    /// The current revision of the shared file with this public URI.
    pub fn find_shared(&self, uri: &str) -> Option<(String, Revision)> {
        fn walk(f: &Folder, uri: &str) -> Option<(String, Revision)> {
            for file in f.files.values() {
                if file.public_uri.as_deref() == Some(uri) && file.is_live() {
                    return file.current().map(|r| (file.name.clone(), r.clone()));
                }
            }
            f.folders.values().find_map(|d| walk(d, uri))
        }
        self.devices.values().flat_map(|d| d.mountpoints.values()).find_map(|m| walk(m, uri))
    }

    /// `POST /files/v1/purge_trash`: (folders, files) removed.
    pub fn purge_trash(&mut self) -> Res<(u64, u64)> {
        self.check_writable()?;
        let mut dropped = Vec::new();
        let mut total = (0, 0);
        for d in self.devices.values_mut() {
            for m in d.mountpoints.values_mut() {
                let (fo, fi) = m.purge(&mut dropped);
                total.0 += fo;
                total.1 += fi;
            }
        }
        self.forget_uploads(dropped);
        Ok(total)
    }

    fn forget_uploads(&mut self, ids: Vec<String>) {
        for id in ids {
            self.uploads.remove(&id);
            self.garbage.push(id);
        }
    }

    // ----- uploads ------------------------------------------------------------------

    /// `POST /files/v1/allocate` (5.1).
    #[allow(clippy::too_many_arguments)]
    pub fn allocate(
        &mut self,
        loc: &Loc,
        md5: &str,
        size: u64,
        created: i64,
        modified: i64,
        content_known: bool,
        capacity: Option<i64>,
        now: i64,
    ) -> Res<Allocation> {
        self.check_writable()?;
        let Some(leaf) = loc.leaf() else {
            return Err(Fail::bad("path names a mountpoint"));
        };
        if self.mount(&loc.device, &loc.mp).is_none() {
            return Err(Fail::not_found("no such device or mountpoint"));
        }
        if let Some(Item::Folder(f)) = self.item(loc)
            && f.deleted.is_none()
        {
            return Err(Fail::conflict(format!("{leaf} is a folder")));
        }
        let current = self.file(loc).and_then(|f| f.current().cloned());
        let same = current.as_ref().is_some_and(|r| r.md5 == md5 && r.size == size);
        // Quota: new bytes would be stored unless the file already has them.
        if let Some(cap) = capacity.filter(|c| *c > 0)
            && !same
            && self.usage().saturating_add(size) > cap as u64
        {
            self.quota_write_locked = true;
            return Err(Fail::denied("quota exceeded"));
        }
        if same || size == 0 || content_known {
            self.put_content(loc, md5, size, created, modified, now, false)?;
            self.restore_ancestors(&loc.device, &loc.mp, &loc.parent().names);
            return Ok(Allocation::Completed);
        }
        // The same unfinished upload?
        if let Some(f) = self.file(loc)
            && let Some(p) = f.latest_pending()
            && p.state == RevState::Incomplete
            && p.md5 == md5
            && p.size == size
            && let Some(u) = p.upload_id.as_ref().and_then(|id| self.uploads.get(id))
        {
            return Ok(Allocation::Pending { upload: u.clone(), fresh: false });
        }
        let parent = loc.parent();
        let folder = self.ensure_folder(&loc.device, &loc.mp, &parent.names, now)?;
        let file = folder.files.entry(fold(leaf)).or_insert_with(|| File::new(leaf));
        let dropped = file.drop_pending();
        let id = crate::tokens::random_id(24);
        let number = file.next_number();
        file.revisions.push(Revision {
            number,
            state: RevState::Incomplete,
            created,
            modified,
            updated: now,
            mime: guess_mime(leaf).into(),
            size,
            md5: md5.to_string(),
            upload_id: Some(id.clone()),
        });
        self.forget_uploads(dropped);
        let up = Upload { id: id.clone(), loc: loc.clone(), md5: md5.to_string(), size, created, modified };
        self.uploads.insert(id, up.clone());
        Ok(Allocation::Pending { upload: up, fresh: true })
    }

    fn pending_rev_mut(&mut self, up: &Upload) -> Option<&mut Revision> {
        self.file_mut(&up.loc)?.revisions.iter_mut().find(|r| r.upload_id.as_deref() == Some(up.id.as_str()))
    }

    /// All bytes arrived with the right MD5: the revision becomes current and
    /// the file (and its folders) come back from the trash.
    pub fn complete_upload(&mut self, id: &str, now: i64) -> Res<Upload> {
        let up = self.uploads.remove(id).ok_or_else(|| Fail::not_found("NoSuchUpload"))?;
        let loc = up.loc.clone();
        if let Some(r) = self.pending_rev_mut(&up) {
            r.state = RevState::Completed;
            r.upload_id = None;
            r.updated = now;
            if let Some(f) = self.file_mut(&loc) {
                f.deleted = None;
            }
            self.restore_ancestors(&loc.device, &loc.mp, &loc.parent().names);
        } else {
            // The pending revision vanished (file moved or deleted meanwhile):
            // store the content at the allocated path anyway.
            self.put_content(&loc, &up.md5, up.size, up.created, up.modified, now, false)?;
        }
        Ok(up)
    }

    /// MD5 mismatch: the revision becomes CORRUPT and the upload ends.
    pub fn corrupt_upload(&mut self, id: &str) {
        if let Some(up) = self.uploads.remove(id)
            && let Some(r) = self.pending_rev_mut(&up)
        {
            r.state = RevState::Corrupt;
            r.upload_id = None;
        }
    }

    // ----- listings -----------------------------------------------------------------

    /// Start a `mode=liststream` walk (4.5) of a live folder; 404 otherwise.
    pub fn liststream_start(&self, loc: &Loc) -> Res<ListCursor> {
        let missing = || Fail::not_found("folder does not exist");
        self.folder(&loc.device, &loc.mp, &loc.names).filter(|f| f.deleted.is_none()).ok_or_else(missing)?;
        let display = self.display(&loc.device, &loc.mp, &loc.names).ok_or_else(missing)?;
        let mut path = String::new();
        for n in display.iter().skip(1) {
            path.push('/');
            path.push_str(n);
        }
        Ok(ListCursor {
            device: loc.device.clone(),
            mp: loc.mp.clone(),
            stack: vec![Frame { keys: loc.names.iter().map(|n| fold(n)).collect(), path, stage: Stage::Announce }],
        })
    }

    /// The next (up to `max`) liststream entries; empty when the walk is done.
    ///
    /// The cursor remembers where the walk is by keys, not references, so the
    /// store lock is only held per batch and a huge tree never has to be
    /// materialised. Every live folder comes once (the listed one first),
    /// before its files; only files with a completed revision appear; paths
    /// are relative to the device (`/<mp>/…`). A folder removed between
    /// batches is simply skipped, so the counts the caller keeps from the
    /// emitted entries always match the stream.
    pub fn liststream_next(&self, cur: &mut ListCursor, max: usize) -> Vec<StreamEntry> {
        use std::ops::Bound::{Excluded, Unbounded};
        let mut out = Vec::new();
        while out.len() < max {
            let Some(frame) = cur.stack.last_mut() else {
                break;
            };
            let Some(folder) = self.folder(&cur.device, &cur.mp, &frame.keys).filter(|f| f.deleted.is_none()) else {
                cur.stack.pop();
                continue;
            };
            let mut child = None;
            match &mut frame.stage {
                Stage::Announce => {
                    out.push(StreamEntry::Folder { name: folder.name.clone(), path: frame.path.clone() });
                    frame.stage = Stage::Files(None);
                }
                Stage::Files(last) => {
                    let from = last.as_ref().map_or(Unbounded, Excluded);
                    let next = folder
                        .files
                        .range::<String, _>((from, Unbounded))
                        .find(|(_, f)| f.is_live() && f.current().is_some());
                    match next.and_then(|(k, f)| f.current().map(|r| (k, f, r))) {
                        Some((k, f, r)) => {
                            out.push(StreamEntry::File {
                                path: frame.path.clone(),
                                name: f.name.clone(),
                                uuid: f.uuid.clone(),
                                size: r.size,
                                md5: r.md5.clone(),
                                created: r.created,
                                modified: r.modified,
                                updated: r.updated,
                            });
                            *last = Some(k.clone());
                        }
                        None => frame.stage = Stage::Folders(None),
                    }
                }
                Stage::Folders(last) => {
                    let from = last.as_ref().map_or(Unbounded, Excluded);
                    let next = folder.folders.range::<String, _>((from, Unbounded)).find(|(_, d)| d.deleted.is_none());
                    match next {
                        Some((k, d)) => {
                            let mut keys = frame.keys.clone();
                            keys.push(k.clone());
                            child = Some(Frame {
                                keys,
                                path: format!("{}/{}", frame.path, d.name),
                                stage: Stage::Announce,
                            });
                            *last = Some(k.clone());
                        }
                        None => {
                            cur.stack.pop();
                        }
                    }
                }
            }
            if let Some(c) = child {
                cur.stack.push(c);
            }
        }
        out
    }
}

/// Where a liststream walk stands (see [`Store::liststream_next`]).
pub struct ListCursor {
    device: String,
    mp: String,
    stack: Vec<Frame>,
}

struct Frame {
    /// Folded names from the mountpoint down to this folder.
    keys: Vec<String>,
    /// Display path `/<mp>/…` of this folder.
    path: String,
    stage: Stage,
}

enum Stage {
    /// Emit the folder itself next.
    Announce,
    /// Emit files after this key.
    Files(Option<String>),
    /// Descend into subfolders after this key.
    Folders(Option<String>),
}

/// One element of a liststream.
pub enum StreamEntry {
    Folder { name: String, path: String },
    File { path: String, name: String, uuid: String, size: u64, md5: String, created: i64, modified: i64, updated: i64 },
}
