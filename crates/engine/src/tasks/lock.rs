//! One run at a time per task, across processes.
//!
//! A run, a restore or a check holds its task through an exclusive OS
//! advisory lock on `<config>/locks/tasks/task-<id>.lock` (std's
//! `File::try_lock`: `flock` on Unix, `LockFileEx` on Windows). The OS
//! drops the lock when the holder's process ends in any way, `kill -9`
//! included, so a crash never leaves a task stuck and there is no stale
//! lock to clean up. The file's content is only a note (pid, what, since)
//! so that the process that is turned away can say who holds the task.
//!
//! The task locks sit in their own folder so that no remote's token lock
//! (`<config>/locks/<remote>.lock`) can share a file with them.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::TaskError;
use super::model::Task;
use crate::config_dir::ConfigDir;

/// What holds a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Running it (transfer or backup).
    Run,
    /// Restoring from its backups.
    Restore,
    /// Checking or pruning its repository.
    Check,
}

impl Hold {
    fn noun(self) -> &'static str {
        match self {
            Hold::Run => "a run",
            Hold::Restore => "a restore",
            Hold::Check => "a check",
        }
    }
}

/// Who holds a task, as its lock file's note says. The note may be
/// missing (written a moment after the lock is taken, or unreadable where
/// the OS lock also blocks reads): then only "another process" is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The holding process.
    pub pid: u32,
    /// What it does with the task.
    pub what: Hold,
    /// Since when (Unix ms).
    pub since_ms: i64,
    /// Which program, as the holder named itself ("the Fjordsync app");
    /// absent in notes written without a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// [`TaskError::Busy`]'s holder: known from the note, or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusyHolder(pub Option<Holder>);

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.by {
            Some(by) => write!(
                f,
                "{} by {by} (process {}) holds it; wait for it to finish, or stop it",
                self.what.noun(),
                self.pid
            ),
            None => {
                write!(f, "{} in process {} holds it; wait for it to finish, or stop it", self.what.noun(), self.pid)
            }
        }
    }
}

/// A held task. Dropping it releases the task.
#[derive(Debug)]
pub struct TaskLock {
    file: File,
    path: PathBuf,
}

impl TaskLock {
    /// Takes `task` for `what`, or fails at once with [`TaskError::Busy`]
    /// naming the holder (never waits: a scheduled run that finds its task
    /// busy skips, and a user is told).
    pub fn acquire(config: &ConfigDir, task: &Task, what: Hold) -> Result<TaskLock, TaskError> {
        Self::acquire_by(config, task, what, None)
    }

    /// [`TaskLock::acquire`], with the note naming the program that holds
    /// it (`by`: "the Fjordsync app"), so a process turned away can tell
    /// the user where the run is.
    pub fn acquire_by(config: &ConfigDir, task: &Task, what: Hold, by: Option<&str>) -> Result<TaskLock, TaskError> {
        let dir = config.subdir("locks").and_then(|_| config.subdir("locks/tasks"));
        let dir = dir.map_err(|source| TaskError::Lock { path: config.path().join("locks/tasks"), source })?;
        let path = dir.join(format!("task-{}.lock", task.id));
        let io = |source| TaskError::Lock { path: path.clone(), source };
        let mut file = open_no_follow(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(TaskError::Busy { task: task.name.clone(), holder: read_note(&path) });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let note = Holder { pid: std::process::id(), what, since_ms: now_ms(), by: by.map(str::to_string) };
        // The note is advice for the next comer; the lock is what counts.
        let _ = file.set_len(0).and_then(|_| file.write_all(&serde_json::to_vec(&note).unwrap_or_default()));
        Ok(TaskLock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TaskLock {
    fn drop(&mut self) {
        // An empty note: nobody holds it (closing the file unlocks it).
        let _ = self.file.set_len(0);
    }
}

fn read_note(path: &Path) -> BusyHolder {
    BusyHolder(std::fs::read(path).ok().and_then(|b| serde_json::from_slice::<Holder>(&b).ok()))
}

impl fmt::Display for BusyHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(h) => h.fmt(f),
            None => f.write_str("another Fjordsync process holds it; wait for it to finish"),
        }
    }
}

/// Opens (creating) the lock file, never through a symbolic link.
pub(crate) fn open_no_follow(path: &Path) -> std::io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
