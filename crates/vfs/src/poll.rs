//! Changes made elsewhere (the web, another computer), by polling.
//!
//! Jottacloud pushes nothing, and the protocol reference documents no cheap
//! change token (folders carry no ETag or time; whether a mountpoint's
//! `modified` moves on every write is unverified). So, as the two-way
//! sync's continuous mode does, the signal is the fingerprint of the served
//! folder's whole-tree listing (`mode=liststream`,
//! `Client::list_tree_fingerprint`): one request, read as it arrives and
//! never parsed. Only when it moved is the tree listed and parsed, and each
//! folder listing held in memory compared with it; those that differ are
//! dropped and asked for again when next needed. Our own changes have
//! already updated (or dropped) their listings, so they drop nothing, and
//! the fingerprint they moved simply becomes the new baseline.
//!
//! Polls never overlap (one lock around each); errors back off.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use fjordsync_jottacloud::{TreeEntry, names};
use futures_util::StreamExt;
use jiff::Timestamp;

use crate::error::{Result, VfsError};
use crate::meta::{Kind, Meta};
use crate::path::VfsPath;
use crate::vfs::Inner;

/// The longest pause between polls after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// What one poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    /// The first poll: its fingerprint is the baseline (and listings held
    /// from before it were dropped: they may predate it).
    Baseline,
    /// Nothing changed since the last poll.
    Unchanged,
    /// The served folder changed (here or elsewhere); `dropped` folder
    /// listings no longer matched and will be asked for again.
    Changed {
        /// Listings dropped.
        dropped: usize,
    },
}

/// The last fingerprint seen (`Some(None)`: the served folder was gone).
pub(crate) type Baseline = tokio::sync::Mutex<Option<Option<[u8; 16]>>>;

/// One poll.
pub(crate) async fn poll(inner: &Inner) -> Result<Polled> {
    let mut baseline = inner.baseline.lock().await;
    let root = &inner.root;
    let fingerprint = inner.client.list_tree_fingerprint(root).await.map_err(|e| VfsError::remote(root, e))?;
    let Some(last) = *baseline else {
        inner.listings.drop_changed(|_, _| false);
        *baseline = Some(fingerprint);
        return Ok(Polled::Baseline);
    };
    if last == fingerprint {
        return Ok(Polled::Unchanged);
    }
    let dropped = match fingerprint {
        None => inner.listings.drop_changed(|_, _| false),
        Some(_) => match tree(inner).await {
            Ok(tree) => inner.listings.drop_changed(|folder, listing| tree.matches(folder, listing)),
            Err(e) => {
                // Something changed, but what is not known: nothing is
                // trusted, and the next poll compares again.
                inner.listings.drop_changed(|_, _| false);
                return Err(e);
            }
        },
    };
    *baseline = Some(fingerprint);
    Ok(Polled::Changed { dropped })
}

/// Polls every `every` until the vfs stops (the first poll at once); after
/// an error the pause doubles, up to [`MAX_BACKOFF`].
pub(crate) async fn run(inner: Arc<Inner>, every: Duration) {
    let mut pause = Duration::ZERO;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = inner.stop.cancelled() => return,
        }
        pause = match poll(&inner).await {
            Ok(_) => every,
            Err(e) => {
                let next = (pause * 2).clamp(every, MAX_BACKOFF.max(every));
                tracing::info!("looking for changes made elsewhere failed; trying again in {} s: {e}", next.as_secs());
                next
            }
        };
    }
}

/// What a folder listing holds of a child, as both listings show it.
#[derive(Debug, PartialEq, Eq)]
enum Child {
    Folder,
    File { size: u64, md5: String, modified: Option<Timestamp> },
}

impl Child {
    fn of(meta: &Meta) -> Child {
        match meta.kind {
            Kind::Folder => Child::Folder,
            Kind::File => {
                Child::File { size: meta.size, md5: meta.md5.clone().unwrap_or_default(), modified: meta.modified }
            }
        }
    }
}

/// The storage's tree, as far as the folders whose listing is held go.
struct Tree {
    /// Each such folder that exists, with its children.
    folders: HashMap<VfsPath, HashMap<String, Child>>,
}

impl Tree {
    fn matches(&self, folder: &VfsPath, listing: &HashMap<String, Meta>) -> bool {
        let Some(children) = self.folders.get(folder) else { return false };
        children.len() == listing.len()
            && listing.iter().all(|(name, meta)| children.get(name).is_some_and(|c| *c == Child::of(meta)))
    }
}

/// Lists the served folder's tree, keeping the children of the folders
/// whose listing is held.
async fn tree(inner: &Inner) -> Result<Tree> {
    let held: HashSet<VfsPath> = inner.listings.folders().into_iter().collect();
    let mut folders: HashMap<VfsPath, HashMap<String, Child>> = HashMap::new();
    if held.contains(&VfsPath::root()) {
        folders.insert(VfsPath::root(), HashMap::new());
    }
    if held.is_empty() {
        return Ok(Tree { folders });
    }
    let root = &inner.root;
    let mut stream = inner.client.list_tree(root).await.map_err(|e| VfsError::remote(root, e))?;
    while let Some(entry) = stream.next().await {
        let entry = entry.map_err(|e| VfsError::remote(root, e))?;
        let Some(path) = user_path(entry.path()) else { continue };
        let (Some(parent), Some(name)) = (path.parent(), path.name()) else { continue };
        let child = match entry {
            TreeEntry::Folder { .. } => {
                if held.contains(&path) {
                    folders.entry(path.clone()).or_default();
                }
                Child::Folder
            }
            TreeEntry::File { size, md5, modified, .. } => Child::File { size, md5, modified },
        };
        if held.contains(&parent) {
            folders.entry(parent).or_default().insert(name.to_string(), child);
        }
    }
    Ok(Tree { folders })
}

/// The storage's names as the user sees them (the look-alike mapping
/// undone, as listings show them); `None` for a name no path can hold.
fn user_path(remote: &[String]) -> Option<VfsPath> {
    let mut p = VfsPath::root();
    for seg in remote {
        p = p.join(&String::from_utf8_lossy(&names::decode_name(seg))).ok()?;
    }
    Some(p)
}
