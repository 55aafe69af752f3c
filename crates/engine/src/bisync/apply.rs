//! Applying the actions with the engine's own pieces: uploads through
//! [`transfer::upload`] (resumable, recorded), downloads through
//! [`transfer::download`] (a recorded temp file beside the target, MD5
//! checked, renamed into place), local writes only through a
//! [`SafeRoot`] (never through a link or a mount point), local deletes into
//! the OS trash (the run's stash when it refuses; `undo` puts either back)
//! and remote deletes into the storage's trash.
//!
//! Each item settles on its own: the moment it is done its base row is
//! written (its own transaction), so a run stopped anywhere leaves a base
//! that is true for every row. A failure is recorded for its item and the
//! rest goes on. A local file that changed after it was listed is never
//! overwritten or deleted: that item waits for the next run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use fjordsync_jottacloud::{Client, RemotePath};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::base::{BaseItem, Kind, PairId};
use super::issues::{Failure, IssueKind, IssueSide, signature_of};
use super::names::fold;
use super::reconcile::Action;
use super::snapshot::{LocalFile, Node, RemoteFile, Snapshot};
use crate::events::{Counters, EventSink, TaskEvent};
use crate::local::{self, HashCache, SafeRoot, os_trash};
use crate::lock::lock;
use crate::state::{DbOp, EventSide, FileEvent, StateDb, StateError, WriterHandle};
use crate::transfer::{self, Throttle, TransferError, stash};
use crate::tree::{FileItem, user_path};

/// Why one item could not be synced.
#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    /// Moving its bytes failed.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// The local file changed after it was listed: not overwritten, not deleted.
    #[error("changed while this run was syncing it; the next run takes the new version")]
    ChangedMeanwhile,
    /// A name the storage allows but this computer's disk does not.
    #[error("{0}")]
    NotALocalName(String),
    /// The conflict copy's name is taken locally.
    #[error("{0} already exists; the conflict waits for the next run")]
    CopyExists(String),
}

impl From<std::io::Error> for ItemError {
    fn from(e: std::io::Error) -> Self {
        ItemError::Transfer(e.into())
    }
}

impl From<fjordsync_jottacloud::Error> for ItemError {
    fn from(e: fjordsync_jottacloud::Error) -> Self {
        ItemError::Transfer(e.into())
    }
}

impl From<StateError> for ItemError {
    fn from(e: StateError) -> Self {
        ItemError::Transfer(e.into())
    }
}

impl From<crate::local::UnsafePath> for ItemError {
    fn from(e: crate::local::UnsafePath) -> Self {
        ItemError::Transfer(e.into())
    }
}

impl From<crate::local::MkdirError> for ItemError {
    fn from(e: crate::local::MkdirError) -> Self {
        ItemError::Transfer(e.into())
    }
}

/// A conflict this run kept both versions of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptBoth {
    /// The original name (the storage's version).
    pub key: String,
    /// The conflict copy (this computer's version).
    pub copy: String,
}

/// Everything applying needs; shared by the parallel transfers.
pub(crate) struct Applier {
    pub(crate) pair: PairId,
    pub(crate) run: i64,
    pub(crate) db: Arc<StateDb>,
    pub(crate) writer: WriterHandle,
    pub(crate) events: EventSink,
    pub(crate) cancel: CancellationToken,
    pub(crate) client: Client,
    pub(crate) remote_root: RemotePath,
    pub(crate) safe: SafeRoot,
    pub(crate) cache: Arc<HashCache>,
    pub(crate) local: Snapshot<LocalFile>,
    pub(crate) remote: Snapshot<RemoteFile>,
    pub(crate) hard_delete: bool,
    pub(crate) throttle: Option<Arc<Throttle>>,
    pub(crate) bytes_done: Arc<AtomicU64>,
    pub(crate) stash_dir: PathBuf,
    pub(crate) counters: Mutex<Counters>,
    pub(crate) conflicts: Mutex<Vec<KeptBoth>>,
    /// Folded keys on the pair's list of kept-aside items when the run
    /// began: settling one takes it off.
    pub(crate) listed: HashSet<String>,
}

/// What one settled action did, for its log row and the counters.
#[derive(Default)]
struct Done {
    /// The log's word (`upload`, `update`, `download`, `delete`, ...).
    action: &'static str,
    bytes: u64,
    dedup: bool,
    target: String,
    md5: Option<String>,
    trashed: bool,
    stash: Option<String>,
    /// What the changed side held before (an update's earlier MD5), for undo.
    prev_md5: Option<String>,
    /// Which side it changed (set from the action), for undo.
    side: Option<EventSide>,
}

impl Applier {
    /// Applies all actions: folders first (shallow first), then the
    /// transfers `n` at a time, the bookkeeping, the deletes, and last the
    /// folder removals (deepest first).
    pub(crate) async fn apply_all(self: &Arc<Self>, actions: &[Action], n: usize) {
        let mut mkdirs: Vec<&Action> =
            actions.iter().filter(|a| matches!(a, Action::MkdirLocal(_) | Action::MkdirRemote(_))).collect();
        mkdirs.sort_by_key(|a| a.key().matches('/').count());
        for a in mkdirs {
            self.one(a).await;
        }
        // Moves before the transfers: a name a move frees may be taken by a new file.
        let moves = actions.iter().filter(|a| matches!(a, Action::MoveLocal { .. } | Action::MoveRemote { .. }));
        self.parallel(moves, n).await;
        let transfers =
            actions.iter().filter(|a| matches!(a, Action::Upload(_) | Action::Download(_) | Action::Conflict { .. }));
        self.parallel(transfers, n).await;
        for a in actions.iter().filter(|a| matches!(a, Action::Skip { .. })) {
            self.one(a).await;
        }
        self.bookkeeping(actions.iter().filter(|a| a.is_bookkeeping()));
        let deletes = actions.iter().filter(|a| matches!(a, Action::DeleteLocal(_) | Action::DeleteRemote(_)));
        self.parallel(deletes, n).await;
        let mut rmdirs: Vec<&Action> =
            actions.iter().filter(|a| matches!(a, Action::RmdirLocal(_) | Action::RmdirRemote(_))).collect();
        rmdirs.sort_by_key(|a| std::cmp::Reverse(a.key().matches('/').count()));
        for a in rmdirs {
            self.one(a).await;
        }
    }

    /// Items both sides already agree on, and items gone from both: only
    /// the base changes, in one transaction.
    fn bookkeeping<'a>(&self, actions: impl Iterator<Item = &'a Action>) {
        if self.cancel.is_cancelled() {
            return;
        }
        let (mut settled, mut gone) = (Vec::new(), Vec::new());
        for a in actions {
            let (lk, rk) = self.keys(a.key());
            match a {
                Action::Agree(_) => settled.push(self.agreed(&lk, &rk)),
                _ => gone.push(lk),
            }
        }
        if settled.is_empty() && gone.is_empty() {
            return;
        }
        let n = (settled.len() + gone.len()) as u64;
        match self.db.bisync_settle_all(self.pair, &settled, &gone) {
            Ok(()) => lock(&self.counters).unchanged += n,
            Err(e) => {
                // Nothing is lost: the next run finds the same agreement.
                tracing::warn!("recording {n} unchanged items in the two-way sync base: {e}");
            }
        }
    }

    async fn parallel(self: &Arc<Self>, actions: impl Iterator<Item = &Action>, n: usize) {
        futures_util::stream::iter(actions).for_each_concurrent(n.max(1), |a| self.one(a)).await;
    }

    async fn one(&self, action: &Action) {
        if self.cancel.is_cancelled() {
            return;
        }
        let key = action.key().to_string();
        let word = word(action);
        if let Action::Skip { reason, .. } = action {
            lock(&self.counters).skipped += 1;
            self.log(&key, word, "skipped", Some(reason.message().to_string()), &Done::default());
            (self.events)(TaskEvent::FileFailed {
                path: user_path(&key),
                action: word.into(),
                error: reason.message().into(),
                skipped: true,
            });
            return;
        }
        let shown = !action.is_bookkeeping();
        if shown {
            (self.events)(TaskEvent::FileStarted { path: user_path(&key), action: word.into(), bytes: 0 });
        }
        match self.apply(action).await {
            Ok(done) => {
                let done = Done { side: side_of(action), ..done };
                let mut c = lock(&self.counters);
                match (action, done.action) {
                    (Action::Agree(_) | Action::Forget(_), _) => c.unchanged += 1,
                    (_, "upload") => c.uploaded += 1,
                    (_, "download") => c.downloaded += 1,
                    (_, "update") => c.updated += 1,
                    (_, "delete") => c.deleted += 1,
                    (_, "mkdir") => c.mkdirs += 1,
                    (_, "move") => c.moved += 1,
                    _ => {}
                }
                c.bytes += done.bytes;
                c.deduplicated += u64::from(done.dedup);
                drop(c);
                if self.listed.contains(&fold(&key))
                    && let Err(e) = self.db.bisync_issue_settled(self.pair, &key)
                {
                    tracing::warn!("taking {key} off the two-way sync's kept-aside list: {e}");
                }
                if shown {
                    self.log(&key, done.action, "completed", None, &done);
                    (self.events)(TaskEvent::FileFinished {
                        path: user_path(&key),
                        action: done.action.into(),
                        bytes: done.bytes,
                    });
                }
            }
            Err(e @ ItemError::NotALocalName(_)) => {
                self.keep_aside(action, &e);
                let reason = e.to_string();
                lock(&self.counters).skipped += 1;
                self.log(&key, word, "skipped", Some(reason.clone()), &Done::default());
                (self.events)(TaskEvent::FileFailed {
                    path: user_path(&key),
                    action: word.into(),
                    error: reason,
                    skipped: true,
                });
            }
            Err(e) => {
                self.keep_aside(action, &e);
                lock(&self.counters).failed += 1;
                let msg = e.to_string();
                self.log(&key, word, "failed", Some(msg.clone()), &Done::default());
                (self.events)(TaskEvent::FileFailed {
                    path: user_path(&key),
                    action: word.into(),
                    error: msg,
                    skipped: false,
                });
            }
        }
    }

    /// Puts a failed item on the pair's list, with its state on both
    /// sides, so later runs leave it alone until its backoff is over or it
    /// changes (see [`super::issues`]).
    fn keep_aside(&self, action: &Action, e: &ItemError) {
        let Some(kind) = IssueKind::of(e) else { return };
        let key = action.key();
        let message = e.to_string();
        let (_, signature) = signature_of(key, &self.local, &self.remote);
        let failure =
            Failure { key, side: IssueSide::of(action), action: word(action), kind, message: &message, signature };
        if let Err(e) = self.db.bisync_issue_failed(self.pair, &failure) {
            // The item is still not in the base: the next run tries it again.
            tracing::warn!("keeping {key} aside after its error: {e}");
        }
    }

    fn log(&self, key: &str, action: &str, result: &str, error: Option<String>, done: &Done) {
        if self.run == 0 {
            return;
        }
        self.writer.send(DbOp::Event(FileEvent {
            run: self.run,
            path: user_path(key),
            key: key.to_string(),
            action: action.into(),
            bytes: done.bytes,
            result: result.into(),
            error,
            target: done.target.clone(),
            new_md5: done.md5.clone(),
            trashed: done.trashed,
            stash: done.stash.clone(),
            prev_md5: done.prev_md5.clone(),
            side: done.side,
            ..Default::default()
        }));
    }

    /// Each side's spelling of an item (the other side's when it has none).
    fn keys(&self, key: &str) -> (String, String) {
        let f = fold(key);
        let l = self.local.items.get(&f).map(|i| i.key.clone());
        let r = self.remote.items.get(&f).map(|i| i.key.clone());
        let local = l.clone().or(r.clone()).unwrap_or_else(|| key.to_string());
        let remote = r.or(l).unwrap_or_else(|| key.to_string());
        (local, remote)
    }

    fn local_path(&self, key: &str) -> Result<PathBuf, ItemError> {
        local::local_path(self.safe.root(), key).map_err(|e| ItemError::NotALocalName(e.to_string()))
    }

    fn remote_path(&self, key: &str) -> Result<RemotePath, ItemError> {
        Ok(self.remote_root.join_path(key)?)
    }

    fn local_file(&self, key: &str) -> Option<&LocalFile> {
        match self.local.items.get(&fold(key)).map(|i| &i.node) {
            Some(Node::File(f)) => Some(f),
            _ => None,
        }
    }

    fn remote_file(&self, key: &str) -> Option<&RemoteFile> {
        match self.remote.items.get(&fold(key)).map(|i| &i.node) {
            Some(Node::File(f)) => Some(f),
            _ => None,
        }
    }

    async fn apply(&self, action: &Action) -> Result<Done, ItemError> {
        let (lk, rk) = self.keys(action.key());
        match action {
            Action::Upload(_) => {
                let replaced = self.remote_file(&rk).map(|f| f.md5.clone());
                let done = self.upload(&lk, &rk).await?;
                let action = if replaced.is_some() { "update" } else { "upload" };
                Ok(Done { action, prev_md5: replaced, ..done })
            }
            Action::Download(_) => {
                let replacing = self.local_file(&lk).is_some();
                let remote = self.remote_file(&rk).cloned().ok_or(ItemError::ChangedMeanwhile)?;
                let expected = self.local_file(&lk).cloned();
                let (done, item) = self.download(&lk, &rk, &remote, expected.as_ref()).await?;
                self.db.bisync_settle(self.pair, &item)?;
                Ok(Done { action: if replacing { "update" } else { "download" }, ..done })
            }
            Action::Conflict { copy, .. } => self.keep_both(&lk, &rk, copy).await,
            Action::MoveRemote { from, .. } => self.move_remote(from, &lk).await,
            Action::MoveLocal { from, .. } => self.move_local(from, &rk).await,
            Action::DeleteRemote(_) => {
                self.client.delete_file(&self.remote_path(&rk)?, self.hard_delete).await?;
                self.db.bisync_forget(self.pair, &rk)?;
                let target = self.remote_path(&rk)?.to_string();
                Ok(Done { action: "delete", trashed: !self.hard_delete, target, ..Default::default() })
            }
            Action::DeleteLocal(_) => {
                let path = self.local_path(&lk)?;
                self.safe.check(&path)?;
                let expected = self.local_file(&lk).cloned().ok_or(ItemError::ChangedMeanwhile)?;
                unchanged_since_listed(&path, Some(&expected))?;
                // The OS trash, where people look for it (the run's stash if that refuses).
                let stash = match os_trash::delete(&path, &self.stash_dir, &lk)? {
                    os_trash::Kept::OsTrash => None,
                    os_trash::Kept::Stash(p) => Some(p.display().to_string()),
                };
                self.db.bisync_forget(self.pair, &lk)?;
                Ok(Done {
                    action: "delete",
                    trashed: true,
                    stash,
                    target: path.display().to_string(),
                    ..Default::default()
                })
            }
            Action::MkdirRemote(_) => {
                let path = self.remote_path(&rk)?;
                self.client.mkdir(&path).await?;
                self.db.bisync_settle(self.pair, &BaseItem::folder(&lk))?;
                Ok(Done { action: "mkdir", target: path.to_string(), ..Default::default() })
            }
            Action::MkdirLocal(_) => {
                let path = self.local_path(&lk)?;
                self.safe.create_dirs(&path)?;
                self.db.bisync_settle(self.pair, &BaseItem::folder(&rk))?;
                Ok(Done { action: "mkdir", target: path.display().to_string(), ..Default::default() })
            }
            Action::RmdirRemote(_) => {
                let path = self.remote_path(&rk)?;
                match self.client.delete_folder(&path, self.hard_delete).await {
                    Ok(()) => {}
                    // Already gone with a parent.
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e.into()),
                }
                self.db.bisync_forget(self.pair, &rk)?;
                Ok(Done { action: "rmdir", trashed: !self.hard_delete, target: path.to_string(), ..Default::default() })
            }
            Action::RmdirLocal(_) => {
                let path = self.local_path(&lk)?;
                self.safe.check(&path)?;
                // Only an empty folder goes: files the filters hide stay,
                // and the folder with them (the next run sends it again).
                match std::fs::remove_dir(&path) {
                    Ok(()) => self.db.bisync_forget(self.pair, &lk)?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.db.bisync_forget(self.pair, &lk)?,
                    Err(_) => {}
                }
                Ok(Done { action: "rmdir", target: path.display().to_string(), ..Default::default() })
            }
            Action::Agree(_) => {
                let item = self.agreed(&lk, &rk);
                self.db.bisync_settle(self.pair, &item)?;
                Ok(Done { action: "agree", ..Default::default() })
            }
            Action::Forget(_) => {
                self.db.bisync_forget(self.pair, &lk)?;
                Ok(Done { action: "forget", ..Default::default() })
            }
            Action::Skip { .. } => Ok(Done::default()),
        }
    }

    /// The base row for an item both sides already hold alike.
    fn agreed(&self, lk: &str, rk: &str) -> BaseItem {
        let (Some(l), Some(r)) = (self.local_file(lk), self.remote_file(rk)) else {
            return BaseItem::folder(lk);
        };
        BaseItem {
            key: lk.to_string(),
            kind: Kind::File,
            md5: Some(r.md5.clone()),
            size: r.size,
            remote_id: r.uuid.clone(),
            remote_mtime: r.mtime,
            remote_updated: r.updated,
            local_size: l.size,
            local_mtime_ns: l.mtime_ns,
            local_inode: l.inode,
        }
    }

    /// Sends the local file `lk` to the remote `rk` and writes its base
    /// row. A file that changes while it is sent is reported, and sent by
    /// the next run.
    async fn upload(&self, lk: &str, rk: &str) -> Result<Done, ItemError> {
        let path = self.local_path(lk)?;
        let remote = self.remote_path(rk)?;
        let item = stat_item(&path)?;
        let (cache, p, it) = (self.cache.clone(), path.clone(), item.clone());
        let md5 = tokio::task::spawn_blocking(move || cache.md5(&p, &it))
            .await
            .map_err(|e| TransferError::Unsupported(format!("hashing failed: {e}")))??;
        let up = transfer::upload(
            &self.client,
            Some(&self.db),
            &path,
            &remote,
            &item,
            &md5,
            self.throttle.clone(),
            self.bytes_done.clone(),
        )
        .await?;
        // What was sent is on the storage now: the base says so before
        // anything else, even when the file changed (or went) meanwhile.
        // Its local half is the file as it was before it was read, so the
        // next run sees the newer version as a change here only (an
        // upload), never as a change on both sides (a conflict), and a
        // file deleted meanwhile as a delete here.
        let base = BaseItem {
            key: lk.to_string(),
            kind: Kind::File,
            md5: Some(md5.clone()),
            size: item.size,
            // Learned from the next listing.
            remote_id: None,
            remote_mtime: item.mtime,
            remote_updated: None,
            local_size: item.size,
            local_mtime_ns: item.mtime_ns,
            local_inode: item.inode,
        };
        self.db.bisync_settle(self.pair, &base)?;
        match stat_item(&path) {
            Ok(after) if after.size == item.size && after.mtime_ns == item.mtime_ns && after.inode == item.inode => {}
            _ => return Err(ItemError::ChangedMeanwhile),
        }
        Ok(Done {
            action: "upload",
            bytes: up.bytes,
            dedup: up.deduplicated,
            target: remote.to_string(),
            md5: Some(md5),
            ..Default::default()
        })
    }

    /// Fetches the remote file `rk` into the local `lk`. `expected` is the
    /// local file as listed (none: there was none); anything else there
    /// when the new content is renamed into place stops the download.
    async fn download(
        &self,
        lk: &str,
        rk: &str,
        remote: &RemoteFile,
        expected: Option<&LocalFile>,
    ) -> Result<(Done, BaseItem), ItemError> {
        let path = self.local_path(lk)?;
        self.safe.check(&path)?;
        let rpath = self.remote_path(rk)?;
        let file = transfer::RemoteFile { path: &rpath, md5: &remote.md5, size: remote.size, mtime: remote.mtime };
        let target = transfer::LocalTarget { root: &self.safe, db: &self.db, run: self.run };
        let stashed: Arc<Mutex<Option<PathBuf>>> = Arc::default();
        let (stash_dir, key, at, kept) = (self.stash_dir.clone(), lk.to_string(), path.clone(), stashed.clone());
        let expected = expected.cloned();
        let got = transfer::download(
            &self.client,
            &file,
            &path,
            &target,
            self.throttle.clone(),
            self.bytes_done.clone(),
            move || {
                unchanged_since_listed(&at, expected.as_ref()).map_err(std::io::Error::other)?;
                if expected.is_some() {
                    *lock(&kept) = Some(stash::keep_copy(&stash_dir, &at, &key)?);
                }
                Ok(())
            },
        )
        .await
        .map_err(|e| match e {
            TransferError::Io(io) if io.get_ref().is_some_and(|i| i.is::<ItemError>()) => ItemError::ChangedMeanwhile,
            e => ItemError::Transfer(e),
        })?;
        let item = stat_item(&path)?;
        self.cache.remember(&path, &item, &remote.md5);
        let stash = lock(&stashed).take();
        let base = BaseItem {
            key: lk.to_string(),
            kind: Kind::File,
            md5: Some(remote.md5.clone()),
            size: remote.size,
            remote_id: remote.uuid.clone(),
            remote_mtime: remote.mtime,
            remote_updated: remote.updated,
            local_size: item.size,
            local_mtime_ns: item.mtime_ns,
            local_inode: item.inode,
        };
        let done = Done {
            action: "download",
            bytes: got.bytes,
            target: path.display().to_string(),
            md5: Some(remote.md5.clone()),
            trashed: stash.is_some(),
            stash: stash.map(|p| p.display().to_string()),
            ..Default::default()
        };
        Ok((done, base))
    }

    /// Moves the storage's file `from` to `to`, as it was moved here: one
    /// request, the file keeps its identity and versions.
    async fn move_remote(&self, from: &str, to: &str) -> Result<Done, ItemError> {
        let (Some(old), Some(now)) = (self.remote_file(from).cloned(), self.local_file(to).cloned()) else {
            return Err(ItemError::ChangedMeanwhile);
        };
        let (src, dst) = (self.remote_path(from)?, self.remote_path(to)?);
        let info = self.client.move_file(&src, &dst).await?;
        let item = BaseItem {
            key: to.to_string(),
            kind: Kind::File,
            md5: Some(old.md5.clone()),
            size: old.size,
            remote_id: info.uuid.or(old.uuid),
            remote_mtime: old.mtime,
            remote_updated: old.updated,
            local_size: now.size,
            local_mtime_ns: now.mtime_ns,
            local_inode: now.inode,
        };
        self.db.bisync_settle(self.pair, &item)?;
        self.db.bisync_forget(self.pair, from)?;
        Ok(Done { action: "move", target: dst.to_string(), ..Default::default() })
    }

    /// Moves the local file `from` to `to`, as it was moved on the storage.
    /// Never over an existing file, never through a link, and not when the
    /// file changed since it was listed.
    async fn move_local(&self, from: &str, to: &str) -> Result<Done, ItemError> {
        let (Some(old), Some(now)) = (self.local_file(from).cloned(), self.remote_file(to).cloned()) else {
            return Err(ItemError::ChangedMeanwhile);
        };
        let (src, dst) = (self.local_path(from)?, self.local_path(to)?);
        self.safe.check(&src)?;
        unchanged_since_listed(&src, Some(&old))?;
        if let Some(parent) = dst.parent() {
            self.safe.create_dirs(parent)?;
        }
        self.safe.check(&dst)?;
        if std::fs::symlink_metadata(&dst).is_ok() {
            return Err(ItemError::ChangedMeanwhile);
        }
        std::fs::rename(&src, &dst)?;
        let item = BaseItem {
            key: to.to_string(),
            kind: Kind::File,
            md5: Some(now.md5.clone()),
            size: now.size,
            remote_id: now.uuid.clone(),
            remote_mtime: now.mtime,
            remote_updated: now.updated,
            local_size: old.size,
            local_mtime_ns: old.mtime_ns,
            local_inode: old.inode,
        };
        self.db.bisync_settle(self.pair, &item)?;
        self.db.bisync_forget(self.pair, from)?;
        Ok(Done { action: "move", target: dst.display().to_string(), ..Default::default() })
    }

    /// Keeps both versions: this computer's becomes `copy` (renamed here,
    /// then sent), the storage's comes down under the original name. Each
    /// half settles on its own, so a run stopped between them is finished
    /// by the next one by the ordinary rules.
    async fn keep_both(&self, lk: &str, rk: &str, copy: &str) -> Result<Done, ItemError> {
        let remote = self.remote_file(rk).cloned().ok_or(ItemError::ChangedMeanwhile)?;
        let from = self.local_path(lk)?;
        let to = self.local_path(copy)?;
        self.safe.check(&from)?;
        self.safe.check(&to)?;
        let expected = self.local_file(lk).cloned().ok_or(ItemError::ChangedMeanwhile)?;
        unchanged_since_listed(&from, Some(&expected))?;
        if std::fs::symlink_metadata(&to).is_ok() {
            return Err(ItemError::CopyExists(user_path(copy)));
        }
        std::fs::rename(&from, &to)?;
        if self.run != 0 {
            self.db.bisync_record_conflict(self.pair, Some(self.run), lk, copy)?;
        }
        lock(&self.conflicts).push(KeptBoth { key: lk.to_string(), copy: copy.to_string() });
        let up = self.upload(copy, copy).await?;
        let (down, base) = self.download(lk, rk, &remote, None).await?;
        self.db.bisync_settle(self.pair, &base)?;
        Ok(Done { action: "conflict", bytes: up.bytes + down.bytes, target: down.target, md5: down.md5, ..up })
    }
}

/// The side an action changes (none for bookkeeping and conflicts, which
/// change both and lose nothing).
fn side_of(a: &Action) -> Option<EventSide> {
    match a {
        Action::Upload(_)
        | Action::DeleteRemote(_)
        | Action::MkdirRemote(_)
        | Action::RmdirRemote(_)
        | Action::MoveRemote { .. } => Some(EventSide::Remote),
        Action::Download(_)
        | Action::DeleteLocal(_)
        | Action::MkdirLocal(_)
        | Action::RmdirLocal(_)
        | Action::MoveLocal { .. } => Some(EventSide::Local),
        Action::Agree(_) | Action::Forget(_) | Action::Conflict { .. } | Action::Skip { .. } => None,
    }
}

/// The log's word for an action that did not get as far as doing it.
fn word(a: &Action) -> &'static str {
    match a {
        Action::Upload(_) => "upload",
        Action::Download(_) => "download",
        Action::DeleteLocal(_) | Action::DeleteRemote(_) => "delete",
        Action::MkdirLocal(_) | Action::MkdirRemote(_) => "mkdir",
        Action::RmdirLocal(_) | Action::RmdirRemote(_) => "rmdir",
        Action::Agree(_) => "agree",
        Action::Forget(_) => "forget",
        Action::Conflict { .. } => "conflict",
        Action::Skip { .. } => "skip",
        Action::MoveLocal { .. } | Action::MoveRemote { .. } => "move",
    }
}

fn stat_item(path: &Path) -> std::io::Result<FileItem> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other(format!("{} is not a regular file", path.display())));
    }
    let (mtime, mtime_ns) = crate::local::times(&meta);
    Ok(FileItem { size: meta.len(), mtime, mtime_ns, inode: crate::local::inode(&meta), md5: None })
}

/// The local file is still what the listing saw (`None`: nothing was there).
fn unchanged_since_listed(path: &Path, expected: Option<&LocalFile>) -> Result<(), ItemError> {
    match (std::fs::symlink_metadata(path), expected) {
        (Err(e), None) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        (Ok(meta), Some(f)) if meta.is_file() => {
            let (_, mtime_ns) = crate::local::times(&meta);
            if meta.len() == f.size && mtime_ns == f.mtime_ns && crate::local::inode(&meta) == f.inode {
                Ok(())
            } else {
                Err(ItemError::ChangedMeanwhile)
            }
        }
        (Err(e), Some(_)) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Err(ItemError::ChangedMeanwhile),
    }
}
