//! What a named task is: a name the user chose, a job (what it does), an
//! optional schedule and a paused flag. Every kind of task is one variant
//! of [`Job`], so a list, a log or a scheduler handles them all alike, and
//! new kinds (two-way sync, mounts) are new variants, not new tables.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::schedule::Schedule;
use crate::backup::RetentionPolicy;
use crate::filter::FilterOptions;
use crate::task::{Location, TaskKind, TaskOptions, TaskSpec};

/// A task's stable id: what runs point at, so renaming a task keeps its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub i64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The kind of a task, as the CLI and the log spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Copy new and changed files.
    Copy,
    /// Mirror the source onto the destination.
    Sync,
    /// Copy, verify, delete from the source.
    Move,
    /// Snapshots into a restic-format repository.
    Backup,
    /// Two-way sync of a local folder and a remote folder.
    Bisync,
    /// A storage folder kept mounted as a local or WebDAV folder.
    Mount,
}

impl JobKind {
    /// The word the CLI takes and prints.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Copy => "copy",
            JobKind::Sync => "sync",
            JobKind::Move => "move",
            JobKind::Backup => "backup",
            JobKind::Bisync => "bisync",
            JobKind::Mount => "mount",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A one-way transfer: the same sides and options `fjordsync sync` takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Where files come from.
    pub source: Location,
    /// Where they go.
    pub destination: Location,
    /// How (filters, parallelism, delete guard...).
    #[serde(default)]
    pub options: TaskOptions,
}

/// A backup: folders into a repository, then the retention rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backup {
    /// The folders (or files) to back up, as full paths.
    pub folders: Vec<PathBuf>,
    /// The repository: a local folder or a folder on a remote.
    pub repository: Location,
    /// Which files: the transfer tasks' filters, with the same meaning.
    #[serde(default)]
    pub filters: FilterOptions,
    /// What to keep after each run (empty: keep everything).
    #[serde(default)]
    pub retention: RetentionPolicy,
    /// The password is in the secret store (false: asked for at each run).
    #[serde(default)]
    pub remember_password: bool,
    /// A file whose first line is the password (the path is stored, never
    /// the password). Used before the secret store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
}

/// What a task does. Stored as JSON with its kind as a tag
/// (`{"kind":"sync","source":...}`), so new kinds never change old rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// See [`JobKind::Copy`].
    Copy(Transfer),
    /// See [`JobKind::Sync`].
    Sync(Transfer),
    /// See [`JobKind::Move`].
    Move(Transfer),
    /// See [`JobKind::Backup`].
    Backup(Backup),
    /// See [`JobKind::Bisync`]: the same spec `fjordsync bisync` runs.
    Bisync(crate::bisync::BisyncSpec),
    /// See [`JobKind::Mount`]: kept mounted by the scheduler, never "run".
    Mount(crate::mount::MountSpec),
}

impl Job {
    /// A transfer job of `kind` (`check` is not a task: it changes nothing
    /// and has nothing to schedule, so it is refused).
    pub fn transfer(kind: TaskKind, transfer: Transfer) -> Option<Job> {
        match kind {
            TaskKind::Copy => Some(Job::Copy(transfer)),
            TaskKind::Sync => Some(Job::Sync(transfer)),
            TaskKind::Move => Some(Job::Move(transfer)),
            TaskKind::Check => None,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> JobKind {
        match self {
            Job::Copy(_) => JobKind::Copy,
            Job::Sync(_) => JobKind::Sync,
            Job::Move(_) => JobKind::Move,
            Job::Backup(_) => JobKind::Backup,
            Job::Bisync(_) => JobKind::Bisync,
            Job::Mount(_) => JobKind::Mount,
        }
    }

    /// The runner's task for a transfer job (`None` for a backup or a two-way sync).
    pub fn spec(&self) -> Option<TaskSpec> {
        let (kind, t) = match self {
            Job::Copy(t) => (TaskKind::Copy, t),
            Job::Sync(t) => (TaskKind::Sync, t),
            Job::Move(t) => (TaskKind::Move, t),
            Job::Backup(_) | Job::Bisync(_) | Job::Mount(_) => return None,
        };
        Some(TaskSpec {
            kind,
            source: t.source.clone(),
            destination: t.destination.clone(),
            options: t.options.clone(),
        })
    }

    /// True for a job that lives on instead of running now and then
    /// (a mount): the scheduler keeps it while it is not paused.
    pub fn is_kept(&self) -> bool {
        matches!(self, Job::Mount(_))
    }

    /// Where it reads, for lists: the source, or the backed-up folders.
    pub fn source_label(&self) -> String {
        match self {
            Job::Copy(t) | Job::Sync(t) | Job::Move(t) => t.source.to_string(),
            Job::Backup(b) => b.folders.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
            Job::Bisync(b) => b.local_location().to_string(),
            Job::Mount(m) => m.location().to_string(),
        }
    }

    /// Where it writes, for lists: the destination, or the repository.
    pub fn destination_label(&self) -> String {
        match self {
            Job::Copy(t) | Job::Sync(t) | Job::Move(t) => t.destination.to_string(),
            Job::Backup(b) => b.repository.to_string(),
            Job::Bisync(b) => b.remote_location().to_string(),
            Job::Mount(m) => m.access_label(),
        }
    }
}

/// A named task as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Stable id.
    pub id: TaskId,
    /// The user's name for it, unique (ignoring case).
    pub name: String,
    /// What it does.
    pub job: Job,
    /// Runs by itself on this schedule.
    pub schedule: Option<Schedule>,
    /// When the schedule was set (Unix ms): before the first run, the
    /// schedule counts from here (see [`super::schedule`]).
    pub schedule_since_ms: Option<i64>,
    /// A paused task is not started by a schedule (it still runs by hand).
    pub paused: bool,
    /// When it was made (Unix ms).
    pub created_ms: i64,
}

/// A task to add: everything but what the store assigns.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    /// Its name (see [`check_name`]).
    pub name: String,
    /// What it does.
    pub job: Job,
    /// Optional schedule.
    pub schedule: Option<Schedule>,
}

/// Why a name cannot be a task's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty or only spaces.
    #[error("a task needs a name")]
    Empty,
    /// Too long for a list.
    #[error("a task name is at most 64 characters")]
    TooLong,
    /// Control characters or spaces at either end would be invisible.
    #[error("{0:?}: a task name has no control characters and no spaces at either end")]
    Invisible(String),
    /// Only digits: it would read as a task id.
    #[error("{0:?}: a task name needs a letter (numbers alone are task ids)")]
    Number(String),
}

/// The rules for a name: visible, short, and never mistaken for an id
/// (commands take a name or an id in the same place).
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.trim().is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > 64 {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) || name.trim() != name {
        return Err(NameError::Invisible(name.to_string()));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(NameError::Number(name.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(check_name("Photos"), Ok(()));
        assert_eq!(check_name("photos 2026"), Ok(()));
        assert_eq!(check_name(" "), Err(NameError::Empty));
        assert!(matches!(check_name(" a"), Err(NameError::Invisible(_))));
        assert!(matches!(check_name("a\tb"), Err(NameError::Invisible(_))));
        assert!(matches!(check_name("42"), Err(NameError::Number(_))));
        assert_eq!(check_name(&"x".repeat(65)), Err(NameError::TooLong));
    }

    /// The stored JSON carries the kind as a tag beside the job's fields.
    #[test]
    fn jobs_store_their_kind_as_a_tag() {
        let job = Job::Sync(Transfer {
            source: Location::Local { path: "/a".into() },
            destination: Location::Remote { remote: "demo".into(), path: "x".into() },
            options: TaskOptions::default(),
        });
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(v["kind"], "sync");
        assert_eq!(serde_json::from_value::<Job>(v).unwrap(), job);
        assert_eq!(job.spec().unwrap().kind, TaskKind::Sync);
        assert!(Job::transfer(TaskKind::Check, Transfer { ..transfer_of(&job) }).is_none());
    }

    fn transfer_of(job: &Job) -> Transfer {
        match job {
            Job::Copy(t) | Job::Sync(t) | Job::Move(t) => t.clone(),
            Job::Backup(_) | Job::Bisync(_) | Job::Mount(_) => unreachable!(),
        }
    }
}
