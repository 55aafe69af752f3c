//! Named tasks against a real SQLite file.

use super::*;
use crate::config_dir::ConfigDir;
use crate::state::{NewRun, Outcome, RunResult, StateDb};
use crate::task::{Location, TaskKind, TaskOptions, TaskSpec};

fn sync_job(local: &str) -> Job {
    Job::Sync(Transfer {
        source: Location::Local { path: local.into() },
        destination: Location::Remote { remote: "demo".into(), path: "Photos".into() },
        options: TaskOptions::default(),
    })
}

fn new(name: &str) -> NewTask {
    NewTask { name: name.into(), job: sync_job("/home/me/Photos"), schedule: None }
}

#[test]
fn tasks_are_added_listed_found_paused_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let db = StateDb::open(&path).unwrap();
    let photos = db.tasks().add(NewTask { schedule: Some(Schedule::Hourly { hours: 6 }), ..new("Photos") }).unwrap();
    let docs = db.tasks().add(new("docs")).unwrap();
    assert_ne!(photos.id, docs.id);
    assert_eq!(photos.schedule_since_ms, Some(photos.created_ms));

    // Survives reopening, listed by name ignoring case.
    drop(db);
    let db = StateDb::open(&path).unwrap();
    let names: Vec<String> = db.tasks().list().unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, vec!["docs", "Photos"]);
    assert_eq!(db.tasks().get("photos").unwrap(), photos);
    assert_eq!(db.tasks().get(&docs.id.to_string()).unwrap(), docs);
    assert!(matches!(db.tasks().get("music"), Err(TaskError::NotFound(n)) if n == "music"));

    assert!(db.tasks().set_paused("Photos", true).unwrap().paused);
    assert!(db.tasks().get("Photos").unwrap().paused);
    assert!(!db.tasks().set_paused("Photos", false).unwrap().paused);

    assert_eq!(db.tasks().remove("docs").unwrap().id, docs.id);
    assert!(matches!(db.tasks().get("docs"), Err(TaskError::NotFound(_))));
    assert!(matches!(db.tasks().remove("docs"), Err(TaskError::NotFound(_))));
}

#[test]
fn duplicate_and_bad_names_and_schedules_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.db")).unwrap();
    db.tasks().add(new("Photos")).unwrap();
    let err = db.tasks().add(new("PHOTOS")).unwrap_err();
    assert!(matches!(&err, TaskError::Duplicate(n) if n == "Photos"), "{err}");
    assert!(err.to_string().contains("already a task named \"Photos\""), "{err}");
    assert!(matches!(db.tasks().add(new("")), Err(TaskError::Name(NameError::Empty))));
    assert!(matches!(db.tasks().add(new("12")), Err(TaskError::Name(NameError::Number(_)))));
    let bad = NewTask { schedule: Some(Schedule::Daily { time: "25:00".into() }), ..new("nightly") };
    assert!(matches!(db.tasks().add(bad), Err(TaskError::Schedule(_))));
    assert_eq!(db.tasks().list().unwrap().len(), 1);
}

/// A named task's runs point at it; the log names the task; removing the
/// task keeps its runs, without a name.
#[test]
fn runs_are_linked_to_their_task_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.db")).unwrap();
    let task = db.tasks().add(NewTask { schedule: Some(Schedule::Hourly { hours: 6 }), ..new("Photos") }).unwrap();
    let spec = task.job.spec().unwrap();
    let adhoc = db.start_run(&NewRun::transfer(&spec).unwrap()).unwrap();
    let linked = db.start_run(&NewRun::transfer(&spec).unwrap().task(Some(task.id))).unwrap();
    db.finish_run(linked, Outcome::Ok, RunResult::Counters(Default::default())).unwrap();

    let runs = db.runs(10).unwrap();
    assert_eq!(
        runs.iter().map(|r| (r.id, r.task.clone())).collect::<Vec<_>>(),
        vec![(linked, Some("Photos".into())), (adhoc, None)]
    );
    assert_eq!(db.runs_of(10, Some(task.id)).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![linked]);
    let last = db.tasks().last_run(task.id).unwrap().unwrap();
    assert_eq!((last.id, last.outcome.as_str()), (linked, "ok"));
    // The next run counts from the last start.
    let tz = jiff::tz::TimeZone::UTC;
    assert_eq!(db.tasks().next_due_ms(&task, &tz).unwrap(), Some(last.started_ms + 6 * 3_600_000));
    assert_eq!(serde_json::to_value(&last).unwrap()["task"], "Photos");

    db.tasks().remove("Photos").unwrap();
    let run = db.run(linked).unwrap().unwrap();
    assert_eq!((run.outcome.as_str(), run.task), ("ok", None));
}

/// A database from before named tasks opens, keeps its runs readable, and
/// gets the new table.
#[test]
fn an_old_database_keeps_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let spec = TaskSpec {
        kind: TaskKind::Copy,
        source: Location::Local { path: "/a".into() },
        destination: Location::Remote { remote: "demo".into(), path: "x".into() },
        options: TaskOptions::default(),
    };
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let old = &crate::state::schema::MIGRATIONS[..3];
        rusqlite_migration::Migrations::from_slice(old).to_latest(&mut conn).unwrap();
        let json = serde_json::to_string(&spec).unwrap();
        conn.execute("INSERT INTO tasks (id, spec, created_ms) VALUES (1, ?1, 5)", [&json]).unwrap();
        conn.execute(
            "INSERT INTO runs (id, task, kind, source, destination, spec, started_ms, ended_ms, outcome, counters)
             VALUES (7, 1, 'copy', '/a', 'demo:x', ?1, 10, 20, 'ok', '{\"uploaded\":3}')",
            [&json],
        )
        .unwrap();
    }
    let db = StateDb::open(&path).unwrap();
    let run = db.run(7).unwrap().unwrap();
    assert_eq!((run.outcome.as_str(), run.counters.uploaded, run.task), ("ok", 3, None));
    assert_eq!(db.runs(10).unwrap().len(), 1);
    assert!(db.tasks().list().unwrap().is_empty());
    db.tasks().add(new("Photos")).unwrap();
}

/// A second taker is told who holds the task; dropping the lock frees it.
/// (Across processes, and a killed holder: the CLI's scenario tests.)
#[test]
fn a_held_task_is_busy_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let config = ConfigDir::at(dir.path().join("config")).unwrap();
    let db = StateDb::open(&dir.path().join("s.db")).unwrap();
    let task = db.tasks().add(new("Photos")).unwrap();
    let other = db.tasks().add(new("Docs")).unwrap();
    let held = TaskLock::acquire(&config, &task, Hold::Run).unwrap();
    assert!(held.path().ends_with(format!("locks/tasks/task-{}.lock", task.id)));
    let err = TaskLock::acquire(&config, &task, Hold::Check).unwrap_err();
    let TaskError::Busy { task: name, holder } = &err else { panic!("{err}") };
    assert_eq!(name, "Photos");
    let h = holder.0.as_ref().expect("the note names the holder");
    assert_eq!((h.pid, h.what), (std::process::id(), Hold::Run));
    assert!(err.to_string().contains(&format!("a run in process {}", std::process::id())), "{err}");
    // Another task is not held.
    drop(TaskLock::acquire(&config, &other, Hold::Run).unwrap());
    drop(held);
    drop(TaskLock::acquire(&config, &task, Hold::Restore).unwrap());
}

mod scheduling {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::tasks::scheduler;
    use tokio_util::sync::CancellationToken;

    /// A shell that notes what it was asked to start and records a run of
    /// it, as the app does when it runs the task.
    #[derive(Clone)]
    struct Recorder {
        db: Arc<StateDb>,
        started: Arc<Mutex<Vec<TaskId>>>,
        paused: Arc<AtomicBool>,
        retention: Option<Duration>,
    }

    impl Recorder {
        fn new(db: &Arc<StateDb>) -> Recorder {
            Recorder { db: db.clone(), started: Default::default(), paused: Default::default(), retention: None }
        }
        fn started(&self) -> Vec<TaskId> {
            self.started.lock().unwrap().clone()
        }
    }

    impl Shell for Recorder {
        fn start(&self, task: Task) {
            self.started.lock().unwrap().push(task.id);
            let new = NewRun::transfer(&task.job.spec().unwrap()).unwrap().task(Some(task.id));
            let run = self.db.start_run(&new).unwrap();
            self.db.finish_run(run, Outcome::Ok, RunResult::Counters(Default::default())).unwrap();
        }
        async fn paused(&self) -> bool {
            self.paused.load(Ordering::SeqCst)
        }
        async fn log_retention(&self) -> Option<Duration> {
            self.retention
        }
    }

    fn now() -> i64 {
        crate::tasks::lock::now_ms()
    }

    /// A config, a state database and a task due now (every hour, set two
    /// hours ago).
    fn setup(dir: &std::path::Path) -> (ConfigDir, Arc<StateDb>, Task) {
        let config = ConfigDir::at(dir.join("config")).unwrap();
        let db = Arc::new(StateDb::open(&dir.join("s.db")).unwrap());
        let mut task =
            db.tasks().add(NewTask { schedule: Some(Schedule::Hourly { hours: 1 }), ..new("Photos") }).unwrap();
        task.schedule_since_ms = Some(now() - 2 * 3_600_000);
        let task = db.tasks().update(&task).unwrap();
        (config, db, task)
    }

    #[tokio::test]
    async fn one_scheduler_per_config_and_the_second_takes_over() {
        let dir = tempfile::tempdir().unwrap();
        let (config, db, task) = setup(dir.path());
        let tz = jiff::tz::TimeZone::UTC;
        // The second as another process would be: its own connection.
        let db2 = Arc::new(StateDb::open(&dir.path().join("s.db")).unwrap());
        let (shell1, shell2) = (Recorder::new(&db), Recorder::new(&db2));
        let mut first = Scheduler::new(config.clone(), db.clone(), "the Fjordsync app (pid 1)", shell1.clone());
        let mut second = Scheduler::new(config.clone(), db2.clone(), "fjordsync daemon at http://x", shell2.clone());
        let role2 = second.role();

        assert_eq!(first.tick(now(), &tz).await.unwrap(), vec![task.id]);
        assert_eq!(*first.role().borrow(), Role::Active);
        // The second starts nothing and says who schedules.
        assert!(second.tick(now(), &tz).await.unwrap().is_empty());
        let Role::Standby(Some(h)) = role2.borrow().clone() else { panic!("{:?}", role2.borrow()) };
        assert_eq!((h.who.as_str(), h.pid), ("the Fjordsync app (pid 1)", std::process::id()));
        assert_eq!(scheduler::holder(&config).unwrap().unwrap().who, "the Fjordsync app (pid 1)");
        // The due task started once: it ran, so it is not due again.
        assert!(first.tick(now() + 60_000, &tz).await.unwrap().is_empty());

        // The first stops: the second takes over at its next tick, and
        // does not start again what just ran.
        drop(first);
        assert!(second.tick(now(), &tz).await.unwrap().is_empty());
        assert_eq!(*role2.borrow(), Role::Active);
        assert_eq!(scheduler::holder(&config).unwrap().unwrap().who, "fjordsync daemon at http://x");
        // An hour later it is due again, and the second starts it.
        assert_eq!(second.tick(now() + 3_600_000 + 60_000, &tz).await.unwrap(), vec![task.id]);
        assert_eq!((shell1.started(), shell2.started()), (vec![task.id], vec![task.id]));
        assert_eq!(db.runs_of(10, Some(task.id)).unwrap().len(), 2);
    }

    #[tokio::test]
    async fn paused_busy_and_already_started_tasks_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (config, db, task) = setup(dir.path());
        let tz = jiff::tz::TimeZone::UTC;
        // A shell whose starts fail before any run is recorded.
        struct Failing(Arc<Mutex<u32>>);
        impl Shell for Failing {
            fn start(&self, _: Task) {
                *self.0.lock().unwrap() += 1;
            }
        }
        let starts = Arc::new(Mutex::new(0));
        let mut s = Scheduler::new(config.clone(), db.clone(), "test", Failing(starts.clone()));
        // Paused task: nothing.
        db.tasks().set_paused("Photos", true).unwrap();
        assert!(s.tick(now(), &tz).await.unwrap().is_empty());
        db.tasks().set_paused("Photos", false).unwrap();
        // Held by another run: skipped, and not counted as a start.
        let held = TaskLock::acquire(&config, &task, Hold::Run).unwrap();
        assert!(s.tick(now(), &tz).await.unwrap().is_empty());
        drop(held);
        assert_eq!(s.tick(now(), &tz).await.unwrap(), vec![task.id]);
        // The start failed (no run recorded): not retried at every tick,
        // only when the schedule comes round again.
        assert!(s.tick(now() + 60_000, &tz).await.unwrap().is_empty());
        assert_eq!(s.tick(now() + 3_600_000 + 60_000, &tz).await.unwrap(), vec![task.id]);
        assert_eq!(*starts.lock().unwrap(), 2);

        // The global pause ("Pause all") starts nothing.
        let shell = Recorder::new(&db);
        shell.paused.store(true, Ordering::SeqCst);
        drop(s);
        let mut s = Scheduler::new(config, db.clone(), "test", shell.clone());
        assert!(s.tick(now() + 9 * 3_600_000, &tz).await.unwrap().is_empty());
        shell.paused.store(false, Ordering::SeqCst);
        assert_eq!(s.tick(now() + 9 * 3_600_000, &tz).await.unwrap(), vec![task.id]);
    }

    /// A shell whose watchers note when they start and stop; a watcher of
    /// a task named "Gone" ends by itself at once.
    #[derive(Clone, Default)]
    struct Watching {
        log: Arc<Mutex<Vec<String>>>,
        paused: Arc<AtomicBool>,
    }

    impl Watching {
        fn log(&self) -> Vec<String> {
            std::mem::take(&mut *self.log.lock().unwrap())
        }
    }

    impl Shell for Watching {
        fn start(&self, task: Task) {
            self.log.lock().unwrap().push(format!("run {}", task.name));
        }
        async fn paused(&self) -> bool {
            self.paused.load(Ordering::SeqCst)
        }
        fn keep(&self, task: Task, stop: CancellationToken) -> impl std::future::Future<Output = ()> + Send + 'static {
            let log = self.log.clone();
            let poll = match task.schedule {
                Some(Schedule::Continuous { poll_seconds }) => poll_seconds,
                _ => 0,
            };
            log.lock().unwrap().push(format!("watch {} {poll}", task.name));
            async move {
                if task.name != "Gone" {
                    stop.cancelled().await;
                }
                log.lock().unwrap().push(format!("stop {}", task.name));
            }
        }
    }

    fn bisync(name: &str, local: &str) -> NewTask {
        let spec = crate::bisync::BisyncSpec {
            local: local.into(),
            remote: "jotta".into(),
            path: "Docs".into(),
            options: Default::default(),
        };
        NewTask { name: name.into(), job: Job::Bisync(spec), schedule: Some(Schedule::Continuous { poll_seconds: 30 }) }
    }

    /// Lets spawned watchers run up to their first wait.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn continuous_tasks_are_watched_restarted_on_change_and_stopped_when_paused() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::at(dir.path().join("config")).unwrap();
        let db = Arc::new(StateDb::open(&dir.path().join("s.db")).unwrap());
        // Only a two-way sync may run continuously.
        let wrong = NewTask { schedule: Some(Schedule::Continuous { poll_seconds: 30 }), ..new("Photos") };
        assert!(matches!(db.tasks().add(wrong), Err(TaskError::Schedule(ScheduleError::NotTwoWay))));
        let docs = db.tasks().add(bisync("Docs", "/home/me/Docs")).unwrap();
        let shell = Watching::default();
        let tz = jiff::tz::TimeZone::UTC;
        let mut s = Scheduler::new(config, db.clone(), "test", shell.clone());

        // Never started as a due run; watched once, however often it ticks.
        assert!(s.tick(now(), &tz).await.unwrap().is_empty());
        assert!(s.tick(now() + 3_600_000, &tz).await.unwrap().is_empty());
        settle().await;
        assert_eq!(shell.log(), ["watch Docs 30"]);
        assert_eq!(s.kept(), vec![docs.id]);

        // Changed: the old watcher stops, one with the new settings starts.
        let mut changed = docs.clone();
        changed.schedule = Some(Schedule::Continuous { poll_seconds: 60 });
        db.tasks().update(&changed).unwrap();
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Docs 60", "stop Docs"]);

        // Paused (the task, then everything): stopped; resumed: watched again.
        db.tasks().set_paused("Docs", true).unwrap();
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["stop Docs"]);
        assert!(s.kept().is_empty());
        db.tasks().set_paused("Docs", false).unwrap();
        shell.paused.store(true, Ordering::SeqCst);
        s.tick(now(), &tz).await.unwrap();
        assert!(shell.log().is_empty());
        shell.paused.store(false, Ordering::SeqCst);
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Docs 60"]);

        // A watcher that ends by itself is started again only after a minute, then two.
        db.tasks().add(bisync("Gone", "/mnt/usb/Gone")).unwrap();
        let t0 = now();
        s.tick(t0, &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Gone 30", "stop Gone"]);
        s.tick(t0 + 1_000, &tz).await.unwrap();
        s.tick(t0 + 30_000, &tz).await.unwrap();
        settle().await;
        assert!(shell.log().is_empty(), "not before a minute has passed");
        s.tick(t0 + 62_000, &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Gone 30", "stop Gone"]);
        s.tick(t0 + 63_000, &tz).await.unwrap();
        s.tick(t0 + 63_000 + 100_000, &tz).await.unwrap();
        settle().await;
        assert!(shell.log().is_empty(), "the second wait is two minutes");
        s.tick(t0 + 63_000 + 121_000, &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Gone 30", "stop Gone"]);

        // Removed, and when the scheduler stops: every watcher stops.
        db.tasks().remove("Gone").unwrap();
        s.stop_kept().await;
        assert_eq!(shell.log(), ["stop Docs"]);
    }

    fn mount(name: &str) -> NewTask {
        let spec = crate::mount::MountSpec {
            remote: "jotta".into(),
            path: "Photos".into(),
            access: crate::mount::MountAccess::FileManager { port: None },
            cache_max_size: None,
        };
        NewTask { name: name.into(), job: Job::Mount(spec), schedule: None }
    }

    #[tokio::test]
    async fn mounts_are_kept_through_pause_all_and_unmounted_when_paused() {
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::at(dir.path().join("config")).unwrap();
        let db = Arc::new(StateDb::open(&dir.path().join("s.db")).unwrap());
        // A mount is never scheduled.
        let timed = NewTask { schedule: Some(Schedule::Hourly { hours: 1 }), ..mount("Timed") };
        assert!(matches!(db.tasks().add(timed), Err(TaskError::Schedule(ScheduleError::Mount))));
        let photos = db.tasks().add(mount("Photos")).unwrap();
        db.tasks().add(bisync("Docs", "/home/me/Docs")).unwrap();
        let shell = Watching::default();
        let tz = jiff::tz::TimeZone::UTC;
        let mut s = Scheduler::new(config, db.clone(), "test", shell.clone());
        assert!(s.tick(now(), &tz).await.unwrap().is_empty(), "a mount is not a due run");
        settle().await;
        let mut log = shell.log();
        log.sort();
        assert_eq!(log, ["watch Docs 30", "watch Photos 0"]);

        // "Pause all" stops the two-way sync's watcher, not the mount.
        shell.paused.store(true, Ordering::SeqCst);
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["stop Docs"]);
        assert_eq!(s.kept(), vec![photos.id]);

        // Pausing the mount itself ("Unmount") stops it; resuming mounts it again.
        db.tasks().set_paused("Photos", true).unwrap();
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["stop Photos"]);
        db.tasks().set_paused("Photos", false).unwrap();
        s.tick(now(), &tz).await.unwrap();
        settle().await;
        assert_eq!(shell.log(), ["watch Photos 0"]);
        s.stop_kept().await;
        assert_eq!(shell.log(), ["stop Photos"]);
    }

    #[tokio::test]
    async fn the_loop_prunes_old_runs_starts_due_tasks_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        let (config, db, task) = setup(dir.path());
        let old = db.start_run(&NewRun::transfer(&task.job.spec().unwrap()).unwrap()).unwrap();
        db.finish_run(old, Outcome::Ok, RunResult::Counters(Default::default())).unwrap();
        db.conn().execute("UPDATE runs SET started_ms = 1000 WHERE id = ?1", [old]).unwrap();
        let shell = Recorder { retention: Some(Duration::from_secs(86_400)), ..Recorder::new(&db) };
        let s = Scheduler::new(config.clone(), db.clone(), "looping", shell.clone()).every(Duration::from_millis(20));
        let mut role = s.role();
        let stop = CancellationToken::new();
        let looping = tokio::spawn(s.run(stop.clone()));
        tokio::time::timeout(Duration::from_secs(20), async {
            while shell.started().is_empty() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the due task started");
        assert_eq!(shell.started(), vec![task.id]);
        let runs = db.runs(10).unwrap();
        assert!(runs.iter().all(|r| r.started_ms > 1000), "the old run was pruned at start");
        stop.cancel();
        tokio::time::timeout(Duration::from_secs(20), looping).await.unwrap().unwrap();
        role.mark_changed();
        assert_eq!(*role.borrow_and_update(), Role::Stopped);
        assert_eq!(scheduler::holder(&config).unwrap(), None, "the lock is free again");
    }
}

/// Updating keeps the id; importing keeps a free id, renames a taken
/// name, links only unlinked runs, and is a no-op the second time.
#[test]
fn tasks_are_updated_and_imported_with_their_ids_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = StateDb::open(&dir.path().join("s.db")).unwrap();
    let cli = db.tasks().add(new("Photos")).unwrap();
    let mut renamed = cli.clone();
    renamed.name = "Pictures".into();
    renamed.paused = true;
    assert_eq!(db.tasks().update(&renamed).unwrap(), renamed);
    let other = db.tasks().add(new("Docs")).unwrap();
    assert!(matches!(
        db.tasks().update(&Task { name: "docs".into(), ..renamed.clone() }),
        Err(TaskError::Duplicate(_))
    ));

    let spec = cli.job.spec().unwrap();
    let new = NewRun::transfer(&spec).unwrap();
    let (free, linked) = (db.start_run(&new).unwrap(), db.start_run(&new.clone().task(Some(other.id))).unwrap());
    let old = Task {
        id: TaskId(7),
        name: "Docs".into(),
        job: sync_job("/home/me/Docs"),
        schedule: Some(Schedule::Hourly { hours: 2 }),
        schedule_since_ms: Some(50),
        paused: false,
        created_ms: 40,
    };
    let got = db.tasks().import(&old, &[free, linked]).unwrap();
    assert_eq!(got, Task { name: "Docs (2)".into(), ..old.clone() });
    assert_eq!(db.runs_of(10, Some(got.id)).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![free]);
    assert_eq!(db.runs_of(10, Some(other.id)).unwrap().len(), 1, "a linked run stays with its task");
    // Again (an import that stopped before its end): nothing changes.
    let again = Task { name: "Docs (2)".into(), ..old.clone() };
    assert_eq!(db.tasks().import(&again, &[]).unwrap(), got);
    assert_eq!(db.tasks().list().unwrap().len(), 3);
    // A taken id: a new one.
    let clash = db.tasks().import(&Task { id: cli.id, name: "Music".into(), ..old }, &[]).unwrap();
    assert_ne!(clash.id, cli.id);
    db.tasks().link_run(free, clash.id).unwrap();
    assert_eq!(db.runs_of(10, Some(clash.id)).unwrap().len(), 1);
}
