//! Two-way sync tasks through the app's door, against the demo storage (the
//! emulator over HTTP): made, previewed and run like any task, their
//! conflicts listed with both versions and resolved as the buttons say.

use std::path::Path;
use std::sync::Arc;

use fjordsync_engine::bisync::Resolution;

use crate::Api;
use crate::dto::TaskDto;

fn quiet() -> crate::ProgressSink {
    Arc::new(|_| {})
}

/// An app with the demo storage and a folder `two` with `a.txt`.
async fn app(dir: &Path) -> Arc<Api> {
    let api = Arc::new(super::tests::api(dir));
    api.use_file_store().await.unwrap();
    api.start_demo().await.unwrap();
    std::fs::create_dir_all(dir.join("two")).unwrap();
    std::fs::write(dir.join("two/a.txt"), b"first").unwrap();
    std::fs::write(dir.join("two/b.txt"), b"other").unwrap();
    api
}

fn two_way(dir: &Path, remote: &str) -> TaskDto {
    TaskDto {
        name: "Both".into(),
        kind: "bisync".into(),
        direction: "both".into(),
        remote: remote.into(),
        include: vec![],
        ..super::tests::sample(dir.join("two").to_str().unwrap())
    }
}

/// The storage's files in `folder` (name → size).
async fn remote_files(api: &Api, folder: &str) -> Vec<(String, u64)> {
    let l = api.list_folder(crate::DEMO_STORAGE.into(), vec![folder.into()]).await.unwrap();
    l.entries.into_iter().filter(|e| !e.folder).map(|e| (e.name, e.size.unwrap_or(0))).collect()
}

/// The storage's `a.txt` in `folder` becomes `content`, the way another
/// device would change it: an upload task from another folder.
async fn change_on_storage(api: &Api, dir: &Path, folder: &str, content: &[u8]) {
    let other = dir.join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("a.txt"), content).unwrap();
    let copy = TaskDto {
        name: "Elsewhere".into(),
        kind: "copy".into(),
        remote: folder.into(),
        include: vec![],
        ..super::tests::sample(other.to_str().unwrap())
    };
    let id = match api.list_tasks().await.unwrap().into_iter().find(|t| t.name == "Elsewhere") {
        Some(t) => t.id,
        None => api.save_task(copy).await.unwrap().id,
    };
    assert_eq!(api.run_task(id, quiet()).await.unwrap().outcome, "ok");
}

/// Makes a conflict on `a.txt`: changed here and on the storage, then a run.
async fn conflict(api: &Api, dir: &Path, id: &str, folder: &str, n: u8) -> crate::dto::ConflictDto {
    std::fs::write(dir.join("two/a.txt"), [&b"mine, longer"[..], &[b'0' + n]].concat()).unwrap();
    // A size of its own each time: the copy task compares size and time (1 s).
    change_on_storage(api, dir, folder, &[&b"theirs"[..], &vec![b'0' + n; n as usize]].concat()).await;
    assert_eq!(api.run_task(id.into(), quiet()).await.unwrap().outcome, "ok");
    let list = api.list_conflicts(id.into()).await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(api.list_tasks().await.unwrap().iter().find(|t| t.id == id).unwrap().conflicts, 1);
    list.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_way_task_is_made_previewed_and_run_from_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let api = app(dir.path()).await;
    let t = api.save_task_with(two_way(dir.path(), "Two"), Some(false)).await.unwrap();
    assert_eq!((t.kind.as_str(), t.direction.as_str()), ("bisync", "both"));
    // The form edits it (a filter), and it stays two-way.
    let t = api.save_task(TaskDto { exclude: vec!["*.tmp".into()], ..t }).await.unwrap();
    assert_eq!((t.kind.as_str(), t.exclude.as_slice()), ("bisync", &["*.tmp".to_string()][..]));
    let preview = api.preview_task(t.id.clone()).await.unwrap();
    assert_eq!(preview.totals.files, 2, "{preview:?}");
    assert!(preview.steps.iter().any(|s| s.action == "upload" && s.path == "a.txt"), "{preview:?}");
    let run = api.run_task(t.id.clone(), quiet()).await.unwrap();
    assert_eq!((run.kind.as_str(), run.outcome.as_str()), ("bisync", "ok"), "{run:?}");
    assert_eq!(remote_files(&api, "Two").await.len(), 2);
    // A change on the storage comes back down; the log and the overview show the runs.
    change_on_storage(&api, dir.path(), "Two", b"from elsewhere").await;
    api.run_task(t.id.clone(), quiet()).await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("two/a.txt")).unwrap(), b"from elsewhere");
    assert_eq!(api.list_runs(t.id.clone()).await.unwrap().len(), 2);
    let o = api.overview().await.unwrap().into_iter().find(|o| o.id == t.id).unwrap();
    assert_eq!((o.kind.as_str(), o.conflicts, o.failures), ("bisync", 0, 0));
    api.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn conflicts_are_listed_and_each_resolution_does_what_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let api = app(dir.path()).await;
    let id = api.save_task(two_way(dir.path(), "Conflicts")).await.unwrap().id;
    api.run_task(id.clone(), quiet()).await.unwrap();
    let local = |name: &str| std::fs::read(dir.path().join("two").join(name)).ok();

    // Keep mine: my content under the original name on both sides, the copy gone from both.
    let c = conflict(&api, dir.path(), &id, "Conflicts", 1).await;
    assert_eq!(c.theirs.path, "a.txt");
    assert!(c.mine.path.starts_with("a (conflicted copy "), "{c:?}");
    assert_eq!((c.mine.size, c.theirs.size), (Some(13), Some(7)));
    assert!(c.mine.modified_ms.is_some());
    let run = api.resolve_conflict(id.clone(), c.id, Resolution::KeepMine, quiet()).await.unwrap();
    assert_eq!(run.outcome, "ok", "{run:?}");
    assert_eq!(local("a.txt").as_deref(), Some(&b"mine, longer1"[..]));
    assert!(local(&c.mine.path).is_none());
    let mut files = remote_files(&api, "Conflicts").await;
    files.sort();
    assert_eq!(files, vec![("a.txt".to_string(), 13), ("b.txt".to_string(), 5)]);
    assert!(api.list_conflicts(id.clone()).await.unwrap().is_empty());
    // The storage's version went to the stash, not away.
    let stash = dir.path().join(format!("config/stash/conflict-{}/a.txt", c.id));
    assert_eq!(std::fs::read(stash).unwrap(), b"theirs1");

    // Keep theirs: the storage's content stays, the copy goes from both sides.
    let c = conflict(&api, dir.path(), &id, "Conflicts", 2).await;
    api.resolve_conflict(id.clone(), c.id, Resolution::KeepTheirs, quiet()).await.unwrap();
    assert_eq!(local("a.txt").as_deref(), Some(&b"theirs22"[..]));
    assert!(local(&c.mine.path).is_none());
    assert_eq!(remote_files(&api, "Conflicts").await.len(), 2);

    // Keep both: both files stay, the conflict is closed.
    let c = conflict(&api, dir.path(), &id, "Conflicts", 3).await;
    api.resolve_conflict(id.clone(), c.id, Resolution::KeepBoth, quiet()).await.unwrap();
    assert!(local(&c.mine.path).is_some() && local("a.txt").is_some());
    assert_eq!(remote_files(&api, "Conflicts").await.len(), 3);
    assert!(api.list_conflicts(id.clone()).await.unwrap().is_empty());
    // Resolving it again: not found.
    let again = api.resolve_conflict(id.clone(), c.id, Resolution::KeepMine, quiet()).await.unwrap_err();
    assert_eq!(again.code, "not_found", "{again:?}");
    api.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_changed_since_the_conflict_refuses_resolution() {
    let dir = tempfile::tempdir().unwrap();
    let api = app(dir.path()).await;
    let id = api.save_task(two_way(dir.path(), "Changed")).await.unwrap().id;
    api.run_task(id.clone(), quiet()).await.unwrap();
    let c = conflict(&api, dir.path(), &id, "Changed", 1).await;
    // My copy changed here since: refused, nothing moved.
    std::fs::write(dir.path().join("two").join(&c.mine.path), b"edited again").unwrap();
    let err = api.resolve_conflict(id.clone(), c.id, Resolution::KeepTheirs, quiet()).await.unwrap_err();
    assert_eq!(err.code, "conflict_changed", "{err:?}");
    assert!(err.message.contains("sync first"), "{}", err.message);
    assert!(dir.path().join("two").join(&c.mine.path).exists());
    // The storage's version changed since: refused too.
    api.run_task(id.clone(), quiet()).await.unwrap();
    change_on_storage(&api, dir.path(), "Changed", b"theirs again").await;
    let err = api.resolve_conflict(id.clone(), c.id, Resolution::KeepMine, quiet()).await.unwrap_err();
    assert_eq!(err.code, "conflict_changed", "{err:?}");
    assert_eq!(std::fs::read(dir.path().join("two/a.txt")).unwrap(), b"theirs1");
    assert_eq!(api.list_conflicts(id.clone()).await.unwrap().len(), 1);
    api.shutdown().await;
}

/// Polls `cond` every 50 ms for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < end {
        if cond().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn a_continuous_task_is_watched_by_the_scheduler_and_follows_both_sides() {
    use crate::dto::WatchStateDto;
    use fjordsync_engine::tasks::schedule::Schedule;
    let dir = tempfile::tempdir().unwrap();
    let api = app(dir.path()).await;
    // Only a two-way sync may run continuously.
    let one_way = TaskDto {
        name: "One way".into(),
        kind: "sync".into(),
        schedule: Some(Schedule::Continuous { poll_seconds: 10 }),
        ..super::tests::sample(dir.path().join("two").to_str().unwrap())
    };
    let e = api.save_task(one_way).await.unwrap_err();
    assert!(e.message.contains("only a two-way sync can run continuously"), "{e:?}");

    let mut events = api.event_sender().subscribe();
    let scheduler = tokio::spawn(api.clone().run_scheduler_as("test".into()));
    let task = TaskDto { schedule: Some(Schedule::Continuous { poll_seconds: 10 }), ..two_way(dir.path(), "Live") };
    let id = api.save_task(task).await.unwrap().id;

    // Watched at once (the save pokes the scheduler): the first run merges,
    // then it waits for changes, as the task list says.
    let idle = || async {
        let t = api.list_tasks().await.unwrap().into_iter().find(|t| t.id == id).unwrap();
        t.watch.is_some_and(|w| w.state == WatchStateDto::Idle) && t.last_run.is_some()
    };
    assert!(eventually(60, idle).await, "the watcher settles after its first run");
    assert_eq!(remote_files(&api, "Live").await.len(), 2);

    // A file saved in the folder reaches the storage without a click.
    std::fs::write(dir.path().join("two/new.txt"), b"made here").unwrap();
    let arrived = || async { remote_files(&api, "Live").await.iter().any(|(n, _)| n == "new.txt") };
    assert!(eventually(60, arrived).await, "a local change is uploaded by the watcher");

    // Transfer settings changed while it watches apply at its next run.
    let settings = api.get_settings().await.unwrap();
    assert_ne!(settings.transfers, 7);
    api.save_settings(crate::settings::SettingsDto { transfers: 7, bandwidth_kib: 512, ..settings }).await.unwrap();
    std::fs::write(dir.path().join("two/newer.txt"), b"after the settings changed").unwrap();
    let arrived = || async { remote_files(&api, "Live").await.iter().any(|(n, _)| n == "newer.txt") };
    assert!(eventually(60, arrived).await, "a local change is uploaded by the watcher");
    let spec = api.with_db(|db| Ok(db.runs_of(1, None).unwrap().remove(0).spec_json)).await.unwrap();
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(
        (spec["options"]["transfers"].as_u64(), spec["options"]["bwlimit"].as_u64()),
        (Some(7), Some(512 * 1024))
    );

    // A change made elsewhere arrives within the storage's check interval.
    change_on_storage(&api, dir.path(), "Live", b"changed elsewhere").await;
    let local = dir.path().join("two/a.txt");
    let pulled = || async { std::fs::read(&local).unwrap() == b"changed elsewhere" };
    assert!(eventually(60, pulled).await, "a remote change is downloaded by the watcher");
    assert!(api.list_conflicts(id.clone()).await.unwrap().is_empty());

    // Its runs went through the task door: announced and in the log.
    let mut started = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, crate::dto::AppEvent::TaskStarted { ref task } if *task == id) {
            started += 1;
        }
    }
    assert!(started >= 3, "first run, local change, remote change: {started}");
    assert!(api.list_runs(id.clone()).await.unwrap().len() >= 3);

    // Paused (all): the watcher stops; a change waits until resumed.
    api.pause_all().await.unwrap();
    let stopped = || async { api.list_tasks().await.unwrap().iter().find(|t| t.id == id).unwrap().watch.is_none() };
    assert!(eventually(60, stopped).await, "pausing stops the watcher");
    std::fs::write(dir.path().join("two/later.txt"), b"while paused").unwrap();
    api.resume_all().await.unwrap();
    let later = || async { remote_files(&api, "Live").await.iter().any(|(n, _)| n == "later.txt") };
    assert!(eventually(60, later).await, "resumed, the watcher catches up");

    api.shutdown().await;
    tokio::time::timeout(std::time::Duration::from_secs(60), scheduler).await.unwrap().unwrap();
}

/// A file the storage refuses is kept aside: listed with its reason, counted
/// on the task and the overview; "try again now" takes it off the list and
/// runs (it fails anew, so it is listed again, from now); renamed, it syncs
/// and leaves the list.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn files_kept_aside_are_listed_counted_and_tried_again_at_the_users_word() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let api = app(dir.path()).await;
    // Each byte that is not UTF-8 becomes three characters on the service:
    // over its 255.
    let long = dir.path().join("two").join(std::ffi::OsStr::from_bytes(&[0xFF; 100]));
    std::fs::write(&long, b"too long once mapped").unwrap();
    let t = api.save_task_with(two_way(dir.path(), "Aside"), Some(false)).await.unwrap();
    assert_eq!(api.run_task(t.id.clone(), quiet()).await.unwrap().outcome, "ok");

    let list = api.list_kept_aside(t.id.clone()).await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let first = &list[0];
    assert_eq!((first.side.as_str(), first.reason.as_str(), first.next_ms), ("storage", "name_refused", None));
    assert!(first.message.contains("255"), "{}", first.message);
    assert_eq!(api.list_tasks().await.unwrap().iter().find(|x| x.id == t.id).unwrap().kept_aside, 1);
    let o = api.overview().await.unwrap().into_iter().find(|o| o.id == t.id).unwrap();
    assert_eq!(o.kept_aside, 1);

    // Tried again at the user's word: off the list, run, refused anew.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let run = api.retry_kept_aside(t.id.clone(), quiet()).await.unwrap();
    assert_eq!(run.outcome, "ok", "{run:?}");
    let again = api.list_kept_aside(t.id.clone()).await.unwrap();
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(again[0].first_ms > first.first_ms, "listed anew: {again:?} after {first:?}");

    // Renamed, it syncs and leaves the list.
    std::fs::rename(&long, dir.path().join("two/renamed.txt")).unwrap();
    api.run_task(t.id.clone(), quiet()).await.unwrap();
    assert!(api.list_kept_aside(t.id.clone()).await.unwrap().is_empty());
    assert_eq!(api.list_tasks().await.unwrap().iter().find(|x| x.id == t.id).unwrap().kept_aside, 0);

    // Other kinds keep nothing aside.
    let copy =
        api.save_task(TaskDto { name: "Copy".into(), ..super::tests::sample(dir.path().to_str().unwrap()) }).await;
    let copy = copy.unwrap();
    assert!(api.list_kept_aside(copy.id.clone()).await.unwrap().is_empty());
    let err = api.retry_kept_aside(copy.id, quiet()).await.unwrap_err();
    assert!(err.message.contains("not a two-way sync task"), "{err:?}");
    api.shutdown().await;
}
