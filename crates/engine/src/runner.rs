//! Running a task: open a run row, list both sides, plan, preflight, guard,
//! apply with N parallel transfers, record every file in batched
//! transactions, finish. Cancellation stops new work at once and aborts the
//! transfers in flight; cancelled downloads leave no partial files (a killed
//! one is resumed or removed by the next run), interrupted uploads are
//! invisible on the service until complete, and nothing local is written,
//! renamed or deleted through a symbolic link or a mount point.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fjordsync_jottacloud::names::fold_case;
use fjordsync_jottacloud::{CpHash, RemotePath, Timestamp};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::error::{EngineError, Result};
use crate::events::{Counters, EventSink, TaskEvent};
use crate::filter::Filter;
use crate::guard::{self, Refusal};
use crate::local::{self, HashCache, SafeRoot};
use crate::lock::{into_inner, lock};
use crate::plan::{self, Action, Group, Plan, Planner, Step};
use crate::session::{Session, same_account};
use crate::state::{DbOp, FileEvent, NewRun, Outcome, RunResult, StateDb, Writer, WriterHandle};
use crate::task::{Location, TaskKind, TaskSpec};
use crate::transfer::{self, Stopped, Throttle, TransferError};
use crate::tree::{FileItem, Folder, Skipped, parse_md5, user_path};

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
    fn is_local(&self) -> bool {
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

    fn describe(&self, key: &str) -> String {
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

/// The hash cache for the local root, with new hashes written back through `writer`.
fn load_cache(db: &StateDb, root: Option<&Path>, writer: WriterHandle) -> Result<Arc<HashCache>> {
    Ok(match root {
        Some(root) => Arc::new(HashCache::new(db.hashes_under(&format!("{}", root.display()))?, Some(writer))),
        None => Arc::new(HashCache::new(HashMap::new(), None)),
    })
}

/// Fills in local MD5s the comparison needs, through the hash cache (loaded
/// on first need, so a no-op re-sync by size and time never reads it),
/// `checkers` files at a time.
struct Md5Filler {
    db: Arc<StateDb>,
    root: PathBuf,
    writer: WriterHandle,
    cache: Option<Arc<HashCache>>,
    checkers: usize,
    cancel: CancellationToken,
}

impl Md5Filler {
    fn fill(&mut self, folder: &mut Folder, need: &[usize]) -> Result<()> {
        let cache = match &self.cache {
            Some(c) => c.clone(),
            None => self.cache.insert(load_cache(&self.db, Some(&self.root), self.writer.clone())?).clone(),
        };
        let jobs: Vec<(usize, PathBuf, FileItem)> = need
            .iter()
            .filter_map(|&i| {
                let e = &folder.files[i];
                let path = local::local_path(&self.root, &folder.file_key(&e.name)).ok()?;
                Some((i, path, e.item()))
            })
            .collect();
        let next = AtomicUsize::new(0);
        let found: Mutex<Vec<(usize, Option<String>)>> = Mutex::new(Vec::with_capacity(jobs.len()));
        std::thread::scope(|scope| {
            for _ in 0..self.checkers.min(jobs.len()) {
                scope.spawn(|| {
                    loop {
                        let j = next.fetch_add(1, Ordering::Relaxed);
                        let Some((i, path, item)) = jobs.get(j) else { break };
                        if self.cancel.is_cancelled() {
                            break;
                        }
                        let md5 = cache.md5(path, item).ok();
                        lock(&found).push((*i, md5));
                    }
                });
            }
        });
        for (i, md5) in into_inner(found) {
            folder.files[i].md5 = md5.as_deref().and_then(parse_md5);
        }
        Ok(())
    }
}

fn spawn_progress(exec: Arc<Exec>, bytes_total: u64, files_total: u64) -> tokio::task::JoinHandle<()> {
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
struct Exec {
    run: i64,
    kind: TaskKind,
    src: Side,
    dst: Side,
    hard_delete: bool,
    /// `TaskOptions::no_versions`.
    no_versions: bool,
    /// Keys whose earlier version this run deleted (no-versions): deleted
    /// once per file whatever the retries, and named in a later failure.
    versions_dropped: Mutex<HashSet<String>>,
    attempts: u32,
    cache: Arc<HashCache>,
    writer: WriterHandle,
    events: EventSink,
    /// Stops the workers: the user's cancel, or a failure that ends the run.
    cancel: CancellationToken,
    /// The failure that ended the run (full disk or storage), once met.
    stopped: Mutex<Option<Stopped>>,
    db: Arc<StateDb>,
    throttle: Option<Arc<Throttle>>,
    bytes_done: Arc<AtomicU64>,
    files_done: Arc<AtomicU64>,
    counters: Mutex<Counters>,
    stash_dir: PathBuf,
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
    fn emit_progress(&self, bytes_total: u64, files_total: u64, rate: u64) {
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

    async fn run_all(self: &Arc<Self>, steps: impl Iterator<Item = Step>, n: usize) {
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

    fn skip(&self, step: &Step, reason: &str) {
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
        }));
    }

    async fn run_one(self: &Arc<Self>, step: &Step) {
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

    /// Moves a local file into the run's stash (rename; copy when the stash is
    /// on another disk).
    fn stash(&self, path: &Path, key: &str) -> std::io::Result<PathBuf> {
        let target = local::local_path(&self.stash_dir, key).map_err(std::io::Error::other)?;
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)?;
        }
        if std::fs::rename(path, &target).is_err() {
            std::fs::copy(path, &target)?;
            std::fs::remove_file(path)?;
        }
        Ok(target)
    }

    /// Keeps a copy of a local file about to be replaced (hard link, or copy).
    fn stash_copy(stash_dir: &Path, path: &Path, key: &str) -> std::io::Result<PathBuf> {
        let target = local::local_path(stash_dir, key).map_err(std::io::Error::other)?;
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p)?;
        }
        let _ = std::fs::remove_file(&target);
        if std::fs::hard_link(path, &target).is_err() {
            std::fs::copy(path, &target)?;
        }
        Ok(target)
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
                    let stash = self.stash(&path, &step.key)?;
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
                            let p = Exec::stash_copy(&stash_dir, &local_for_stash, &key)?;
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
