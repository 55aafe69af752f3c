//! A backup run as the run log records it, whoever starts it (`fjordsync
//! backup run`, `fjordsync task run`, the app, a schedule): one row in
//! `runs` of kind `backup`, its own result (new / changed / unmodified
//! files, bytes added, snapshot), then the job's retention rules.
//!
//! Two steps, so a shell can announce the run id before the (long) backup:
//!
//! ```no_run
//! # async fn demo(db: &fjordsync_engine::StateDb, repo: &fjordsync_engine::backup::Repo,
//! #   job: &fjordsync_engine::tasks::Backup) -> Result<(), fjordsync_engine::state::StateError> {
//! use fjordsync_engine::backup::*;
//! let run = LoggedBackup::start(db, job, None)?;
//! println!("run {}", run.id());
//! let report = run.run(repo, &BackupOptions::default(), no_progress(), Default::default()).await?;
//! # Ok(()) }
//! ```
//!
//! A retention that fails after a good backup does not fail the run (its
//! snapshot is saved): it is one failed [`RETENTION_ACTION`] row in the
//! run's log and [`LoggedReport::retention_error`].

use std::path::Path;

use tokio_util::sync::CancellationToken;

use super::error::BackupError;
use super::progress::ProgressSink;
use super::repo::{Repo, RepoLocation, RepoOptions};
use super::run::{BackupOptions, BackupSummary};
use crate::error::EngineError;
use crate::runner::Runner;
use crate::secrets::SecretStore;
use crate::state::{BackupResult, DbOp, FileEvent, NewRun, Outcome, RunResult, StateDb, StateError};
use crate::task::Location;
use crate::tasks::{Backup, Job, Task, TaskError, TaskId, TaskLock};

/// The action of the log row that stands for a failed retention step.
pub const RETENTION_ACTION: &str = "retention";

impl From<&BackupSummary> for BackupResult {
    fn from(s: &BackupSummary) -> BackupResult {
        BackupResult {
            snapshot: s.snapshot.clone(),
            files_new: s.files_new,
            files_changed: s.files_changed,
            files_unmodified: s.files_unmodified,
            bytes_added: s.data_added,
            bytes_stored: s.data_added_packed,
            total_files: s.total_files,
            total_bytes: s.total_bytes,
        }
    }
}

/// A backup run whose row is open (`running`). Finish it with
/// [`LoggedBackup::run`]; if the process dies first, the next open of the
/// state database marks it `interrupted`.
#[must_use = "a started run stays `running` until `run` finishes it"]
pub struct LoggedBackup<'a> {
    db: &'a StateDb,
    job: &'a Backup,
    run: i64,
}

/// How a logged backup ended.
#[derive(Debug)]
pub struct LoggedReport {
    /// The run's id in the log.
    pub run: i64,
    /// `ok`, `failed` or `cancelled`.
    pub outcome: Outcome,
    /// What the backup did, when it saved a snapshot.
    pub summary: Option<BackupSummary>,
    /// Why the backup failed (`Cancelled` when it was cancelled).
    pub error: Option<BackupError>,
    /// Why the retention after a good backup failed, if it did.
    pub retention_error: Option<String>,
}

impl<'a> LoggedBackup<'a> {
    /// Opens the run row for `job` (of named task `task`, if any).
    pub fn start(db: &'a StateDb, job: &'a Backup, task: Option<TaskId>) -> Result<LoggedBackup<'a>, StateError> {
        let run = db.start_run(&NewRun::backup(job)?.task(task))?;
        Ok(LoggedBackup { db, job, run })
    }

    /// The run's id.
    pub fn id(&self) -> i64 {
        self.run
    }

    /// Backs up the job's folders into `repo` with `opts`, applies the
    /// job's retention (with prune) after a good run, and finishes the row.
    /// `Err` only when the state database fails; the backup's own failure
    /// is in the report (and the run is recorded `failed` or `cancelled`).
    pub async fn run(
        self,
        repo: &Repo,
        opts: &BackupOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<LoggedReport, StateError> {
        let result = repo.backup(&self.job.folders, opts, progress, cancel).await;
        let (outcome, summary, error) = match result {
            Ok(s) => (Outcome::Ok, Some(s), None),
            Err(BackupError::Cancelled) => (Outcome::Cancelled, None, Some(BackupError::Cancelled)),
            Err(e) => (Outcome::Failed, None, Some(e)),
        };
        let mut retention_error = None;
        let policy = &self.job.retention;
        if summary.is_some()
            && !policy.is_empty()
            && let Err(e) = repo.forget(policy, true, false).await
        {
            let message = format!("snapshot saved; retention failed: {e}");
            tracing::warn!("backup run {}: {message}", self.run);
            self.db.apply(&[failed_row(self.run, RETENTION_ACTION, repo.location(), &message)])?;
            retention_error = Some(message);
        }
        if let Some(e) = &error {
            // The failure is the run's one row, so `log RUN` says why.
            if !matches!(e, BackupError::Cancelled) {
                self.db.apply(&[failed_row(self.run, "backup", repo.location(), &e.to_string())])?;
            }
        }
        self.db.finish_run(self.run, outcome, RunResult::Backup(summary.as_ref().map(BackupResult::from)))?;
        Ok(LoggedReport { run: self.run, outcome, summary, error, retention_error })
    }

    /// Finishes the run as failed without a backup (the repository could
    /// not be opened): one failed row at `place` says why.
    pub fn fail(self, place: &str, error: BackupError) -> Result<LoggedReport, StateError> {
        self.db.apply(&[failed_row(self.run, "backup", place, &error.to_string())])?;
        self.db.finish_run(self.run, Outcome::Failed, RunResult::Backup(None))?;
        Ok(LoggedReport {
            run: self.run,
            outcome: Outcome::Failed,
            summary: None,
            error: Some(error),
            retention_error: None,
        })
    }
}

/// A run's one row for a step that failed as a whole (the backup, its
/// retention): `log RUN` shows it, the app reads it as the run's warning.
fn failed_row(run: i64, action: &str, place: &str, message: &str) -> DbOp {
    DbOp::Event(FileEvent {
        run,
        path: place.to_string(),
        action: action.into(),
        result: "failed".into(),
        error: Some(message.to_string()),
        target: place.to_string(),
        ..Default::default()
    })
}

/// The secret-store key of a backup task's password, as the app spells it.
pub fn password_key(task: impl std::fmt::Display) -> String {
    format!("backup-password-{task}")
}

/// Reads a password file as restic does: its first line.
pub fn read_password_file(path: &Path) -> Result<String, BackupError> {
    let text = std::fs::read_to_string(path).map_err(|source| BackupError::Io {
        context: format!("reading the password file {}", path.display()),
        source,
    })?;
    let line = text.lines().next().unwrap_or_default().to_string();
    if line.is_empty() {
        return Err(BackupError::Invalid(format!("the password file {} is empty", path.display())));
    }
    Ok(line)
}

impl Task {
    /// The repository password of a backup task: from its password file,
    /// else from the secret store ([`password_key`] of its id).
    pub fn backup_password(&self, secrets: &dyn SecretStore) -> Result<String, BackupError> {
        let Job::Backup(job) = &self.job else {
            return Err(BackupError::Invalid(format!("task {:?} is not a backup task", self.name)));
        };
        if let Some(file) = &job.password_file {
            return read_password_file(file);
        }
        let key = password_key(self.id);
        match secrets.get(&key) {
            Ok(Some(p)) if !p.is_empty() => Ok(p),
            Ok(_) => Err(BackupError::PasswordRequired(format!(
                "backup task {:?} has no password: give it a password file (remove it and add it again with \
                 `--password-file FILE`) or store the password in the secret store ({}) under {key:?}",
                self.name,
                secrets.describe()
            ))),
            Err(e) => Err(BackupError::PasswordRequired(format!(
                "backup task {:?}: the password could not be read from the secret store ({e}); \
                 give the task a password file instead (`--password-file FILE`)",
                self.name
            ))),
        }
    }
}

impl Runner {
    /// Runs a named backup task: opens its repository with `password`,
    /// backs up its folders with its filters, records the run under the
    /// task, applies its retention. The `_held` lock is the caller's proof
    /// that no other process runs it now (see [`Runner::run_task`]).
    pub async fn run_backup_task(
        &self,
        task: &Task,
        _held: &TaskLock,
        password: &str,
        repo_opts: &RepoOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> crate::Result<LoggedReport> {
        let Job::Backup(job) = &task.job else {
            return Err(EngineError::Task(TaskError::Unsupported(format!(
                "task {:?} is a {} task, not a backup",
                task.name,
                task.job.kind()
            ))));
        };
        let location = match &job.repository {
            Location::Local { path } => RepoLocation::Local(path.clone()),
            Location::Remote { remote, path } => {
                RepoLocation::Remote { session: Box::new(self.open_remote(remote)?), path: path.clone() }
            }
        };
        let mut repo_opts = repo_opts.clone();
        repo_opts.no_cache |= matches!(location, RepoLocation::Local(_));
        let repo = match Repo::open(&location, password, &repo_opts).await {
            Ok(r) => r,
            Err(e) => {
                // Not even opened: still a run of the task, failed, with the reason.
                let run = LoggedBackup::start(self.db(), job, Some(task.id))?;
                return Ok(run.fail(&location.to_string(), e)?);
            }
        };
        let opts = BackupOptions { filters: job.filters.clone(), ..Default::default() };
        let run = LoggedBackup::start(self.db(), job, Some(task.id))?;
        Ok(run.run(&repo, &opts, progress, cancel).await?)
    }
}
