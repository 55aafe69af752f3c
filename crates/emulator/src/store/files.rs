//! File operations: trash, delete, copy and move, set content by hash
//! (`cphash`), and adding a revision of known content.

use super::file::guess_mime;
use super::{File, Item, Loc, RevState, Revision, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

impl Store {
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

    /// Add a completed revision with known content at `loc` (creating parents and
    /// the file, restoring what was trashed unless `keep_trashed`). When the
    /// current revision already has this content only the times change.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn put_content(
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
}
