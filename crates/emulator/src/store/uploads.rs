//! Uploads (5.1): allocate (dedup, quota, resuming the same unfinished
//! upload), then complete or corrupt when the bytes are in.

use serde::{Deserialize, Serialize};

use super::file::guess_mime;
use super::{File, Item, Loc, RevState, Revision, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

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

/// Result of allocate.
pub enum Allocation {
    /// Nothing to send; the file already has the content.
    Completed,
    /// Bytes needed: the upload; `fresh` is false for the same unfinished one.
    Pending { upload: Upload, fresh: bool },
}

impl Store {
    /// Ends uploads whose revisions are gone; their partial bytes go to `garbage`.
    pub(super) fn forget_uploads(&mut self, ids: Vec<String>) {
        for id in ids {
            self.uploads.remove(&id);
            self.garbage.push(id);
        }
    }

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
}
