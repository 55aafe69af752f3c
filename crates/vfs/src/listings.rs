//! Folder listings from the storage, trusted for a few seconds.
//!
//! File managers ask for the same folder many times a second (PROPFIND of
//! the folder, then each child); one listing answers them all. Our own
//! changes drop the affected listings at once, so a client sees its own
//! writes immediately; changes made elsewhere show up within the TTL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::meta::Meta;
use crate::path::VfsPath;

/// A folder's children as the storage listed them (name → metadata).
pub type Listing = Arc<HashMap<String, Meta>>;

/// The cache of listings.
#[derive(Debug)]
pub struct Listings {
    ttl: Duration,
    inner: Mutex<HashMap<VfsPath, (Instant, Listing)>>,
}

impl Listings {
    /// Listings trusted for `ttl`.
    pub fn new(ttl: Duration) -> Listings {
        Listings { ttl, inner: Mutex::new(HashMap::new()) }
    }

    /// The listing of `folder` if it is fresh.
    pub fn get(&self, folder: &VfsPath) -> Option<Listing> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(folder) {
            Some((at, l)) if at.elapsed() < self.ttl => Some(l.clone()),
            Some(_) => {
                map.remove(folder);
                None
            }
            None => None,
        }
    }

    /// Keeps a listing just fetched.
    pub fn put(&self, folder: VfsPath, listing: Listing) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(folder, (Instant::now(), listing));
    }

    /// Drops the listing of `folder`.
    pub fn forget(&self, folder: &VfsPath) {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).remove(folder);
    }

    /// Drops the listings of `path`'s folder, of `path` and of everything
    /// below it (after a move or delete of a folder).
    pub fn forget_around(&self, path: &VfsPath) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(parent) = path.parent() {
            map.remove(&parent);
        }
        map.retain(|k, _| !k.starts_with(path));
    }
}
