//! Tasks: saved copy / sync / move tasks between a local folder and a
//! storage folder, their plan preview (a dry run), runs with live progress,
//! cancel, the run log with per-file rows, undo and "retry failed only".
//!
//! Task definitions live in `tasks.json` in the app's data folder (written
//! atomically: temp file, fsync, rename). The engine's state database has a
//! `tasks` table, but it is keyed by the full spec and the engine offers no
//! public API to name or list tasks, so the app keeps its own list; runs,
//! file events, undo and retry are the engine's, in its state database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::state::{EventFilter, StateDb};
use fjordsync_engine::{
    FilterOptions, Location, MaxDelete, RunReport, Runner, TaskKind, TaskOptions, TaskSpec, session,
};
use jiff::tz::TimeZone;
use tokio_util::sync::CancellationToken;

use super::Api;
use super::dto::{
    AppEvent, FileRowDto, OverviewTaskDto, PREVIEW_STEPS, PreviewDto, ProblemDto, RefusalDto, RunDto, StepDto, TaskDto,
    TaskProgressDto,
};
use super::json_file;
use super::schedule;
use super::settings::{SettingsDto, now_ms};
use crate::error::{AppError, AppResult};

/// Where live progress goes (a Tauri channel, or the bridge's WebSocket).
pub type ProgressSink = Arc<dyn Fn(TaskProgressDto) + Send + Sync>;

/// How many runs the log reads at most.
const RUNS_LIMIT: usize = 500;
/// Files in flight shown with the progress.
const CURRENT_SHOWN: usize = 8;
/// How often the scheduler looks for due tasks.
const TICK: Duration = Duration::from_secs(20);
/// How often old runs are pruned from the log (also once at start).
const PRUNE_EVERY_MS: i64 = 86_400_000;
/// Outcomes that count as "not safe".
pub const BAD_OUTCOMES: &[&str] = &["failed", "refused", "crashed", "interrupted"];

/// The task list, the state database and the runs in progress.
#[derive(Default)]
pub(crate) struct Tasks {
    /// Serialises read-modify-write of `tasks.json`.
    file: tokio::sync::Mutex<()>,
    db: OnceLock<Arc<StateDb>>,
    /// What keeps each task busy now: a run, or for a backup a restore or
    /// repository maintenance.
    running: Mutex<HashMap<String, Busy>>,
    /// When each task was last started in this process (Unix ms), even if
    /// the start failed: a schedule never retries faster than its interval.
    attempts: Mutex<HashMap<String, i64>>,
}

/// One thing a task is busy with. A task does one thing at a time: a backup
/// repository reports progress to one operation, and a prune must not race a
/// backup. `cancel_task` fires the token, whatever it is.
struct Busy {
    cancel: CancellationToken,
    /// What it is, for the `busy` error ("a restore", "a run", ...).
    what: &'static str,
}

/// A task kept busy by something that is not a run (a restore, a repository
/// check, ...): runs and other work on the task are refused until it is
/// dropped, and `cancel_task` fires [`Hold::cancel`].
pub(crate) struct Hold<'a> {
    tasks: &'a Tasks,
    id: String,
    pub(crate) cancel: CancellationToken,
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        self.tasks.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

pub(crate) fn state_err(e: fjordsync_engine::state::StateError) -> AppError {
    AppError::new("state", e.to_string())
}

fn tasks_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tasks.json")
}

fn read_tasks(path: &Path) -> AppResult<Vec<TaskDto>> {
    json_file::read_or(path, Vec::new)
}

/// The settings that shape every run: parallel transfers and the bandwidth limit.
pub(crate) fn apply_settings(options: &mut TaskOptions, s: &SettingsDto) {
    options.transfers = s.transfers.clamp(1, 16) as usize;
    options.bwlimit = (s.bandwidth_kib > 0).then(|| s.bandwidth_kib * 1024);
}

/// Where a task's schedule counts from: its last start, else when the
/// schedule was set.
fn anchor_ms(t: &TaskDto, attempted: Option<i64>) -> Option<i64> {
    [t.schedule_since_ms, t.last_run.as_ref().map(|r| r.started_ms), attempted].into_iter().flatten().max()
}

/// The next run of a scheduled task (Unix ms).
fn next_run_of(t: &TaskDto, attempted: Option<i64>, tz: &TimeZone) -> Option<i64> {
    schedule::next_run_ms(t.schedule.as_ref()?, anchor_ms(t, attempted)?, tz)
}

/// Last success (end time, Unix ms) and the failures since, from a task's
/// runs newest first. Undo runs do not count either way.
pub(crate) fn safety(runs: &[RunDto]) -> (Option<i64>, u32) {
    let mut failures = 0;
    for r in runs.iter().filter(|r| r.kind != "undo") {
        if r.outcome == "ok" {
            return (Some(r.ended_ms.unwrap_or(r.started_ms)), failures);
        }
        if BAD_OUTCOMES.contains(&r.outcome.as_str()) {
            failures += 1;
        }
    }
    (None, failures)
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

/// True when a recorded run belongs to this task (same sides).
fn run_matches(spec: &TaskSpec, spec_json: &str) -> bool {
    serde_json::from_str::<TaskSpec>(spec_json).is_ok_and(|s| same_sides(&s, spec))
}

fn same_sides(a: &TaskSpec, b: &TaskSpec) -> bool {
    a.source == b.source && a.destination == b.destination
}

/// The refusal with the numbers the warning shows, and whether lifting the
/// delete guard's limit would let the run go ahead.
fn refusal_of(r: &RunReport) -> Option<RefusalDto> {
    let f = r.refusal.as_ref()?;
    let deletes = r.plan.totals.deletes;
    Some(RefusalDto {
        message: f.message.clone(),
        hint: f.hint.clone(),
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
            .map(|p| ProblemDto { kind: p.kind.to_string(), path: p.path.clone(), message: p.message.clone() })
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
    pub(crate) fn state_db(&self) -> AppResult<Arc<StateDb>> {
        if let Some(db) = self.tasks.db.get() {
            return Ok(db.clone());
        }
        let path = fjordsync_engine::state::default_path(self.config().path());
        let db = Arc::new(StateDb::open(&path).map_err(state_err)?);
        Ok(self.tasks.db.get_or_init(|| db).clone())
    }

    /// A runner whose opener reuses the app's open sessions (the demo
    /// emulator must be running first, which `session` ensures).
    async fn runner(&self, storages: &[&str]) -> AppResult<Runner> {
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

    pub(crate) async fn task_by_id(&self, id: &str) -> AppResult<TaskDto> {
        read_tasks(&tasks_path(self.data_dir()))?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::new("not_found", format!("no task {id:?}")))
    }

    /// Saved tasks, in the order they were made, with their next scheduled run.
    pub async fn list_tasks(&self) -> AppResult<Vec<TaskDto>> {
        let mut all = {
            let _g = self.tasks.file.lock().await;
            read_tasks(&tasks_path(self.data_dir()))?
        };
        let tz = TimeZone::system();
        let attempts = self.tasks.attempts.lock().expect("attempts lock").clone();
        for t in &mut all {
            t.next_run_ms = next_run_of(t, attempts.get(&t.id).copied(), &tz);
        }
        Ok(all)
    }

    /// Creates (empty id) or replaces a task; returns it with its id.
    pub async fn save_task(&self, task: TaskDto) -> AppResult<TaskDto> {
        spec_of(&task, false)?;
        if task.name.trim().is_empty() {
            return Err(AppError::invalid("give the task a name"));
        }
        if let Some(s) = &task.schedule {
            s.validate().map_err(|e| AppError::invalid(e.to_string()))?;
        }
        let _g = self.tasks.file.lock().await;
        let path = tasks_path(self.data_dir());
        let mut all = read_tasks(&path)?;
        let mut task = task;
        task.name = task.name.trim().to_string();
        task.next_run_ms = None;
        // A new or changed schedule counts from now; an unchanged one keeps its start.
        let since_now = task.schedule.as_ref().map(|_| now_ms());
        if task.id.is_empty() {
            let next = all.iter().filter_map(|t| t.id.strip_prefix('t')?.parse::<u64>().ok()).max().unwrap_or(0) + 1;
            task.id = format!("t{next}");
            task.last_run = None;
            task.schedule_since_ms = since_now;
            all.push(task.clone());
        } else {
            let slot = all
                .iter_mut()
                .find(|t| t.id == task.id)
                .ok_or_else(|| AppError::new("not_found", format!("no task {:?}", task.id)))?;
            task.last_run = slot.last_run.clone();
            task.schedule_since_ms = if task.schedule.is_some() && task.schedule == slot.schedule {
                slot.schedule_since_ms
            } else {
                since_now
            };
            *slot = task.clone();
        }
        json_file::write_json(&path, &all)?;
        task.next_run_ms = next_run_of(&task, None, &TimeZone::system());
        Ok(task)
    }

    /// Forgets a task (its runs stay in the log).
    pub async fn delete_task(&self, id: String) -> AppResult<()> {
        let _g = self.tasks.file.lock().await;
        let path = tasks_path(self.data_dir());
        let mut all = read_tasks(&path)?;
        let before = all.len();
        all.retain(|t| t.id != id);
        if all.len() == before {
            return Err(AppError::new("not_found", format!("no task {id:?}")));
        }
        json_file::write_json(&path, &all)?;
        self.forget_backup(&id);
        Ok(())
    }

    /// What the task would do now: a dry run (records nothing).
    pub async fn preview_task(&self, id: String) -> AppResult<PreviewDto> {
        let t = self.task_by_id(&id).await?;
        if t.kind == "backup" {
            return Err(AppError::invalid("a backup has no preview: run it"));
        }
        let spec = spec_of(&t, true)?;
        let runner = self.runner(&[t.storage.as_str()]).await?;
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
        let t = self.task_by_id(&id).await?;
        if t.kind == "backup" {
            return self.run_backup(id, None, progress).await;
        }
        let mut spec = spec_of(&t, false)?;
        if allow_deletes {
            spec.options.max_delete = Some(MaxDelete::Percent(100.0));
        }
        apply_settings(&mut spec.options, &self.get_settings().await?);
        let cancel = self.claim(&id)?;
        let result = async {
            let runner = self.runner(&[t.storage.as_str()]).await?;
            let report = runner.run(&spec, None, coalescing_sink(progress), cancel).await?;
            let mut dto = self.record_run(&id, &t.storage, report.run).await?;
            dto.refusal = refusal_of(&report);
            dto.stopped = report.stopped.as_ref().map(Into::into);
            Ok(dto)
        }
        .await;
        self.release(&t, &result);
        result
    }

    /// Marks the task busy with `what`, or says what it is busy with.
    fn occupy(&self, id: &str, what: &'static str) -> AppResult<CancellationToken> {
        let cancel = CancellationToken::new();
        let mut running = self.tasks.running.lock().expect("running lock");
        if let Some(busy) = running.get(id) {
            let message = format!("{} of this task is in progress: try again when it has finished", busy.what);
            return Err(AppError::new("busy", message));
        }
        running.insert(id.to_string(), Busy { cancel: cancel.clone(), what });
        Ok(cancel)
    }

    /// Keeps a task busy with something that is not a run (see [`Hold`]);
    /// unlike [`Api::claim`] it neither counts as a scheduled attempt nor
    /// tells the tray and notifications.
    pub(crate) fn hold(&self, id: &str, what: &'static str) -> AppResult<Hold<'_>> {
        let cancel = self.occupy(id, what)?;
        Ok(Hold { tasks: &self.tasks, id: id.to_string(), cancel })
    }

    /// Marks a task running (refused if it is busy) and tells the UI.
    pub(crate) fn claim(&self, id: &str) -> AppResult<CancellationToken> {
        let cancel = self.occupy(id, "a run")?;
        self.note_attempt(id, now_ms());
        self.emit(AppEvent::TaskStarted { task: id.to_string() });
        Ok(cancel)
    }

    /// The task is no longer running; tells the UI, the tray and notifications.
    pub(crate) fn release(&self, t: &TaskDto, result: &AppResult<RunDto>) {
        self.tasks.running.lock().expect("running lock").remove(&t.id);
        self.emit(AppEvent::TaskFinished {
            task: t.id.clone(),
            name: t.name.clone(),
            run: result.as_ref().ok().cloned().map(Box::new),
            error: result.as_ref().err().map(|e| e.message.clone()),
        });
    }

    /// Progress of a run nobody watches through a channel (scheduled runs,
    /// the bridge): `taskProgress` events on the broadcast.
    pub fn broadcast_progress(&self, task: &str) -> ProgressSink {
        let (events, task) = (self.event_sender(), task.to_string());
        Arc::new(move |progress| {
            let _ = events.send(AppEvent::TaskProgress { task: task.clone(), progress });
        })
    }

    fn note_attempt(&self, id: &str, at: i64) {
        let mut attempts = self.tasks.attempts.lock().expect("attempts lock");
        let slot = attempts.entry(id.to_string()).or_insert(at);
        *slot = (*slot).max(at);
    }

    /// Starts a run in the background (scheduler, Sync all now); `at` is
    /// when the scheduler decided to.
    fn spawn_run(self: &Arc<Self>, id: String, at: i64) {
        self.note_attempt(&id, at);
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
                self.spawn_run(t.id, now_ms());
                n += 1;
            }
        }
        Ok(n)
    }

    /// Starts the scheduled tasks that are due (none while paused); returns their ids.
    pub(crate) async fn schedule_tick(self: &Arc<Self>, now: i64, tz: &TimeZone) -> AppResult<Vec<String>> {
        if self.get_settings().await?.paused {
            return Ok(Vec::new());
        }
        let running = self.running_tasks().await?;
        let attempts = self.tasks.attempts.lock().expect("attempts lock").clone();
        let due: Vec<String> = self
            .list_tasks()
            .await?
            .into_iter()
            .filter(|t| !running.contains(&t.id))
            .filter(|t| match (&t.schedule, anchor_ms(t, attempts.get(&t.id).copied())) {
                (Some(s), Some(anchor)) => schedule::is_due(s, anchor, now, tz),
                _ => false,
            })
            .map(|t| t.id)
            .collect();
        for id in &due {
            self.spawn_run(id.clone(), now);
        }
        Ok(due)
    }

    /// The scheduler: every [`TICK`] starts due tasks (missed runs catch up
    /// once, at the first tick), and prunes the log at start and daily.
    /// Ends when [`Api::shutdown`] is called.
    pub async fn run_scheduler(self: Arc<Self>) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut pruned_at: Option<i64> = None;
        loop {
            tokio::select! {
                _ = self.stopping.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = now_ms();
            if pruned_at.is_none_or(|p| now - p >= PRUNE_EVERY_MS) {
                pruned_at = Some(now);
                match self.prune_logs(now).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("log retention: removed {n} old runs"),
                    Err(e) => tracing::warn!("log retention: {}", e.message),
                }
            }
            if let Err(e) = self.schedule_tick(now, &TimeZone::system()).await {
                tracing::warn!("scheduler: {}", e.message);
            }
        }
    }

    /// Asks every running task to stop.
    pub(crate) fn cancel_all_runs(&self) {
        for busy in self.tasks.running.lock().expect("running lock").values() {
            busy.cancel.cancel();
        }
    }

    /// Is my data safe? Per task: last success, failures since, last run.
    pub async fn overview(&self) -> AppResult<Vec<OverviewTaskDto>> {
        let tasks = self.list_tasks().await?;
        let db = self.state_db()?;
        let runs = tokio::task::spawn_blocking(move || db.runs(RUNS_LIMIT))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))?
            .map_err(state_err)?;
        let running = self.running_tasks().await?;
        // Each run's spec parsed once, not once per task.
        let specs: Vec<Option<TaskSpec>> = runs.iter().map(|r| serde_json::from_str(&r.spec_json).ok()).collect();
        Ok(tasks
            .into_iter()
            .map(|t| {
                let mine: Vec<RunDto> = match spec_of(&t, false) {
                    Ok(spec) => runs
                        .iter()
                        .zip(&specs)
                        .filter(|(_, s)| s.as_ref().is_some_and(|s| same_sides(s, &spec)))
                        .map(|(r, _)| RunDto::from(r))
                        .collect(),
                    Err(_) => Vec::new(),
                };
                let (last_success_ms, failures) = safety(&mine);
                OverviewTaskDto {
                    running: running.contains(&t.id),
                    id: t.id,
                    name: t.name,
                    kind: t.kind,
                    storage: t.storage,
                    schedule: t.schedule,
                    next_run_ms: t.next_run_ms,
                    schedule_since_ms: t.schedule_since_ms,
                    last_success_ms,
                    last_run: mine.into_iter().next().or(t.last_run),
                    failures,
                }
            })
            .collect())
    }

    /// Records the run as the task's last result.
    pub(crate) async fn record_run(&self, id: &str, storage: &str, run: i64) -> AppResult<RunDto> {
        let db = self.state_db()?;
        let rec = db
            .run(run)
            .map_err(state_err)?
            .ok_or_else(|| AppError::new("internal", format!("run {run} was not recorded")))?;
        let dto = run_dto(&db, &rec);
        {
            let _g = self.tasks.file.lock().await;
            let path = tasks_path(self.data_dir());
            let mut all = read_tasks(&path)?;
            if let Some(t) = all.iter_mut().find(|t| t.id == id) {
                t.last_run = Some(dto.clone());
                json_file::write_json(&path, &all)?;
            }
        }
        self.emit(AppEvent::StorageChanged { storage: storage.to_string() });
        Ok(dto)
    }

    /// Asks a running task (or a backup's restore) to stop; false when it
    /// was not running.
    pub async fn cancel_task(&self, id: String) -> AppResult<bool> {
        Ok(self.cancel_now(&id))
    }

    /// [`Api::cancel_task`] without waiting (from progress callbacks).
    pub(crate) fn cancel_now(&self, id: &str) -> bool {
        match self.tasks.running.lock().expect("running lock").get(id) {
            Some(busy) => {
                busy.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Ids of the tasks running now.
    pub async fn running_tasks(&self) -> AppResult<Vec<String>> {
        Ok(self.tasks.running.lock().expect("running lock").keys().cloned().collect())
    }

    /// The task's runs (including its undos and retries), newest first.
    pub async fn list_runs(&self, task: String) -> AppResult<Vec<RunDto>> {
        let t = self.task_by_id(&task).await?;
        let spec = spec_of(&t, false)?;
        let db = self.state_db()?;
        tokio::task::spawn_blocking(move || {
            let runs = db.runs(RUNS_LIMIT).map_err(state_err)?;
            Ok(runs.iter().filter(|r| run_matches(&spec, &r.spec_json)).map(|r| run_dto(&db, r)).collect())
        })
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))?
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
        let db = self.state_db()?;
        let rows = tokio::task::spawn_blocking(move || db.events(run, &filter))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))?
            .map_err(state_err)?;
        Ok(rows
            .into_iter()
            .map(|e| FileRowDto { path: e.path, action: e.action, bytes: e.bytes, result: e.result, error: e.error })
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
        let t = self.task_by_id(&task).await?;
        if t.kind == "backup" {
            return Err(AppError::invalid("backup runs cannot be undone or retried: restore from a snapshot"));
        }
        let cancel = self.claim(&task)?;
        let result = async {
            let runner = self.runner(&[t.storage.as_str()]).await?;
            let sink = coalescing_sink(progress);
            let report =
                if undo { runner.undo(run, sink, cancel).await? } else { runner.retry(run, sink, cancel).await? };
            self.record_run(&task, &t.storage, report.run).await
        }
        .await;
        self.release(&t, &result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn ids(v: &[TaskDto]) -> HashSet<String> {
        v.iter().map(|t| t.id.clone()).collect()
    }

    fn sample(local: &str) -> TaskDto {
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
        }
    }

    fn api(dir: &Path) -> Api {
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

    #[tokio::test]
    async fn tasks_are_saved_updated_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let api = api(dir.path());
        assert!(api.list_tasks().await.unwrap().is_empty());
        let a = api.save_task(sample("/a")).await.unwrap();
        let b = api.save_task(sample("/b")).await.unwrap();
        assert_eq!((a.id.as_str(), b.id.as_str()), ("t1", "t2"));
        api.save_task(TaskDto { name: "Renamed".into(), ..a.clone() }).await.unwrap();
        let all = api.list_tasks().await.unwrap();
        assert_eq!(ids(&all), ["t1".to_string(), "t2".to_string()].into());
        assert_eq!(all[0].name, "Renamed");
        // Written atomically: no temp file left behind.
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("data")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("tasks.json")]);
        api.delete_task("t1".into()).await.unwrap();
        assert_eq!(api.list_tasks().await.unwrap().len(), 1);
        assert_eq!(api.delete_task("t1".into()).await.unwrap_err().code, "not_found");
        assert_eq!(api.save_task(TaskDto { name: " ".into(), ..sample("/c") }).await.unwrap_err().code, "invalid");
        assert!(!api.cancel_task("t2".into()).await.unwrap());
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
        let runs = [run(5, "sync", "failed", 500), run(4, "undo", "ok", 400), run(3, "sync", "refused", 300)];
        assert_eq!(safety(&runs), (None, 2));
        let runs = [run(5, "sync", "failed", 500), run(4, "sync", "cancelled", 400), run(3, "sync", "ok", 300)];
        assert_eq!(safety(&runs), (Some(310), 1));
    }

    #[test]
    fn settings_shape_the_run_options() {
        let mut o = TaskOptions::default();
        apply_settings(&mut o, &SettingsDto { transfers: 7, bandwidth_kib: 100, ..SettingsDto::default() });
        assert_eq!((o.transfers, o.bwlimit), (7, Some(102_400)));
        apply_settings(&mut o, &SettingsDto::default());
        assert_eq!((o.transfers, o.bwlimit), (4, None));
    }

    #[tokio::test]
    async fn schedules_get_a_next_run_and_due_tasks_start_unless_paused() {
        let dir = tempfile::tempdir().unwrap();
        let api = Arc::new(api(dir.path()));
        let daily = schedule::ScheduleDto::Daily { time: "03:00".into() };
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
        api.pause_all().await.unwrap();
        assert!(api.schedule_tick(later, &TimeZone::UTC).await.unwrap().is_empty());
        api.resume_all().await.unwrap();
        let mut events = api.subscribe();
        assert_eq!(api.schedule_tick(later, &TimeZone::UTC).await.unwrap(), vec![t.id.clone()]);
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
        assert!(api.schedule_tick(later + 60_000, &TimeZone::UTC).await.unwrap().is_empty());
    }
}
