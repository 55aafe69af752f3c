//! Applying a plan's steps: N workers take steps in turn and create,
//! update, retime or delete on the destination (and, for `move`, on the
//! source), with per-file retries; every step becomes a journal row and
//! task events. The runner builds an [`Exec`] for a run and feeds it the
//! plan's groups in order (folders, transfers, deletes, folder removals).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fjordsync_jottacloud::{CpHash, RemotePath, Timestamp};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{Stopped, Throttle, TransferError};
use crate::events::{Counters, EventSink, TaskEvent};
use crate::local::{HashCache, SafeRoot};
use crate::lock::lock;
use crate::plan::{Action, Step};
use crate::runner::Side;
use crate::session::same_account;
use crate::state::{DbOp, FileEvent, StateDb, WriterHandle};
use crate::task::TaskKind;
use crate::transfer;
use crate::tree::{FileItem, user_path};

pub(crate) fn spawn_progress(exec: Arc<Exec>, bytes_total: u64, files_total: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = (u64::MAX, u64::MAX);
        let mut rate = 0f64;
        let mut prev_bytes = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            let b = exec.bytes_done.load(Ordering::Relaxed);
            let f = exec.files_done.load(Ordering::Relaxed);
            rate = rate * 0.8 + (b.saturating_sub(prev_bytes) as f64 * 10.0) * 0.2;
            prev_bytes = b;
            if (b, f) != last {
                last = (b, f);
                exec.emit_progress(bytes_total, files_total, rate as u64);
            }
        }
    })
}

/// Everything a worker needs.
pub(crate) struct Exec {
    pub(crate) run: i64,
    pub(crate) kind: TaskKind,
    pub(crate) src: Side,
    pub(crate) dst: Side,
    pub(crate) hard_delete: bool,
    /// `TaskOptions::no_versions`.
    pub(crate) no_versions: bool,
    /// Keys whose earlier version this run deleted (no-versions): deleted
    /// once per file whatever the retries, and named in a later failure.
    pub(crate) versions_dropped: Mutex<HashSet<String>>,
    pub(crate) attempts: u32,
    pub(crate) cache: Arc<HashCache>,
    pub(crate) writer: WriterHandle,
    pub(crate) events: EventSink,
    /// Stops the workers: the user's cancel, or a failure that ends the run.
    pub(crate) cancel: CancellationToken,
    /// The failure that ended the run (full disk or storage), once met.
    pub(crate) stopped: Mutex<Option<Stopped>>,
    pub(crate) db: Arc<StateDb>,
    pub(crate) throttle: Option<Arc<Throttle>>,
    pub(crate) bytes_done: Arc<AtomicU64>,
    pub(crate) files_done: Arc<AtomicU64>,
    pub(crate) counters: Mutex<Counters>,
    pub(crate) stash_dir: PathBuf,
}

/// What a successful step leaves for the journal.
#[derive(Default)]
struct Done {
    bytes: u64,
    resumed: u64,
    dedup: bool,
    new_md5: Option<String>,
    trashed: bool,
    stash: Option<String>,
}

impl Exec {
    pub(crate) fn emit_progress(&self, bytes_total: u64, files_total: u64, rate: u64) {
        let bytes_done = self.bytes_done.load(Ordering::Relaxed);
        let eta = (rate > 0).then(|| bytes_total.saturating_sub(bytes_done) / rate);
        (self.events)(TaskEvent::Progress {
            bytes_done,
            bytes_total,
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total,
            rate,
            eta,
        });
    }

    pub(crate) async fn run_all(self: &Arc<Self>, steps: impl Iterator<Item = Step>, n: usize) {
        futures_util::stream::iter(steps).for_each_concurrent(n, |s| async move { self.run_one(&s).await }).await;
    }

    fn action_name(&self, step: &Step) -> &'static str {
        match step.action {
            Action::Create if self.dst.is_local() => "download",
            Action::Create if self.src.is_local() => "upload",
            Action::Create => "copy",
            a => a.as_str(),
        }
    }

    pub(crate) fn skip(&self, step: &Step, reason: &str) {
        let action = self.action_name(step);
        lock(&self.counters).skipped += 1;
        self.record(step, action, "skipped", Some(reason.to_string()), Done::default());
        (self.events)(TaskEvent::FileFailed {
            path: user_path(&step.key),
            action: action.into(),
            error: reason.into(),
            skipped: true,
        });
    }

    fn record(&self, step: &Step, action: &str, result: &str, error: Option<String>, done: Done) {
        let side = if action == "delete-source" { &self.src } else { &self.dst };
        self.writer.send(DbOp::Event(FileEvent {
            run: self.run,
            path: user_path(&step.key),
            key: step.key.clone(),
            action: action.into(),
            bytes: done.bytes,
            result: result.into(),
            error,
            target: side.describe(&step.key),
            prev_md5: step.dst.as_ref().and_then(|d| d.md5.clone()),
            prev_size: step.dst.as_ref().map(|d| d.size),
            prev_mtime: step.dst.as_ref().map(|d| d.mtime),
            new_md5: done.new_md5,
            trashed: done.trashed,
            stash: done.stash,
            side: None,
        }));
    }

    pub(crate) async fn run_one(self: &Arc<Self>, step: &Step) {
        if self.cancel.is_cancelled() {
            return;
        }
        let action = self.action_name(step);
        let size = step.src.as_ref().map_or(0, |s| s.size);
        let transfers = matches!(step.action, Action::Create | Action::Update);
        if transfers {
            (self.events)(TaskEvent::FileStarted { path: user_path(&step.key), action: action.into(), bytes: size });
        }
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            let r = tokio::select! {
                r = self.apply(step) => r,
                _ = self.cancel.cancelled() => Err(TransferError::Cancelled),
            };
            match r {
                Err(e) if e.is_retryable() && attempt < self.attempts && !self.cancel.is_cancelled() => {
                    tracing::debug!(key = %step.key, attempt, "retrying: {e}");
                    tokio::select! {
                        _ = tokio::time::sleep(transfer::backoff(attempt)) => {}
                        _ = self.cancel.cancelled() => break Err(TransferError::Cancelled),
                    }
                }
                r => break r,
            }
        };
        if transfers {
            self.files_done.fetch_add(1, Ordering::Relaxed);
        }
        match result {
            Ok(done) => {
                {
                    let mut c = lock(&self.counters);
                    match (step.action, action) {
                        (Action::Create, "upload") => c.uploaded += 1,
                        (Action::Create, "download") => c.downloaded += 1,
                        (Action::Create, _) => c.copied += 1,
                        (Action::Update, _) => c.updated += 1,
                        (Action::Retime, _) => c.retimed += 1,
                        (Action::Delete, _) => c.deleted += 1,
                        (Action::Mkdir, _) => c.mkdirs += 1,
                        _ => {}
                    }
                    if done.dedup {
                        c.deduplicated += 1;
                    }
                    c.bytes += done.bytes;
                    c.resumed_bytes += done.resumed;
                }
                let bytes = done.bytes;
                if step.action != Action::Unchanged {
                    self.record(step, action, "completed", None, done);
                    (self.events)(TaskEvent::FileFinished { path: user_path(&step.key), action: action.into(), bytes });
                }
                if self.kind == TaskKind::Move && step.src.is_some() && !self.cancel.is_cancelled() {
                    self.delete_source(step).await;
                }
            }
            Err(TransferError::Cancelled) => {}
            Err(TransferError::UnsafePath(e)) => self.skip(step, &e.to_string()),
            Err(e) if e.fatal().is_some() => {
                // The first such failure ends the run with one row and one
                // message; files in flight are cancelled, none is started.
                let Some(cause) = e.fatal() else { return };
                let stop = Stopped { cause, path: self.dst.describe(&step.key) };
                {
                    let mut stopped = lock(&self.stopped);
                    if stopped.is_some() {
                        return;
                    }
                    *stopped = Some(stop.clone());
                }
                self.cancel.cancel();
                tracing::info!(key = %step.key, "stopping the run: {e}");
                self.fail(step, action, stop.message());
            }
            Err(e) => self.fail(step, action, e.to_string()),
        }
    }

    /// Counts, records and reports one failed file.
    fn fail(&self, step: &Step, action: &str, error: String) {
        lock(&self.counters).failed += 1;
        let error = self.failure_message(step, error);
        self.record(step, action, "failed", Some(error.clone()), Done::default());
        (self.events)(TaskEvent::FileFailed {
            path: user_path(&step.key),
            action: action.into(),
            error,
            skipped: false,
        });
    }

    /// A file's failure, saying so when no-versions had already deleted the
    /// file it was to replace: the destination has no copy of it now.
    fn failure_message(&self, step: &Step, error: String) -> String {
        if lock(&self.versions_dropped).contains(&step.key) {
            format!(
                "{error}; its earlier version on the destination was already deleted for good (no-versions), \
                 so the file is missing there until a run (or retry) uploads it"
            )
        } else {
            error
        }
    }

    /// No-versions: before new content replaces the remote file of an
    /// update, delete that file permanently, as rclone does. Permanent, not
    /// to the trash: an upload onto a trashed file restores it and keeps its
    /// revisions. Nothing is deleted when the content is the same (the
    /// upload is then a dedup that only sets times), and only once per file,
    /// so a retry does not delete a partial upload it could resume.
    async fn drop_old_version(
        &self,
        client: &fjordsync_jottacloud::Client,
        remote: &RemotePath,
        step: &Step,
        new_md5: Option<&str>,
    ) -> std::result::Result<(), TransferError> {
        if !self.no_versions || step.action != Action::Update {
            return Ok(());
        }
        let old_md5 = step.dst.as_ref().and_then(|d| d.md5.as_deref());
        if old_md5.zip(new_md5).is_some_and(|(old, new)| old.eq_ignore_ascii_case(new)) {
            return Ok(());
        }
        if lock(&self.versions_dropped).contains(&step.key) {
            return Ok(());
        }
        match client.delete_file(remote, true).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        lock(&self.versions_dropped).insert(step.key.clone());
        Ok(())
    }

    /// `move`: the destination now holds verified content; remove the source
    /// (remote: to the trash; local: deleted, since freeing the space is the
    /// point of a move; undo downloads it back from the destination).
    async fn delete_source(&self, step: &Step) {
        let r: std::result::Result<Done, TransferError> = async {
            match &self.src {
                Side::Remote(s, _) => {
                    s.client.delete_file(&self.src.remote_path(&step.key)?, false).await?;
                    Ok(Done { trashed: true, ..Default::default() })
                }
                Side::Local(_) => {
                    let (_, path) = self.src.safe_local_path(&step.key)?;
                    tokio::fs::remove_file(path).await?;
                    Ok(Done::default())
                }
            }
        }
        .await;
        match r {
            Ok(done) => {
                lock(&self.counters).moved += 1;
                let mut s = step.clone();
                s.dst = step.src.clone();
                self.record(&s, "delete-source", "completed", None, done);
            }
            Err(TransferError::UnsafePath(e)) => {
                // The copy is made; the source behind a link stays where it is.
                let mut s = step.clone();
                s.dst = step.src.clone();
                lock(&self.counters).skipped += 1;
                self.record(&s, "delete-source", "skipped", Some(e.to_string()), Done::default());
                (self.events)(TaskEvent::FileFailed {
                    path: user_path(&step.key),
                    action: "delete-source".into(),
                    error: e.to_string(),
                    skipped: true,
                });
            }
            Err(e) => {
                lock(&self.counters).failed += 1;
                self.record(step, "delete-source", "failed", Some(e.to_string()), Done::default());
                (self.events)(TaskEvent::FileFailed {
                    path: user_path(&step.key),
                    action: "delete-source".into(),
                    error: e.to_string(),
                    skipped: false,
                });
            }
        }
    }

    async fn apply(&self, step: &Step) -> std::result::Result<Done, TransferError> {
        match step.action {
            Action::Unchanged => Ok(Done::default()),
            Action::Create | Action::Update => self.transfer(step).await,
            Action::Retime => {
                let s = step.src.as_ref().ok_or(TransferError::Unsupported("retime without a source".into()))?;
                match &self.dst {
                    Side::Remote(sess, _) => {
                        let md5 = s.md5.clone().or_else(|| step.dst.as_ref().and_then(|d| d.md5.clone()));
                        let md5 = md5.ok_or(TransferError::Unsupported("no MD5 to set the time with".into()))?;
                        let t = Timestamp::from_second(s.mtime).ok();
                        let h = CpHash { md5, size: s.size, created: t, modified: t };
                        sess.client.cphash(&self.dst.remote_path(&step.key)?, &h).await?;
                    }
                    Side::Local(_) => transfer::set_mtime(&self.dst.safe_local_path(&step.key)?.1, s.mtime)?,
                }
                Ok(Done::default())
            }
            Action::Delete => match &self.dst {
                Side::Remote(sess, _) => {
                    sess.client.delete_file(&self.dst.remote_path(&step.key)?, self.hard_delete).await?;
                    Ok(Done { trashed: !self.hard_delete, ..Default::default() })
                }
                Side::Local(_) => {
                    let (_, path) = self.dst.safe_local_path(&step.key)?;
                    let stash = super::stash::keep_moved(&self.stash_dir, &path, &step.key)?;
                    Ok(Done { trashed: true, stash: Some(stash.display().to_string()), ..Default::default() })
                }
            },
            Action::Mkdir => {
                match &self.dst {
                    Side::Remote(sess, _) => sess.client.mkdir(&self.dst.remote_path(&step.key)?).await?,
                    Side::Local(root) => {
                        let path = self.dst.local_path(&step.key)?;
                        SafeRoot::new(root).create_dirs(&path)?;
                    }
                }
                Ok(Done::default())
            }
            Action::Rmdir => {
                match &self.dst {
                    Side::Remote(sess, _) => {
                        sess.client.delete_folder(&self.dst.remote_path(&step.key)?, self.hard_delete).await?;
                    }
                    Side::Local(_) => {
                        let (safe, path) = self.dst.safe_local_path(&step.key)?;
                        remove_empty_dirs(&safe, &path);
                    }
                }
                Ok(Done { trashed: !self.dst.is_local() && !self.hard_delete, ..Default::default() })
            }
        }
    }

    async fn transfer(&self, step: &Step) -> std::result::Result<Done, TransferError> {
        let s = step.src.as_ref().ok_or(TransferError::Unsupported("transfer without a source".into()))?;
        match (&self.src, &self.dst) {
            (Side::Local(_), Side::Remote(sess, _)) => {
                let local = self.src.local_path(&step.key)?;
                let remote = self.dst.remote_path(&step.key)?;
                self.upload_checked(&sess.client, &local, &remote, step).await
            }
            (Side::Remote(sess, _), Side::Local(root)) => {
                let remote = self.src.remote_path(&step.key)?;
                let local = self.dst.local_path(&step.key)?;
                let md5 = s.md5.clone().unwrap_or_default();
                let safe = SafeRoot::new(root);
                let stash_dir = self.stash_dir.clone();
                let key = step.key.clone();
                let stashed: Arc<Mutex<Option<PathBuf>>> = Arc::default();
                let stashed_in = stashed.clone();
                let replacing = step.action == Action::Update;
                let local_for_stash = local.clone();
                let file = transfer::RemoteFile { path: &remote, md5: &md5, size: s.size, mtime: s.mtime };
                let target = transfer::LocalTarget { root: &safe, db: &self.db, run: self.run };
                let got = transfer::download(
                    &sess.client,
                    &file,
                    &local,
                    &target,
                    self.throttle.clone(),
                    self.bytes_done.clone(),
                    move || {
                        if replacing && local_for_stash.exists() {
                            let p = super::stash::keep_copy(&stash_dir, &local_for_stash, &key)?;
                            *lock(&stashed_in) = Some(p);
                        }
                        Ok(())
                    },
                )
                .await?;
                if let Ok(item) = stat_item(&local) {
                    self.cache.remember(&local, &item, &md5);
                }
                let stash = lock(&stashed).take();
                Ok(Done {
                    bytes: got.bytes,
                    resumed: got.resumed,
                    new_md5: Some(md5),
                    trashed: stash.is_some(),
                    stash: stash.map(|p| p.display().to_string()),
                    ..Default::default()
                })
            }
            (Side::Remote(from, _), Side::Remote(to, _)) => {
                let src = self.src.remote_path(&step.key)?;
                let dst = self.dst.remote_path(&step.key)?;
                self.drop_old_version(&to.client, &dst, step, s.md5.as_deref()).await?;
                if same_account(from, to) {
                    from.client.copy_file(&src, &dst).await?;
                    return Ok(Done { new_md5: s.md5.clone(), ..Default::default() });
                }
                let md5 = s.md5.clone().ok_or(TransferError::Unsupported("the source listing has no MD5".into()))?;
                let source = transfer::Source { md5, size: s.size, modified: Timestamp::from_second(s.mtime).ok() };
                let up = transfer::relay(
                    &from.client,
                    &src,
                    &to.client,
                    &dst,
                    &source,
                    self.throttle.clone(),
                    self.bytes_done.clone(),
                )
                .await?;
                Ok(Done {
                    bytes: up.bytes,
                    resumed: up.resumed_from,
                    dedup: up.deduplicated,
                    new_md5: s.md5.clone(),
                    ..Default::default()
                })
            }
            (Side::Local(_), Side::Local(_)) => Err(TransferError::Unsupported("local to local".into())),
        }
    }

    /// Uploads with a check that the file did not change meanwhile: the
    /// file is re-read from disk before and after; a change means one more
    /// round with the new content, then the file is reported.
    async fn upload_checked(
        &self,
        client: &fjordsync_jottacloud::Client,
        local: &Path,
        remote: &RemotePath,
        step: &Step,
    ) -> std::result::Result<Done, TransferError> {
        for _round in 0..2 {
            let item = stat_item(local)?;
            let cache = self.cache.clone();
            let (path, it) = (local.to_path_buf(), item.clone());
            let md5 = tokio::task::spawn_blocking(move || cache.md5(&path, &it))
                .await
                .map_err(|e| TransferError::Unsupported(format!("hashing failed: {e}")))??;
            self.drop_old_version(client, remote, step, Some(&md5)).await?;
            let result = transfer::upload(
                client,
                Some(&self.db),
                local,
                remote,
                &item,
                &md5,
                self.throttle.clone(),
                self.bytes_done.clone(),
            )
            .await;
            let after = stat_item(local)?;
            let changed = after.size != item.size || after.mtime_ns != item.mtime_ns;
            match result {
                Ok(done) if !changed => {
                    return Ok(Done {
                        bytes: done.bytes,
                        resumed: done.resumed_from,
                        dedup: done.deduplicated,
                        new_md5: Some(md5),
                        ..Default::default()
                    });
                }
                Ok(_) => tracing::info!(?local, "changed while uploading; uploading again"),
                Err(_) if changed => tracing::info!(?local, "changed while uploading; uploading again"),
                Err(e) => return Err(e),
            }
        }
        Err(TransferError::Changed)
    }
}

fn stat_item(path: &Path) -> std::io::Result<FileItem> {
    let meta = std::fs::metadata(path)?;
    let (mtime, mtime_ns) = crate::local::times(&meta);
    Ok(FileItem { size: meta.len(), mtime, mtime_ns, inode: crate::local::inode(&meta), md5: None })
}

/// Removes a folder tree bottom-up, keeping any folder that still has files
/// (files the filter hid are not ours to delete). Links are not entered
/// (`file_type` does not follow them) and folders on another disk are left alone.
fn remove_empty_dirs(safe: &SafeRoot, p: &Path) {
    if safe.check(p).is_err() {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(p) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(safe, &e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(p);
}
