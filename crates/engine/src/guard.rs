//! The delete guard: the unmounted-disk disaster (an empty or missing source
//! mirrored onto a full destination) must not happen by default.

use crate::plan::Plan;
use crate::remedy::Remedy;
use crate::task::{MaxDelete, TaskKind, TaskOptions};

/// Why the guard refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// In words, with the numbers.
    pub message: String,
    /// How to go ahead anyway.
    pub hint: String,
}

/// Checks a plan's deletes against the limits. Default: refuse any delete
/// when the source is empty or missing, and more than half of the
/// destination's files. `--max-delete N` or `N%` replaces both rules.
pub fn check(kind: TaskKind, plan: &Plan, options: &TaskOptions) -> Result<(), Refusal> {
    if kind == TaskKind::Check {
        return Ok(());
    }
    if !plan.source_exists {
        return Err(Refusal {
            message: "the source folder does not exist".into(),
            hint: "check the path (is the disk mounted?)".into(),
        });
    }
    let deletes = plan.totals.deletes;
    if deletes == 0 {
        return Ok(());
    }
    let total = plan.destination_files.max(1);
    let share = deletes as f64 * 100.0 / total as f64;
    let hint = format!("if this is intended, {}", Remedy::AllowDeletes.cli());
    let limit = Remedy::DeleteLimit.cli();
    match options.max_delete {
        Some(MaxDelete::Count(n)) if deletes > n => {
            Err(Refusal { message: format!("refusing to delete {deletes} files: {limit}{n}"), hint })
        }
        Some(MaxDelete::Percent(p)) if share > p => Err(Refusal {
            message: format!("refusing to delete {deletes} of {total} destination files ({share:.0}%): {limit}{p}%"),
            hint,
        }),
        Some(_) => Ok(()),
        None if plan.source_files == 0 => Err(Refusal {
            message: format!(
                "refusing to delete {deletes} destination files because the source is empty (is the disk mounted?)"
            ),
            hint,
        }),
        None if share > 50.0 => Err(Refusal {
            message: format!(
                "refusing to delete {deletes} of {total} destination files ({share:.0}%): more than half of the destination"
            ),
            hint,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(src: u64, dst: u64, deletes: u64) -> Plan {
        let mut p = Plan { source_files: src, destination_files: dst, source_exists: true, ..Default::default() };
        p.totals.deletes = deletes;
        p
    }

    #[test]
    fn limits() {
        let o = TaskOptions::default();
        assert!(check(TaskKind::Sync, &plan(10, 10, 5), &o).is_ok());
        assert!(check(TaskKind::Sync, &plan(10, 10, 6), &o).is_err());
        assert!(check(TaskKind::Sync, &plan(0, 1, 1), &o).is_err());
        let all = TaskOptions { max_delete: Some(MaxDelete::Percent(100.0)), ..Default::default() };
        assert!(check(TaskKind::Sync, &plan(0, 10, 10), &all).is_ok());
        let two = TaskOptions { max_delete: Some(MaxDelete::Count(2)), ..Default::default() };
        assert!(check(TaskKind::Sync, &plan(10, 10, 3), &two).is_err());
        let mut missing = plan(0, 0, 0);
        missing.source_exists = false;
        assert!(check(TaskKind::Copy, &missing, &o).is_err());
    }
}
