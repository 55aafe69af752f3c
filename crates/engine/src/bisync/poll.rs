//! Remote changes for continuous two-way sync, by polling.
//!
//! Jottacloud pushes nothing, and the protocol reference documents no
//! cheap change token: folders carry no ETag or time, and whether a
//! device's or mountpoint's `size`/`modified` moves on every write is
//! marked *unverified* (jottacloud-api.md §3.3; sync-and-mount-anchors.md
//! C). So the signal is the one documented listing that sees the whole
//! subtree in one request: `mode=liststream` of the pair's root (§4.5),
//! the same listing a run makes. The no-change path is kept cheap: a
//! poll reduces the listing to a digest as it streams; only when that
//! moved is the listing compared with the base, by MD5 and size as the
//! service states them (no file is read or hashed), so our own uploads
//! start no run.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use fjordsync_jottacloud::{Client, RemotePath, TreeEntry};
use futures_util::StreamExt;

use super::base::Base;
use super::snapshot::{self, Node, RemoteFile, Snapshot};
use crate::filter::Filter;

/// One streamed listing of the pair's root, reduced to a digest as it
/// streams: nothing is kept, filtered or folded, so an idle poll of a big
/// tree costs one request and a parse. Equal digests, same listing (the
/// entries' order does not matter). A missing root has its own digest.
pub async fn digest(client: &Client, root: &RemotePath) -> Result<u64, fjordsync_jottacloud::Error> {
    let mut stream = match client.list_tree(root).await {
        Ok(s) => s,
        Err(e) if e.is_not_found() => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut sum = 1u64;
    while let Some(entry) = stream.next().await {
        let mut h = DefaultHasher::new();
        match entry? {
            TreeEntry::Folder { path } => (0u8, path).hash(&mut h),
            TreeEntry::File { path, size, md5, modified, updated, uuid, .. } => {
                (1u8, path, size, md5, uuid).hash(&mut h);
                (modified.map(|t| t.as_second()), updated.map(|t| t.as_second())).hash(&mut h);
            }
        }
        sum = sum.wrapping_add(h.finish());
    }
    Ok(sum)
}

/// Lists the remote root again, filtered as a run sees it, and tells
/// whether a run would find anything to do on that side. Called only when
/// the digest moved.
pub async fn differs_from_base(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    base: &Base,
) -> Result<bool, fjordsync_jottacloud::Error> {
    Ok(differs(&snapshot::remote_side(client, root, filter).await?, base))
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
        base.insert(
            fold("a.txt"),
            BaseItem { key: "a.txt".into(), md5: Some("aa".into()), size: 1, ..Default::default() },
        );
        base.insert(fold("dir"), BaseItem::folder("dir"));
        assert!(!differs(&s, &base));

        let mut changed = s.clone();
        changed.insert("b.txt".into(), file("bb", 2));
        assert!(differs(&changed, &base));

        let mut edited = Snapshot::default();
        edited.insert("a.txt".into(), file("cc", 1));
        edited.insert("dir".into(), Node::Folder);
        assert!(differs(&edited, &base));

        base.insert(fold("gone.txt"), BaseItem { key: "gone.txt".into(), md5: Some("x".into()), ..Default::default() });
        assert!(differs(&s, &base), "a file deleted on the storage is a change");
    }
}
