//! Two-way sync tasks in the app: run and previewed through the same doors
//! as the one-way tasks (claim, task lock, progress sink, run log), with
//! the engine's `Runner::bisync` doing the work.

use fjordsync_engine::bisync::{Action, BisyncReport, BisyncSpec, dry_word};
use fjordsync_engine::events::PlanTotals;
use fjordsync_engine::remedy::in_app_words;
use fjordsync_engine::task::MaxDelete;
use fjordsync_engine::tasks::Task;
use fjordsync_engine::tree::user_path;
use tokio_util::sync::CancellationToken;

use super::{ProgressSink, apply_settings, coalescing_sink};
use crate::Api;
use crate::dto::{PreviewDto, ProblemDto, RefusalDto, RunDto, StepDto};
use crate::error::AppResult;

impl Api {
    /// Runs a two-way sync task (see [`Api::run_task_with`]): the settings'
    /// parallel transfers and bandwidth limit apply; `allow_deletes` lifts
    /// the per-side delete guard (an empty or missing root is still refused).
    pub(crate) async fn run_bisync(
        &self,
        task: &Task,
        spec: &BisyncSpec,
        allow_deletes: bool,
        progress: ProgressSink,
    ) -> AppResult<RunDto> {
        let settings = self.get_settings().await?;
        let mut spec = spec.clone();
        apply_settings(&mut spec.options, &settings);
        spec.options.dry_run = false;
        if allow_deletes {
            spec.options.max_delete = Some(MaxDelete::Percent(100.0));
        }
        let hold = self.claim(task)?;
        let result = async {
            let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
            let report = runner.bisync(&spec, Some(task.id), coalescing_sink(progress), hold.cancel.clone()).await?;
            let mut dto = self.record_run(task, report.run).await?;
            dto.refusal = refusal_of(&report);
            Ok(dto)
        }
        .await;
        self.release(hold, task, &result);
        result
    }

    /// What a two-way sync would do now: a dry run (records nothing).
    pub(crate) async fn preview_bisync(&self, spec: &BisyncSpec) -> AppResult<PreviewDto> {
        let mut spec = spec.clone();
        spec.options.dry_run = true;
        let runner = self.runner(std::slice::from_ref(&spec.remote)).await?;
        let report = runner.bisync(&spec, None, fjordsync_engine::events::discard(), CancellationToken::new()).await?;
        Ok(preview_of(&report))
    }
}

fn deletes(actions: &[Action]) -> u64 {
    actions.iter().filter(|a| matches!(a, Action::DeleteLocal(_) | Action::DeleteRemote(_))).count() as u64
}

pub(super) fn refusal_of(r: &BisyncReport) -> Option<RefusalDto> {
    let f = r.refusal.as_ref()?;
    let deletes = deletes(&r.actions);
    Some(RefusalDto {
        message: in_app_words(&f.message),
        hint: in_app_words(&f.hint),
        deletes,
        destination_files: 0,
        overridable: r.problems.is_empty() && deletes > 0,
    })
}

fn preview_of(r: &BisyncReport) -> PreviewDto {
    let mut totals = PlanTotals::default();
    for a in &r.actions {
        match a {
            Action::Upload(_) | Action::Download(_) | Action::Conflict { .. } => totals.files += 1,
            Action::DeleteLocal(_) | Action::DeleteRemote(_) | Action::RmdirLocal(_) | Action::RmdirRemote(_) => {
                totals.deletes += 1
            }
            Action::MkdirLocal(_) | Action::MkdirRemote(_) => totals.mkdirs += 1,
            _ => {}
        }
    }
    let shown = r.actions.iter().take(crate::dto::PREVIEW_STEPS);
    PreviewDto {
        totals,
        quota_bytes: None,
        quota_free: None,
        problems: r
            .problems
            .iter()
            .map(|p| ProblemDto { kind: p.kind.to_string(), path: p.path.clone(), message: in_app_words(&p.message) })
            .collect(),
        refusal: refusal_of(r),
        steps: shown.map(|a| StepDto { action: dry_word(a).into(), path: user_path(a.key()), bytes: 0 }).collect(),
        more_steps: r.actions.len().saturating_sub(crate::dto::PREVIEW_STEPS) as u64,
        notes: Vec::new(),
    }
}
