//! Remote changes for continuous two-way sync, by polling.
//!
//! Jottacloud pushes nothing, and the protocol reference documents no
//! cheap change token: folders carry no ETag or time, and whether a
//! device's or mountpoint's `size`/`modified` moves on every write is
//! marked *unverified* (jottacloud-api.md §3.3; sync-and-mount-anchors.md
//! C). So the signal is the one documented listing that sees the whole
//! subtree in one request: `mode=liststream` of the pair's root (§4.5),
//! the same listing a run makes. The no-change path is kept cheap: the
//! listing is compared with the base by MD5 and size as the service
//! states them (nothing is hashed, nothing local is read), after a digest
//! of the listing tells whether anything moved since the last poll.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use fjordsync_jottacloud::{Client, RemotePath};

use super::base::Base;
use super::snapshot::{self, Node, RemoteFile, Snapshot};
use crate::filter::Filter;

/// What one poll saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poll {
    /// A digest of the listing: equal digests, same listing.
    pub digest: u64,
    /// True when the listing differs from the base (something to sync).
    pub differs: bool,
}

/// Lists the remote root once and compares it with `base`.
pub async fn poll(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    base: &Base,
) -> Result<Poll, fjordsync_jottacloud::Error> {
    let snapshot = snapshot::remote_side(client, root, filter).await?;
    Ok(Poll { digest: digest(&snapshot), differs: differs(&snapshot, base) })
}

/// Order is fixed (the snapshot is sorted), so equal listings give equal digests.
fn digest(s: &Snapshot<RemoteFile>) -> u64 {
    let mut h = DefaultHasher::new();
    s.exists.hash(&mut h);
    for item in s.items.values() {
        item.key.hash(&mut h);
        match &item.node {
            Node::Folder => 0u8.hash(&mut h),
            Node::File(f) => {
                1u8.hash(&mut h);
                (f.size, &f.md5, f.mtime, &f.uuid).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// True when a run would find something on the remote side: an item the
/// base does not have (or has with other content), or a base item the
/// listing lacks. Our own uploads are in the base the moment they settle,
/// so they do not count.
fn differs(s: &Snapshot<RemoteFile>, base: &Base) -> bool {
    if !s.exists {
        return true;
    }
    let mut matched = 0usize;
    for (folded, item) in &s.items {
        let Some(b) = base.get(folded) else { return true };
        let same = match &item.node {
            Node::Folder => b.is_folder(),
            Node::File(f) => !b.is_folder() && b.size == f.size && b.md5.as_deref() == Some(f.md5.as_str()),
        };
        if !same {
            return true;
        }
        matched += 1;
    }
    matched != base.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bisync::BaseItem;
    use crate::bisync::names::fold;

    fn file(md5: &str, size: u64) -> Node<RemoteFile> {
        Node::File(RemoteFile { size, md5: md5.into(), ..Default::default() })
    }

    #[test]
    fn listing_equal_to_base_is_no_change() {
        let mut s = Snapshot::default();
        s.insert("a.txt".into(), file("aa", 1));
        s.insert("dir".into(), Node::Folder);
        let mut base = Base::new();
        base.insert(fold("a.txt"), BaseItem { key: "a.txt".into(), md5: Some("aa".into()), size: 1, ..Default::default() });
        base.insert(fold("dir"), BaseItem::folder("dir"));
        assert!(!differs(&s, &base));
        let d = digest(&s);

        let mut changed = s.clone();
        changed.insert("b.txt".into(), file("bb", 2));
        assert!(differs(&changed, &base));
        assert_ne!(digest(&changed), d);

        let mut edited = Snapshot::default();
        edited.insert("a.txt".into(), file("cc", 1));
        edited.insert("dir".into(), Node::Folder);
        assert!(differs(&edited, &base));

        base.insert(fold("gone.txt"), BaseItem { key: "gone.txt".into(), md5: Some("x".into()), ..Default::default() });
        assert!(differs(&s, &base), "a file deleted on the storage is a change");
    }
}
