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
use fjordsync_engine::TaskSpec;
use fjordsync_engine::state::{RunKind, StateDb};
use fjordsync_engine::tasks::{Task, TaskId, check_name};

use super::convert::{job_of, task_err};
use super::state_err;
use crate::backup::secret_key;
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
    // Tasks whose id is free first, so one that must move aside (its id
    // taken by `fjordsync task add`) does not push the others off theirs.
    let taken = |t: &TaskDto| old_id(&t.id).is_some_and(|id| db.tasks().get(&id.to_string()).is_ok());
    let mut order: Vec<usize> = (0..old.len()).collect();
    order.sort_by_key(|i| taken(&old[*i]));
    let mut moved = 0;
    for i in order {
        let t = &old[i];
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
    std::fs::rename(&path, &kept)
        .map_err(|e| AppError::new("config", format!("moving {} to {}: {e}", path.display(), kept.display())))?;
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
        let kind_fits =
            |i: &usize| specs[*i].as_ref().is_some_and(|(_, k)| *k == run.kind.as_str() || run.kind == RunKind::Undo);
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
    if from == to {
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

/// An app upgraded from the version that kept `tasks.json`: a saved file
/// and a state database with the runs it made.
#[cfg(test)]
mod upgrade {
    use fjordsync_engine::secrets::FileStore;
    use fjordsync_engine::state::{NewRun, Outcome, RunKind, RunResult};
    use fjordsync_engine::tasks::{Job, NewTask, Transfer};
    use fjordsync_engine::{ConfigDir, Location, SecretStore, TaskKind, TaskOptions, TaskSpec};

    use crate::Api;
    use crate::schedule::ScheduleDto;

    /// `tasks.json` as the earlier app wrote it (a sync task with a daily
    /// schedule and its last run, a backup into the demo storage with a
    /// remembered password, a download without a schedule; `t3` was
    /// deleted), with the settings' "Pause all" on.
    const TASKS_JSON: &str = r#"[
  {
    "id": "t1",
    "name": "Photos",
    "kind": "sync",
    "direction": "upload",
    "local": "/home/me/Pictures",
    "storage": "demo",
    "remote": "Photos",
    "include": ["*.jpg", "*.png"],
    "exclude": [".thumbnails/"],
    "lastRun": {
      "id": 2, "kind": "sync", "source": "/home/me/Pictures", "destination": "demo:Photos",
      "startedMs": 1764900000000, "endedMs": 1764900060000, "outcome": "ok",
      "counters": {"uploaded": 12, "bytes": 4096}, "parent": null
    },
    "schedule": {"type": "daily", "time": "03:00"},
    "scheduleSinceMs": 1764800000000,
    "nextRunMs": 1764990000000,
    "noVersions": true
  },
  {
    "id": "t2",
    "name": "Documents backup",
    "kind": "backup",
    "direction": "upload",
    "local": "",
    "storage": "demo",
    "remote": "Backups/docs",
    "include": [],
    "exclude": ["*.tmp"],
    "lastRun": null,
    "schedule": {"type": "hourly", "hours": 6},
    "scheduleSinceMs": 1764700000000,
    "backup": {
      "folders": ["/home/me/Documents", "/home/me/Mail"],
      "repoLocal": null,
      "retention": {"keepDaily": 7, "keepWeekly": 4},
      "rememberPassword": true,
      "minSize": null, "maxSize": 1048576, "minAgeSecs": null, "maxAgeSecs": null
    }
  },
  {
    "id": "t4",
    "name": "Music",
    "kind": "copy",
    "direction": "download",
    "local": "/home/me/Music",
    "storage": "demo",
    "remote": "Music",
    "include": [],
    "exclude": [],
    "lastRun": null
  }
]"#;

    fn spec(kind: TaskKind, source: Location, destination: Location) -> TaskSpec {
        TaskSpec { kind, source, destination, options: TaskOptions::default() }
    }

    fn local(p: &str) -> Location {
        Location::Local { path: p.into() }
    }

    fn demo(p: &str) -> Location {
        Location::Remote { remote: "demo".into(), path: p.into() }
    }

    #[tokio::test]
    async fn tasks_json_and_old_runs_move_into_the_engine_once() {
        let dir = tempfile::tempdir().unwrap();
        let (config_dir, data) = (dir.path().join("config"), dir.path().join("data"));
        let config = ConfigDir::at(&config_dir).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("tasks.json"), TASKS_JSON).unwrap();
        std::fs::write(data.join("settings.json"), r#"{"transfers": 4, "paused": true}"#).unwrap();
        let secrets = FileStore::new(&config).unwrap();
        secrets.set("backup-password-t2", "correct horse").unwrap();

        // The runs the earlier app recorded (no task links then).
        let db = fjordsync_engine::StateDb::open(&fjordsync_engine::state::default_path(&config_dir)).unwrap();
        let photos = spec(TaskKind::Sync, local("/home/me/Pictures"), demo("Photos"));
        let ended = |run, outcome| db.finish_run(run, outcome, RunResult::Counters(Default::default())).unwrap();
        let first = db.start_run(&NewRun::transfer(&photos).unwrap()).unwrap();
        ended(first, Outcome::Failed);
        let second = db.start_run(&NewRun::transfer(&photos).unwrap()).unwrap();
        ended(second, Outcome::Ok);
        let undo = db.start_run(&NewRun::transfer(&photos).unwrap().parent(Some(second)).kind(RunKind::Undo)).unwrap();
        ended(undo, Outcome::Ok);
        // The old app recorded a backup as a copy relabelled "backup".
        let docs = spec(TaskKind::Copy, local("/home/me/Documents"), demo("Backups/docs"));
        let backup = db.start_run(&NewRun::transfer(&docs).unwrap().kind(RunKind::Backup)).unwrap();
        ended(backup, Outcome::Ok);
        let adhoc =
            db.start_run(&NewRun::transfer(&spec(TaskKind::Copy, local("/tmp/x"), demo("x"))).unwrap()).unwrap();
        ended(adhoc, Outcome::Ok);
        assert_eq!(second, 2, "the run tasks.json names as the last one");
        drop(db);

        let api = Api::new(config.clone(), data.clone()).unwrap();
        api.use_file_store().await.unwrap();
        let tasks = api.list_tasks().await.unwrap();
        assert_eq!(
            tasks.iter().map(|t| (t.id.as_str(), t.name.as_str())).collect::<Vec<_>>(),
            [("1", "Photos"), ("2", "Documents backup"), ("4", "Music")]
        );
        let (p, b, m) = (&tasks[0], &tasks[1], &tasks[2]);
        // Everything the form had.
        assert_eq!((p.kind.as_str(), p.direction.as_str(), p.local.as_str()), ("sync", "upload", "/home/me/Pictures"));
        assert_eq!((p.storage.as_str(), p.remote.as_str(), p.no_versions), ("demo", "Photos", true));
        assert_eq!(
            (p.include.clone(), p.exclude.clone()),
            (vec!["*.jpg".into(), "*.png".into()], vec![".thumbnails/".into()])
        );
        assert_eq!(p.schedule, Some(ScheduleDto::Daily { time: "03:00".into() }));
        assert_eq!(p.schedule_since_ms, Some(1_764_800_000_000));
        assert_eq!(
            (m.kind.as_str(), m.direction.as_str(), m.local.as_str(), m.schedule.clone()),
            ("copy", "download", "/home/me/Music", None)
        );
        let bk = b.backup.as_ref().unwrap();
        assert_eq!(bk.folders, vec!["/home/me/Documents", "/home/me/Mail"]);
        assert_eq!((bk.repo_local.clone(), b.storage.as_str(), b.remote.as_str()), (None, "demo", "Backups/docs"));
        assert_eq!(
            (bk.retention.keep_daily, bk.retention.keep_weekly, bk.max_size),
            (Some(7), Some(4), Some(1_048_576))
        );
        assert!(bk.remember_password);
        assert_eq!(b.exclude, vec!["*.tmp".to_string()]);
        assert_eq!(b.schedule, Some(ScheduleDto::Hourly { hours: 6 }));

        // Runs show under their task, newest first; the ad-hoc run under none.
        let ids = |v: Vec<crate::dto::RunDto>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(api.list_runs("1".into()).await.unwrap()), vec![undo, second, first]);
        assert_eq!(ids(api.list_runs("2".into()).await.unwrap()), vec![backup]);
        assert!(api.list_runs("4".into()).await.unwrap().is_empty());
        // The undo is in the log, but the task's last run is its own.
        assert_eq!(p.last_run.as_ref().map(|r| r.id), Some(second));
        let db = api.state_db().unwrap();
        assert_eq!(db.run(adhoc).unwrap().unwrap().task, None);
        // The schedule counts from the last run, as before.
        assert_eq!(
            p.next_run_ms,
            db.tasks().next_due_ms(&db.tasks().get("Photos").unwrap(), &jiff::tz::TimeZone::system()).unwrap()
        );

        // The password moved to the new id; Pause all is still on; the old file is kept aside.
        assert_eq!(api.secrets().get("backup-password-2").unwrap().as_deref(), Some("correct horse"));
        assert_eq!(api.secrets().get("backup-password-t2").unwrap(), None);
        assert!(api.app_status().await.unwrap().paused);
        assert!(!data.join("tasks.json").exists());
        assert_eq!(std::fs::read_to_string(data.join("tasks.json.migrated")).unwrap(), TASKS_JSON);

        // A restart finds nothing to move and the same tasks.
        let again = Api::new(config, data).unwrap();
        assert_eq!(again.list_tasks().await.unwrap().len(), 3);
    }

    /// A task `fjordsync task add` made before the upgrade keeps its id and
    /// name; the app's task of the same id and name gets new ones, and its
    /// password follows it.
    #[tokio::test]
    async fn an_id_and_a_name_the_cli_took_move_aside() {
        let dir = tempfile::tempdir().unwrap();
        let (config_dir, data) = (dir.path().join("config"), dir.path().join("data"));
        let config = ConfigDir::at(&config_dir).unwrap();
        let db = fjordsync_engine::StateDb::open(&fjordsync_engine::state::default_path(&config_dir)).unwrap();
        let job =
            Job::Copy(Transfer { source: local("/srv/a"), destination: demo("a"), options: TaskOptions::default() });
        let cli = db.tasks().add(NewTask { name: "photos".into(), job, schedule: None }).unwrap();
        drop(db);
        std::fs::create_dir_all(&data).unwrap();
        let json: serde_json::Value = serde_json::from_str(TASKS_JSON).unwrap();
        let mut backup = json[1].clone();
        (backup["id"], backup["name"]) = ("t1".into(), "Photos".into());
        let (mut music, mut docs) = (json[2].clone(), json[0].clone());
        (music["id"], docs["id"], docs["name"]) = ("t2".into(), "t3".into(), "Docs".into());
        std::fs::write(data.join("tasks.json"), serde_json::to_vec(&[backup, music, docs]).unwrap()).unwrap();
        FileStore::new(&config).unwrap().set("backup-password-t1", "pw").unwrap();
        let api = Api::new(config, data).unwrap();
        api.use_file_store().await.unwrap();
        let mut tasks = api.list_tasks().await.unwrap();
        tasks.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<(&str, &str)> = tasks.iter().map(|t| (t.id.as_str(), t.name.as_str())).collect();
        // The others keep their ids: the one that moved aside takes the next free one.
        assert_eq!(names, [("3", "Docs"), ("2", "Music"), ("4", "Photos (2)"), ("1", "photos")]);
        assert_eq!(tasks[3].id, cli.id.to_string());
        assert_eq!(api.secrets().get("backup-password-4").unwrap().as_deref(), Some("pw"));
        assert_eq!(api.secrets().get("backup-password-t1").unwrap(), None);
    }
}
