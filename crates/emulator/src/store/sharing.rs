//! Public links: turning a file's share on or off, and finding a shared file
//! by its link.

use super::{Folder, Item, Loc, Revision, Store};
use crate::errors::{Fail, Res};

impl Store {
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
}
