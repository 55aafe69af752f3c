//! Running a task: open a run row (the run log, `state::run_log`), list
//! both sides, plan, preflight, guard, apply with N parallel transfers (the
//! step executor is `transfer::exec`), record every file in batched
//! transactions, finish. Cancellation stops new work at once and aborts the
//! transfers in flight; cancelled downloads leave no partial files (a killed
//! one is resumed or removed by the next run), interrupted uploads are
//! invisible on the service until complete, and nothing local is written,
//! renamed or deleted through a symbolic link or a mount point.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fjordsync_jottacloud::RemotePath;
use fjordsync_jottacloud::names::fold_case;
use tokio_util::sync::CancellationToken;

use crate::backup::detect;
use crate::error::{EngineError, Result};
use crate::events::{Counters, EventSink, TaskEvent};
use crate::filter::Filter;
use crate::guard::{self, Refusal};
use crate::local::{self, HashCache, SafeRoot};
use crate::lock::lock;
use crate::plan::{self, BackupSide, Group, Plan, Planner, Problem};
use crate::session::{Session, same_account};
use crate::state::{DbOp, FileEvent, NewRun, Outcome, RunResult, StateDb, Writer, WriterHandle};
use crate::task::{Location, TaskKind, TaskSpec};
use crate::transfer::exec::{Exec, spawn_progress};
use crate::transfer::md5_filler::{Md5Filler, load_cache};
use crate::transfer::{self, Stopped, Throttle, TransferError};
use crate::tree::{Folder, Skipped, user_path};

/// Opens a configured remote by name (the shell decides how secrets are read).
pub type Opener = Arc<dyn Fn(&str) -> Result<Session> + Send + Sync>;

/// How a run ended.
#[derive(Debug)]
pub struct RunReport {
    /// Run id (0 for a dry run: nothing is recorded).
    pub run: i64,
    /// How it ended (`DryRun` for a dry run).
    pub outcome: Outcome,
    /// Counters.
    pub counters: Counters,
    /// The plan that was applied (or would be, for a dry run).
    pub plan: Plan,
    /// Why the run was refused, if it was.
    pub refusal: Option<Refusal>,
    /// Why the run stopped before its end (a full disk or storage), if it did.
    pub stopped: Option<Stopped>,
    /// Wall time.
    pub duration: Duration,
}

impl RunReport {
    /// True when the shell should exit with failure.
    pub fn is_failure(&self) -> bool {
        self.outcome.is_failure()
    }
}

/// One side, resolved.
#[derive(Clone)]
pub(crate) enum Side {
    Local(PathBuf),
    Remote(Box<Session>, RemotePath),
}

impl Side {
    pub(crate) fn is_local(&self) -> bool {
        matches!(self, Side::Local(_))
    }

    pub(crate) fn local_path(&self, key: &str) -> std::result::Result<PathBuf, TransferError> {
        match self {
            Side::Local(root) => local::local_path(root, key).map_err(|e| TransferError::Unsupported(e.to_string())),
            Side::Remote(..) => Err(TransferError::Unsupported("not a local side".into())),
        }
    }

    /// The local path for `key`, checked to be free of symbolic links and
    /// mount points below the root (see [`SafeRoot`]), with the root to
    /// write through.
    pub(crate) fn safe_local_path(&self, key: &str) -> std::result::Result<(SafeRoot, PathBuf), TransferError> {
        let Side::Local(root) = self else { return Err(TransferError::Unsupported("not a local side".into())) };
        let path = self.local_path(key)?;
        let safe = SafeRoot::new(root);
        safe.check(&path)?;
        Ok((safe, path))
    }

    pub(crate) fn remote_path(&self, key: &str) -> std::result::Result<RemotePath, TransferError> {
        match self {
            Side::Remote(_, root) => Ok(root.join_path(key)?),
            Side::Local(_) => Err(TransferError::Unsupported("not a remote side".into())),
        }
    }

    pub(crate) fn describe(&self, key: &str) -> String {
        match self {
            Side::Local(root) => local::local_path(root, key).map(|p| p.display().to_string()).unwrap_or_default(),
            Side::Remote(_, root) => format!("{root}/{key}"),
        }
    }
}

/// The engine entry point for tasks.
#[derive(Clone)]
pub struct Runner {
    db: Arc<StateDb>,
    opener: Opener,
    stash_root: PathBuf,
}

impl Runner {
    /// A runner over a state database. Local files that a run deletes or
    /// overwrites are kept under `<state dir>/stash/run-N/` so undo can bring them back.
    pub fn new(db: Arc<StateDb>, opener: Opener) -> Runner {
        let stash_root = db.path().parent().map_or_else(|| PathBuf::from("stash"), |p| p.join("stash"));
        Runner { db, opener, stash_root }
    }

    /// The state database.
    pub fn db(&self) -> &Arc<StateDb> {
        &self.db
    }

    /// Where local files a run deletes or overwrites are kept (`run-N/` below).
    pub(crate) fn stash_root(&self) -> &Path {
        &self.stash_root
    }

    /// Opens a configured remote through the shell's opener.
    pub(crate) fn open_remote(&self, remote: &str) -> Result<Session> {
        (self.opener)(remote)
    }

    pub(crate) fn resolve(&self, loc: &Location) -> Result<Side> {
        match loc {
            Location::Local { path } => {
                let abs = if path.is_absolute() {
                    path.clone()
                } else {
                    std::env::current_dir()
                        .map_err(|source| EngineError::Io { context: "reading the current folder".into(), source })?
                        .join(path)
                };
                Ok(Side::Local(abs))
            }
            Location::Remote { remote, path } => {
                let s = (self.opener)(remote)?;
                let root = s.path(path)?;
                Ok(Side::Remote(Box::new(s), root))
            }
        }
    }

    /// Runs a task. `parent` links a retry to the run it retries. Events go
    /// to `events`; `cancel` stops the run within about a second.
    pub async fn run(
        &self,
        spec: &TaskSpec,
        parent: Option<i64>,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<RunReport> {
        self.run_linked(spec, parent, None, events, cancel).await
    }

    /// Runs a named transfer task, its run linked to it in the log. The
    /// `_held` lock is the proof that no other process runs it now: taking
    /// it is the caller's part, because the caller decides whether a busy
    /// task is an error (by hand) or a skip (a schedule).
    pub async fn run_task(
        &self,
        task: &crate::tasks::Task,
        _held: &crate::tasks::TaskLock,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<RunReport> {
        let spec = task.job.spec().ok_or_else(|| {
            EngineError::Task(crate::tasks::TaskError::Unsupported(format!(
                "task {:?} is a {} task; this runner runs copy, sync and move tasks",
                task.name,
                task.job.kind()
            )))
        })?;
        self.run_linked(&spec, None, Some(task.id), events, cancel).await
    }

    async fn run_linked(
        &self,
        spec: &TaskSpec,
        parent: Option<i64>,
        named: Option<crate::tasks::TaskId>,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<RunReport> {
        let started = Instant::now();
        prune_stash(&self.stash_root);
        let src = self.resolve(&spec.source)?;
        let dst = self.resolve(&spec.destination)?;
        if src.is_local() && dst.is_local() {
            return Err(EngineError::Invalid("both sides are local; one of them must be REMOTE:PATH".into()));
        }
        let opts = &spec.options;
        let mut filter = Filter::new(&opts.filters).map_err(|e| EngineError::Invalid(e.to_string()))?;
        if let Some(keys) = &opts.only {
            filter = filter.only(keys);
        }
        let dry = opts.dry_run;
        let run = if dry { 0 } else { self.db.start_run(&NewRun::transfer(spec)?.parent(parent).task(named))? };
        events(TaskEvent::Started {
            run,
            kind: spec.kind.as_str().into(),
            source: spec.source.to_string(),
            destination: spec.destination.to_string(),
        });
        let writer = Writer::start(self.db.clone());
        let result = self.run_inner(spec, run, &src, &dst, &filter, &writer, events.clone(), cancel).await;
        let flushed = writer.finish();
        let Applied { outcome, counters, plan, refusal, stopped } = match result {
            Ok(r) => r,
            Err(e) => {
                if run != 0 {
                    // The counters of what was recorded before the failure.
                    let _ = self.db.finish_run(run, Outcome::Failed, RunResult::CountedFromRows);
                }
                return Err(e);
            }
        };
        flushed?;
        if run != 0 {
            self.db.finish_run(run, outcome, RunResult::Counters(counters.clone()))?;
        }
        let duration = started.elapsed();
        events(TaskEvent::Finished {
            run,
            outcome: outcome.as_str().into(),
            duration_ms: duration.as_millis() as u64,
            counters: counters.clone(),
        });
        Ok(RunReport { run, outcome, counters, plan, refusal, stopped, duration })
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_inner(
        &self,
        spec: &TaskSpec,
        run: i64,
        src: &Side,
        dst: &Side,
        filter: &Filter,
        writer: &Writer,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<Applied> {
        let opts = &spec.options;
        let kind = spec.kind;
        // Never write into (or move out of) an encrypted backup: refused
        // before anything is listed or written.
        let problems = backup_problems(kind, src, dst).await?;
        if !problems.is_empty() {
            let w = writer.handle();
            for p in &problems {
                events(TaskEvent::Problem { kind: p.kind.into(), path: p.path.clone(), message: p.message.clone() });
                if run != 0 {
                    w.send(DbOp::Event(FileEvent {
                        run,
                        path: p.path.clone(),
                        key: String::new(),
                        action: "preflight".into(),
                        result: "failed".into(),
                        error: Some(p.message.clone()),
                        ..Default::default()
                    }));
                }
            }
            let refusal = plan::refusal(&problems);
            let plan = Plan { problems, source_exists: true, ..Plan::default() };
            return Ok(Applied::ended(Outcome::Refused, Counters::default(), plan, Some(refusal)));
        }
        // List both sides and plan, folder by folder.
        let listed = self.list_and_plan(spec, src, dst, filter, writer, &cancel).await?;
        let mut plan = listed.plan;
        let cache = listed.cache;
        let local_root = [src, dst].into_iter().find_map(|s| match s {
            Side::Local(p) => Some(p.clone()),
            _ => None,
        });
        plan.problems = plan::preflight(&listed.collisions, &listed.refused, !dst.is_local());
        plan.notes =
            listed.mapped.iter().map(|(u, r)| format!("{u:?} is stored as {r:?} (look-alike characters)")).collect();
        // Source entries left out come first, then names the destination refused.
        let mut skipped = listed.skipped;
        skipped.append(&mut plan.skipped);
        plan.skipped = skipped;
        // Bytes that will land on the destination account (a server-side copy
        // within one account is not checked: the service deduplicates it).
        let new_bytes_on_dst = match (&src, &dst) {
            (Side::Local(_), Side::Remote(..)) => true,
            (Side::Remote(a, _), Side::Remote(b, _)) => !same_account(a, b),
            _ => false,
        };
        if let Side::Remote(session, _) = dst
            && plan.totals.bytes > 0
            && new_bytes_on_dst
            && let Ok(drive) = session.client.drive_info().await
            && let Some(cap) = drive.capacity
        {
            let free = cap.saturating_sub(drive.usage);
            plan.quota = Some((plan.totals.bytes, Some(free)));
            if plan.totals.bytes > free {
                plan.problems.push(plan::quota_problem(plan.totals.bytes, free));
            }
        }
        events(TaskEvent::Planned { run, totals: plan.totals.clone() });
        let mut counters = Counters::default();
        let w = writer.handle();
        let rec = |w: &WriterHandle, key: &str, action: &str, result: &str, error: Option<String>, target: String| {
            if run != 0 {
                w.send(DbOp::Event(FileEvent {
                    run,
                    path: user_path(key),
                    key: key.to_string(),
                    action: action.into(),
                    result: result.into(),
                    error,
                    target,
                    ..Default::default()
                }));
            }
        };
        for s in &plan.skipped {
            counters.skipped += 1;
            rec(&w, &s.key, "skip", "skipped", Some(s.reason.clone()), src.describe(&s.key));
            events(TaskEvent::FileFailed {
                path: user_path(&s.key),
                action: "skip".into(),
                error: s.reason.clone(),
                skipped: true,
            });
        }
        if opts.dry_run {
            for s in plan.steps.iter() {
                events(TaskEvent::PlannedFile {
                    action: s.action.as_str().into(),
                    path: user_path(&s.key),
                    bytes: s.src.as_ref().map_or(0, |f| f.size),
                });
            }
        }
        for p in &plan.problems {
            events(TaskEvent::Problem { kind: p.kind.into(), path: p.path.clone(), message: p.message.clone() });
        }
        if !plan.problems.is_empty() {
            for p in &plan.problems {
                rec(&w, &p.path, "preflight", "failed", Some(p.message.clone()), String::new());
            }
            let refusal = plan::refusal(&plan.problems);
            return Ok(Applied::ended(Outcome::Refused, counters, plan, Some(refusal)));
        }
        if let Err(refusal) = guard::check(kind, &plan, opts) {
            return Ok(Applied::ended(Outcome::Refused, counters, plan, Some(refusal)));
        }
        if kind == TaskKind::Check {
            for d in &plan.differences {
                match d.kind {
                    "missing-on-dst" => counters.missing_on_dst += 1,
                    "extra-on-dst" => counters.extra_on_dst += 1,
                    _ => counters.different += 1,
                }
                rec(&w, &d.key, d.kind, "failed", Some(d.kind.to_string()), dst.describe(&d.key));
                events(TaskEvent::Difference { kind: d.kind.into(), path: user_path(&d.key) });
            }
            counters.unchanged = plan.totals.unchanged;
            let outcome = if plan.differences.is_empty() { Outcome::Ok } else { Outcome::Differences };
            return Ok(Applied::ended(outcome, counters, plan, None));
        }
        counters.unchanged = plan.totals.unchanged;
        if opts.dry_run {
            return Ok(Applied::ended(Outcome::DryRun, counters, plan, None));
        }
        // Uploads look MD5s up; downloads record the verified MD5 of what they wrote.
        let uploads_from_local = local_root.is_some() && plan.totals.files > 0;
        let cache = match cache {
            Some(c) => c,
            None if uploads_from_local => load_cache(&self.db, local_root.as_deref(), writer.handle())?,
            None => Arc::new(HashCache::new(HashMap::new(), None)),
        };
        let exec = Arc::new(Exec {
            run,
            kind,
            src: src.clone(),
            dst: dst.clone(),
            hard_delete: opts.hard_delete,
            no_versions: opts.no_versions,
            versions_dropped: Mutex::default(),
            attempts: opts.attempts.max(1),
            cache,
            writer: w.clone(),
            events: events.clone(),
            // Its own token: a full disk or storage stops the workers without
            // the run counting as cancelled by the user.
            cancel: cancel.child_token(),
            stopped: Mutex::new(None),
            db: self.db.clone(),
            throttle: opts.bwlimit.map(|b| Arc::new(Throttle::new(b))),
            bytes_done: Arc::new(AtomicU64::new(0)),
            files_done: Arc::new(AtomicU64::new(0)),
            counters: Mutex::new(counters),
            stash_dir: self.stash_root.join(format!("run-{run}")),
        });
        let ticker = spawn_progress(exec.clone(), plan.totals.bytes, plan.totals.files);
        let transfers = spec.options.transfers.max(1);
        // The steps are read group by group (from disk, for a large plan).
        exec.run_all(plan.steps.group(Group::Mkdirs), transfers).await;
        exec.run_all(plan.steps.group(Group::Transfers), transfers).await;
        let failed_so_far = lock(&exec.counters).failed;
        let deletes = plan.steps.group_len(Group::Deletes) + plan.steps.group_len(Group::Rmdirs);
        if exec.cancel.is_cancelled() {
            // Cancelled, or stopped by a full disk or storage: nothing more
            // is started, and the deletes are left for the next run to plan.
        } else if failed_so_far > 0 && deletes > 0 {
            // Never delete on the destination while some source files did not arrive.
            for s in plan.steps.group(Group::Deletes).chain(plan.steps.group(Group::Rmdirs)) {
                exec.skip(&s, "not deleted because other files failed; re-run (or retry) first");
            }
        } else {
            exec.run_all(plan.steps.group(Group::Deletes), transfers).await;
            for d in plan.steps.group(Group::Rmdirs) {
                exec.run_one(&d).await;
            }
        }
        ticker.abort();
        if let Some(root) = &local_root
            && !cancel.is_cancelled()
        {
            // Temp files a killed run left here and this run did not resume.
            match transfer::temp::sweep(&self.db, &SafeRoot::new(root)) {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} temporary file(s) left by an interrupted download"),
                Err(e) => tracing::warn!("cleaning up temporary files: {e}"),
            }
        }
        exec.emit_progress(plan.totals.bytes, plan.totals.files, 0);
        let counters = lock(&exec.counters).clone();
        let outcome = outcome_of(&cancel, &counters);
        let stopped = lock(&exec.stopped).take();
        Ok(Applied { outcome, counters, plan, refusal: None, stopped })
    }
}

/// The problems of a task that would write into an encrypted backup (its
/// destination is one, or inside one) or delete from one (the source of a
/// move). `check` writes nothing and is let through.
async fn backup_problems(kind: TaskKind, src: &Side, dst: &Side) -> Result<Vec<Problem>> {
    let mut sides = Vec::new();
    match kind {
        TaskKind::Check => {}
        TaskKind::Copy | TaskKind::Sync => sides.push((BackupSide::Destination, dst)),
        TaskKind::Move => sides.extend([(BackupSide::Destination, dst), (BackupSide::MoveSource, src)]),
    }
    let mut out = Vec::new();
    for (which, side) in sides {
        let found = match side {
            Side::Local(path) => {
                detect::local_enclosing(path).map(|repo| (path.display().to_string(), repo.display().to_string()))
            }
            Side::Remote(session, root) => detect::remote_enclosing(&session.client, root)
                .await?
                .map(|repo| (remote_user_path(root), remote_user_path(&repo))),
        };
        if let Some((path, repo)) = found {
            out.push(plan::inside_backup(which, &path, &repo));
        }
    }
    Ok(out)
}

/// A remote folder as the user names it: the path below the mountpoint.
fn remote_user_path(p: &RemotePath) -> String {
    let path = user_path(&p.segments().join("/"));
    if path.is_empty() { p.to_string() } else { path }
}

/// What [`Runner::run_inner`] yields.
struct Applied {
    outcome: Outcome,
    counters: Counters,
    plan: Plan,
    refusal: Option<Refusal>,
    stopped: Option<Stopped>,
}

impl Applied {
    /// A run that ended before applying anything (refused, checked, dry run).
    fn ended(outcome: Outcome, counters: Counters, plan: Plan, refusal: Option<Refusal>) -> Applied {
        Applied { outcome, counters, plan, refusal, stopped: None }
    }
}

/// How an applied run ended: cancelled wins, then any failed file.
pub(crate) fn outcome_of(cancel: &CancellationToken, counters: &Counters) -> Outcome {
    if cancel.is_cancelled() {
        Outcome::Cancelled
    } else if counters.failed > 0 {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
}

/// How many walked folders may wait for the remote listing: the walk runs
/// ahead while the remote side is listed, bounded so that it holds a few
/// folders, not the tree.
const WALK_AHEAD: usize = 16;

/// What listing and planning yield.
struct Listed {
    plan: Plan,
    refused: Vec<(String, String)>,
    mapped: Vec<(String, String)>,
    collisions: Vec<(String, String)>,
    skipped: Vec<Skipped>,
    /// The hash cache, when planning needed local MD5s.
    cache: Option<Arc<HashCache>>,
}

impl Runner {
    /// Lists both sides and plans. The remote side is listed into a compact
    /// [`Listing`]; the local side is walked at the same time and handed to
    /// the planner one folder at a time, paired with the remote folder of the
    /// same key, which leaves the listing as it is planned: memory follows
    /// the largest folder and the changes, not the local tree.
    async fn list_and_plan(
        &self,
        spec: &TaskSpec,
        src: &Side,
        dst: &Side,
        filter: &Filter,
        writer: &Writer,
        cancel: &CancellationToken,
    ) -> Result<Listed> {
        let (kind, opts) = (spec.kind, &spec.options);
        let mut planner = Planner::new(kind, opts.checksum);
        if let Side::Local(root) = dst {
            // Remote names that cannot be local names here, and paths through a
            // symbolic link or a mount point, are skipped, not written.
            let safe = SafeRoot::new(root);
            planner = planner.refusing(Box::new(move |key| match local::local_path(safe.root(), key) {
                Err(e) => Some(e.to_string()),
                Ok(path) => safe.check(&path).err().map(|e| e.to_string()),
            }));
        }
        let (local, remote, local_is_src) = match (src, dst) {
            (Side::Local(root), Side::Remote(s, r)) => (root.clone(), (s, r), true),
            (Side::Remote(s, r), Side::Local(root)) => (root.clone(), (s, r), false),
            (Side::Remote(a, ra), Side::Remote(b, rb)) => {
                let (x, y) = tokio::try_join!(
                    crate::remote::list(&a.client, ra, filter),
                    crate::remote::list(&b.client, rb, filter)
                )?;
                let plan = plan::compare(kind, x, y, opts.checksum, &[]).map_err(listing_error)?;
                return Ok(Listed {
                    plan,
                    refused: vec![],
                    mapped: vec![],
                    collisions: vec![],
                    skipped: vec![],
                    cache: None,
                });
            }
            (Side::Local(_), Side::Local(_)) => return Err(EngineError::Invalid("both sides are local".into())),
        };
        let (tx, rx) = std::sync::mpsc::sync_channel::<Folder>(WALK_AHEAD);
        // Our own recorded temp files are left out of the walk (and only those).
        let temps = transfer::temp::recorded_under(&self.db, &local)?;
        let walker = {
            let (root, filter, follow) = (local.clone(), filter.clone(), opts.follow_symlinks);
            tokio::task::spawn_blocking(move || local::walk(&root, &filter, follow, &temps, |f| tx.send(f).is_ok()))
        };
        let listing = match crate::remote::list(&remote.0.client, remote.1, filter).await {
            Ok(l) => l,
            Err(e) => {
                drop(rx);
                let _ = walker.await;
                return Err(e.into());
            }
        };
        let remote_exists = listing.exists;
        let mut filler = Md5Filler {
            db: self.db.clone(),
            root: local,
            writer: writer.handle(),
            cache: None,
            checkers: opts.checkers.max(1),
            cancel: cancel.clone(),
        };
        let md5_checksum = opts.checksum || kind == TaskKind::Check;
        let planned = tokio::task::spawn_blocking(move || -> Result<(Planner, Option<Arc<HashCache>>)> {
            let (mut planner, mut listing) = (planner, listing);
            for mut folder in rx {
                let other = listing.take(&fold_case(&folder.key)).map_err(listing_error)?;
                let need = plan::needs_md5(&folder, other.as_ref(), md5_checksum);
                if !need.is_empty() {
                    filler.fill(&mut folder, &need)?;
                }
                if local_is_src {
                    planner.folder(Some(&folder), other.as_ref());
                } else {
                    planner.folder(other.as_ref(), Some(&folder));
                }
            }
            // Remote folders the local side does not have.
            for key in listing.keys() {
                let Some(folder) = listing.take(&key).map_err(listing_error)? else { continue };
                if local_is_src {
                    planner.folder(None, Some(&folder));
                } else {
                    planner.folder(Some(&folder), None);
                }
            }
            Ok((planner, filler.cache))
        })
        .await
        .map_err(|e| EngineError::Invalid(format!("planning failed: {e}")))?;
        let walk = walker.await.map_err(|e| EngineError::Invalid(format!("local walk failed: {e}")))?;
        let (planner, cache) = planned?;
        let (source_exists, protected) =
            if local_is_src { (walk.exists, walk.ignored_prefixes) } else { (remote_exists, vec![]) };
        let plan = planner.finish(&protected, source_exists);
        // `check` does not hide the temp files a killed download left.
        let temps = walk.temps.iter().filter(|_| kind == TaskKind::Check).map(|key| Skipped {
            key: key.clone(),
            reason: "temporary file of an unfinished download; the next sync or copy into this folder resumes or \
                     removes it"
                .into(),
        });
        let temps: Vec<Skipped> = temps.collect();
        if !local_is_src {
            return Ok(Listed { plan, refused: vec![], mapped: vec![], collisions: vec![], skipped: temps, cache });
        }
        let mut skipped = walk.skipped;
        skipped.extend(temps);
        Ok(Listed { plan, refused: walk.refused, mapped: walk.mapped, collisions: walk.collisions, skipped, cache })
    }
}

fn listing_error(source: std::io::Error) -> EngineError {
    EngineError::Io { context: "reading the remote listing back from its temporary file".into(), source }
}

/// How long local files a run deleted or overwrote are kept for undo.
const STASH_DAYS: u64 = 30;

/// Drops stashes older than [`STASH_DAYS`], so the stash does not grow forever.
fn prune_stash(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    let limit = Duration::from_secs(STASH_DAYS * 86400);
    for e in entries.flatten() {
        let old = e.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
        if old.is_some_and(|age| age > limit) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
