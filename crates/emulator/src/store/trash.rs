//! The trash: bringing items back (with what was trashed together and their
//! folders) and emptying it.

use super::{Loc, Store};
use crate::errors::{Fail, Res};
use crate::names::fold;

impl Store {
    /// Clear the trashed flag on every folder from the mountpoint down to `names`.
    pub(super) fn restore_ancestors(&mut self, dev: &str, mp: &str, names: &[String]) {
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
}
