//! Named tasks, owned by the engine so that every door (the app, the CLI,
//! later a daemon) sees the same list, the same schedule and the same runs.
//!
//! - [`model`]: what a task is ([`Task`], every kind one [`Job`] variant);
//! - [`store`]: the tasks in the state database ([`StateDb::tasks`]);
//! - [`schedule`]: when a task is due (pure functions of the clock);
//! - [`lock`]: one run at a time per task, across processes;
//! - [`scheduler`]: the loop that starts due tasks, one per configuration.
//!
//! Runs of a named task are recorded by the runner with the task's id
//! ([`crate::Runner::run_task`]), so `fjordsync log --task NAME` and the app
//! find them by id, not by comparing specs.
//!
//! [`StateDb::tasks`]: crate::state::StateDb::tasks

mod error;
pub mod lock;
pub mod model;
pub mod schedule;
pub mod scheduler;
pub mod store;

pub use error::TaskError;
pub use lock::{Hold, Holder, TaskLock};
pub use model::{Backup, Job, JobKind, NameError, NewTask, Task, TaskId, Transfer, check_name};
pub use schedule::{Schedule, ScheduleError};
pub use scheduler::{Role, Scheduler, SchedulerHolder, Shell};
pub use store::TaskStore;

#[cfg(test)]
mod tests;
