//! Two-way sync through the engine's API against the emulator: errors stay
//! with their file, and every settled file is in the base at once.

use fjordsync_engine::bisync::BisyncSpec;
use fjordsync_engine::state::{EventFilter, Outcome, RunKind};
use tokio_util::sync::CancellationToken;

use crate::{Env, LIMIT, events, write};

fn spec(local: &std::path::Path, path: &str) -> BisyncSpec {
    BisyncSpec { local: local.to_path_buf(), remote: "demo".into(), path: path.into(), options: Default::default() }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_file_is_recorded_and_the_rest_settles() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("small-1.txt"), b"small one");
    write(&local.join("small-2.txt"), b"small two");
    write(&local.join("big.bin"), &vec![7u8; 200_000]);
    // Room for the small files only: the big one fails, the others go on.
    env.emu.set_quota(Some(10_000));
    let s = spec(&local, "Pair");
    let run = |s: BisyncSpec| {
        let runner = env.runner.clone();
        async move {
            tokio::time::timeout(LIMIT, runner.bisync(&s, None, events(), CancellationToken::new()))
                .await
                .expect("run finishes in time")
                .expect("run works")
        }
    };
    let report = run(s.clone()).await;
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!((report.counters.uploaded, report.counters.failed), (2, 1), "{:?}", report.counters);
    let db = env.runner.db();
    let failed = EventFilter { result: Some("failed".into()), ..Default::default() };
    let rows = db.events(report.run, &failed).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].path, "big.bin");
    assert_eq!(db.run(report.run).unwrap().unwrap().kind, RunKind::Bisync);
    // The two that went are in the base already; the failed one is not.
    let pair = db.find_bisync_pair(&local.display().to_string(), "demo", "Pair").unwrap().unwrap();
    let mut base: Vec<String> = db.bisync_base(pair).unwrap().into_values().map(|b| b.key).collect();
    base.sort();
    assert_eq!(base, ["small-1.txt", "small-2.txt"]);

    // `retry` and `undo` say what to do instead of misreading the run.
    let e = env.runner.retry(report.run, events(), CancellationToken::new()).await.unwrap_err();
    assert!(e.to_string().contains("tried again by the next run"), "{e}");

    // With room again, the file stays aside: a full storage is no reason
    // to try again by itself (the file has not changed)...
    env.emu.set_quota(None);
    let report = run(s.clone()).await;
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!((report.counters.uploaded, report.counters.skipped), (0, 1), "{:?}", report.counters);
    assert_eq!(report.kept_aside.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["big.bin"]);
    // ...until the user asks: then the next run sends only what failed.
    assert_eq!(env.runner.bisync_retry_issues(&s).unwrap(), 1);
    let report = run(s.clone()).await;
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!((report.counters.uploaded, report.counters.failed), (1, 0), "{:?}", report.counters);
    assert_eq!(env.remote_files("Pair").await.len(), 3);
}

/// A file renamed on the storage (by another device) is renamed here: the
/// same local file, nothing downloaded.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_rename_on_the_storage_is_a_local_rename() {
    use std::os::unix::fs::MetadataExt;
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("draft.txt"), b"the text");
    let s = spec(&local, "Pair");
    let run = || env.runner.bisync(&s, None, events(), CancellationToken::new());
    let first = tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    assert_eq!(first.counters.uploaded, 1);
    // The next run learns the uploaded file's identity.
    tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    let inode = std::fs::metadata(local.join("draft.txt")).unwrap().ino();
    let (from, to) = (env.session.path("Pair/draft.txt").unwrap(), env.session.path("Pair/final.txt").unwrap());
    env.session.client.move_file(&from, &to).await.unwrap();
    let report = tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!((report.counters.moved, report.counters.downloaded), (1, 0), "{:?}", report.counters);
    assert!(!local.join("draft.txt").exists());
    assert_eq!(std::fs::metadata(local.join("final.txt")).unwrap().ino(), inode, "the same file, renamed");
    let again = tokio::time::timeout(LIMIT, run()).await.unwrap().unwrap();
    assert_eq!(again.actions, vec![]);
}

/// A second run of the same pair while one runs is refused, naming the pair.
#[tokio::test(flavor = "multi_thread")]
async fn a_pair_runs_once_at_a_time() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("a.txt"), b"a");
    let db = env.runner.db();
    let root = local.display().to_string();
    let pair = db.bisync_pair(&root, "demo", "Busy").unwrap();
    let state_dir = db.path().parent().unwrap();
    let held = fjordsync_engine::bisync::lock_pair(state_dir, pair, ("elsewhere", "x")).unwrap();
    let s = spec(&local, "Busy");
    let e = env.runner.bisync(&s, None, events(), CancellationToken::new()).await.unwrap_err();
    assert!(e.to_string().contains("another two-way sync of"), "{e}");
    assert!(env.remote_files("Busy").await.is_empty(), "nothing was sent");
    drop(held);
    let report = env.runner.bisync(&s, None, events(), CancellationToken::new()).await.unwrap();
    assert_eq!(report.counters.uploaded, 1);
}
