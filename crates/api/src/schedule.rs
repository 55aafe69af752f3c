//! Schedules: when a task is due. The rules (every N hours, daily at HH:MM
//! local time, DST-safe, anchored on the last start) live in the engine,
//! `fjordsync_engine::tasks::schedule`, with their tests, so the app, the CLI
//! and the daemon agree on them; the loop that acts on them is the engine's
//! (`fjordsync_engine::tasks::scheduler`), started by
//! [`super::Api::run_scheduler`]. `ScheduleDto` is the engine's `Schedule`
//! under the name the app's DTOs use (the JSON shape is the same).

pub use fjordsync_engine::tasks::schedule::{Schedule as ScheduleDto, is_due, next_run_ms};
