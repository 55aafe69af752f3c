//! The scheduler loop: every tick it asks the task store which tasks are
//! due ([`super::schedule`]'s pure rules) and starts each through the shell
//! that runs it (the app, with its progress events; the daemon), and it
//! prunes old runs from the log at start and daily.
//!
//! **One scheduler per configuration.** Before it starts anything, a
//! scheduler takes `<config>/locks/scheduler.lock` (an OS lock, released
//! by the OS when its process ends in any way) and writes a note of who it
//! is ("the Fjordsync app (pid 12)", "fjordsync daemon at http://..."). A
//! second scheduler (the daemon while the app is open) finds the lock
//! held, starts nothing, says who holds it ([`Role::Standby`]) and tries
//! again at every tick, so it takes over when the first one stops.
//!
//! **Kept tasks.** Some tasks live on instead of running now and then: a
//! two-way sync that runs continuously
//! ([`Schedule::Continuous`](super::schedule::Schedule::Continuous)) and a
//! mount ([`Job::Mount`](super::model::Job::Mount)). They are never due by
//! the clock: the active scheduler keeps each ([`Shell::keep`]), started
//! when the task wants keeping, stopped when it is paused, changed
//! (restarted with the new settings), removed and when the scheduler
//! stops; "Pause all" stops the kept of two-way syncs but not mounts
//! (pausing the schedules must not pull a folder from under open files).
//! A kept task that ends by itself (a folder that is gone) is started
//! again after a backoff of a minute, doubling up to half an hour.
//!
//! The loop starts a task and moves on; the shell runs it (taking the
//! task's own lock, [`super::lock`]). A task whose lock is held elsewhere
//! is skipped until it is free, and each start is remembered, so a start
//! that fails before a run is recorded is not retried before the schedule's
//! next time.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, TryLockError};
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::TaskError;
use super::lock::{Hold, TaskLock, now_ms, open_no_follow};
use super::model::{JobKind, Task, TaskId};
use crate::config_dir::ConfigDir;
use crate::state::StateDb;

/// How often the scheduler looks for due tasks unless told otherwise.
pub const DEFAULT_TICK: Duration = Duration::from_secs(20);
/// How often old runs leave the log (and once at start).
const PRUNE_EVERY_MS: i64 = 86_400_000;
/// A kept task that ended by itself is started again after this long,
/// doubling with each early end up to [`KEEP_RESTART_MAX_MS`].
const KEEP_RESTART_MS: i64 = 60_000;
const KEEP_RESTART_MAX_MS: i64 = 30 * 60_000;
/// A kept task that ran this long before it ended starts its backoff afresh.
const KEEP_SETTLED_MS: i64 = 10 * 60_000;
/// How long the scheduler waits, when it stops, for a kept task to settle
/// (a run to end, a mount's pending uploads to finish).
pub const KEEP_STOP_WAIT: Duration = Duration::from_secs(30);

/// What the scheduler needs from the program that runs the tasks.
pub trait Shell: Send + Sync + 'static {
    /// Starts a due task in the background and returns at once. The shell
    /// takes the task's lock; a task it finds busy is simply not run.
    fn start(&self, task: Task);

    /// True while the user paused every schedule ("Pause all").
    fn paused(&self) -> impl Future<Output = bool> + Send {
        async { false }
    }

    /// Runs that started longer ago than this leave the log; `None` keeps
    /// them all.
    fn log_retention(&self) -> impl Future<Output = Option<Duration>> + Send {
        async { None }
    }

    /// Keeps a task that lives on until `stop` fires (see the module
    /// documentation): a continuous two-way sync in step (each of its runs
    /// going through the shell's own run path), or a mount mounted. The
    /// future ends when stopped, or by itself when the task cannot be
    /// kept. The default keeps nothing.
    fn keep(&self, task: Task, stop: CancellationToken) -> impl Future<Output = ()> + Send + 'static {
        let _ = (task, stop);
        async {}
    }
}

/// A kept task running (see [`Shell::keep`]).
struct Kept {
    /// The task as it was when it started: a change restarts it.
    task: Task,
    stop: CancellationToken,
    handle: JoinHandle<()>,
    started_ms: i64,
}

/// When a kept task that ended by itself may start again.
#[derive(Debug, Clone, Copy)]
struct Restart {
    at_ms: i64,
    /// Early ends in a row (each doubles the wait).
    ends: u32,
}

/// True for a task the scheduler keeps (see the module documentation);
/// `all_paused`: "Pause all" is on.
fn wants_keeping(t: &Task, all_paused: bool) -> bool {
    if t.paused {
        return false;
    }
    match t.job.kind() {
        JobKind::Mount => true,
        JobKind::Bisync => !all_paused && t.schedule.as_ref().is_some_and(|s| s.is_continuous()),
        _ => false,
    }
}

/// Who runs the schedules of a configuration, as its lock's note says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchedulerHolder {
    /// The holding process.
    pub pid: u32,
    /// How it named itself ("the Fjordsync app (pid 12)").
    pub who: String,
    /// Since when (Unix ms).
    pub since_ms: i64,
}

impl fmt::Display for SchedulerHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.who)
    }
}

/// What a scheduler is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Not started yet.
    Starting,
    /// It holds the scheduler lock and starts due tasks.
    Active,
    /// Another process runs the schedules (named if its note says); this
    /// one tries again at every tick.
    Standby(Option<SchedulerHolder>),
    /// The loop ended.
    Stopped,
}

/// The held scheduler lock; dropping it lets another scheduler take over.
struct SchedulerLock {
    file: File,
}

impl Drop for SchedulerLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
    }
}

fn lock_path(config: &ConfigDir) -> std::io::Result<PathBuf> {
    Ok(config.subdir("locks")?.join("scheduler.lock"))
}

/// Takes the scheduler lock, or says who holds it.
fn try_lock(config: &ConfigDir, who: &str) -> std::io::Result<Result<SchedulerLock, Option<SchedulerHolder>>> {
    let path = lock_path(config)?;
    let mut file = open_no_follow(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Ok(Err(read_note(&path))),
        Err(TryLockError::Error(e)) => return Err(e),
    }
    let note = SchedulerHolder { pid: std::process::id(), who: who.to_string(), since_ms: now_ms() };
    let _ = file.set_len(0).and_then(|_| file.write_all(&serde_json::to_vec(&note).unwrap_or_default()));
    Ok(Ok(SchedulerLock { file }))
}

fn read_note(path: &std::path::Path) -> Option<SchedulerHolder> {
    std::fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// Who runs the schedules of `config` now (`Ok(None)`: nobody). For a
/// status line ("the app is open and runs the schedules").
pub fn holder(config: &ConfigDir) -> std::io::Result<Option<SchedulerHolder>> {
    let path = lock_path(config)?;
    let file = open_no_follow(&path)?;
    match file.try_lock() {
        // Free: nobody schedules (closing the file lets go of it again).
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(read_note(&path).unwrap_or(SchedulerHolder {
            pid: 0,
            who: "another Fjordsync process".into(),
            since_ms: 0,
        }))),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// The scheduler of one configuration (see the module's documentation).
pub struct Scheduler<S: Shell> {
    config: ConfigDir,
    db: Arc<StateDb>,
    who: String,
    shell: S,
    every: Duration,
    lock: Option<SchedulerLock>,
    /// When each task was last started by this scheduler (Unix ms): a
    /// start that failed before recording a run still counts.
    attempts: HashMap<TaskId, i64>,
    pruned_at: Option<i64>,
    role: watch::Sender<Role>,
    kept: HashMap<TaskId, Kept>,
    restarts: HashMap<TaskId, Restart>,
    poke: Arc<Notify>,
}

impl<S: Shell> Scheduler<S> {
    /// A scheduler over the tasks in `db`, naming itself `who` in its
    /// lock's note ("the Fjordsync app (pid 12)").
    pub fn new(config: ConfigDir, db: Arc<StateDb>, who: impl Into<String>, shell: S) -> Self {
        Scheduler {
            config,
            db,
            who: who.into(),
            shell,
            every: DEFAULT_TICK,
            lock: None,
            attempts: HashMap::new(),
            pruned_at: None,
            role: watch::Sender::new(Role::Starting),
            kept: HashMap::new(),
            restarts: HashMap::new(),
            poke: Arc::new(Notify::new()),
        }
    }

    /// Ticks at once whenever `poke` is notified (the shell pokes it when
    /// a task is added, changed, paused or resumed, so a continuous task
    /// starts or stops being kept without waiting for the next tick).
    pub fn poked_by(mut self, poke: Arc<Notify>) -> Self {
        self.poke = poke;
        self
    }

    /// Ticks every `every` (kept between 10 ms and a minute).
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every.clamp(Duration::from_millis(10), Duration::from_secs(60));
        self
    }

    /// What it is doing, as it changes.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.role.subscribe()
    }

    /// Ticks until `stop` is cancelled, then lets go of the scheduler lock.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let poke = self.poke.clone();
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tick.tick() => {}
                _ = poke.notified() => {}
            }
            if let Err(e) = self.tick(now_ms(), &TimeZone::system()).await {
                tracing::warn!("scheduler: {e}");
            }
        }
        self.stop_kept().await;
        self.lock = None;
        self.role.send_replace(Role::Stopped);
    }

    /// The tasks kept now (for tests and status).
    pub fn kept(&self) -> Vec<TaskId> {
        let mut ids: Vec<_> =
            self.kept.iter().filter(|(_, w)| !w.handle.is_finished()).map(|(id, _)| *id).collect();
        ids.sort();
        ids
    }

    /// Stops every kept task and waits (bounded) for each to settle.
    pub async fn stop_kept(&mut self) {
        let kept: Vec<_> = self.kept.drain().map(|(_, w)| w).collect();
        for w in &kept {
            w.stop.cancel();
        }
        for w in kept {
            if tokio::time::timeout(KEEP_STOP_WAIT, w.handle).await.is_err() {
                tracing::warn!("scheduler: task {} did not stop in time", w.task.id.0);
            }
        }
    }

    /// Starts and stops kept tasks so that exactly the tasks that want
    /// keeping are kept (`paused`: "Pause all" is on).
    async fn keep_alive(&mut self, now_ms: i64, paused: bool) -> Result<(), TaskError> {
        let db = self.db.clone();
        let tasks = tokio::task::spawn_blocking(move || db.tasks().list())
            .await
            .map_err(|e| TaskError::Unsupported(format!("the scheduler's look-up stopped: {e}")))??;
        let wanted: HashMap<TaskId, Task> =
            tasks.into_iter().filter(|t| wants_keeping(t, paused)).map(|t| (t.id, t)).collect();
        // Stop the kept of tasks that no longer want one, or changed.
        self.kept.retain(|id, w| {
            let keep = wanted.get(id).is_some_and(|t| *t == w.task);
            if !keep {
                w.stop.cancel();
            }
            keep
        });
        self.restarts.retain(|id, _| wanted.contains_key(id));
        for (id, task) in wanted {
            if let Some(w) = self.kept.get(&id) {
                if !w.handle.is_finished() {
                    continue;
                }
                // It ended by itself: wait before the next start.
                let ran = now_ms - w.started_ms;
                let ends = if ran >= KEEP_SETTLED_MS { 1 } else { self.restarts.get(&id).map_or(1, |r| r.ends + 1) };
                let wait = KEEP_RESTART_MS.saturating_mul(1 << (ends - 1).min(10)).min(KEEP_RESTART_MAX_MS);
                self.kept.remove(&id);
                self.restarts.insert(id, Restart { at_ms: now_ms + wait, ends });
                tracing::info!("scheduler: task {} stopped by itself; starting it again in {} s", id.0, wait / 1000);
                continue;
            }
            if self.restarts.get(&id).is_some_and(|r| now_ms < r.at_ms) {
                continue;
            }
            let stop = CancellationToken::new();
            let handle = tokio::spawn(self.shell.keep(task.clone(), stop.clone()));
            self.kept.insert(id, Kept { task, stop, handle, started_ms: now_ms });
        }
        Ok(())
    }

    /// One tick at `now_ms`: takes the scheduler lock if it can (else
    /// starts nothing), prunes the log if a day has passed, and starts
    /// the due tasks (none while paused). Returns the tasks it started.
    pub async fn tick(&mut self, now_ms: i64, tz: &TimeZone) -> Result<Vec<TaskId>, TaskError> {
        if self.lock.is_none() {
            let taken = try_lock(&self.config, &self.who)
                .map_err(|source| TaskError::Lock { path: self.lock_file(), source })?;
            match taken {
                Ok(lock) => {
                    self.lock = Some(lock);
                    self.role.send_replace(Role::Active);
                    tracing::info!("scheduler: running the schedules");
                }
                Err(holder) => {
                    self.role.send_if_modified(|r| {
                        let new = Role::Standby(holder);
                        let changed = *r != new;
                        *r = new;
                        changed
                    });
                    return Ok(Vec::new());
                }
            }
        }
        if self.pruned_at.is_none_or(|p| now_ms - p >= PRUNE_EVERY_MS) {
            self.pruned_at = Some(now_ms);
            self.prune(now_ms).await;
        }
        let paused = self.shell.paused().await;
        self.keep_alive(now_ms, paused).await?;
        if paused {
            return Ok(Vec::new());
        }
        let (db, tz2) = (self.db.clone(), tz.clone());
        let due = tokio::task::spawn_blocking(move || db.tasks().due(now_ms, &tz2))
            .await
            .map_err(|e| TaskError::Unsupported(format!("the scheduler's look-up stopped: {e}")))??;
        let mut started = Vec::new();
        for (task, anchor) in due {
            let attempted = self.attempts.get(&task.id).copied();
            if let (Some(a), Some(s)) = (attempted, &task.schedule)
                && a > anchor
                && !super::schedule::is_due(s, a, now_ms, tz)
            {
                continue;
            }
            // Running elsewhere (or here): skip, without counting a start.
            match TaskLock::acquire(&self.config, &task, Hold::Run) {
                Ok(probe) => drop(probe),
                Err(TaskError::Busy { .. }) => continue,
                Err(e) => return Err(e),
            }
            self.attempts.insert(task.id, now_ms);
            started.push(task.id);
            self.shell.start(task);
        }
        Ok(started)
    }

    async fn prune(&self, now_ms: i64) {
        let Some(keep) = self.shell.log_retention().await else { return };
        let before = now_ms.saturating_sub(keep.as_millis().min(i64::MAX as u128) as i64);
        let db = self.db.clone();
        match tokio::task::spawn_blocking(move || db.prune_runs_before(before)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!("log retention: removed {n} old runs"),
            Ok(Err(e)) => tracing::warn!("log retention: {e}"),
            Err(e) => tracing::warn!("log retention: {e}"),
        }
    }

    fn lock_file(&self) -> PathBuf {
        self.config.path().join("locks/scheduler.lock")
    }
}
