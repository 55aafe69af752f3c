//! Folder listings from the storage, kept in memory.
//!
//! File managers ask for the same folder many times a second (PROPFIND of
//! the folder, then each child); one listing answers them all. Our own
//! changes update or drop the affected listings at once, so a client sees
//! its own writes immediately; changes made elsewhere are found by the poll
//! ([`crate::poll`]), which drops the listings they touched
//! ([`Listings::drop_changed`]). The TTL is only a safety net.

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
    inner: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    map: HashMap<VfsPath, (Instant, Listing)>,
    /// Counts our changes: a listing fetched while one happened may miss
    /// it and is not kept.
    changes: u64,
}

/// When a fetch started, for [`Listings::put`].
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl Listings {
    /// Listings trusted for `ttl`.
    pub fn new(ttl: Duration) -> Listings {
        Listings { ttl, inner: Mutex::new(Cache::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take before fetching a listing; give to [`Listings::put`].
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().changes)
    }

    /// The listing of `folder` if it is fresh.
    pub fn get(&self, folder: &VfsPath) -> Option<Listing> {
        let mut c = self.lock();
        match c.map.get(folder) {
            Some((at, l)) if at.elapsed() < self.ttl => Some(l.clone()),
            Some(_) => {
                c.map.remove(folder);
                None
            }
            None => None,
        }
    }

    /// Keeps a listing fetched since `ticket`, unless we changed something
    /// meanwhile (it might not show that change).
    pub fn put(&self, folder: VfsPath, listing: Listing, ticket: Ticket) {
        let mut c = self.lock();
        if c.changes == ticket.0 {
            c.map.insert(folder, (Instant::now(), listing));
        }
    }

    /// Puts `meta` as the child `name` into the cached listing of `folder`,
    /// if there is one (after our own upload: cheaper than listing again).
    pub fn update(&self, folder: &VfsPath, name: &str, meta: Meta) {
        let mut c = self.lock();
        c.changes += 1;
        if let Some((_, listing)) = c.map.get_mut(folder) {
            Arc::make_mut(listing).insert(name.to_string(), meta);
        }
    }

    /// Drops the listing of `folder`.
    pub fn forget(&self, folder: &VfsPath) {
        let mut c = self.lock();
        c.changes += 1;
        c.map.remove(folder);
    }

    /// The folders whose listing is held now.
    pub fn folders(&self) -> Vec<VfsPath> {
        self.lock().map.keys().cloned().collect()
    }

    /// After the storage changed elsewhere: drops every listing `same`
    /// does not confirm, and lets no listing fetched before now be kept
    /// (it may predate the change). Returns how many were dropped.
    pub fn drop_changed(&self, same: impl Fn(&VfsPath, &HashMap<String, Meta>) -> bool) -> usize {
        let mut c = self.lock();
        c.changes += 1;
        let before = c.map.len();
        c.map.retain(|folder, (_, listing)| same(folder, listing.as_ref()));
        before - c.map.len()
    }

    /// Drops the listings of `path`'s folder, of `path` and of everything
    /// below it (after a move or delete of a folder).
    pub fn forget_around(&self, path: &VfsPath) {
        let mut c = self.lock();
        c.changes += 1;
        if let Some(parent) = path.parent() {
            c.map.remove(&parent);
        }
        c.map.retain(|k, _| !k.starts_with(path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_fetched_across_our_change_is_not_kept() {
        let l = Listings::new(Duration::from_secs(60));
        let folder = VfsPath::parse("/a").unwrap();
        let ticket = l.ticket();
        l.forget(&VfsPath::parse("/a/b").unwrap());
        l.put(folder.clone(), Arc::new(HashMap::new()), ticket);
        assert!(l.get(&folder).is_none(), "it may lack the change");
        let ticket = l.ticket();
        l.put(folder.clone(), Arc::new(HashMap::new()), ticket);
        assert!(l.get(&folder).is_some());
        l.update(&folder, "new", Meta::folder(None));
        assert!(l.get(&folder).unwrap().contains_key("new"));
    }
}
