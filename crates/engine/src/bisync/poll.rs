//! Remote changes for continuous two-way sync, by polling.
//!
//! Jottacloud pushes nothing, and the protocol reference documents no
//! cheap change token: folders carry no ETag or time, and whether a
//! device's or mountpoint's `size`/`modified` moves on every write is
//! marked *unverified* (jottacloud-api.md §3.3; sync-and-mount-anchors.md
//! C). So the signal is the one documented listing that sees the whole
//! subtree in one request: `mode=liststream` of the pair's root (§4.5),
//! the same listing a run makes. The no-change path is kept cheap: a poll
//! takes the listing's fingerprint as it arrives, without parsing it
//! (`Client::list_tree_fingerprint`); only when that moved is the listing
//! parsed and compared with the base, by MD5 and size as the service
//! states them (no file is read or hashed), so our own uploads start no
//! run, and neither do files a run keeps aside after an error (they are
//! tried again at their own time).

use std::collections::HashSet;

use fjordsync_jottacloud::{Client, RemotePath};

use super::base::Base;
use super::snapshot::{self, Node, RemoteFile, Snapshot};
use crate::filter::Filter;

/// Lists the remote root again, filtered as a run sees it, and tells
/// whether a run would find anything to do on that side. Called only when
/// the digest moved.
pub async fn differs_from_base(
    client: &Client,
    root: &RemotePath,
    filter: &Filter,
    base: &Base,
    kept: &HashSet<String>,
) -> Result<bool, fjordsync_jottacloud::Error> {
    Ok(differs(&snapshot::remote_side(client, root, filter).await?, base, kept))
}

/// True when a run would find something on the remote side: an item the
/// base does not have (or has with other content), or a base item the
/// listing lacks. Our own uploads are in the base the moment they settle,
/// so they do not count; nor do the items in `kept` (folded keys of files
/// kept aside after an error).
fn differs(s: &Snapshot<RemoteFile>, base: &Base, kept: &HashSet<String>) -> bool {
    if !s.exists {
        return true;
    }
    let mut matched = 0usize;
    for (folded, item) in &s.items {
        if kept.contains(folded) {
            continue;
        }
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
    matched != base.keys().filter(|k| !kept.contains(*k)).count()
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
        let none = HashSet::new();
        assert!(!differs(&s, &base, &none));

        let mut changed = s.clone();
        changed.insert("b.txt".into(), file("bb", 2));
        assert!(differs(&changed, &base, &none));
        // A file kept aside after an error is tried at its own time, not at every poll.
        let kept: HashSet<String> = [fold("b.txt")].into();
        assert!(!differs(&changed, &base, &kept));

        let mut edited = Snapshot::default();
        edited.insert("a.txt".into(), file("cc", 1));
        edited.insert("dir".into(), Node::Folder);
        assert!(differs(&edited, &base, &none));

        base.insert(fold("gone.txt"), BaseItem { key: "gone.txt".into(), md5: Some("x".into()), ..Default::default() });
        assert!(differs(&s, &base, &none), "a file deleted on the storage is a change");
        assert!(!differs(&s, &base, &[fold("gone.txt")].into()), "unless it is kept aside");
    }
}
