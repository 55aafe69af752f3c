//! Folder operations: create (with parents), move, trash, delete.

use super::{Item, Loc, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

impl Store {
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
}
