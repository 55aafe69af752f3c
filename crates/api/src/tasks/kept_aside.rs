//! A two-way sync task's files kept aside after an error (the engine's
//! `bisync::issues`): listed where the task is, with what to do about
//! each, and all tried again at the user's word ("Try them again now"),
//! which takes them off the list and runs the task through the ordinary
//! door ([`Api::run_task`]).

use fjordsync_engine::bisync::{Issue, IssueKind, IssueSide};
use fjordsync_engine::tasks::Job;

use super::ProgressSink;
use crate::Api;
use crate::dto::{KeptAsideDto, RunDto};
use crate::error::{AppError, AppResult};

impl Api {
    /// The task's kept-aside files, by path (none for other kinds, or a
    /// pair that never ran).
    pub async fn list_kept_aside(&self, id: String) -> AppResult<Vec<KeptAsideDto>> {
        let task = self.engine_task(&id).await?;
        let Job::Bisync(spec) = &task.job else { return Ok(Vec::new()) };
        let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
        Ok(runner.bisync_issues(spec)?.into_iter().map(KeptAsideDto::from).collect())
    }

    /// Takes every kept-aside file of the task off the list and runs it,
    /// so each is tried again now (after the user made room, say); returns
    /// that run.
    pub async fn retry_kept_aside(&self, id: String, progress: ProgressSink) -> AppResult<RunDto> {
        let task = self.engine_task(&id).await?;
        let Job::Bisync(spec) = &task.job else {
            return Err(AppError::invalid(format!(
                "{:?} is not a two-way sync task: it keeps nothing aside",
                task.name
            )));
        };
        if self.running_tasks().await?.contains(&id) {
            return Err(AppError::new("busy", format!("{:?} is running; try again when it has finished", task.name)));
        }
        let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
        runner.bisync_retry_issues(spec)?;
        self.run_task(id, progress).await
    }
}

impl From<Issue> for KeptAsideDto {
    fn from(i: Issue) -> KeptAsideDto {
        KeptAsideDto {
            path: i.key,
            side: match i.side {
                IssueSide::Local => "local",
                IssueSide::Storage => "storage",
                IssueSide::Both => "both",
            }
            .into(),
            reason: match i.kind {
                IssueKind::Retry => "retry",
                IssueKind::StorageFull => "storage_full",
                IssueKind::DiskFull => "disk_full",
                IssueKind::NameRefused => "name_refused",
                IssueKind::Unsafe => "unsafe",
            }
            .into(),
            message: i.message,
            first_ms: i.first_ms,
            last_ms: i.last_ms,
            attempts: i.attempts,
            next_ms: i.next_ms,
        }
    }
}
