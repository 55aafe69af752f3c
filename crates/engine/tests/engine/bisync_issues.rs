//! Two-way sync items kept aside after an error (issue 14: "errors are per
//! file, kept aside with a backoff and listed; the rest goes on"): a
//! failure that may pass is tried again after a doubling backoff, one that
//! cannot (a full storage) only when the file changes or the user asks;
//! an item leaves the list when it settles or disappears.

use std::path::Path;

use fjordsync_engine::bisync::{BisyncReport, BisyncSpec, IssueKind, IssueSide};
use fjordsync_engine::state::Outcome;
use tokio_util::sync::CancellationToken;

use crate::{Env, LIMIT, events, write};

fn spec(local: &Path, path: &str) -> BisyncSpec {
    BisyncSpec { local: local.to_path_buf(), remote: "demo".into(), path: path.into(), options: Default::default() }
}

async fn run(env: &Env, s: &BisyncSpec) -> BisyncReport {
    tokio::time::timeout(LIMIT, env.runner.bisync(s, None, events(), CancellationToken::new()))
        .await
        .expect("run finishes in time")
        .expect("run works")
}

/// Moves a listed item's next try into the past, as if its backoff were over.
fn backoff_over(env: &Env, key: &str) {
    let conn = rusqlite::Connection::open(env.runner.db().path()).unwrap();
    let n = conn.execute("UPDATE bisync_issues SET next_ms = 0 WHERE key = ?1", [key]).unwrap();
    assert_eq!(n, 1, "{key} is listed");
}

/// The keys a run left aside.
fn aside(r: &BisyncReport) -> Vec<String> {
    r.kept_aside.iter().map(|s| s.key.clone()).collect()
}

fn listed(env: &Env, s: &BisyncSpec) -> Vec<String> {
    env.runner.bisync_issues(s).unwrap().into_iter().map(|i| i.key).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_file_waits_for_its_backoff_and_leaves_the_list_when_it_settles_or_goes() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("a.txt"), b"a");
    write(&local.join("b.txt"), b"b");
    let s = spec(&local, "Aside");
    run(&env, &s).await;
    run(&env, &s).await;
    let b_remote = env.session.path("Aside/b.txt").unwrap();
    let data = b"b changed elsewhere".to_vec();
    let md5 = fjordsync_engine::local::hash_hex(&<md5::Md5 as md5::Digest>::digest(&data));
    let req = fjordsync_jottacloud::AllocateRequest {
        path: b_remote,
        md5,
        size: data.len() as u64,
        created: None,
        modified: None,
    };
    env.session.client.upload(&req, &fjordsync_jottacloud::BytesSource::new(vec![data.into()])).await.unwrap();

    // The account refuses writes for a while: the uploads fail, the
    // download goes on.
    env.emu.set_write_locked(true);
    write(&local.join("a.txt"), b"a changed");
    write(&local.join("c.txt"), b"c new");
    let r = run(&env, &s).await;
    assert_eq!(r.outcome, Outcome::Failed);
    assert_eq!((r.counters.failed, r.counters.updated), (2, 1), "{:?}", r.counters);
    assert_eq!(std::fs::read(local.join("b.txt")).unwrap(), b"b changed elsewhere");
    let issues = env.runner.bisync_issues(&s).unwrap();
    assert_eq!(issues.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["a.txt", "c.txt"]);
    for i in &issues {
        assert_eq!(
            (i.kind, i.side, i.attempts, i.action.as_str()),
            (IssueKind::Retry, IssueSide::Storage, 1, "upload")
        );
        assert_eq!(i.next_ms.unwrap() - i.last_ms, 60_000, "a minute first");
        assert!(i.message.contains("write-locked"), "{}", i.message);
    }
    assert_eq!(env.runner.bisync_next_retry(&s).unwrap(), issues.iter().filter_map(|i| i.next_ms).min());

    // Writes work again, but the backoff is not over: both wait, nothing is sent.
    env.emu.set_write_locked(false);
    let sent = env.emu.stats().uploads_started;
    let r = run(&env, &s).await;
    assert_eq!(r.outcome, Outcome::Ok, "kept aside is not a failure: {:?}", r.counters);
    assert_eq!(aside(&r), ["a.txt", "c.txt"]);
    assert_eq!((r.counters.skipped, r.counters.uploaded, r.counters.updated), (2, 0, 0), "{:?}", r.counters);
    assert_eq!(env.emu.stats().uploads_started, sent);

    // a.txt's backoff is over: tried again, settled, off the list.
    backoff_over(&env, "a.txt");
    let r = run(&env, &s).await;
    assert_eq!((r.counters.updated, aside(&r)), (1, vec!["c.txt".to_string()]), "{:?}", r.counters);
    assert_eq!(listed(&env, &s), ["c.txt"]);
    // c.txt changes: tried again at once.
    write(&local.join("c.txt"), b"c newer");
    let r = run(&env, &s).await;
    assert_eq!((r.counters.uploaded, r.kept_aside.len()), (1, 0), "{:?}", r.counters);
    assert!(listed(&env, &s).is_empty());
    assert_eq!(env.remote_files("Aside").await["c.txt"].0, 7);

    // Failing again and again: the wait doubles.
    env.emu.set_write_locked(true);
    write(&local.join("a.txt"), b"a changed again");
    run(&env, &s).await;
    backoff_over(&env, "a.txt");
    run(&env, &s).await;
    let i = &env.runner.bisync_issues(&s).unwrap()[0];
    assert_eq!((i.attempts, i.next_ms.unwrap() - i.last_ms), (2, 120_000));

    // A listed file that is deleted here (it never reached the storage)
    // has nothing left to do: off the list.
    write(&local.join("d.txt"), b"d");
    run(&env, &s).await;
    assert_eq!(listed(&env, &s), ["a.txt", "d.txt"]);
    env.emu.set_write_locked(false);
    std::fs::remove_file(local.join("d.txt")).unwrap();
    backoff_over(&env, "a.txt");
    let r = run(&env, &s).await;
    assert_eq!((r.outcome, r.counters.updated), (Outcome::Ok, 1), "{:?}", r.counters);
    assert!(listed(&env, &s).is_empty());
    let again = run(&env, &s).await;
    assert!(again.actions.is_empty(), "{:?}", again.actions);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_the_full_storage_refused_waits_for_a_change_not_for_time() {
    let env = Env::start().await;
    let local = env.local("pair");
    write(&local.join("small.txt"), b"small");
    write(&local.join("big.bin"), &vec![7u8; 200_000]);
    env.emu.set_quota(Some(10_000));
    let s = spec(&local, "Full");
    let r = run(&env, &s).await;
    assert_eq!((r.counters.uploaded, r.counters.failed), (1, 1), "{:?}", r.counters);
    let i = &env.runner.bisync_issues(&s).unwrap()[0];
    assert_eq!((i.key.as_str(), i.kind, i.next_ms), ("big.bin", IssueKind::StorageFull, None));
    assert_eq!(env.runner.bisync_next_retry(&s).unwrap(), None, "waits for a change, not for time");

    // Room again, time passes: still aside (only a change or the user's
    // word tries a full storage again).
    env.emu.set_quota(None);
    for _ in 0..2 {
        let r = run(&env, &s).await;
        assert_eq!((r.counters.uploaded, r.kept_aside.len()), (0, 1), "{:?}", r.counters);
    }
    // The file changes: tried again, and sent.
    write(&local.join("big.bin"), &vec![8u8; 150_000]);
    let r = run(&env, &s).await;
    assert_eq!((r.outcome, r.counters.uploaded), (Outcome::Ok, 1), "{:?}", r.counters);
    assert!(listed(&env, &s).is_empty());
    assert_eq!(env.remote_files("Full").await["big.bin"].0, 150_000);
}

/// A name the service refuses stops only that file: it is listed (once,
/// not counted up run after run), the rest syncs, and renaming it sends it
/// and takes it off the list.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_name_the_service_refuses_is_kept_aside_and_the_rest_goes_on() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::start().await;
    let local = env.local("pair");
    // At most 255 bytes here, but each byte that is not UTF-8 becomes
    // three characters on the service: over its 255.
    let long = local.join(std::ffi::OsStr::from_bytes(&[0xFF; 100]));
    write(&long, b"too long once mapped");
    write(&local.join("ok.txt"), b"fine");
    let s = spec(&local, "Names");
    for _ in 0..2 {
        let r = run(&env, &s).await;
        assert_eq!(r.refusal, None, "one bad name does not stop the pair");
        assert_eq!((r.outcome, r.counters.skipped), (Outcome::Ok, 1), "{:?}", r.counters);
        let issues = env.runner.bisync_issues(&s).unwrap();
        assert_eq!(issues.len(), 1);
        let i = &issues[0];
        assert_eq!((i.kind, i.side, i.attempts, i.next_ms), (IssueKind::NameRefused, IssueSide::Storage, 1, None));
        assert!(i.message.contains("255") && i.message.contains("rename it"), "{}", i.message);
    }
    assert_eq!(env.remote_files("Names").await.keys().collect::<Vec<_>>(), ["ok.txt"]);
    std::fs::rename(&long, local.join("renamed.txt")).unwrap();
    let r = run(&env, &s).await;
    assert_eq!((r.outcome, r.counters.uploaded, r.counters.skipped), (Outcome::Ok, 1, 0), "{:?}", r.counters);
    assert!(listed(&env, &s).is_empty());
}
