//! The app's side of the engine's scheduler (`engine::tasks::scheduler`):
//! the loop, the one-scheduler-per-configuration lock and the "when is it
//! due" rules are the engine's; the app gives it the way to start a task
//! (its own run path, so a scheduled run has the same progress events,
//! tray and notifications as a click), the global pause and the log
//! retention from its settings.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fjordsync_engine::tasks::{Job, Scheduler, Shell, Task};
use tokio_util::sync::CancellationToken;

use super::convert::dto_id;
use crate::Api;
use crate::error::AppResult;

/// How the app starts scheduled tasks (see the module documentation).
pub struct AppShell(Arc<Api>);

impl Shell for AppShell {
    fn start(&self, task: Task) {
        self.0.spawn_run(dto_id(task.id));
    }

    async fn paused(&self) -> bool {
        match self.0.get_settings().await {
            Ok(s) => s.paused,
            Err(e) => {
                // Unreadable settings: better to start nothing than to ignore a pause.
                tracing::warn!("scheduler: reading the settings: {}", e.message);
                true
            }
        }
    }

    async fn log_retention(&self) -> Option<Duration> {
        let days = self.0.get_settings().await.ok()?.log_retention_days;
        (days > 0).then(|| Duration::from_secs(u64::from(days) * 86_400))
    }

    fn keep(&self, task: Task, stop: CancellationToken) -> impl Future<Output = ()> + Send + 'static {
        let api = self.0.clone();
        async move {
            match task.job {
                Job::Mount(_) => api.keep_mount(task, stop).await,
                _ => api.watch_task(task, stop).await,
            }
        }
    }
}

impl Api {
    /// The engine's scheduler over this app's tasks, naming itself `who`
    /// in the scheduler lock ("the Fjordsync app (pid 12)", "fjordsync
    /// daemon at http://...").
    pub fn scheduler(self: &Arc<Self>, who: impl Into<String>) -> AppResult<Scheduler<AppShell>> {
        Ok(Scheduler::new(self.config().clone(), self.state_db()?, who, AppShell(self.clone()))
            .poked_by(self.tasks.poke.clone()))
    }

    /// The scheduler as the app runs it, until [`Api::shutdown`]: only one
    /// per configuration runs the schedules (the others wait and take over).
    pub async fn run_scheduler(self: Arc<Self>) {
        let who = format!("{} (pid {})", super::busy::APP_NAME, std::process::id());
        self.run_scheduler_as(who).await
    }

    /// [`Api::run_scheduler`] under another name (the daemon's).
    pub async fn run_scheduler_as(self: Arc<Self>, who: String) {
        match self.scheduler(who) {
            Ok(s) => self.run_this_scheduler(s).await,
            Err(e) => tracing::error!("the scheduler cannot start: {}", e.message),
        }
    }

    /// Runs a scheduler made by [`Api::scheduler`] until [`Api::shutdown`]
    /// (the daemon subscribes to its role first, to say who runs the schedules).
    pub async fn run_this_scheduler(self: Arc<Self>, s: Scheduler<AppShell>) {
        self.tasks.scheduler_started.store(true, std::sync::atomic::Ordering::SeqCst);
        s.run(self.stopping()).await;
        self.tasks.scheduler_ended.cancel();
    }

    /// After [`Api::shutdown`] asked it to stop: waits (bounded) until the
    /// scheduler of this process has stopped what it keeps, so mounted
    /// folders are unmounted before the program ends.
    pub(crate) async fn scheduler_stopped(&self) {
        if self.tasks.scheduler_started.load(std::sync::atomic::Ordering::SeqCst) {
            let wait = fjordsync_engine::tasks::scheduler::KEEP_STOP_WAIT + Duration::from_secs(5);
            let _ = tokio::time::timeout(wait, self.tasks.scheduler_ended.cancelled()).await;
        }
    }

    /// Tells the scheduler that tasks or the global pause changed, so a
    /// continuous task starts or stops watching now rather than at the
    /// next tick.
    pub(crate) fn poke_scheduler(&self) {
        self.tasks.poke.notify_one();
    }

    /// Who runs the schedules when it is another process (the daemon while
    /// the app is open, or the other way round); `None` when it is this
    /// one or nobody.
    pub fn scheduled_elsewhere(&self) -> Option<String> {
        match fjordsync_engine::tasks::scheduler::holder(self.config()) {
            Ok(Some(h)) if h.pid != std::process::id() => Some(h.who),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!("scheduler lock: {e}");
                None
            }
        }
    }
}
