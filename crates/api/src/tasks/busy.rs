//! A task does one thing at a time, in this process and across processes.
//!
//! In this process, a map says what keeps each task busy (a run, a restore,
//! a repository check) and holds the token `cancel_task` fires. Across
//! processes, the same claim takes the engine's task lock
//! (`<config>/locks/tasks/task-<id>.lock`, an OS lock a killed holder
//! releases), so `fjordsync task run` and the app (or the daemon) never run
//! one task at once; whoever comes second is told who holds it, in words.

use fjordsync_engine::tasks::lock::{BusyHolder, Hold as Holding};
use fjordsync_engine::tasks::{Task, TaskError, TaskLock};
use jiff::tz::TimeZone;
use tokio_util::sync::CancellationToken;

use super::convert::{dto_id, task_err};
use super::{Api, Tasks};
use crate::dto::{AppEvent, RunDto};
use crate::error::{AppError, AppResult};

/// How the app names itself in a task lock's note, for the other process's
/// "busy" message.
pub(crate) const APP_NAME: &str = "the Fjordsync app";

/// One thing a task is busy with in this process. `cancel_task` fires the
/// token, whatever it is.
pub(crate) struct Busy {
    cancel: CancellationToken,
    /// What it is, for the `busy` error ("a restore", "a run", ...).
    what: &'static str,
}

/// A task held busy: by a run ([`Api::claim`]) or by something else
/// ([`Api::hold`]). Runs and other work on the task, in this process or
/// another, are refused until it is dropped; `cancel_task` fires
/// [`Hold::cancel`].
pub(crate) struct Hold<'a> {
    tasks: &'a Tasks,
    id: String,
    pub(crate) cancel: CancellationToken,
    lock: Option<TaskLock>,
}

impl Hold<'_> {
    /// The engine's lock, which the runner takes as proof.
    pub(crate) fn lock(&self) -> &TaskLock {
        self.lock.as_ref().expect("held until dropped")
    }
}

impl Drop for Hold<'_> {
    fn drop(&mut self) {
        // The OS lock first: once the map says free, the task is free.
        drop(self.lock.take());
        self.tasks.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

/// "“Photos” is busy: the fjordsync command (process 4242) has been
/// running it since 14:05. ..."
pub(crate) fn busy_message(task: &str, holder: &BusyHolder, tz: &TimeZone) -> String {
    let Some(h) = &holder.0 else {
        return format!(
            "“{task}” is busy in another Fjordsync window or command: wait for it to finish, or stop it there"
        );
    };
    let who = match &h.by {
        Some(by) => format!("{by} (process {})", h.pid),
        None => format!("another Fjordsync window or command (process {})", h.pid),
    };
    let doing = match h.what {
        Holding::Run => "running it",
        Holding::Restore => "restoring from it",
        Holding::Check => "checking its backup",
    };
    let since = jiff::Timestamp::from_millisecond(h.since_ms)
        .map(|t| t.to_zoned(tz.clone()).strftime("%H:%M").to_string())
        .unwrap_or_else(|_| "a moment ago".into());
    format!("“{task}” is busy: {who} has been {doing} since {since}. Wait for it to finish, or stop it there.")
}

impl Api {
    /// Marks the task busy with `what` here and takes its lock, or says
    /// what it is busy with (here or in another process).
    fn occupy(&self, task: &Task, what: &'static str, holding: Holding) -> AppResult<Hold<'_>> {
        self.occupy_with(task, what, holding, CancellationToken::new())
    }

    /// [`Api::occupy`] with the token `cancel_task` fires given (a child
    /// of a longer-lived one, so stopping that stops this too).
    fn occupy_with(
        &self,
        task: &Task,
        what: &'static str,
        holding: Holding,
        cancel: CancellationToken,
    ) -> AppResult<Hold<'_>> {
        let id = dto_id(task.id);
        let mut running = self.tasks.running.lock().expect("running lock");
        if let Some(busy) = running.get(&id) {
            let message = format!("{} of this task is in progress: try again when it has finished", busy.what);
            return Err(AppError::new("busy", message));
        }
        let lock = TaskLock::acquire_by(self.config(), task, holding, Some(APP_NAME)).map_err(|e| match e {
            TaskError::Busy { task, holder } => {
                AppError::new("busy", busy_message(&task, &holder, &TimeZone::system()))
            }
            other => task_err(other),
        })?;
        running.insert(id.clone(), Busy { cancel: cancel.clone(), what });
        Ok(Hold { tasks: &self.tasks, id, cancel, lock: Some(lock) })
    }

    /// Keeps a task busy with something that is not a run (see [`Hold`]);
    /// unlike [`Api::claim`] it does not tell the tray and notifications.
    pub(crate) async fn hold(&self, id: &str, what: &'static str, holding: Holding) -> AppResult<Hold<'_>> {
        let task = self.engine_task(id).await?;
        self.occupy(&task, what, holding)
    }

    /// Marks a task running (refused if it is busy anywhere) and tells the UI.
    pub(crate) fn claim(&self, task: &Task) -> AppResult<Hold<'_>> {
        self.claim_under(task, CancellationToken::new())
    }

    /// [`Api::claim`] for a run that also stops when `cancel` fires (a
    /// watcher's run: "Stop" ends this run, stopping the watcher ends it too).
    pub(crate) fn claim_under(&self, task: &Task, cancel: CancellationToken) -> AppResult<Hold<'_>> {
        let hold = self.occupy_with(task, "a run", Holding::Run, cancel)?;
        self.emit(AppEvent::TaskStarted { task: dto_id(task.id) });
        Ok(hold)
    }

    /// The run is over: lets go of the task, then tells the UI, the tray
    /// and notifications.
    pub(crate) fn release(&self, hold: Hold<'_>, task: &Task, result: &AppResult<RunDto>) {
        drop(hold);
        self.emit(AppEvent::TaskFinished {
            task: dto_id(task.id),
            name: task.name.clone(),
            run: result.as_ref().ok().cloned().map(Box::new),
            error: result.as_ref().err().map(|e| e.message.clone()),
        });
    }

    /// A run that failed as a whole while watched: lets go of the task and
    /// tells the UI it ended, without a notification (the watcher's state
    /// says what failed and when it tries again).
    pub(crate) fn release_quietly(&self, hold: Hold<'_>, task: &Task) {
        drop(hold);
        self.emit(AppEvent::TaskFinished { task: dto_id(task.id), name: task.name.clone(), run: None, error: None });
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

    /// Ids of the tasks running in this process now.
    pub async fn running_tasks(&self) -> AppResult<Vec<String>> {
        Ok(self.tasks.running.lock().expect("running lock").keys().cloned().collect())
    }

    /// Asks every running task to stop.
    pub(crate) fn cancel_all_runs(&self) {
        for busy in self.tasks.running.lock().expect("running lock").values() {
            busy.cancel.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjordsync_engine::tasks::Holder;

    #[test]
    fn the_holder_is_named_in_words() {
        let h = |by: Option<&str>, what| {
            BusyHolder(Some(Holder { pid: 42, what, since_ms: 1_795_419_780_000, by: by.map(String::from) }))
        };
        let utc = TimeZone::UTC;
        assert_eq!(
            busy_message("Photos", &h(Some("the Fjordsync app"), Holding::Run), &utc),
            "“Photos” is busy: the Fjordsync app (process 42) has been running it since 07:43. \
             Wait for it to finish, or stop it there."
        );
        let m = busy_message("Docs", &h(None, Holding::Restore), &utc);
        assert!(m.contains("another Fjordsync window or command (process 42) has been restoring from it"), "{m}");
        assert!(busy_message("Docs", &BusyHolder(None), &utc).contains("another Fjordsync window or command"));
    }
}
