//! Tasks: saved copy / sync / move / backup tasks, their plan preview (a
//! dry run), runs with live progress, cancel, the run log with per-file
//! rows, undo and "retry failed only".
//!
//! The tasks are the engine's named tasks (`StateDb::tasks()`, the same
//! list `fjordsync task` shows); [`convert`] turns them into the form the
//! UI edits and back. A task's runs are linked to it by id
//! (`runs.named_task`), whichever program started them. One run at a time
//! per task, across processes: [`busy`]. The schedule loop is the engine's
//! ([`scheduling`]). An app that kept its tasks in `tasks.json` moves them
//! into the engine once ([`migrate`]).

mod bisync;
#[cfg(test)]
mod bisync_tests;
mod busy;
mod conflicts;
pub(crate) mod convert;
mod kept_aside;
mod migrate;
mod scheduling;
mod watching;

#[cfg(test)]
mod doors;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use fjordsync_engine::events::{EventSink, TaskEvent};
// Engine messages name the CLI's flags; the app says what to do in its own words.
use fjordsync_engine::remedy::in_app_words;
use fjordsync_engine::state::{EventFilter, StateDb};
use fjordsync_engine::tasks::{Job, NewTask, Task};
use fjordsync_engine::{
    FilterOptions, Location, MaxDelete, RunReport, Runner, TaskKind, TaskOptions, TaskSpec, session,
};
use jiff::tz::TimeZone;
use tokio_util::sync::CancellationToken;

use super::Api;
use super::dto::{
    AppEvent, FileRowDto, OverviewTaskDto, PREVIEW_STEPS, PreviewDto, ProblemDto, RefusalDto, RunDto, StepDto,
    StorageDto, TaskDto, TaskProgressDto,
};
use super::settings::{SettingsDto, now_ms};
use crate::error::{AppError, AppResult};
pub(crate) use busy::Hold;
use convert::{dto_of, job_of, task_err, task_id};
pub use scheduling::AppShell;

/// Where live progress goes (a Tauri channel, or the bridge's WebSocket).
pub type ProgressSink = Arc<dyn Fn(TaskProgressDto) + Send + Sync>;

/// How many runs the log reads at most.
const RUNS_LIMIT: usize = 500;
/// How many of a task's runs the overview reads (enough to find its last success).
const OVERVIEW_RUNS: usize = 100;
/// Files in flight shown with the progress.
const CURRENT_SHOWN: usize = 8;
/// Outcomes that count as "not safe".
pub const BAD_OUTCOMES: &[&str] = &["failed", "refused", "crashed", "interrupted"];

/// The state database and the tasks busy in this process.
#[derive(Default)]
pub(crate) struct Tasks {
    db: OnceLock<Arc<StateDb>>,
    /// Serialises the first open (and the one-time move of `tasks.json`).
    opening: Mutex<()>,
    /// What keeps each task busy in this process now (see [`busy`]).
    running: Mutex<HashMap<String, busy::Busy>>,
    /// What each continuous task's watcher is doing (see [`watching`]).
    watches: Mutex<HashMap<String, crate::dto::WatchDto>>,
    /// Wakes the scheduler when tasks change, so watchers start and stop at once.
    pub(crate) poke: Arc<tokio::sync::Notify>,
    /// This process runs a scheduler ([`Api::run_this_scheduler`]) ...
    scheduler_started: std::sync::atomic::AtomicBool,
    /// ... and it has stopped (with everything it kept).
    scheduler_ended: CancellationToken,
}

pub(crate) fn state_err(e: fjordsync_engine::state::StateError) -> AppError {
    AppError::new("state", e.to_string())
}

fn join_err(e: tokio::task::JoinError) -> AppError {
    AppError::new("internal", e.to_string())
}

/// The settings that shape every run: parallel transfers and the bandwidth limit.
pub(crate) fn apply_settings(options: &mut TaskOptions, s: &SettingsDto) {
    options.transfers = s.transfers.clamp(1, 16) as usize;
    options.bwlimit = (s.bandwidth_kib > 0).then(|| s.bandwidth_kib * 1024);
}

/// The storages a job reads or writes (the runner opens their sessions).
fn storages_of(job: &Job) -> Vec<String> {
    let locations: Vec<&Location> = match job {
        Job::Copy(t) | Job::Sync(t) | Job::Move(t) => vec![&t.source, &t.destination],
        Job::Backup(b) => vec![&b.repository],
        Job::Bisync(b) => return vec![b.remote.clone()],
        Job::Mount(m) => return vec![m.remote.clone()],
    };
    locations
        .into_iter()
        .filter_map(|l| match l {
            Location::Remote { remote, .. } => Some(remote.clone()),
            Location::Local { .. } => None,
        })
        .collect()
}

/// An undo or a retry: it answers an earlier run, so it is shown as what it
/// is and is never a task's "last run" or "last success".
pub(crate) fn is_follow_up(r: &RunDto) -> bool {
    r.kind == "undo" || r.parent.is_some()
}

/// What the overview says about a task's runs (newest first): when its last
/// success ended, and the failed and the refused runs since (a refusal did
/// nothing, so it is not counted as a failed run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Safety {
    pub last_success_ms: Option<i64>,
    pub failures: u32,
    pub refusals: u32,
}

pub(crate) fn safety(runs: &[RunDto]) -> Safety {
    let mut s = Safety::default();
    for r in runs.iter().filter(|r| !is_follow_up(r)) {
        match r.outcome.as_str() {
            "ok" => {
                s.last_success_ms = Some(r.ended_ms.unwrap_or(r.started_ms));
                return s;
            }
            "refused" => s.refusals += 1,
            o if BAD_OUTCOMES.contains(&o) => s.failures += 1,
            _ => {}
        }
    }
    s
}

/// The `storages` and every other storage on the same account (the same
/// user name with the same service): a run changes the space they all show.
pub(crate) fn same_account(all: &[StorageDto], storages: &[String]) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = storages.iter().cloned().collect();
    for s in storages {
        let Some(me) = all.iter().find(|d| &d.name == s) else { continue };
        if me.username.is_none() {
            continue;
        }
        names.extend(
            all.iter().filter(|d| d.service == me.service && d.username == me.username).map(|d| d.name.clone()),
        );
    }
    names
}

/// Checks a task from the UI and makes its engine spec.
pub(crate) fn spec_of(t: &TaskDto, dry_run: bool) -> AppResult<TaskSpec> {
    if t.kind == "backup" {
        return super::backup::spec_of(t);
    }
    let kind = match t.kind.as_str() {
        "copy" => TaskKind::Copy,
        "sync" => TaskKind::Sync,
        "move" => TaskKind::Move,
        other => return Err(AppError::invalid(format!("unknown task kind {other:?}"))),
    };
    let local = PathBuf::from(t.local.trim());
    if !local.is_absolute() {
        return Err(AppError::invalid("the local folder must be a full path"));
    }
    if t.storage.trim().is_empty() {
        return Err(AppError::invalid("choose a storage"));
    }
    let local = Location::Local { path: local };
    let remote = Location::Remote { remote: t.storage.clone(), path: t.remote.trim().trim_matches('/').to_string() };
    let (source, destination) = match t.direction.as_str() {
        "upload" => (local, remote),
        "download" => (remote, local),
        other => return Err(AppError::invalid(format!("unknown direction {other:?}"))),
    };
    Ok(TaskSpec {
        kind,
        source,
        destination,
        options: TaskOptions { dry_run, filters: filters_of(t), no_versions: t.no_versions, ..Default::default() },
    })
}

/// The task's include and exclude globs as the engine's filters (a backup
/// task adds its size and age limits). Sync and backup tasks share these
/// fields, so both read them here.
pub(crate) fn filters_of(t: &TaskDto) -> FilterOptions {
    FilterOptions { include: clean_patterns(&t.include), exclude: clean_patterns(&t.exclude), ..Default::default() }
}

/// Filter patterns as typed: trimmed, blank lines dropped.
fn clean_patterns(v: &[String]) -> Vec<String> {
    v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// A recorded run as the UI shows it, with a backup run's warning.
fn run_dto(db: &StateDb, rec: &fjordsync_engine::state::RunRecord) -> RunDto {
    RunDto { warning: super::backup::warning_of(db, rec), ..RunDto::from(rec) }
}

/// The refusal with the numbers the warning shows, and whether lifting the
/// delete guard's limit would let the run go ahead.
fn refusal_of(r: &RunReport) -> Option<RefusalDto> {
    let f = r.refusal.as_ref()?;
    let deletes = r.plan.totals.deletes;
    Some(RefusalDto {
        message: in_app_words(&f.message),
        hint: in_app_words(&f.hint),
        deletes,
        destination_files: r.plan.destination_files,
        overridable: r.plan.problems.is_empty() && r.plan.source_exists && deletes > 0,
    })
}

fn preview_of(r: &RunReport) -> PreviewDto {
    let t = &r.plan.totals;
    // Reads only the steps it shows: a big plan's steps may be on disk.
    let (shown, more) = r.plan.steps.preview(PREVIEW_STEPS);
    let steps: Vec<StepDto> = shown
        .into_iter()
        .map(|s| StepDto {
            action: s.action.as_str().to_string(),
            path: fjordsync_engine::tree::user_path(&s.key),
            bytes: s.src.as_ref().map_or(0, |f| f.size),
        })
        .collect();
    let more = more as u64;
    PreviewDto {
        totals: t.clone(),
        quota_bytes: r.plan.quota.map(|q| q.0),
        quota_free: r.plan.quota.and_then(|q| q.1),
        problems: r
            .plan
            .problems
            .iter()
            .map(|p| ProblemDto { kind: p.kind.to_string(), path: p.path.clone(), message: in_app_words(&p.message) })
            .collect(),
        refusal: refusal_of(r),
        steps,
        more_steps: more,
        notes: r.plan.notes.clone(),
    }
}

/// Turns the engine's per-file stream into coalesced progress: files in
/// flight are tracked here and sent with each (throttled) progress tick.
fn coalescing_sink(out: ProgressSink) -> EventSink {
    let current: Mutex<(Vec<String>, u64)> = Mutex::new((Vec::new(), 0));
    Arc::new(move |e: TaskEvent| match e {
        TaskEvent::Started { run, .. } => out(TaskProgressDto::Started { run }),
        TaskEvent::FileStarted { path, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            c.0.push(path);
        }
        TaskEvent::FileFinished { path, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = c.0.iter().position(|p| *p == path) {
                c.0.remove(i);
            }
        }
        TaskEvent::FileFailed { path, skipped, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = c.0.iter().position(|p| *p == path) {
                c.0.remove(i);
            }
            if !skipped {
                c.1 += 1;
            }
        }
        TaskEvent::Progress { bytes_done, bytes_total, files_done, files_total, rate, eta } => {
            let (current, failed) = {
                let c = current.lock().unwrap_or_else(|p| p.into_inner());
                (c.0.iter().take(CURRENT_SHOWN).cloned().collect(), c.1)
            };
            out(TaskProgressDto::Progress {
                bytes_done,
                bytes_total,
                files_done,
                files_total,
                rate,
                eta,
                current,
                failed,
            })
        }
        TaskEvent::Finished { run, outcome, duration_ms, counters } => {
            out(TaskProgressDto::Finished { run, outcome, duration_ms, counters: (&counters).into() })
        }
        _ => {}
    })
}

impl Api {
    /// The state database; the first call moves an old `tasks.json` into it.
    pub(crate) fn state_db(&self) -> AppResult<Arc<StateDb>> {
        if let Some(db) = self.tasks.db.get() {
            return Ok(db.clone());
        }
        let _first = self.tasks.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(db) = self.tasks.db.get() {
            return Ok(db.clone());
        }
        let path = fjordsync_engine::state::default_path(self.config().path());
        let db = Arc::new(StateDb::open(&path).map_err(state_err)?);
        // Not kept until the move worked: every call says what went wrong.
        migrate::tasks_json(&db, self.data_dir(), self.secrets().as_ref())?;
        Ok(self.tasks.db.get_or_init(|| db).clone())
    }

    /// Runs `f` on the state database off the async runtime (SQLite may
    /// wait for another process's write).
    pub(crate) async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&StateDb) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let db = self.state_db()?;
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(join_err)?
    }

    /// A runner whose opener reuses the app's open sessions (the demo
    /// emulator must be running first, which `session` ensures).
    pub(crate) async fn runner(&self, storages: &[String]) -> AppResult<Runner> {
        let mut open = HashMap::new();
        for s in storages {
            open.insert(s.to_string(), self.session(s).await?);
        }
        let (config, secrets) = (self.config().clone(), self.secrets());
        let opener: fjordsync_engine::Opener = Arc::new(move |name: &str| match open.get(name) {
            Some(s) => Ok(s.clone()),
            None => session::open(&config, secrets.clone(), name),
        });
        Ok(Runner::new(self.state_db()?, opener))
    }

    /// The engine's task with the UI's id.
    pub(crate) async fn engine_task(&self, id: &str) -> AppResult<Task> {
        let key = task_id(id)?.to_string();
        self.with_db(move |db| db.tasks().get(&key).map_err(task_err)).await
    }

    /// A task as the UI shows it, with its last and next run.
    pub(crate) async fn task_by_id(&self, id: &str) -> AppResult<TaskDto> {
        let task = self.engine_task(id).await?;
        let mut dto = self.with_db(move |db| shown(db, &task, &TimeZone::system())).await?;
        dto.watch = self.watch_of(&dto.id);
        Ok(dto)
    }

    /// Saved tasks (the app's and those made with `fjordsync task add`), in
    /// the order they were made, with their last and next run.
    pub async fn list_tasks(&self) -> AppResult<Vec<TaskDto>> {
        self.with_db(|db| {
            let mut all = db.tasks().list().map_err(task_err)?;
            // Mounts have their own screen (`list_mounts`).
            all.retain(|t| !matches!(t.job, Job::Mount(_)));
            all.sort_by_key(|t| t.id);
            let tz = TimeZone::system();
            all.iter().map(|t| shown(db, t, &tz)).collect::<AppResult<Vec<_>>>()
        })
        .await
        .map(|all| {
            all.into_iter()
                .map(|mut dto| {
                    dto.watch = self.watch_of(&dto.id);
                    dto
                })
                .collect()
        })
    }

    /// Creates (empty id) or replaces a task; returns it with its id. A
    /// replaced task keeps what the form does not show (see [`convert`]).
    pub async fn save_task(&self, task: TaskDto) -> AppResult<TaskDto> {
        self.save_task_with(task, None).await
    }

    /// [`Api::save_task`] from the task form, which also checks the local
    /// folder an upload reads (`create_local` given): a missing one is
    /// refused with `local_missing` (a typo would otherwise show only as a
    /// refused run later), or made when `create_local` is true (the user
    /// chose "Create it"). A download makes its folder when it runs.
    pub async fn save_task_with(&self, task: TaskDto, create_local: Option<bool>) -> AppResult<TaskDto> {
        if create_local.is_some() && task.kind != "backup" && matches!(task.direction.as_str(), "upload" | "both") {
            local_folder(task.local.trim(), create_local == Some(true))?;
        }
        if task.name.trim().is_empty() {
            return Err(AppError::invalid("give the task a name"));
        }
        if let Some(s) = &task.schedule {
            s.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        }
        let name = task.name.trim().to_string();
        let saved = if task.id.is_empty() {
            let new = NewTask { name, job: job_of(&task, None)?, schedule: task.schedule.clone() };
            self.with_db(move |db| db.tasks().add(new).map_err(task_err)).await?
        } else {
            let mut stored = self.engine_task(&task.id).await?;
            stored.job = job_of(&task, Some(&stored.job))?;
            stored.name = name;
            // A new or changed schedule counts from now; an unchanged one keeps its start.
            if task.schedule != stored.schedule {
                stored.schedule_since_ms = task.schedule.as_ref().map(|_| now_ms());
                stored.schedule = task.schedule.clone();
            }
            self.with_db(move |db| db.tasks().update(&stored).map_err(task_err)).await?
        };
        self.poke_scheduler();
        self.with_db(move |db| shown(db, &saved, &TimeZone::system())).await
    }

    /// Forgets a task (its runs stay in the log).
    pub async fn delete_task(&self, id: String) -> AppResult<()> {
        let key = task_id(&id)?.to_string();
        self.with_db(move |db| db.tasks().remove(&key).map_err(task_err)).await?;
        self.poke_scheduler();
        self.forget_backup(&id);
        Ok(())
    }

    /// What the task would do now: a dry run (records nothing).
    pub async fn preview_task(&self, id: String) -> AppResult<PreviewDto> {
        let task = self.engine_task(&id).await?;
        if let Job::Bisync(spec) = &task.job {
            return self.preview_bisync(spec).await;
        }
        let Some(mut spec) = task.job.spec() else {
            return Err(AppError::invalid("a backup has no preview: run it"));
        };
        spec.options.dry_run = true;
        let runner = self.runner(&storages_of(&task.job)).await?;
        let report = runner.run(&spec, None, fjordsync_engine::events::discard(), CancellationToken::new()).await?;
        Ok(preview_of(&report))
    }

    /// Runs the task, streaming coalesced progress to `progress`; returns the
    /// recorded run. One run per task at a time. The settings' parallel
    /// transfers and bandwidth limit apply.
    pub async fn run_task(&self, id: String, progress: ProgressSink) -> AppResult<RunDto> {
        self.run_task_with(id, false, progress).await
    }

    /// [`Api::run_task`], optionally with the delete guard's limit lifted
    /// (`allow_deletes`: the user saw the refusal and chose "delete anyway").
    /// A missing source is still refused.
    pub async fn run_task_with(&self, id: String, allow_deletes: bool, progress: ProgressSink) -> AppResult<RunDto> {
        let task = self.engine_task(&id).await?;
        if matches!(task.job, Job::Mount(_)) {
            return Err(AppError::invalid("a mount is not run: mount or unmount it on the Mount screen"));
        }
        if matches!(task.job, Job::Backup(_)) {
            return self.run_backup(id, None, progress).await;
        }
        if let Job::Bisync(spec) = &task.job {
            return self.run_bisync(&task, spec, allow_deletes, progress).await;
        }
        let settings = self.get_settings().await?;
        let mut run = task.clone();
        if let Job::Copy(t) | Job::Sync(t) | Job::Move(t) = &mut run.job {
            if allow_deletes {
                t.options.max_delete = Some(MaxDelete::Percent(100.0));
            }
            apply_settings(&mut t.options, &settings);
            t.options.dry_run = false;
        }
        let hold = self.claim(&task)?;
        let result = async {
            let runner = self.runner(&storages_of(&task.job)).await?;
            let report = runner.run_task(&run, hold.lock(), coalescing_sink(progress), hold.cancel.clone()).await?;
            let mut dto = self.record_run(&task, report.run).await?;
            dto.refusal = refusal_of(&report);
            dto.stopped = report.stopped.as_ref().map(Into::into);
            Ok(dto)
        }
        .await;
        self.release(hold, &task, &result);
        result
    }

    /// Progress of a run nobody watches through a channel (scheduled runs,
    /// the bridge): `taskProgress` events on the broadcast.
    pub fn broadcast_progress(&self, task: &str) -> ProgressSink {
        let (events, task) = (self.event_sender(), task.to_string());
        Arc::new(move |progress| {
            let _ = events.send(AppEvent::TaskProgress { task: task.clone(), progress });
        })
    }

    /// Starts a run in the background (the scheduler, Sync all now).
    pub(crate) fn spawn_run(self: &Arc<Self>, id: String) {
        let (api, sink) = (self.clone(), self.broadcast_progress(&id));
        tokio::spawn(async move {
            if let Err(e) = api.run_task(id.clone(), sink).await {
                tracing::warn!("task {id}: {}", e.message);
            }
        });
    }

    /// Sync all now: starts every task that is not running (even when
    /// paused: the user asked). Returns how many started.
    pub async fn sync_all_now(self: &Arc<Self>) -> AppResult<u32> {
        let running = self.running_tasks().await?;
        let mut n = 0;
        for t in self.list_tasks().await? {
            if !running.contains(&t.id) {
                self.spawn_run(t.id);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Is my data safe? Per task: last success, failures since, last run.
    pub async fn overview(&self) -> AppResult<Vec<OverviewTaskDto>> {
        let tasks = self.list_tasks().await?;
        let running = self.running_tasks().await?;
        let ids: Vec<_> = tasks.iter().map(|t| task_id(&t.id)).collect::<AppResult<_>>()?;
        let runs = self
            .with_db(move |db| {
                ids.into_iter()
                    .map(|id| {
                        let runs = db.runs_of(OVERVIEW_RUNS, Some(id)).map_err(state_err)?;
                        Ok(runs.iter().map(RunDto::from).collect::<Vec<_>>())
                    })
                    .collect::<AppResult<Vec<_>>>()
            })
            .await?;
        Ok(tasks
            .into_iter()
            .zip(runs)
            .map(|(t, mine)| {
                let safety = safety(&mine);
                OverviewTaskDto {
                    running: running.contains(&t.id),
                    id: t.id,
                    name: t.name,
                    kind: t.kind,
                    storage: t.storage,
                    schedule: t.schedule,
                    next_run_ms: t.next_run_ms,
                    schedule_since_ms: t.schedule_since_ms,
                    last_success_ms: safety.last_success_ms,
                    last_run: mine.into_iter().find(|r| !is_follow_up(r)).or(t.last_run),
                    failures: safety.failures,
                    refusals: safety.refusals,
                    conflicts: t.conflicts,
                    kept_aside: t.kept_aside,
                    paused: t.paused,
                    watch: t.watch,
                }
            })
            .collect())
    }

    /// The task's run as the UI shows it, linked to the task (undo and
    /// retry runs are recorded without it); tells the UI the storage changed.
    pub(crate) async fn record_run(&self, task: &Task, run: i64) -> AppResult<RunDto> {
        let id = task.id;
        let dto = self
            .with_db(move |db| {
                db.tasks().link_run(run, id).map_err(task_err)?;
                let rec = db
                    .run(run)
                    .map_err(state_err)?
                    .ok_or_else(|| AppError::new("internal", format!("run {run} was not recorded")))?;
                Ok(run_dto(db, &rec))
            })
            .await?;
        // Every storage on the run's account shows the same quota: all of them refresh.
        let all = self.list_storages().await.unwrap_or_default();
        for storage in same_account(&all, &storages_of(&task.job)) {
            self.emit(AppEvent::StorageChanged { storage });
        }
        Ok(dto)
    }

    /// The task's runs (including its undos and retries), newest first,
    /// whichever program started them.
    pub async fn list_runs(&self, task: String) -> AppResult<Vec<RunDto>> {
        let id = self.engine_task(&task).await?.id;
        self.with_db(move |db| {
            let runs = db.runs_of(RUNS_LIMIT, Some(id)).map_err(state_err)?;
            Ok(runs.iter().map(|r| run_dto(db, r)).collect())
        })
        .await
    }

    /// A run's file rows, filtered by result (`completed`, `skipped`,
    /// `failed`) and by path text.
    pub async fn run_files(
        &self,
        run: i64,
        result: Option<String>,
        text: Option<String>,
    ) -> AppResult<Vec<FileRowDto>> {
        let filter =
            EventFilter { result: result.filter(|r| !r.is_empty()), grep: text.filter(|t| !t.trim().is_empty()) };
        let rows = self.with_db(move |db| db.events(run, &filter).map_err(state_err)).await?;
        Ok(rows
            .into_iter()
            .map(|e| FileRowDto {
                path: e.path,
                action: e.action,
                bytes: e.bytes,
                result: e.result,
                error: e.error.map(|m| in_app_words(&m)),
            })
            .collect())
    }

    /// Undoes a run of the task (puts back what it changed); a new run.
    /// Progress: started, then finished with the counters.
    pub async fn undo_run(&self, task: String, run: i64, progress: ProgressSink) -> AppResult<RunDto> {
        self.repeat_run(task, run, true, progress).await
    }

    /// Runs the failed files of a run again; a new run, with progress like
    /// [`Api::run_task`].
    pub async fn retry_run(&self, task: String, run: i64, progress: ProgressSink) -> AppResult<RunDto> {
        self.repeat_run(task, run, false, progress).await
    }

    async fn repeat_run(&self, task: String, run: i64, undo: bool, progress: ProgressSink) -> AppResult<RunDto> {
        let t = self.engine_task(&task).await?;
        if matches!(t.job, Job::Backup(_)) {
            return Err(AppError::invalid("backup runs cannot be undone or retried: restore from a snapshot"));
        }
        let hold = self.claim(&t)?;
        let result = async {
            let runner = self.runner(&storages_of(&t.job)).await?;
            let sink = coalescing_sink(progress);
            let cancel = hold.cancel.clone();
            let report =
                if undo { runner.undo(run, sink, cancel).await? } else { runner.retry(run, sink, cancel).await? };
            self.record_run(&t, report.run).await
        }
        .await;
        self.release(hold, &t, &result);
        result
    }
}

/// Checks that an upload's local folder exists, making it when `create`.
fn local_folder(path: &str, create: bool) -> AppResult<()> {
    let p = std::path::Path::new(path);
    if !p.is_absolute() || p.is_dir() {
        // A relative path gets its own error from the spec check.
        return Ok(());
    }
    if !create {
        return Err(AppError::new(
            "local_missing",
            format!("the folder {path} does not exist on this computer: create it, or choose another folder"),
        ));
    }
    std::fs::create_dir_all(p)
        .map_err(|e| AppError::new("local_create", format!("could not create the folder {path}: {e}")))
}

/// A stored task as the UI shows it: the form's fields, its last run and
/// when its schedule next starts it.
fn shown(db: &StateDb, task: &Task, tz: &TimeZone) -> AppResult<TaskDto> {
    let mut dto = dto_of(task);
    // The newest of the task's own runs: an undo or a retry is not its last run.
    dto.last_run = db
        .runs_of(OVERVIEW_RUNS, Some(task.id))
        .map_err(state_err)?
        .iter()
        .map(|r| run_dto(db, r))
        .find(|r| !is_follow_up(r));
    dto.next_run_ms = db.tasks().next_due_ms(task, tz).map_err(task_err)?;
    // A two-way task's open conflicts and kept-aside files, for the cards
    // and the overview (0 for other kinds, or a pair that never ran).
    if let Some(pair) = conflicts::pair_of(db, task)? {
        dto.conflicts = db.bisync_open_conflicts(pair).map_err(state_err)?.len() as u32;
        dto.kept_aside = db.bisync_issues(pair).map_err(state_err)?.len() as u32;
    }
    Ok(dto)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Path;
    use std::time::Duration;

    fn ids(v: &[TaskDto]) -> HashSet<String> {
        v.iter().map(|t| t.id.clone()).collect()
    }

    pub(crate) fn sample(local: &str) -> TaskDto {
        TaskDto {
            id: String::new(),
            name: "Photos".into(),
            kind: "sync".into(),
            direction: "upload".into(),
            local: local.into(),
            storage: "demo".into(),
            remote: "/Photos/".into(),
            include: vec![" *.jpg ".into(), "".into()],
            exclude: vec![],
            last_run: None,
            schedule: None,
            schedule_since_ms: None,
            next_run_ms: None,
            backup: None,
            no_versions: false,
            paused: false,
            conflicts: 0,
            kept_aside: 0,
            watch: None,
        }
    }

    pub(crate) fn api(dir: &Path) -> Api {
        let config = fjordsync_engine::ConfigDir::at(dir.join("config")).unwrap();
        Api::new(config, dir.join("data")).unwrap()
    }

    #[test]
    fn spec_follows_direction_and_cleans_filters() {
        let t = sample("/home/me/Photos");
        let s = spec_of(&t, true).unwrap();
        assert_eq!(s.kind, TaskKind::Sync);
        assert_eq!(s.source, Location::Local { path: "/home/me/Photos".into() });
        assert_eq!(s.destination, Location::Remote { remote: "demo".into(), path: "Photos".into() });
        assert_eq!(s.options.filters.include, vec!["*.jpg".to_string()]);
        assert!(s.options.dry_run);
        let d = spec_of(&TaskDto { direction: "download".into(), ..t.clone() }, false).unwrap();
        assert!(matches!(d.source, Location::Remote { .. }));
        assert_eq!(spec_of(&TaskDto { kind: "check".into(), ..t.clone() }, false).unwrap_err().code, "invalid");
        assert_eq!(spec_of(&TaskDto { local: "rel/path".into(), ..t }, false).unwrap_err().code, "invalid");
    }

    /// The form's "keep no old versions" reaches the engine; a task saved
    /// before the field existed loads with it off.
    #[test]
    fn no_versions_goes_into_the_spec() {
        let t = sample("/home/me/Photos");
        assert!(!spec_of(&t, false).unwrap().options.no_versions);
        let on = spec_of(&TaskDto { no_versions: true, ..t.clone() }, false).unwrap();
        assert!(on.options.no_versions);
        let json = serde_json::to_value(TaskDto { no_versions: true, ..t }).unwrap();
        assert_eq!(json["noVersions"], true);
        let old: TaskDto = serde_json::from_str(
            r#"{"id":"t1","name":"P","kind":"sync","direction":"upload","local":"/p","storage":"demo"}"#,
        )
        .unwrap();
        assert!(!old.no_versions);
    }

    /// A refusal's hint and a problem reach the app without the CLI's flags.
    #[tokio::test]
    async fn a_preflight_refusal_says_what_to_do_in_the_apps_words() {
        let dir = tempfile::tempdir().unwrap();
        let api = api(dir.path());
        api.use_file_store().await.unwrap();
        api.start_demo().await.unwrap();
        let local = dir.path().join("Names");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join("Report.txt"), "a").unwrap();
        std::fs::write(local.join("report.txt"), "b").unwrap();
        let task = TaskDto { include: vec![], ..sample(local.to_str().unwrap()) };
        let saved = api.save_task(task).await.unwrap();
        let preview = api.preview_task(saved.id).await.unwrap();
        let refusal = preview.refusal.expect("the case collision is refused");
        assert!(refusal.hint.contains("“Leave out” pattern"), "{}", refusal.hint);
        assert!(!refusal.hint.contains("--") && !refusal.message.contains("--"), "{refusal:?}");
        assert!(preview.problems.iter().all(|p| !p.message.contains("--")));
        api.shutdown().await;
    }

    #[tokio::test]
    async fn tasks_are_saved_updated_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let api = api(dir.path());
        assert!(api.list_tasks().await.unwrap().is_empty());
        let a = api.save_task(sample("/a")).await.unwrap();
        let b = api.save_task(TaskDto { name: "Docs".into(), ..sample("/b") }).await.unwrap();
        assert_eq!((a.id.as_str(), b.id.as_str()), ("1", "2"));
        // Names are unique (ignoring case), as the CLI has them.
        let dup = api.save_task(TaskDto { name: "PHOTOS".into(), ..sample("/c") }).await.unwrap_err();
        assert_eq!(dup.code, "invalid", "{dup:?}");
        api.save_task(TaskDto { name: "Renamed".into(), ..a.clone() }).await.unwrap();
        let all = api.list_tasks().await.unwrap();
        assert_eq!(ids(&all), ["1".to_string(), "2".to_string()].into());
        assert_eq!(all[0].name, "Renamed");
        // No tasks.json: the tasks are the engine's.
        assert!(!dir.path().join("data/tasks.json").exists());
        api.delete_task("1".into()).await.unwrap();
        assert_eq!(api.list_tasks().await.unwrap().len(), 1);
        assert_eq!(api.delete_task("1".into()).await.unwrap_err().code, "not_found");
        assert_eq!(api.save_task(TaskDto { name: " ".into(), ..sample("/c") }).await.unwrap_err().code, "invalid");
        assert!(!api.cancel_task("2".into()).await.unwrap());
    }

    #[test]
    fn progress_is_coalesced_with_files_in_flight() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sink = coalescing_sink(Arc::new(move |p| g.lock().unwrap().push(p)));
        sink(TaskEvent::FileStarted { path: "a".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileStarted { path: "b".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileFinished { path: "a".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileFailed { path: "c".into(), action: "upload".into(), error: "x".into(), skipped: false });
        sink(TaskEvent::Progress {
            bytes_done: 1,
            bytes_total: 2,
            files_done: 1,
            files_total: 3,
            rate: 5,
            eta: Some(1),
        });
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1, "per-file events are not forwarded one by one");
        match &got[0] {
            TaskProgressDto::Progress { current, failed, .. } => {
                assert_eq!(current, &vec!["b".to_string()]);
                assert_eq!(*failed, 1);
            }
            other => panic!("{other:?}"),
        }
    }

    /// A run of 100,000 files reaches the UI as the engine's ticks only (it
    /// ticks at 10 Hz; here every 1,000 files), each with a short list of
    /// files in flight, whatever the number of files.
    #[test]
    fn a_hundred_thousand_files_make_only_tick_messages() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sink = coalescing_sink(Arc::new(move |p| g.lock().unwrap().push(p)));
        const FILES: u64 = 100_000;
        const IN_FLIGHT: u64 = 16;
        let name = |i: u64| format!("folder{}/file{i}.jpg", i / 1000);
        for i in 0..FILES + IN_FLIGHT {
            if i < FILES {
                sink(TaskEvent::FileStarted { path: name(i), action: "upload".into(), bytes: 10 });
            }
            if i >= IN_FLIGHT {
                let done = i - IN_FLIGHT;
                sink(TaskEvent::FileFinished { path: name(done), action: "upload".into(), bytes: 10 });
                if (done + 1).is_multiple_of(1000) {
                    sink(TaskEvent::Progress {
                        bytes_done: (done + 1) * 10,
                        bytes_total: FILES * 10,
                        files_done: done + 1,
                        files_total: FILES,
                        rate: 1000,
                        eta: None,
                    });
                }
            }
        }
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 100, "one message per tick, none per file");
        for p in got.iter() {
            let TaskProgressDto::Progress { current, .. } = p else { panic!("{p:?}") };
            assert!(current.len() <= CURRENT_SHOWN, "files in flight are capped: {}", current.len());
        }
        let TaskProgressDto::Progress { files_done, current, .. } = got.last().unwrap() else { unreachable!() };
        assert_eq!(*files_done, FILES);
        assert!(current.is_empty(), "nothing in flight at the end: {current:?}");
    }

    fn run(id: i64, kind: &str, outcome: &str, started_ms: i64) -> RunDto {
        RunDto {
            id,
            kind: kind.into(),
            source: String::new(),
            destination: String::new(),
            started_ms,
            ended_ms: Some(started_ms + 10),
            outcome: outcome.into(),
            counters: Default::default(),
            parent: None,
            refusal: None,
            warning: None,
            stopped: None,
        }
    }

    #[test]
    fn safety_is_the_last_success_and_the_failures_since() {
        let s = |last_success_ms, failures, refusals| Safety { last_success_ms, failures, refusals };
        let runs = [run(5, "sync", "failed", 500), run(4, "undo", "ok", 400), run(3, "sync", "refused", 300)];
        assert_eq!(safety(&runs), s(None, 1, 1));
        let runs = [run(5, "sync", "failed", 500), run(4, "sync", "cancelled", 400), run(3, "sync", "ok", 300)];
        assert_eq!(safety(&runs), s(Some(310), 1, 0));
    }

    /// Three refusals are three refusals, not "2 failed runs"; a retry that
    /// went well is not the task's last success.
    #[test]
    fn refusals_are_counted_as_refusals_and_retries_are_not_a_success() {
        let runs = [run(3, "sync", "refused", 300), run(2, "sync", "refused", 200), run(1, "sync", "refused", 100)];
        assert_eq!(safety(&runs), Safety { last_success_ms: None, failures: 0, refusals: 3 });
        let retry = RunDto { parent: Some(2), ..run(3, "sync", "ok", 300) };
        let runs = [retry, run(2, "sync", "failed", 200), run(1, "sync", "ok", 100)];
        assert_eq!(safety(&runs), Safety { last_success_ms: Some(110), failures: 1, refusals: 0 });
    }

    /// The form's save flags a missing local folder and makes it only when
    /// asked; saves without the check (the CLI's, old callers) are as before.
    #[tokio::test]
    async fn a_missing_local_folder_is_flagged_at_save_and_made_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let api = api(dir.path());
        let missing = dir.path().join("Photos");
        let t = sample(missing.to_str().unwrap());
        let err = api.save_task_with(t.clone(), Some(false)).await.unwrap_err();
        assert_eq!(err.code, "local_missing", "{err:?}");
        assert!(api.list_tasks().await.unwrap().is_empty(), "nothing saved");
        api.save_task_with(t.clone(), Some(true)).await.unwrap();
        assert!(missing.is_dir());
        // A download makes its folder when it runs: no question at save.
        let down = TaskDto { name: "Down".into(), direction: "download".into(), ..sample("/no/such/dir") };
        api.save_task_with(down, Some(false)).await.unwrap();
        api.save_task(TaskDto { name: "Old".into(), ..sample("/no/such/dir") }).await.unwrap();
    }

    /// Two storages on one account (say two devices) share one quota: a run
    /// through one refreshes both; another account's storage is left alone.
    #[test]
    fn a_run_changes_every_storage_of_its_account() {
        let storage = |name: &str, service: &str, user: Option<&str>| StorageDto {
            name: name.into(),
            service: service.into(),
            service_name: String::new(),
            sign_in: fjordsync_engine::remotes::SignIn::Standard,
            device: "Jotta".into(),
            mountpoint: "Archive".into(),
            username: user.map(Into::into),
            demo: false,
        };
        let all = [
            storage("photos", "jottacloud", Some("kari")),
            storage("work", "jottacloud", Some("kari")),
            storage("telia", "telia_no", Some("kari")),
            storage("ola", "jottacloud", Some("ola")),
            storage("old", "jottacloud", None),
            storage("old2", "jottacloud", None),
        ];
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(same_account(&all, &["photos".into()]), names(&["photos", "work"]));
        assert_eq!(same_account(&all, &["ola".into()]), names(&["ola"]));
        assert_eq!(same_account(&all, &["old".into()]), names(&["old"]), "no user name: no guess");
        assert_eq!(same_account(&all, &["gone".into()]), names(&["gone"]));
    }

    #[test]
    fn settings_shape_the_run_options() {
        let mut o = TaskOptions::default();
        apply_settings(&mut o, &SettingsDto { transfers: 7, bandwidth_kib: 100, ..SettingsDto::default() });
        assert_eq!((o.transfers, o.bwlimit), (7, Some(102_400)));
        apply_settings(&mut o, &SettingsDto::default());
        assert_eq!((o.transfers, o.bwlimit), (4, None));
    }

    /// The hour of the day now, in UTC (the zone the test's ticks use).
    fn utc_hour_now() -> u64 {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        secs / 3600 % 24
    }

    #[tokio::test]
    async fn schedules_get_a_next_run_and_due_tasks_start_unless_paused() {
        let dir = tempfile::tempdir().unwrap();
        let api = Arc::new(api(dir.path()));
        // Half a day from now, so the minute after "two days later" never
        // crosses the daily time, whatever the clock says when this runs.
        let hour = (utc_hour_now() + 12) % 24;
        let daily = crate::schedule::ScheduleDto::Daily { time: format!("{hour:02}:00") };
        let t = api.save_task(TaskDto { schedule: Some(daily.clone()), ..sample("/nowhere") }).await.unwrap();
        let since = t.schedule_since_ms.unwrap();
        assert!(t.next_run_ms.unwrap() > since);
        // Saving again with the same schedule keeps its start.
        let again = api.save_task(TaskDto { name: "Other".into(), ..t.clone() }).await.unwrap();
        assert_eq!(again.schedule_since_ms, Some(since));
        let listed = api.list_tasks().await.unwrap();
        assert_eq!(listed[0].next_run_ms, t.next_run_ms);
        // Two days later it is due: paused starts nothing, resumed starts it once.
        let later = since + 2 * 86_400_000;
        let mut scheduler = api.scheduler("test").unwrap();
        api.pause_all().await.unwrap();
        assert!(scheduler.tick(later, &TimeZone::UTC).await.unwrap().is_empty());
        api.resume_all().await.unwrap();
        let mut events = api.subscribe();
        let started = scheduler.tick(later, &TimeZone::UTC).await.unwrap();
        assert_eq!(started.iter().map(|i| i.to_string()).collect::<Vec<_>>(), vec![t.id.clone()]);
        // The run fails (no storage "demo" here) and says so.
        let finished = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(AppEvent::TaskFinished { task, error, .. }) = events.recv().await {
                    return (task, error);
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(finished.0, t.id);
        assert!(finished.1.is_some());
        // The attempt counts: not due again right away, even though it failed.
        assert!(scheduler.tick(later + 60_000, &TimeZone::UTC).await.unwrap().is_empty());
    }
}
