//! "Undo this run" and "retry failed only", both driven by the run's journal.
//!
//! Undo walks the run's completed events backwards: what it trashed comes
//! back from the trash, what it overwrote gets its previous revision back
//! (unless the run used no-versions, which deleted it for good: undo says so),
//! what it added goes to the trash (only if it still holds what the run
//! wrote), local files return from the run's stash. The undo is itself a
//! run, so it has a log.
//!
//! A two-way run is undone by what it removed or replaced, on the side it
//! changed ([`EventSide`]): deleted files come back from the trash (the
//! storage's, or the run's stash here), removed folders come back, a
//! replaced file gets its earlier content back. The next two-way run then
//! carries that to the other side like any change, so both sides return to
//! what they were and stay in step (the replaced content stays among the
//! storage's versions). Copies and moves the run made are left: they lost
//! nothing, and removing a copy would make the next run delete the original.

use std::sync::Arc;
use std::time::Instant;

use fjordsync_jottacloud::{CpHash, Timestamp};
use tokio_util::sync::CancellationToken;

use crate::error::{EngineError, Result};
use crate::events::{Counters, EventSink, TaskEvent};
use crate::runner::{RunReport, Runner, Side};
use crate::state::{DbOp, EventFilter, EventSide, FileEvent, NewRun, RunKind, RunResult, StateDb, Writer};
use crate::task::TaskSpec;
use crate::transfer::{LocalTarget, RemoteFile, TransferError};

impl Runner {
    fn load_spec(&self, run: i64) -> Result<TaskSpec> {
        let rec = self.db().run(run)?.ok_or_else(|| EngineError::Invalid(format!("there is no run {run}")))?;
        if rec.kind == RunKind::Backup {
            return Err(EngineError::Invalid(format!(
                "run {run} is a backup: undo and retry are for copy, sync and move runs \
                 (restore from its snapshot with `fjordsync backup restore`)"
            )));
        }
        if rec.kind == RunKind::Bisync {
            return Err(EngineError::Invalid(format!(
                "run {run} is a two-way sync: its failed files are tried again by the next run of the same folders"
            )));
        }
        serde_json::from_str(&rec.spec_json).map_err(|e| match bisync_spec(&rec.spec_json) {
            Some(_) => EngineError::Invalid(format!(
                "run {run} undid a two-way sync run; what it put back is synced like any change, so there is \
                 nothing to undo: change or delete the files instead"
            )),
            None => EngineError::Invalid(format!("run {run} has an unreadable task: {e}")),
        })
    }

    /// Runs the files that failed in `run` again (same task, only those paths).
    pub async fn retry(&self, run: i64, events: EventSink, cancel: CancellationToken) -> Result<RunReport> {
        let mut spec = self.load_spec(run)?;
        let failed = self.db().events(run, &EventFilter { result: Some("failed".into()), grep: None })?;
        let keys: Vec<String> =
            failed.into_iter().filter(|e| e.action != "preflight" && !e.key.is_empty()).map(|e| e.key).collect();
        if keys.is_empty() {
            return Err(EngineError::Invalid(format!("run {run} has no failed files to retry")));
        }
        spec.options.only = Some(keys);
        spec.options.dry_run = false;
        self.run(&spec, Some(run), events, cancel).await
    }

    /// Puts back what `run` changed on its destination (and, for `move`, its
    /// source); for a two-way run, what it removed or replaced on either side.
    pub async fn undo(&self, run: i64, events: EventSink, cancel: CancellationToken) -> Result<RunReport> {
        if let Some(rec) = self.db().run(run)?
            && rec.kind == RunKind::Bisync
            && let Some(spec) = bisync_spec(&rec.spec_json)
        {
            return self.undo_bisync(run, &spec, events, cancel).await;
        }
        let started = Instant::now();
        let spec = self.load_spec(run)?;
        let src = self.resolve(&spec.source)?;
        let dst = self.resolve(&spec.destination)?;
        let done = self.db().events(run, &EventFilter { result: Some("completed".into()), grep: None })?;
        let mut undo_spec = spec.clone();
        undo_spec.options.only = Some(vec![format!("undo of run {run}")]);
        let id = self.db().start_run(&NewRun::transfer(&undo_spec)?.kind(RunKind::Undo).parent(Some(run)))?;
        events(TaskEvent::Started {
            run: id,
            kind: RunKind::Undo.as_str().into(),
            source: spec.source.to_string(),
            destination: spec.destination.to_string(),
        });
        let writer = Writer::start(self.db().clone());
        let w = writer.handle();
        let mut counters = Counters::default();
        for ev in done.iter().rev() {
            if cancel.is_cancelled() {
                break;
            }
            let (side, other) = if ev.action == "delete-source" { (&src, &dst) } else { (&dst, &src) };
            let r = undo_one(side, other, ev, self.db(), id, spec.options.no_versions).await;
            record(&w, &events, &mut counters, id, ev, r);
        }
        writer.finish()?;
        self.finish_undo(id, started, counters, &cancel, &events)
    }
}

impl Runner {
    /// Records how an undo went and tells the shell (one-way and two-way alike).
    fn finish_undo(
        &self,
        id: i64,
        started: Instant,
        counters: Counters,
        cancel: &CancellationToken,
        events: &EventSink,
    ) -> Result<RunReport> {
        let outcome = crate::runner::outcome_of(cancel, &counters);
        self.db().finish_run(id, outcome, RunResult::Counters(counters.clone()))?;
        let duration = started.elapsed();
        events(TaskEvent::Finished {
            run: id,
            outcome: outcome.as_str().into(),
            duration_ms: duration.as_millis() as u64,
            counters: counters.clone(),
        });
        Ok(RunReport { run: id, outcome, counters, plan: Default::default(), refusal: None, stopped: None, duration })
    }
}

/// Logs one undone journal entry/// Logs one undone journal entry (as `undo-ACTION`), counts it and tells the shell.
fn record(
    w: &crate::state::WriterHandle,
    events: &EventSink,
    counters: &mut Counters,
    id: i64,
    ev: &FileEvent,
    r: std::result::Result<bool, TransferError>,
) {
    let (result, error) = match &r {
        Ok(true) => ("completed", None),
        Ok(false) => ("skipped", Some("nothing to undo".to_string())),
        Err(TransferError::UnsafePath(e)) => ("skipped", Some(e.to_string())),
        // Left on purpose (changed since the run, or a copy a two-way undo keeps): not a failure.
        Err(TransferError::Unsupported(e)) if e.starts_with(KEPT) || e == LEFT => ("skipped", Some(e.clone())),
        Err(e) => ("failed", Some(e.to_string())),
    };
    match result {
        "completed" => counters.updated += 1,
        "skipped" => counters.skipped += 1,
        _ => counters.failed += 1,
    }
    let mut rec = ev.clone();
    rec.run = id;
    rec.action = format!("undo-{}", ev.action);
    rec.result = result.into();
    rec.error = error.clone();
    w.send(DbOp::Event(rec));
    match error {
        Some(error) => events(TaskEvent::FileFailed {
            path: ev.path.clone(),
            action: format!("undo-{}", ev.action),
            error,
            skipped: result == "skipped",
        }),
        None => {
            events(TaskEvent::FileFinished { path: ev.path.clone(), action: format!("undo-{}", ev.action), bytes: 0 })
        }
    }
}

/// How a two-way undo words what it leaves as the run made it.
const KEPT: &str = "kept as the run made it";
/// What undo says of a file that changed after the run (it is left alone).
const LEFT: &str = "changed since the run; left as it is";

/// A two-way run's pair, from its log row (`None` for other runs).
fn bisync_spec(json: &str) -> Option<crate::bisync::BisyncSpec> {
    serde_json::from_str(json).ok()
}

impl Runner {
    /// See the module documentation: puts back what two-way run `run`
    /// removed or replaced, holding the pair's lock so no run of the same
    /// folders goes on meanwhile.
    async fn undo_bisync(
        &self,
        run: i64,
        spec: &crate::bisync::BisyncSpec,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<RunReport> {
        use crate::bisync::BisyncError;
        let started = Instant::now();
        let local = self.resolve(&spec.local_location())?;
        let remote = self.resolve(&spec.remote_location())?;
        let (Side::Local(root), Side::Remote(..)) = (&local, &remote) else {
            return Err(BisyncError::NotLocal(spec.local_location().to_string()).into());
        };
        let db = self.db().clone();
        let root_text = root.display().to_string();
        let pair = db.bisync_pair(&root_text, &spec.remote, &spec.path)?;
        let state_dir = db.path().parent().unwrap_or(std::path::Path::new(".")).to_path_buf();
        let _held = crate::bisync::lock_pair(&state_dir, pair, (&root_text, &spec.remote_location().to_string()))?;
        let done = db.events(run, &EventFilter { result: Some("completed".into()), grep: None })?;
        // Files it put into the system's trash were deleted after it started.
        let run_started_s = db.run(run)?.map_or(0, |r| r.started_ms / 1000);
        let id = db.start_run(&NewRun::bisync(spec)?.kind(RunKind::Undo).parent(Some(run)))?;
        events(TaskEvent::Started {
            run: id,
            kind: RunKind::Undo.as_str().into(),
            source: spec.local_location().to_string(),
            destination: spec.remote_location().to_string(),
        });
        let writer = Writer::start(db.clone());
        let w = writer.handle();
        let mut counters = Counters::default();
        for ev in done.iter().rev() {
            if cancel.is_cancelled() {
                break;
            }
            let r = match (ev.side, ev.action.as_str()) {
                // A removed local folder: made again (the next run sends it back).
                (Some(EventSide::Local), "rmdir") => match local.safe_local_path(&ev.key) {
                    Ok((safe, path)) if !path.exists() => safe.create_dirs(&path).map(|_| true).map_err(Into::into),
                    Ok(_) => Ok(false),
                    Err(e) => Err(e),
                },
                // Deleted into the OS trash (no stash): back from there.
                (Some(EventSide::Local), "delete") if ev.stash.is_none() => from_os_trash(&local, ev, run_started_s),
                (Some(EventSide::Local), "delete" | "update") => match local_unchanged(&local, ev) {
                    Ok(()) => undo_one(&local, &remote, ev, &db, id, false).await,
                    Err(e) => Err(e),
                },
                (Some(EventSide::Remote), "delete" | "rmdir" | "update") => {
                    undo_one(&remote, &local, ev, &db, id, spec.options.no_versions).await
                }
                (_, "upload" | "download" | "mkdir") => {
                    Err(TransferError::Unsupported(format!("{KEPT}: a copy loses nothing; delete it if it should go")))
                }
                (_, "move") => Err(TransferError::Unsupported(format!("{KEPT}: rename it back if you want"))),
                (_, "conflict") => {
                    Err(TransferError::Unsupported(format!("{KEPT}: both versions are there; resolve the conflict")))
                }
                _ => Ok(false),
            };
            record(&w, &events, &mut counters, id, ev, r);
        }
        writer.finish()?;
        self.finish_undo(id, started, counters, &cancel, &events)
    }
}

/// Puts back a local file a two-way run moved to the OS trash (the newest
/// one from that place, deleted since the run started).
fn from_os_trash(local: &Side, ev: &FileEvent, since_s: i64) -> std::result::Result<bool, TransferError> {
    use crate::local::os_trash::{RestoreError, restore};
    // Never back through a link or a mount point: the folders are checked
    // (and made as real folders) first.
    let (safe, path) = local.safe_local_path(&ev.key)?;
    if let Some(parent) = path.parent() {
        safe.create_dirs(parent)?;
    }
    safe.check(&path)?;
    match restore(&path, since_s) {
        Ok(true) => Ok(true),
        Ok(false) => Err(TransferError::Unsupported("no longer in the trash; left as it is".into())),
        Err(RestoreError::Occupied) => Err(TransferError::Unsupported(LEFT.into())),
        Err(e) => Err(TransferError::Unsupported(e.to_string())),
    }
}

/// Before a two-way undo puts a local file back: nothing new is where a
/// deleted file was, and a replaced file still holds what the run wrote.
fn local_unchanged(local: &Side, ev: &FileEvent) -> std::result::Result<(), TransferError> {
    let (_, path) = local.safe_local_path(&ev.key)?;
    let changed = || Err(TransferError::Unsupported(LEFT.into()));
    match ev.action.as_str() {
        "delete" if path.exists() => changed(),
        "update" => match &ev.new_md5 {
            Some(m) if path.is_file() && crate::local::md5_of_file(&path)?.eq_ignore_ascii_case(m) => Ok(()),
            _ => changed(),
        },
        _ => Ok(()),
    }
}

/// Undoes one journal entry. Ok(false): nothing to do. `run` is the undo's
/// own run; `no_versions`: that run deleted replaced remote files for good.
async fn undo_one(
    side: &Side,
    other: &Side,
    ev: &FileEvent,
    db: &StateDb,
    run: i64,
    no_versions: bool,
) -> std::result::Result<bool, TransferError> {
    match side {
        Side::Remote(sess, _) => {
            let c = &sess.client;
            let path = side.remote_path(&ev.key)?;
            match ev.action.as_str() {
                "upload" | "copy" => {
                    let info = match c.file_info(&path).await {
                        Ok(i) => i,
                        Err(e) if e.is_not_found() => return Ok(false),
                        Err(e) => return Err(e.into()),
                    };
                    if ev.new_md5.as_deref().is_some_and(|m| !m.eq_ignore_ascii_case(&info.md5)) {
                        return Err(TransferError::Unsupported(LEFT.into()));
                    }
                    c.delete_file(&path, false).await?;
                    Ok(true)
                }
                "update" => {
                    let prev = ev.prev_md5.as_deref().ok_or(TransferError::Unsupported("no previous MD5".into()))?;
                    let revs = c.revisions(&path).await?;
                    let old = revs
                        .iter()
                        .filter(|r| !r.current && r.md5.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(prev)))
                        .max_by_key(|r| r.number)
                        .ok_or_else(|| TransferError::Unsupported(previous_gone(no_versions)))?;
                    c.restore_revision(&path, old.number).await?;
                    Ok(true)
                }
                "retime" => {
                    let (Some(md5), Some(size), Some(mtime)) = (&ev.prev_md5, ev.prev_size, ev.prev_mtime) else {
                        return Ok(false);
                    };
                    let t = Timestamp::from_second(mtime).ok();
                    c.cphash(&path, &CpHash { md5: md5.clone(), size, created: t, modified: t }).await?;
                    Ok(true)
                }
                "delete" | "rmdir" | "delete-source" if ev.trashed => {
                    c.restore(&path).await?;
                    Ok(true)
                }
                // A folder the run created goes only if it is still empty:
                // anything put there since is not the run's to remove.
                "mkdir" => match c.list_folder(&path, fjordsync_jottacloud::ListMode::Live).await {
                    Ok(l) if l.files.is_empty() && l.folders.is_empty() => {
                        c.delete_folder(&path, false).await?;
                        Ok(true)
                    }
                    Ok(_) => Ok(false),
                    Err(e) if e.is_not_found() => Ok(false),
                    Err(e) => Err(e.into()),
                },
                _ => Ok(false),
            }
        }
        Side::Local(_) => {
            // Nothing is put back (or removed) through a link or a mount point.
            let (safe, path) = side.safe_local_path(&ev.key)?;
            match ev.action.as_str() {
                "download" => {
                    if !path.exists() {
                        return Ok(false);
                    }
                    if let Some(m) = &ev.new_md5 {
                        let actual = crate::local::md5_of_file(&path)?;
                        if !actual.eq_ignore_ascii_case(m) {
                            return Err(TransferError::Unsupported(LEFT.into()));
                        }
                    }
                    std::fs::remove_file(&path)?;
                    Ok(true)
                }
                "delete-source" if ev.stash.is_none() => {
                    // A moved local file: bring it back from where it was moved to.
                    let Side::Remote(sess, _) = other else { return Ok(false) };
                    let from = other.remote_path(&ev.key)?;
                    let info = sess.client.file_info(&from).await?;
                    let mtime = info.modified.map_or(0, |t| t.as_second());
                    let progress = Arc::new(std::sync::atomic::AtomicU64::new(0));
                    let file = RemoteFile { path: &from, md5: &info.md5, size: info.size, mtime };
                    let target = LocalTarget { root: &safe, db, run };
                    crate::transfer::download(&sess.client, &file, &path, &target, None, progress, || Ok(())).await?;
                    Ok(true)
                }
                "update" | "delete" | "delete-source" => {
                    let Some(stash) = &ev.stash else { return Ok(false) };
                    if let Some(p) = path.parent() {
                        safe.create_dirs(p)?;
                    }
                    safe.check(&path)?;
                    std::fs::rename(stash, &path).or_else(|_| std::fs::copy(stash, &path).map(|_| ()))?;
                    Ok(true)
                }
                "retime" => match ev.prev_mtime {
                    Some(t) => {
                        crate::transfer::set_mtime(&path, t)?;
                        Ok(true)
                    }
                    None => Ok(false),
                },
                "mkdir" => Ok(std::fs::remove_dir(&path).is_ok()),
                _ => Ok(false),
            }
        }
    }
}

/// Why an update cannot be undone. With no-versions the run itself deleted
/// the earlier version permanently (not to the trash), so say that rather
/// than look like a fault of the undo.
fn previous_gone(no_versions: bool) -> String {
    if no_versions {
        "cannot be put back: the run used no-versions, so the earlier version was deleted for good \
         (not to the trash); the file keeps the run's content"
            .into()
    } else {
        "the previous revision is gone".into()
    }
}

/// Shared by shells: open the state database and a runner in one call.
pub fn runner_for(db_path: &std::path::Path, opener: crate::runner::Opener) -> Result<Runner> {
    Ok(Runner::new(Arc::new(crate::state::StateDb::open(db_path)?), opener))
}
