//! The app and the CLI share one task list, one run log and one lock per
//! task. The CLI is played by the engine calls `fjordsync task add|run` and
//! `fjordsync log --task` make (its own state database connection, its own
//! runner, the task lock), against the app's demo storage (the emulator
//! over HTTP).

use std::sync::Arc;

use fjordsync_engine::secrets::FileStore;
use fjordsync_engine::state::StateDb;
use fjordsync_engine::tasks::{Hold as Holding, Job, NewTask, Schedule, TaskLock, Transfer};
use fjordsync_engine::{ConfigDir, Location, Runner, SecretStore, TaskOptions, session};
use tokio_util::sync::CancellationToken;

use crate::Api;
use crate::dto::TaskDto;

/// An app over `dir` with the demo storage running and a folder `src` with a file.
async fn app(dir: &std::path::Path) -> (Arc<Api>, ConfigDir) {
    let config = ConfigDir::at(dir.join("config")).unwrap();
    let api = Arc::new(Api::new(config.clone(), dir.join("data")).unwrap());
    api.use_file_store().await.unwrap();
    api.start_demo().await.unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.txt"), b"hello").unwrap();
    (api, config)
}

/// What `fjordsync` opens: the same state database file, its own connection.
fn cli_db(config: &ConfigDir) -> Arc<StateDb> {
    Arc::new(StateDb::open(&fjordsync_engine::state::default_path(config.path())).unwrap())
}

/// `fjordsync task run NAME`: the task lock, then the runner.
async fn cli_run(config: &ConfigDir, db: &Arc<StateDb>, name: &str) -> i64 {
    let secrets: Arc<dyn SecretStore> = Arc::new(FileStore::new(config).unwrap());
    let c = config.clone();
    let runner = Runner::new(db.clone(), Arc::new(move |n: &str| session::open(&c, secrets.clone(), n)));
    let task = db.tasks().get(name).unwrap();
    let held = TaskLock::acquire(config, &task, Holding::Run).unwrap();
    let report =
        runner.run_task(&task, &held, fjordsync_engine::events::discard(), CancellationToken::new()).await.unwrap();
    report.run
}

fn quiet() -> crate::ProgressSink {
    Arc::new(|_| {})
}

fn app_task(dir: &std::path::Path, name: &str, remote: &str) -> TaskDto {
    TaskDto {
        name: name.into(),
        remote: remote.into(),
        include: vec![],
        ..super::tests::sample(dir.join("src").to_str().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_and_runs_are_shared_with_the_cli_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let (api, config) = app(dir.path()).await;
    let cli = cli_db(&config);

    // `fjordsync task add Pictures sync SRC demo:Pictures --every 6h` appears in the app.
    let job = Job::Sync(Transfer {
        source: Location::Local { path: dir.path().join("src") },
        destination: Location::Remote { remote: crate::DEMO_STORAGE.into(), path: "Pictures".into() },
        options: TaskOptions::default(),
    });
    let added = cli
        .tasks()
        .add(NewTask { name: "Pictures".into(), job, schedule: Some(Schedule::Hourly { hours: 6 }) })
        .unwrap();
    let listed = api.list_tasks().await.unwrap();
    assert_eq!(listed.len(), 1);
    let t = &listed[0];
    assert_eq!(t.id, added.id.to_string());
    assert_eq!((t.name.as_str(), t.kind.as_str(), t.direction.as_str()), ("Pictures", "sync", "upload"));
    assert_eq!((t.storage.as_str(), t.remote.as_str()), (crate::DEMO_STORAGE, "Pictures"));
    assert_eq!(t.schedule, Some(Schedule::Hourly { hours: 6 }));
    assert!(t.last_run.is_none());

    // `fjordsync task run Pictures`: the run shows under the task in the app.
    let cli_run_id = cli_run(&config, &cli, "Pictures").await;
    let runs = api.list_runs(t.id.clone()).await.unwrap();
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![cli_run_id]);
    assert_eq!(runs[0].outcome, "ok");
    assert_eq!(api.list_tasks().await.unwrap()[0].last_run.as_ref().map(|r| r.id), Some(cli_run_id));

    // The app runs it too, and makes a task of its own and runs that.
    let by_app = api.run_task(t.id.clone(), quiet()).await.unwrap();
    let docs = api.save_task(app_task(dir.path(), "Docs", "Docs")).await.unwrap();
    let docs_run = api.run_task(docs.id.clone(), quiet()).await.unwrap();
    assert_eq!(docs_run.outcome, "ok");

    // `fjordsync log --task Pictures` / `--task Docs` and `task list` see them.
    let log = |name: &str| {
        let id = cli.tasks().get(name).unwrap().id;
        cli.runs_of(10, Some(id)).unwrap().into_iter().map(|r| (r.id, r.task)).collect::<Vec<_>>()
    };
    assert_eq!(log("Pictures"), vec![(by_app.id, Some("Pictures".into())), (cli_run_id, Some("Pictures".into()))]);
    assert_eq!(log("Docs"), vec![(docs_run.id, Some("Docs".into()))]);
    let names: Vec<String> = cli.tasks().list().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["Docs", "Pictures"]);
    // Each task's runs are its own, not matched by folders.
    assert_eq!(api.list_runs(docs.id.clone()).await.unwrap().len(), 1);
    api.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_task_runs_once_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let (api, config) = app(dir.path()).await;
    let t = api.save_task(app_task(dir.path(), "Photos", "Busy test")).await.unwrap();
    let task = cli_db(&config).tasks().get("Photos").unwrap();

    // The CLI holds it: the app's run is refused, naming the holder.
    let held = TaskLock::acquire_by(&config, &task, Holding::Run, Some("the fjordsync command")).unwrap();
    let busy = api.run_task(t.id.clone(), quiet()).await.unwrap_err();
    assert_eq!(busy.code, "busy", "{busy:?}");
    let who =
        format!("“Photos” is busy: the fjordsync command (process {}) has been running it since ", std::process::id());
    assert!(busy.message.starts_with(&who), "{}", busy.message);
    // So is a restore or a check of a backup task (the same hold).
    assert_eq!(api.hold(&t.id, "a restore", Holding::Restore).await.err().map(|e| e.code), Some("busy"));
    assert!(api.list_runs(t.id.clone()).await.unwrap().is_empty(), "nothing ran");
    drop(held);
    let run = api.run_task(t.id.clone(), quiet()).await.unwrap();
    assert_eq!(run.outcome, "ok", "{run:?}");

    // The app holds it: the CLI is told it is the app.
    let hold = api.claim(&task).unwrap();
    let err = TaskLock::acquire(&config, &task, Holding::Run).unwrap_err();
    assert!(err.to_string().contains("by the Fjordsync app"), "{err}");
    drop(hold);
    drop(TaskLock::acquire(&config, &task, Holding::Run).unwrap());
    api.shutdown().await;
}

/// A process that holds the task's lock and is killed lets go of it: the
/// OS releases the lock (`flock(1)` takes the same `flock(2)` lock the
/// engine takes).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_holder_releases_the_task() {
    if std::process::Command::new("flock").arg("--version").output().is_err() {
        eprintln!("skipped: no flock(1)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigDir::at(dir.path().join("config")).unwrap();
    let api = Api::new(config.clone(), dir.path().join("data")).unwrap();
    let mut t = app_task(dir.path(), "Photos", "Photos");
    t.storage = "nowhere".into();
    let t = api.save_task(t).await.unwrap();
    let lock = config.path().join(format!("locks/tasks/task-{}.lock", t.id));
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let mut holder =
        std::process::Command::new("flock").arg("--close").arg(&lock).args(["sleep", "30"]).spawn().unwrap();
    // Wait (bounded) until the child holds it.
    let mut busy = None;
    for _ in 0..200 {
        match api.run_task(t.id.clone(), quiet()).await {
            Err(e) if e.code == "busy" => {
                busy = Some(e);
                break;
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let busy = busy.expect("the child took the lock");
    assert!(busy.message.contains("another Fjordsync window or command"), "{}", busy.message);
    holder.kill().unwrap();
    holder.wait().unwrap();
    // Free again: the run starts (and fails on the storage that does not
    // exist, not on the lock). flock(1) forks its command with a copy of the
    // locked file until that child closes it (`--close`), so a kill right
    // after the lock was taken may leave the copy open for a moment: try
    // again (bounded) before calling it held.
    let mut err = api.run_task(t.id.clone(), quiet()).await.unwrap_err();
    for _ in 0..100 {
        if err.code != "busy" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        err = api.run_task(t.id.clone(), quiet()).await.unwrap_err();
    }
    assert_ne!(err.code, "busy", "{err:?}");
}

/// The daemon and the app share the scheduler lock: the app's status names
/// the one that runs the schedules.
#[tokio::test]
async fn the_status_names_who_runs_the_schedules() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigDir::at(dir.path().join("config")).unwrap();
    let api = Arc::new(Api::new(config.clone(), dir.path().join("data")).unwrap());
    assert_eq!(api.app_status().await.unwrap().scheduled_by, None);
    // Here the "daemon" is a second scheduler in this process, so the note
    // is ours: write it as another pid would have (what `holder` reads).
    let mut daemon = api.scheduler("fjordsync daemon at http://127.0.0.1:8090").unwrap();
    daemon.tick(0, &jiff::tz::TimeZone::UTC).await.unwrap();
    let note = config.path().join("locks/scheduler.lock");
    let mut h: serde_json::Value = serde_json::from_slice(&std::fs::read(&note).unwrap()).unwrap();
    assert_eq!(h["who"], "fjordsync daemon at http://127.0.0.1:8090");
    assert_eq!(api.app_status().await.unwrap().scheduled_by, None, "this process runs them");
    h["pid"] = serde_json::json!(1);
    std::fs::write(&note, serde_json::to_vec(&h).unwrap()).unwrap();
    assert_eq!(
        api.app_status().await.unwrap().scheduled_by.as_deref(),
        Some("fjordsync daemon at http://127.0.0.1:8090")
    );
    // The app's own scheduler waits while the daemon runs them.
    let mut mine = api.scheduler("the Fjordsync app (pid 2)").unwrap();
    assert!(mine.tick(0, &jiff::tz::TimeZone::UTC).await.unwrap().is_empty());
    assert!(matches!(&*mine.role().borrow(), fjordsync_engine::tasks::Role::Standby(Some(_))));
    drop(daemon);
    mine.tick(0, &jiff::tz::TimeZone::UTC).await.unwrap();
    assert_eq!(*mine.role().borrow(), fjordsync_engine::tasks::Role::Active);
}

/// An undo answers a run: it is never the task's last run nor its last
/// success, on the card and on the overview alike.
#[tokio::test(flavor = "multi_thread")]
async fn an_undo_is_not_the_tasks_last_run() {
    let dir = tempfile::tempdir().unwrap();
    let (api, _config) = app(dir.path()).await;
    let t = api.save_task(app_task(dir.path(), "Docs", "Docs")).await.unwrap();
    let first = api.run_task(t.id.clone(), quiet()).await.unwrap();
    assert_eq!(first.outcome, "ok", "{first:?}");
    let undo = api.undo_run(t.id.clone(), first.id, quiet()).await.unwrap();
    assert_eq!((undo.kind.as_str(), undo.outcome.as_str()), ("undo", "ok"), "{undo:?}");
    let listed = api.list_tasks().await.unwrap();
    assert_eq!(listed[0].last_run.as_ref().map(|r| r.id), Some(first.id));
    let o = api.overview().await.unwrap();
    assert_eq!(o[0].last_run.as_ref().map(|r| r.id), Some(first.id));
    assert_eq!(o[0].last_success_ms, first.ended_ms);
    assert_eq!(api.list_runs(t.id).await.unwrap().len(), 2, "the undo is in the log");
}
