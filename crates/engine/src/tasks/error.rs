//! What working with named tasks can fail with, in words a user can act on.

use std::path::PathBuf;

use super::lock::BusyHolder;
use super::model::NameError;
use super::schedule::ScheduleError;
use crate::state::StateError;

/// A task operation failed.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// The name breaks the rules.
    #[error(transparent)]
    Name(#[from] NameError),
    /// Another task has this name (names are unique ignoring case).
    #[error("there is already a task named {0:?}; choose another name or remove that task first")]
    Duplicate(String),
    /// No task has this name or id.
    #[error("there is no task named {0:?}")]
    NotFound(String),
    /// The schedule cannot be used.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
    /// `check` and other kinds that cannot be a task.
    #[error("{0}")]
    Unsupported(String),
    /// Another run, restore or check holds the task.
    #[error("task {task:?} is busy: {holder}")]
    Busy {
        /// The task's name.
        task: String,
        /// Who holds it, as far as its note tells.
        holder: BusyHolder,
    },
    /// The lock file could not be opened.
    #[error("opening the task lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The state database failed.
    #[error(transparent)]
    State(#[from] StateError),
}
