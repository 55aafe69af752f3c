//! Continuous two-way sync in the app and the daemon: the engine's
//! scheduler keeps a watcher per continuous task (`Shell::keep`), and the
//! engine's watch loop (`Runner::bisync_watch`) decides when to run. This
//! module gives that loop the app's way to run ([`TaskRuns`]: claim the
//! task, stream progress, record the run, tell the tray, like "Run now")
//! and keeps what each watcher is doing ([`WatchDto`]) for the task cards,
//! the Overview and the tray, announced with `AppEvent::TaskWatch`.

use std::sync::Arc;
use std::time::Duration;

use fjordsync_engine::bisync::{BisyncReport, BisyncSpec, Notice, PairRuns, WatchEvent, WatchOptions, WatchSink};
use fjordsync_engine::tasks::lock::BusyHolder;
use fjordsync_engine::tasks::schedule::Schedule;
use fjordsync_engine::tasks::{Job, Task, TaskError};
use fjordsync_engine::{EngineError, Runner};
use tokio_util::sync::CancellationToken;

use super::bisync::refusal_of;
use super::convert::dto_id;
use super::{apply_settings, coalescing_sink};
use crate::Api;
use crate::dto::{AppEvent, WatchDto, WatchErrorDto, WatchStateDto};
use crate::error::AppError;
use crate::settings::now_ms;

/// Runs a watched task's pair through the app's task door.
struct TaskRuns<'a> {
    api: &'a Api,
    runner: &'a Runner,
    task: &'a Task,
    spec: &'a BisyncSpec,
}

impl PairRuns for TaskRuns<'_> {
    async fn run(&self, cancel: CancellationToken) -> fjordsync_engine::Result<BisyncReport> {
        let hold = match self.api.claim_under(self.task, cancel) {
            Ok(h) => h,
            // "Run now" (or the command line) has it: the watch loop tries again.
            Err(e) if e.code == "busy" => {
                return Err(TaskError::Busy { task: self.task.name.clone(), holder: BusyHolder(None) }.into());
            }
            Err(e) => return Err(EngineError::Invalid(e.message)),
        };
        let id = dto_id(self.task.id);
        let progress = coalescing_sink(self.api.broadcast_progress(&id));
        // The transfer settings as they are now: a change in Settings
        // applies at the watcher's next run, not only at its next start.
        let mut spec = self.spec.clone();
        if let Ok(settings) = self.api.get_settings().await {
            apply_settings(&mut spec.options, &settings);
        }
        let result = self.runner.bisync(&spec, Some(self.task.id), progress, hold.cancel.clone()).await;
        match &result {
            Ok(report) => {
                let shown = self.api.record_run(self.task, report.run).await.map(|mut dto| {
                    dto.refusal = refusal_of(report);
                    dto
                });
                self.api.release(hold, self.task, &shown);
            }
            // The watch status says what failed and when it tries again;
            // a notification per retry would only repeat it.
            Err(_) => self.api.release_quietly(hold, self.task),
        }
        result
    }
}

impl Api {
    /// Keeps a continuous two-way sync task in step until `stop` fires
    /// (the app's `Shell::keep` for it). Ends by itself when the task cannot be
    /// watched (its storage or folder is gone): the scheduler starts it
    /// again later, and the card says why.
    pub(crate) async fn watch_task(self: Arc<Self>, task: Task, stop: CancellationToken) {
        let (Job::Bisync(spec), Some(Schedule::Continuous { poll_seconds })) = (&task.job, &task.schedule) else {
            return;
        };
        let id = dto_id(task.id);
        self.set_watch(&id, WatchStateDto::Starting, None, None);
        let result = async {
            let mut spec = spec.clone();
            apply_settings(&mut spec.options, &self.get_settings().await?);
            spec.options.dry_run = false;
            let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
            let opts = WatchOptions {
                poll_interval: Duration::from_secs(u64::from(*poll_seconds)),
                ..WatchOptions::default()
            };
            let runs = TaskRuns { api: &self, runner: &runner, task: &task, spec: &spec };
            runner.bisync_watch(&spec, opts, &runs, self.watch_sink(&id), stop.clone()).await.map_err(AppError::from)
        }
        .await;
        match result {
            Ok(()) => self.clear_watch(&id),
            Err(e) => {
                tracing::warn!("task {id}: stopped watching: {}", e.message);
                let repeated = self.tasks.watch_of(&id).and_then(|w| w.error).is_some_and(|w| w.message == e.message);
                self.set_watch(&id, WatchStateDto::Stopped, Some(e.clone().into()), None);
                if !repeated {
                    self.emit(AppEvent::TaskFinished {
                        task: id.clone(),
                        name: task.name.clone(),
                        run: None,
                        error: Some(e.message),
                    });
                }
            }
        }
    }

    /// The watch loop's events as the watcher's state.
    fn watch_sink(self: &Arc<Self>, id: &str) -> WatchSink {
        let (api, id) = (self.clone(), id.to_string());
        Arc::new(move |e: WatchEvent| match e {
            WatchEvent::Idle => api.set_watch(&id, WatchStateDto::Idle, None, None),
            WatchEvent::Syncing { .. } => api.set_watch(&id, WatchStateDto::Syncing, None, None),
            WatchEvent::Ran { .. } => {}
            WatchEvent::Error { error, retry_in } => {
                let at = now_ms().saturating_add(retry_in.as_millis().min(i64::MAX as u128) as i64);
                api.set_watch(&id, WatchStateDto::Retrying, Some(AppError::from(error).into()), Some(at))
            }
            WatchEvent::Notice(n) => api.set_notice(&id, notice_code(&n)),
        })
    }

    fn set_watch(&self, id: &str, state: WatchStateDto, error: Option<WatchErrorDto>, retry_at_ms: Option<i64>) {
        let watch = self.tasks.update_watch(id, |w| {
            w.state = state;
            w.since_ms = now_ms();
            w.error = error;
            w.retry_at_ms = retry_at_ms;
        });
        self.emit(AppEvent::TaskWatch { task: id.to_string(), watch: Some(watch) });
    }

    fn set_notice(&self, id: &str, notice: &'static str) {
        let watch = self.tasks.update_watch(id, |w| w.notice = Some(notice.to_string()));
        self.emit(AppEvent::TaskWatch { task: id.to_string(), watch: Some(watch) });
    }

    fn clear_watch(&self, id: &str) {
        self.tasks.watches.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        self.emit(AppEvent::TaskWatch { task: id.to_string(), watch: None });
    }

    /// What the watcher of task `id` is doing in this process, if it has one.
    pub(crate) fn watch_of(&self, id: &str) -> Option<WatchDto> {
        self.tasks.watch_of(id)
    }
}

impl super::Tasks {
    fn watch_of(&self, id: &str) -> Option<WatchDto> {
        self.watches.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    fn update_watch(&self, id: &str, change: impl FnOnce(&mut WatchDto)) -> WatchDto {
        let mut all = self.watches.lock().unwrap_or_else(|p| p.into_inner());
        let w = all.entry(id.to_string()).or_insert_with(|| WatchDto {
            state: WatchStateDto::Starting,
            since_ms: now_ms(),
            retry_at_ms: None,
            error: None,
            notice: None,
        });
        change(w);
        w.clone()
    }
}

/// A degraded watcher's notice as a code the UI words.
fn notice_code(n: &Notice) -> &'static str {
    match n {
        Notice::Overflow => "overflow",
        Notice::WatchLimit => "watch_limit",
        Notice::WatchFailed(_) => "watch_failed",
    }
}
