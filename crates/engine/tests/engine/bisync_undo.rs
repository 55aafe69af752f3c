//! "Undo this run" for a two-way sync: what the run deleted or replaced
//! comes back on the side where it did, the next run carries it to the
//! other side, and both sides end as they were before the run.

use fjordsync_engine::bisync::BisyncSpec;
use fjordsync_engine::state::{EventFilter, Outcome, RunKind};
use fjordsync_jottacloud::UploadOptions;
use tokio_util::sync::CancellationToken;

use crate::{Env, LIMIT, events, write};

fn spec(local: &std::path::Path) -> BisyncSpec {
    BisyncSpec { local: local.to_path_buf(), remote: "demo".into(), path: "Pair".into(), options: Default::default() }
}

fn md5(data: &[u8]) -> String {
    use md5::Digest;
    format!("{:x}", md5::Md5::digest(data))
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_of_a_two_way_run_puts_back_what_it_deleted_or_replaced_on_both_sides() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("gone.txt"), b"deleted here");
    write(&local.join("elsewhere.txt"), b"deleted on the storage");
    write(&local.join("changed.txt"), b"mine, first");
    write(&local.join("stays.txt"), b"untouched");
    let s = spec(&local);
    let run = || async {
        tokio::time::timeout(LIMIT, env.runner.bisync(&s, None, events(), CancellationToken::new()))
            .await
            .expect("in time")
            .expect("run works")
    };
    assert_eq!(run().await.counters.uploaded, 4);

    // Changes on both sides: a delete here, a delete and an edit on the storage, a new file here.
    std::fs::remove_file(local.join("gone.txt")).unwrap();
    let c = &env.session.client;
    c.delete_file(&env.session.path("Pair/elsewhere.txt").unwrap(), false).await.unwrap();
    let theirs = env.local("theirs.txt");
    write(&theirs, b"theirs, second");
    c.upload_file(&theirs, &env.session.path("Pair/changed.txt").unwrap(), &UploadOptions::default()).await.unwrap();
    write(&local.join("new.txt"), b"made here");
    let synced = run().await;
    assert_eq!(synced.outcome, Outcome::Ok);
    assert!(!local.join("elsewhere.txt").exists());
    assert_eq!(std::fs::read(local.join("changed.txt")).unwrap(), b"theirs, second");
    assert!(!env.remote_files("Pair").await.contains_key("gone.txt"));

    // Undo: each side gets back what the run took from it; the copy stays.
    let undo = env.runner.undo(synced.run, events(), CancellationToken::new()).await.unwrap();
    assert_eq!(undo.outcome, Outcome::Ok, "{:?}", undo.counters);
    assert_eq!(undo.counters.updated, 3, "{:?}", undo.counters);
    let db = env.runner.db();
    assert_eq!(db.run(undo.run).unwrap().unwrap().kind, RunKind::Undo);
    let kept = db.events(undo.run, &EventFilter { result: Some("skipped".into()), grep: None }).unwrap();
    assert_eq!(kept.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(), ["new.txt"]);
    assert!(kept[0].error.as_deref().unwrap().contains("a copy loses nothing"), "{kept:?}");
    assert_eq!(std::fs::read(local.join("elsewhere.txt")).unwrap(), b"deleted on the storage");
    assert_eq!(std::fs::read(local.join("changed.txt")).unwrap(), b"mine, first");
    assert!(env.remote_files("Pair").await.contains_key("gone.txt"), "back from the storage's trash");

    // The next run carries it over: both sides as before the run, plus the new file; no conflict.
    let after = run().await;
    assert_eq!(after.outcome, Outcome::Ok);
    let remote = env.remote_files("Pair").await;
    for (name, content) in [
        ("gone.txt", &b"deleted here"[..]),
        ("elsewhere.txt", b"deleted on the storage"),
        ("changed.txt", b"mine, first"),
        ("stays.txt", b"untouched"),
        ("new.txt", b"made here"),
    ] {
        assert_eq!(std::fs::read(local.join(name)).unwrap(), content, "{name} here");
        assert_eq!(remote.get(name).map(|r| r.1.as_str()), Some(md5(content).as_str()), "{name} on the storage");
    }
    let pair = db.find_bisync_pair(&local.display().to_string(), "demo", "Pair").unwrap().unwrap();
    assert!(db.bisync_conflicts(pair).unwrap().is_empty());
    assert_eq!(run().await.actions, vec![], "in step");

    // An undo is not undone again, and a two-way run is not retried by hand.
    let e = env.runner.undo(undo.run, events(), CancellationToken::new()).await.unwrap_err();
    assert!(e.to_string().contains("nothing to undo"), "{e}");
    let e = env.runner.retry(synced.run, events(), CancellationToken::new()).await.unwrap_err();
    assert!(e.to_string().contains("tried again by the next run"), "{e}");
}

/// A file changed since the run is left as it is, never overwritten by the undo.
#[tokio::test(flavor = "multi_thread")]
async fn undo_leaves_a_file_changed_since_the_run() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("doc.txt"), b"first");
    let s = spec(&local);
    let run = || env.runner.bisync(&s, None, events(), CancellationToken::new());
    tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    let theirs = env.local("theirs.txt");
    write(&theirs, b"from the storage");
    let c = &env.session.client;
    c.upload_file(&theirs, &env.session.path("Pair/doc.txt").unwrap(), &UploadOptions::default()).await.unwrap();
    let synced = tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    assert_eq!(synced.counters.updated, 1, "{:?}", synced.counters);
    write(&local.join("doc.txt"), b"edited after the run");
    let undo = env.runner.undo(synced.run, events(), CancellationToken::new()).await.unwrap();
    assert_eq!((undo.counters.updated, undo.counters.skipped), (0, 1), "{:?}", undo.counters);
    assert_eq!(std::fs::read(local.join("doc.txt")).unwrap(), b"edited after the run");
}
