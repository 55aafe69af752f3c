//! The rules, as one pure function of the base and both sides (Unison's and
//! Maestral's): each side is compared only with its own history in the base,
//! never with the other side's clock, so a computer whose clock is off
//! changes nothing.
//!
//! | local \ remote | unchanged       | changed              | gone            |
//! |----------------|-----------------|----------------------|-----------------|
//! | unchanged      | (nothing)       | download             | delete locally  |
//! | changed        | upload          | same content: agree; different: conflict | upload |
//! | gone           | delete remotely | download             | forget          |
//!
//! With no base row (a new item, or the first run of a pair), present means
//! changed: a first run is a merge that deletes nothing. Folders: a new one
//! is made on the other side; a folder deleted on one side is deleted on the
//! other only when nothing below it on the other side survives (change
//! beats delete), otherwise it is made again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::base::{Base, BaseItem, Kind};
use super::conflict::CopyNamer;
use super::names::{fold, is_under};
use super::snapshot::{Item, LocalFile, Node, RemoteFile, Snapshot};

/// What to do with one item. Keys are in remote form, spelled as the side
/// that has the item spells it (the executor finds each side's spelling by
/// the folded key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The local file is new or changed: send it.
    Upload(String),
    /// The remote file is new or changed: fetch it.
    Download(String),
    /// Deleted locally, unchanged on the remote: to the storage's trash.
    DeleteRemote(String),
    /// Deleted on the remote, unchanged locally: to the local stash (undo).
    DeleteLocal(String),
    /// Renamed or moved locally (same inode and content): the same move on
    /// the storage, which keeps the file's identity and versions. Never a
    /// delete, so a renamed folder does not count toward the delete guard.
    MoveRemote {
        /// Where it was.
        from: String,
        /// Where it is now.
        to: String,
    },
    /// Renamed or moved on the storage (same identity and content): the
    /// same move here.
    MoveLocal {
        /// Where it was.
        from: String,
        /// Where it is now.
        to: String,
    },
    /// A folder new locally.
    MkdirRemote(String),
    /// A folder new on the remote.
    MkdirLocal(String),
    /// A folder deleted locally whose remote content is all going too.
    RmdirRemote(String),
    /// A folder deleted on the remote whose local content is all going too.
    RmdirLocal(String),
    /// Both sides hold the same thing: only the base is written (an
    /// identical change, a first-run match, a touched file).
    Agree(String),
    /// Gone from both sides: only the base row goes.
    Forget(String),
    /// Changed differently on both sides: this computer's version becomes
    /// `copy` on both sides, the original name gets the remote version.
    Conflict {
        /// The item.
        key: String,
        /// The conflict copy's key.
        copy: String,
    },
    /// Not synced this run, with the reason.
    Skip {
        /// The item.
        key: String,
        /// Why.
        reason: SkipReason,
    },
}

/// Why an item is left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A file on one side, a folder of the same name on the other.
    FileAndFolder,
}

impl SkipReason {
    /// In the user's words, with what to do.
    pub fn message(self) -> &'static str {
        match self {
            SkipReason::FileAndFolder => {
                "a file on one side and a folder of the same name on the other; rename one of them"
            }
        }
    }
}

impl Action {
    /// The item's key.
    pub fn key(&self) -> &str {
        match self {
            Action::Upload(k)
            | Action::Download(k)
            | Action::DeleteRemote(k)
            | Action::DeleteLocal(k)
            | Action::MkdirRemote(k)
            | Action::MkdirLocal(k)
            | Action::RmdirRemote(k)
            | Action::RmdirLocal(k)
            | Action::Agree(k)
            | Action::Forget(k) => k,
            Action::Conflict { key, .. } | Action::Skip { key, .. } => key,
            Action::MoveRemote { to, .. } | Action::MoveLocal { to, .. } => to,
        }
    }

    /// True for an action that only writes the base.
    pub fn is_bookkeeping(&self) -> bool {
        matches!(self, Action::Agree(_) | Action::Forget(_))
    }
}

/// How one side's file compares with the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not there.
    Gone,
    /// Same content as the base.
    Same,
    /// Same content, but the base's record of it is out of date (touched,
    /// saved again unchanged, re-uploaded).
    SameTouched,
    /// New or different content.
    Changed,
}

fn local_state(base: Option<&BaseItem>, item: Option<&LocalFile>) -> State {
    let Some(f) = item else { return State::Gone };
    let Some(b) = base else { return State::Changed };
    if b.local_size == f.size && b.local_mtime_ns == f.mtime_ns && b.local_inode == f.inode {
        State::Same
    } else if f.md5.is_some() && f.md5 == b.md5 && f.size == b.size {
        State::SameTouched
    } else {
        State::Changed
    }
}

fn remote_state(base: Option<&BaseItem>, item: Option<&RemoteFile>) -> State {
    let Some(f) = item else { return State::Gone };
    let Some(b) = base else { return State::Changed };
    if b.md5.as_deref() != Some(f.md5.as_str()) || b.size != f.size {
        State::Changed
    } else if b.remote_id != f.uuid || b.remote_mtime != f.mtime || b.remote_updated != f.updated {
        // An upload does not tell its uuid and upload time: the next run
        // learns them here, as bookkeeping.
        State::SameTouched
    } else {
        State::Same
    }
}

fn file<F>(item: Option<&Item<F>>) -> Option<&F> {
    match item.map(|i| &i.node) {
        Some(Node::File(f)) => Some(f),
        _ => None,
    }
}

fn is_folder<F>(item: Option<&Item<F>>) -> bool {
    matches!(item.map(|i| &i.node), Some(Node::Folder))
}

/// A folder deleted on one side, decided once everything below it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deleted {
    /// Deleted locally, still on the remote.
    Locally,
    /// Deleted on the remote, still local.
    Remotely,
}

/// The actions that bring both sides in step, sorted by key. Pure: the same
/// inputs always give the same actions.
pub fn reconcile(
    base: &Base,
    local: &Snapshot<LocalFile>,
    remote: &Snapshot<RemoteFile>,
    namer: &CopyNamer,
) -> Vec<Action> {
    let keys: BTreeSet<&String> = base.keys().chain(local.items.keys()).chain(remote.items.keys()).collect();
    let mut out: BTreeMap<String, Action> = BTreeMap::new();
    let mut folders_deleted: Vec<(String, Deleted)> = Vec::new();
    let mut copies: BTreeSet<String> = BTreeSet::new();
    for folded in keys {
        let (b, l, r) = (base.get(folded), local.items.get(folded), remote.items.get(folded));
        let key = l.map(|i| &i.key).or(r.map(|i| &i.key)).or(b.map(|i| &i.key)).cloned().unwrap_or_default();
        let (l_dir, r_dir) = (is_folder(l), is_folder(r));
        let (l_file, r_file) = (file(l), file(r));
        if (l_dir && r_file.is_some()) || (r_dir && l_file.is_some()) {
            out.insert(folded.clone(), Action::Skip { key, reason: SkipReason::FileAndFolder });
            continue;
        }
        let action =
            if l_file.is_some() || r_file.is_some() || b.is_some_and(|b| b.kind == Kind::File) && !l_dir && !r_dir {
                // A base row of the other kind says nothing about this file.
                let b = b.filter(|b| b.kind == Kind::File);
                match (local_state(b, l_file), remote_state(b, r_file)) {
                    (State::Gone, State::Gone) => b.map(|_| Action::Forget(key)),
                    (State::Same, State::Same) => None,
                    (State::Same | State::SameTouched, State::Same | State::SameTouched) => Some(Action::Agree(key)),
                    (State::Changed, State::Same | State::SameTouched | State::Gone) => Some(Action::Upload(key)),
                    (State::Same | State::SameTouched | State::Gone, State::Changed) => Some(Action::Download(key)),
                    (State::Gone, State::Same | State::SameTouched) => Some(Action::DeleteRemote(key)),
                    (State::Same | State::SameTouched, State::Gone) => Some(Action::DeleteLocal(key)),
                    (State::Changed, State::Changed) => {
                        let (lf, rf) = (l_file.expect("changed is present"), r_file.expect("changed is present"));
                        if lf.md5.as_deref() == Some(rf.md5.as_str()) && lf.size == rf.size {
                            Some(Action::Agree(key))
                        } else {
                            let taken = |k: &str| {
                                let f = fold(k);
                                local.items.contains_key(&f) || remote.items.contains_key(&f) || copies.contains(&f)
                            };
                            let copy = namer.copy_key(&key, taken);
                            copies.insert(fold(&copy));
                            Some(Action::Conflict { key, copy })
                        }
                    }
                }
            } else {
                let had = b.is_some_and(|b| b.kind == Kind::Folder);
                match (l_dir, r_dir) {
                    (true, true) if had => None,
                    (true, true) => Some(Action::Agree(key)),
                    (true, false) if had => {
                        folders_deleted.push((folded.clone(), Deleted::Remotely));
                        None
                    }
                    (true, false) => Some(Action::MkdirRemote(key)),
                    (false, true) if had => {
                        folders_deleted.push((folded.clone(), Deleted::Locally));
                        None
                    }
                    (false, true) => Some(Action::MkdirLocal(key)),
                    (false, false) => b.map(|_| Action::Forget(key)),
                }
            };
        if let Some(a) = action {
            out.insert(folded.clone(), a);
        }
    }
    let moved_from = pair_moves(base, local, remote, &mut out);
    // Deepest first, so a folder knows whether anything below it survives
    // (a file moved away does not).
    folders_deleted.sort_by_key(|(f, _)| std::cmp::Reverse(f.matches('/').count()));
    for (folded, side) in folders_deleted {
        let survives = |k: &String, a: Option<&Action>, gone: fn(&Action) -> bool| {
            !moved_from.contains(k) && a.is_none_or(|a| !gone(a))
        };
        let action = match side {
            Deleted::Remotely => {
                let keep = local
                    .items
                    .range::<String, _>((std::ops::Bound::Excluded(&folded), std::ops::Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(folded.as_str()))
                    .filter(|(k, _)| is_under(k, &folded))
                    .any(|(k, _)| {
                        survives(k, out.get(k), |a| matches!(a, Action::DeleteLocal(_) | Action::RmdirLocal(_)))
                    });
                let key = local.items[&folded].key.clone();
                if keep { Action::MkdirRemote(key) } else { Action::RmdirLocal(key) }
            }
            Deleted::Locally => {
                let keep = remote
                    .items
                    .range::<String, _>((std::ops::Bound::Excluded(&folded), std::ops::Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(folded.as_str()))
                    .filter(|(k, _)| is_under(k, &folded))
                    .any(|(k, _)| {
                        survives(k, out.get(k), |a| matches!(a, Action::DeleteRemote(_) | Action::RmdirRemote(_)))
                    });
                let key = remote.items[&folded].key.clone();
                if keep { Action::MkdirLocal(key) } else { Action::RmdirRemote(key) }
            }
        };
        out.insert(folded, action);
    }
    out.into_values().collect()
}

/// Joins a delete and a new file that are one file moved: locally by
/// inode (plus size and content), on the storage by identity (plus
/// content). Each pair becomes one move, keyed by its new place; returns
/// the folded keys moved away from.
fn pair_moves(
    base: &Base,
    local: &Snapshot<LocalFile>,
    remote: &Snapshot<RemoteFile>,
    out: &mut BTreeMap<String, Action>,
) -> BTreeSet<String> {
    // Deleted here, unchanged there: candidates for a local move, by inode.
    let mut by_inode: HashMap<u64, Vec<String>> = HashMap::new();
    // Deleted there, unchanged here: candidates for a storage move, by identity.
    let mut by_id: HashMap<&str, Vec<String>> = HashMap::new();
    for (folded, a) in out.iter() {
        match (a, base.get(folded)) {
            (Action::DeleteRemote(_), Some(b)) if b.local_inode != 0 => {
                by_inode.entry(b.local_inode).or_default().push(folded.clone());
            }
            (Action::DeleteLocal(_), Some(b)) => {
                if let Some(id) = b.remote_id.as_deref() {
                    by_id.entry(id).or_default().push(folded.clone());
                }
            }
            _ => {}
        }
    }
    let mut moves = Vec::new();
    for (folded, a) in out.iter() {
        if base.contains_key(folded) {
            continue;
        }
        match a {
            Action::Upload(to) if !remote.items.contains_key(folded) => {
                let Some(f) = file(local.items.get(folded)) else { continue };
                let Some(old) = by_inode.get_mut(&f.inode).and_then(|c| {
                    let i = c.iter().position(|o| {
                        base.get(o).is_some_and(|b| b.md5 == f.md5 && b.local_size == f.size && f.md5.is_some())
                    })?;
                    Some(c.swap_remove(i))
                }) else {
                    continue;
                };
                let from = remote.items.get(&old).map_or_else(|| base[&old].key.clone(), |i| i.key.clone());
                moves.push((old, folded.clone(), Action::MoveRemote { from, to: to.clone() }));
            }
            Action::Download(to) if !local.items.contains_key(folded) => {
                let Some(f) = file(remote.items.get(folded)) else { continue };
                let Some(id) = f.uuid.as_deref() else { continue };
                let Some(old) = by_id.get_mut(id).and_then(|c| {
                    let i = c.iter().position(|o| base.get(o).is_some_and(|b| b.md5.as_deref() == Some(&f.md5)))?;
                    Some(c.swap_remove(i))
                }) else {
                    continue;
                };
                let from = local.items.get(&old).map_or_else(|| base[&old].key.clone(), |i| i.key.clone());
                moves.push((old, folded.clone(), Action::MoveLocal { from, to: to.clone() }));
            }
            _ => {}
        }
    }
    let mut moved_from = BTreeSet::new();
    for (old, new, action) in moves {
        out.remove(&old);
        out.insert(new, action);
        moved_from.insert(old);
    }
    moved_from
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Content `c` as (md5, size): files with the same letter are equal.
    fn md5(c: char) -> String {
        format!("{:0>32}", c as u32)
    }

    /// A base row for a file of content `c`, local inode 1 and time 100,
    /// remote time 100.
    fn base_file(key: &str, c: char) -> BaseItem {
        BaseItem {
            key: key.into(),
            kind: Kind::File,
            md5: Some(md5(c)),
            size: 1,
            remote_id: Some(format!("id-{key}")),
            remote_mtime: 100,
            remote_updated: Some(100),
            local_size: 1,
            local_mtime_ns: 100_000_000_000,
            local_inode: 1,
        }
    }

    /// A local file as the base knows it (same stat).
    fn local_same() -> LocalFile {
        LocalFile { size: 1, mtime: 100, mtime_ns: 100_000_000_000, inode: 1, md5: None }
    }

    /// A local file of content `c`, stat changed (so its MD5 was read).
    fn local_new(c: char) -> LocalFile {
        LocalFile { size: 1, mtime: 200, mtime_ns: 200_000_000_000, inode: 2, md5: Some(md5(c)) }
    }

    fn remote(key: &str, c: char) -> RemoteFile {
        RemoteFile { size: 1, mtime: 100, md5: md5(c), uuid: Some(format!("id-{key}")), updated: Some(100) }
    }

    struct Case {
        base: Base,
        local: Snapshot<LocalFile>,
        remote: Snapshot<RemoteFile>,
    }

    impl Case {
        fn new() -> Case {
            Case { base: Base::new(), local: Snapshot::default(), remote: Snapshot::default() }
        }
        fn base(mut self, key: &str, c: char) -> Case {
            self.base.insert(fold(key), base_file(key, c));
            self
        }
        fn base_dir(mut self, key: &str) -> Case {
            self.base.insert(fold(key), BaseItem::folder(key));
            self
        }
        fn local(mut self, key: &str, f: LocalFile) -> Case {
            self.local.insert(key.into(), Node::File(f));
            self
        }
        fn local_dir(mut self, key: &str) -> Case {
            self.local.insert(key.into(), Node::Folder);
            self
        }
        fn remote(mut self, key: &str, c: char) -> Case {
            self.remote.insert(key.into(), Node::File(remote(key, c)));
            self
        }
        fn remote_file(mut self, key: &str, f: RemoteFile) -> Case {
            self.remote.insert(key.into(), Node::File(f));
            self
        }
        fn remote_dir(mut self, key: &str) -> Case {
            self.remote.insert(key.into(), Node::Folder);
            self
        }
        /// Both sides and the base agree on `key` with content `c`.
        fn synced(self, key: &str, c: char) -> Case {
            self.base(key, c).local(key, local_same()).remote(key, c)
        }
        fn run(&self) -> Vec<Action> {
            reconcile(&self.base, &self.local, &self.remote, &namer())
        }
    }

    fn namer() -> CopyNamer {
        CopyNamer { host: "laptop".into(), stamp: "2026-12-06 011500".into() }
    }

    fn s(k: &str) -> String {
        k.to_string()
    }

    #[test]
    fn in_step_is_nothing_to_do() {
        assert_eq!(Case::new().synced("a", 'a').base_dir("d").local_dir("d").remote_dir("d").run(), vec![]);
    }

    #[test]
    fn new_on_one_side_goes_to_the_other() {
        assert_eq!(Case::new().local("n", local_new('n')).run(), vec![Action::Upload(s("n"))]);
        assert_eq!(Case::new().remote("n", 'n').run(), vec![Action::Download(s("n"))]);
    }

    #[test]
    fn changed_on_one_side_goes_to_the_other() {
        let c = Case::new().base("a", 'a').local("a", local_new('b')).remote("a", 'a');
        assert_eq!(c.run(), vec![Action::Upload(s("a"))]);
        let c = Case::new().base("a", 'a').local("a", local_same()).remote("a", 'b');
        assert_eq!(c.run(), vec![Action::Download(s("a"))]);
    }

    #[test]
    fn deleted_on_one_side_of_an_unchanged_file_deletes_on_the_other() {
        assert_eq!(Case::new().base("a", 'a').remote("a", 'a').run(), vec![Action::DeleteRemote(s("a"))]);
        assert_eq!(Case::new().base("a", 'a').local("a", local_same()).run(), vec![Action::DeleteLocal(s("a"))]);
    }

    #[test]
    fn changed_on_both_sides_differently_is_a_conflict() {
        let c = Case::new().base("d/r.txt", 'a').local("d/r.txt", local_new('b')).remote("d/r.txt", 'c');
        let copy = s("d/r (conflicted copy laptop 2026-12-06 011500).txt");
        assert_eq!(c.run(), vec![Action::Conflict { key: s("d/r.txt"), copy }]);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let c = Case::new().base("a", 'a').local("a", local_new('b')).remote("a", 'b');
        assert_eq!(c.run(), vec![Action::Agree(s("a"))]);
    }

    #[test]
    fn change_beats_delete_both_ways() {
        assert_eq!(Case::new().base("a", 'a').local("a", local_new('b')).run(), vec![Action::Upload(s("a"))]);
        assert_eq!(Case::new().base("a", 'a').remote("a", 'b').run(), vec![Action::Download(s("a"))]);
    }

    #[test]
    fn deleted_on_both_sides_is_forgotten() {
        assert_eq!(Case::new().base("a", 'a').run(), vec![Action::Forget(s("a"))]);
        assert_eq!(Case::new().base_dir("d").run(), vec![Action::Forget(s("d"))]);
    }

    #[test]
    fn a_touched_file_or_a_re_uploaded_one_only_updates_the_base() {
        // Saved again with the same content: new stat, same MD5.
        let c = Case::new().base("a", 'a').local("a", local_new('a')).remote("a", 'a');
        assert_eq!(c.run(), vec![Action::Agree(s("a"))]);
        // Same content, new remote time and identity.
        let r = RemoteFile { mtime: 500, uuid: Some("other".into()), ..remote("a", 'a') };
        let c = Case::new().base("a", 'a').local("a", local_same()).remote_file("a", r);
        assert_eq!(c.run(), vec![Action::Agree(s("a"))]);
    }

    #[test]
    fn clock_skew_does_not_matter() {
        // The remote's time moved back an hour, the content did not change:
        // nothing is copied either way.
        let r = RemoteFile { mtime: 100 - 3600, ..remote("a", 'a') };
        let c = Case::new().base("a", 'a').local("a", local_same()).remote_file("a", r);
        assert_eq!(c.run(), vec![Action::Agree(s("a"))]);
        // A local change with a time far in the past still goes up.
        let l = LocalFile { mtime: 1, mtime_ns: 1_000_000_000, ..local_new('b') };
        let c = Case::new().base("a", 'a').local("a", l).remote("a", 'a');
        assert_eq!(c.run(), vec![Action::Upload(s("a"))]);
    }

    #[test]
    fn empty_folders_are_made_and_removed() {
        assert_eq!(Case::new().local_dir("e").run(), vec![Action::MkdirRemote(s("e"))]);
        assert_eq!(Case::new().remote_dir("e").run(), vec![Action::MkdirLocal(s("e"))]);
        assert_eq!(Case::new().local_dir("e").remote_dir("e").run(), vec![Action::Agree(s("e"))]);
        assert_eq!(Case::new().base_dir("e").remote_dir("e").run(), vec![Action::RmdirRemote(s("e"))]);
        assert_eq!(Case::new().base_dir("e").local_dir("e").run(), vec![Action::RmdirLocal(s("e"))]);
    }

    #[test]
    fn a_deleted_folder_goes_with_its_unchanged_files() {
        let c = Case::new()
            .base_dir("d")
            .base("d/a", 'a')
            .base("d/b", 'b')
            .remote_dir("d")
            .remote("d/a", 'a')
            .remote("d/b", 'b');
        assert_eq!(
            c.run(),
            vec![Action::RmdirRemote(s("d")), Action::DeleteRemote(s("d/a")), Action::DeleteRemote(s("d/b"))]
        );
    }

    #[test]
    fn a_deleted_folder_with_a_change_below_it_is_made_again() {
        // Deleted locally, one file changed on the remote meanwhile.
        let c = Case::new()
            .base_dir("d")
            .base_dir("d/sub")
            .base("d/sub/a", 'a')
            .base("d/b", 'b')
            .remote_dir("d")
            .remote_dir("d/sub")
            .remote("d/sub/a", 'z')
            .remote("d/b", 'b');
        assert_eq!(
            c.run(),
            vec![
                Action::MkdirLocal(s("d")),
                Action::DeleteRemote(s("d/b")),
                Action::MkdirLocal(s("d/sub")),
                Action::Download(s("d/sub/a")),
            ]
        );
        // Deleted on the remote, a new local file inside.
        let c = Case::new()
            .base_dir("d")
            .base("d/a", 'a')
            .local_dir("d")
            .local("d/a", local_same())
            .local("d/new", local_new('n'));
        assert_eq!(
            c.run(),
            vec![Action::MkdirRemote(s("d")), Action::DeleteLocal(s("d/a")), Action::Upload(s("d/new"))]
        );
    }

    #[test]
    fn a_first_run_merges_and_deletes_nothing() {
        let c = Case::new()
            .local("same", local_new('s'))
            .remote("same", 's')
            .local("differs", local_new('l'))
            .remote("differs", 'r')
            .local("only-local", local_new('l'))
            .remote("only-remote", 'r')
            .local_dir("d")
            .remote_dir("d")
            .remote_dir("e");
        let copy = s("differs (conflicted copy laptop 2026-12-06 011500)");
        assert_eq!(
            c.run(),
            vec![
                Action::Agree(s("d")),
                Action::Conflict { key: s("differs"), copy },
                Action::MkdirLocal(s("e")),
                Action::Upload(s("only-local")),
                Action::Download(s("only-remote")),
                Action::Agree(s("same")),
            ]
        );
    }

    #[test]
    fn names_match_across_case_and_composition() {
        // The local side writes NFD, the remote NFC, in another case: one item.
        let c =
            Case::new().base("Caf\u{e9}.txt", 'a').local("CAFE\u{301}.txt", local_same()).remote("caf\u{e9}.txt", 'b');
        assert_eq!(c.run(), vec![Action::Download(s("CAFE\u{301}.txt"))]);
    }

    #[test]
    fn a_file_against_a_folder_is_skipped() {
        let c = Case::new().local("x", local_new('a')).remote_dir("x");
        assert_eq!(c.run(), vec![Action::Skip { key: s("x"), reason: SkipReason::FileAndFolder }]);
    }

    /// A base row and the local file as walked now, with inode `inode`.
    fn with_inode(mut c: Case, key: &str, content: char, inode: u64) -> Case {
        let mut b = base_file(key, content);
        b.local_inode = inode;
        c.base.insert(fold(key), b);
        c
    }

    fn local_at(inode: u64, content: char) -> LocalFile {
        // Not in the base under this name: its MD5 was read.
        LocalFile { inode, md5: Some(md5(content)), ..local_same() }
    }

    #[test]
    fn a_local_rename_is_a_move_on_the_storage() {
        let c = with_inode(Case::new(), "a.txt", 'a', 7).local("b.txt", local_at(7, 'a')).remote("a.txt", 'a');
        assert_eq!(c.run(), vec![Action::MoveRemote { from: s("a.txt"), to: s("b.txt") }]);
        // Renamed and changed: a delete and an upload.
        let c = with_inode(Case::new(), "a.txt", 'a', 7).local("b.txt", local_at(7, 'z')).remote("a.txt", 'a');
        assert_eq!(c.run(), vec![Action::DeleteRemote(s("a.txt")), Action::Upload(s("b.txt"))]);
    }

    #[test]
    fn a_storage_rename_is_a_move_here() {
        let r = RemoteFile { uuid: Some("id-a.txt".into()), ..remote("b.txt", 'a') };
        let c = Case::new().synced("a.txt", 'a').remote_file("b.txt", r);
        let mut c = c;
        c.remote.items.remove(&fold("a.txt"));
        assert_eq!(c.run(), vec![Action::MoveLocal { from: s("a.txt"), to: s("b.txt") }]);
    }

    #[test]
    fn a_renamed_folder_moves_its_files_and_deletes_nothing() {
        let mut c = Case::new().base_dir("d").remote_dir("d").local_dir("e");
        for (i, f) in ["x", "y", "z"].iter().enumerate() {
            c = with_inode(c, &format!("d/{f}"), 'a', 10 + i as u64)
                .local(&format!("e/{f}"), local_at(10 + i as u64, 'a'))
                .remote(&format!("d/{f}"), 'a');
        }
        let actions = c.run();
        assert_eq!(
            actions,
            vec![
                Action::RmdirRemote(s("d")),
                Action::MkdirRemote(s("e")),
                Action::MoveRemote { from: s("d/x"), to: s("e/x") },
                Action::MoveRemote { from: s("d/y"), to: s("e/y") },
                Action::MoveRemote { from: s("d/z"), to: s("e/z") },
            ]
        );
        // The guard sees no deletes at all.
        let guard = super::super::guard::check(&c.base, &c.local, &c.remote, &actions, None, ("l", "r"));
        assert!(guard.is_ok());
    }

    #[test]
    fn a_conflict_copy_name_in_use_is_numbered() {
        let taken = "a (conflicted copy laptop 2026-12-06 011500).txt";
        let c = Case::new().local("a.txt", local_new('l')).remote("a.txt", 'r').remote(taken, 'x');
        let copy = s("a (conflicted copy laptop 2026-12-06 011500 2).txt");
        assert!(c.run().contains(&Action::Conflict { key: s("a.txt"), copy }));
    }
}
