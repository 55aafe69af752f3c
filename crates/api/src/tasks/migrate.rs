//! The one-time move of the app's old `tasks.json` into the engine's named
//! tasks, the first time the state database is opened.
//!
//! Each task keeps its id (`t3` becomes task 3, unless `fjordsync task add`
//! already used 3: then it gets the next free id), its name (made unique
//! and valid: `Photos (2)`), its schedule and when it was set. Runs it made
//! before are linked to it as the app matched them then (same source and
//! destination; a run whose kind matches goes to that task first), and the
//! run `tasks.json` kept as its last one too. A remembered backup password
//! moves in the secret store from `backup-password-t3` to
//! `backup-password-3` (the app still finds it under the old key if the
//! store could not be reached now). Then `tasks.json` becomes
//! `tasks.json.migrated`, kept for the user. The store's import is
//! idempotent, so a move that stopped half-way runs again at the next start.

use std::path::{Path, PathBuf};

use fjordsync_engine::SecretStore;
use fjordsync_engine::state::StateDb;
use fjordsync_engine::tasks::{Task, TaskId, check_name};
use fjordsync_engine::TaskSpec;

use super::convert::{job_of, task_err};
use super::state_err;
use crate::backup::{legacy_secret_key, secret_key};
use crate::dto::TaskDto;
use crate::error::{AppError, AppResult};
use crate::json_file;
use crate::settings::now_ms;

/// Moves `<data>/tasks.json` into `db`, if there is one. Returns how many
/// tasks moved.
pub(crate) fn tasks_json(db: &StateDb, data_dir: &Path, secrets: &dyn SecretStore) -> AppResult<usize> {
    let path = data_dir.join("tasks.json");
    if !path.exists() {
        return Ok(0);
    }
    let old: Vec<TaskDto> = json_file::read_or(&path, Vec::new).map_err(|e| {
        AppError::new(
            e.code,
            format!("{}; the tasks of an earlier version could not be moved: repair or remove that file", e.message),
        )
    })?;
    let owners = owners_of_runs(db, &old)?;
    let mut moved = 0;
    for (i, t) in old.iter().enumerate() {
        let job = match job_of(t, None) {
            Ok(j) => j,
            Err(e) => {
                // Kept in tasks.json.migrated; the others still move.
                tracing::warn!("task {:?} from tasks.json was not moved: {}", t.name, e.message);
                continue;
            }
        };
        let schedule = t.schedule.clone().filter(|s| s.validate().is_ok());
        let known = [t.schedule_since_ms, t.last_run.as_ref().map(|r| r.started_ms)];
        let task = Task {
            id: TaskId(old_id(&t.id).unwrap_or(0)),
            name: usable_name(&t.name, i),
            job,
            schedule_since_ms: schedule.as_ref().and(t.schedule_since_ms),
            schedule,
            paused: false,
            created_ms: known.into_iter().flatten().min().unwrap_or_else(now_ms),
        };
        let mut runs: Vec<i64> = owners.iter().filter(|(_, owner)| *owner == i).map(|(run, _)| *run).collect();
        runs.extend(t.last_run.as_ref().map(|r| r.id));
        let new = db.tasks().import(&task, &runs).map_err(task_err)?;
        if t.backup.as_ref().is_some_and(|b| b.remember_password) {
            move_password(secrets, &t.id, &new.id.to_string());
        }
        moved += 1;
    }
    let kept = free_path(data_dir);
    std::fs::rename(&path, &kept).map_err(|e| {
        AppError::new("config", format!("moving {} to {}: {e}", path.display(), kept.display()))
    })?;
    tracing::info!("moved {moved} tasks from {} into the state database", path.display());
    Ok(moved)
}

/// `t3` → 3.
fn old_id(id: &str) -> Option<i64> {
    id.strip_prefix('t')?.parse().ok().filter(|n| *n > 0)
}

/// The old name, made acceptable as an engine task name: visible, at most
/// 64 characters, not only digits (uniqueness is the store's import).
fn usable_name(name: &str, index: usize) -> String {
    let cleaned: String = name.chars().filter(|c| !c.is_control()).collect();
    let mut n: String = cleaned.trim().chars().take(64).collect::<String>().trim().to_string();
    if n.is_empty() {
        n = format!("Task {}", index + 1);
    }
    if check_name(&n).is_err() {
        n = format!("Task {n}").chars().take(64).collect();
    }
    n
}

/// Which old task each unlinked run belonged to, as the app matched them:
/// same source and destination; with several such tasks, the one of the
/// run's kind (undo runs: any), else the first.
fn owners_of_runs(db: &StateDb, old: &[TaskDto]) -> AppResult<Vec<(i64, usize)>> {
    let specs: Vec<Option<(TaskSpec, &str)>> =
        old.iter().map(|t| super::spec_of(t, false).ok().map(|s| (s, t.kind.as_str()))).collect();
    let runs = db.runs(usize::MAX >> 1).map_err(state_err)?;
    let mut owners = Vec::new();
    for run in runs.iter().filter(|r| r.task.is_none()) {
        let Ok(spec) = serde_json::from_str::<TaskSpec>(&run.spec_json) else { continue };
        let same = |i: &usize| {
            specs[*i].as_ref().is_some_and(|(s, _)| s.source == spec.source && s.destination == spec.destination)
        };
        let kind_fits = |i: &usize| specs[*i].as_ref().is_some_and(|(_, k)| *k == run.kind || run.kind == "undo");
        let candidates: Vec<usize> = (0..old.len()).filter(same).collect();
        if let Some(owner) = candidates.iter().copied().find(kind_fits).or(candidates.first().copied()) {
            owners.push((run.id, owner));
        }
    }
    Ok(owners)
}

/// Copies a remembered password to the new id's key, then removes the old
/// key. Failures are logged: the app still reads the old key.
fn move_password(secrets: &dyn SecretStore, old: &str, new: &str) {
    let (from, to) = (secret_key(old), secret_key(new));
    if from == to || legacy_secret_key(new) != from {
        return;
    }
    let moved = secrets.get(&from).and_then(|pw| match pw {
        Some(pw) => secrets.set(&to, &pw).map(|_| true),
        None => Ok(false),
    });
    match moved {
        Ok(true) => {
            if let Err(e) = secrets.delete(&from) {
                tracing::warn!("backup password {from}: {e}");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!("backup password of task {old}: not moved now ({e}); it is still found"),
    }
}

/// `tasks.json.migrated`, or `.migrated.2`... if an earlier one is there.
fn free_path(dir: &Path) -> PathBuf {
    let first = dir.join("tasks.json.migrated");
    if !first.exists() {
        return first;
    }
    (2..1000).map(|i| dir.join(format!("tasks.json.migrated.{i}"))).find(|p| !p.exists()).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_made_usable() {
        assert_eq!(old_id("t3"), Some(3));
        assert_eq!(old_id("3"), None);
        assert_eq!(old_id("t0"), None);
        assert_eq!(usable_name(" Photos ", 0), "Photos");
        assert_eq!(usable_name("2026", 0), "Task 2026");
        assert_eq!(usable_name("a\tb", 0), "ab");
        assert_eq!(usable_name("  ", 4), "Task 5");
        assert_eq!(usable_name(&"x".repeat(80), 0).chars().count(), 64);
    }
}
