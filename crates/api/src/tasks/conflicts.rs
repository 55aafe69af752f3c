//! A two-way sync task's open conflicts, listed with both versions, and
//! resolved from the app: keep mine, keep theirs or keep both. The engine
//! changes the local folder (see `engine::bisync::resolve`), then the task
//! runs once through the ordinary door ([`Api::run_task`]: claim, lock,
//! progress, run log) so the storage follows.

use fjordsync_engine::bisync::{self, PairId, Resolution};
use fjordsync_engine::state::StateDb;
use fjordsync_engine::tasks::{Job, Task};

use super::{ProgressSink, state_err};
use crate::Api;
use crate::dto::{ConflictDto, RunDto, VersionDto};
use crate::error::{AppError, AppResult};

fn spec_of(task: &Task) -> AppResult<&bisync::BisyncSpec> {
    match &task.job {
        Job::Bisync(spec) => Ok(spec),
        _ => Err(AppError::invalid(format!("{:?} is not a two-way sync task: it has no conflicts", task.name))),
    }
}

impl Api {
    /// The task's open conflicts, newest first (none for other kinds).
    pub async fn list_conflicts(&self, id: String) -> AppResult<Vec<ConflictDto>> {
        let task = self.engine_task(&id).await?;
        let Job::Bisync(spec) = task.job else { return Ok(Vec::new()) };
        self.with_db(move |db| {
            let open = bisync::open_conflicts(db, &spec).map_err(AppError::from)?;
            Ok(open.into_iter().map(ConflictDto::from).collect())
        })
        .await
    }

    /// Resolves one conflict, then runs the task so the storage follows;
    /// returns that run. Refused (`conflict_changed`) when either version
    /// changed since the conflict was found.
    pub async fn resolve_conflict(
        &self,
        id: String,
        conflict: i64,
        resolution: Resolution,
        progress: ProgressSink,
    ) -> AppResult<RunDto> {
        let task = self.engine_task(&id).await?;
        let spec = spec_of(&task)?.clone();
        if self.running_tasks().await?.contains(&id) {
            return Err(AppError::new("busy", format!("{:?} is running; resolve when it has finished", task.name)));
        }
        let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
        runner.resolve_conflict(&spec, conflict, resolution).await?;
        self.run_task(id, progress).await
    }
}

/// A two-way task's pair in the state database (`None` for other kinds, or
/// a pair that never ran): what its conflicts and kept-aside files hang on.
pub(super) fn pair_of(db: &StateDb, task: &Task) -> AppResult<Option<PairId>> {
    let Job::Bisync(spec) = &task.job else { return Ok(None) };
    db.find_bisync_pair(&spec.local.display().to_string(), &spec.remote, &spec.path).map_err(state_err)
}

impl From<bisync::OpenConflict> for ConflictDto {
    fn from(c: bisync::OpenConflict) -> ConflictDto {
        let v = |v: bisync::Version| VersionDto { path: v.path, size: v.size, modified_ms: v.modified_ms };
        ConflictDto { id: c.id, found_ms: c.found_ms, mine: v(c.mine), theirs: v(c.theirs) }
    }
}
