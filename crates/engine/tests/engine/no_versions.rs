//! No-versions (rclone's `--jottacloud-no-versions`): a file replaced by
//! new content is deleted permanently first, so the service keeps no
//! earlier revision; without the option the earlier revision stays.

use std::sync::Arc;
use std::time::Duration;

use fjordsync_engine::events::TaskEvent;
use fjordsync_engine::state::EventFilter;
use fjordsync_engine::{TaskKind, TaskOptions, TaskSpec};
use tokio_util::sync::CancellationToken;

use super::{Env, LIMIT, events, local, remote, write};

fn spec(env: &Env, no_versions: bool) -> TaskSpec {
    TaskSpec {
        kind: TaskKind::Sync,
        source: local(&env.local("src")),
        destination: remote("nv"),
        options: TaskOptions { no_versions, ..Default::default() },
    }
}

/// Uploads v1 of `doc.txt` (and an untouched `same.txt`), then v2 of
/// `doc.txt`, the second run with or without no-versions. Returns the
/// second run's id and v1's MD5.
async fn replace_once(env: &Env, no_versions: bool) -> (i64, String) {
    let src = env.local("src");
    write(&src.join("doc.txt"), b"version 1");
    write(&src.join("same.txt"), b"unchanged");
    let r = env.run(&spec(env, false)).await;
    assert_eq!((r.outcome.as_str(), r.counters.uploaded), ("ok", 2), "{r:?}");
    let v1 = env.remote_files("nv").await["doc.txt"].1.clone();
    std::thread::sleep(Duration::from_millis(1100));
    write(&src.join("doc.txt"), b"version 2, longer");
    let r = env.run(&spec(env, no_versions)).await;
    assert_eq!((r.outcome.as_str(), r.counters.updated, r.counters.unchanged), ("ok", 1, 1), "{r:?}");
    (r.run, v1)
}

async fn revisions(env: &Env, path: &str) -> Vec<(bool, String)> {
    let revs = env.session.client.revisions(&env.session.path(path).unwrap()).await.unwrap();
    revs.into_iter().map(|r| (r.current, r.md5.unwrap_or_default())).collect()
}

#[tokio::test]
async fn with_no_versions_the_replaced_file_keeps_no_earlier_revision() {
    let env = Env::start().await;
    let (run, _) = replace_once(&env, true).await;
    let v2 = env.remote_files("nv").await["doc.txt"].1.clone();
    let revs = revisions(&env, "nv/doc.txt").await;
    assert_eq!(revs, vec![(true, v2)], "only the new content");
    // Deleted for good: not in the trash either.
    let trash = env.session.client.list_trash().await.unwrap();
    assert!(trash.iter().all(|t| t.name != "doc.txt"), "{trash:?}");
    // The unchanged file was not touched.
    assert_eq!(revisions(&env, "nv/same.txt").await.len(), 1);

    // Undo says the earlier version cannot come back, instead of pretending.
    let undo =
        tokio::time::timeout(LIMIT, env.runner.undo(run, events(), CancellationToken::new())).await.unwrap().unwrap();
    assert_eq!(undo.outcome, "failed", "{undo:?}");
    let rows = env.runner.db().events(undo.run, &EventFilter::default()).unwrap();
    let row = rows.iter().find(|e| e.path == "doc.txt").expect("a row for doc.txt");
    let error = row.error.as_deref().unwrap_or_default();
    assert!(error.contains("no-versions") && error.contains("deleted for good"), "{error}");
    assert_eq!(env.remote_files("nv").await["doc.txt"].0, 17, "the run's content stays");
}

#[tokio::test]
async fn without_no_versions_the_earlier_revision_is_kept() {
    let env = Env::start().await;
    let (_, v1) = replace_once(&env, false).await;
    let revs = revisions(&env, "nv/doc.txt").await;
    assert_eq!(revs.len(), 2, "{revs:?}");
    assert!(revs.contains(&(false, v1)), "{revs:?}");
}

/// The upload after the delete fails (the storage fills up once the run
/// has planned): the failed row says the earlier version is already gone.
#[tokio::test]
async fn a_failure_after_the_delete_says_the_file_is_missing() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("doc.txt"), b"small");
    env.run(&spec(&env, false)).await;
    std::thread::sleep(Duration::from_millis(1100));
    write(&src.join("doc.txt"), &vec![7u8; 20_000]);
    let usage = env.session.client.drive_info().await.unwrap().usage;
    let spec = spec(&env, true);
    let Env { emu, runner, session, dir: _dir } = env;
    let emu = Arc::new(emu);
    let sink = {
        let emu = emu.clone();
        Arc::new(move |e: TaskEvent| {
            if matches!(e, TaskEvent::Planned { .. }) {
                emu.set_quota(Some((usage + 100) as i64));
            }
        })
    };
    let r = tokio::time::timeout(LIMIT, runner.run(&spec, None, sink, CancellationToken::new()))
        .await
        .expect("the run ends in time")
        .expect("the run works");
    assert_eq!(r.outcome, "failed", "{r:?}");
    let failed =
        runner.db().events(r.run, &EventFilter { result: Some("failed".into()), ..Default::default() }).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let error = failed[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("already deleted for good") && error.contains("missing there"), "{error}");
    let gone = session.client.file_info(&session.path("nv/doc.txt").unwrap()).await;
    assert!(gone.is_err_and(|e| e.is_not_found()), "the old version was deleted before the upload failed");
}
