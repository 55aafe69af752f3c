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
