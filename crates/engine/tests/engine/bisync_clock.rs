//! Two-way sync with clocks that disagree (issue 14: "a clock 1 hour
//! off"): the service's clock an hour ahead of this computer's (then an
//! hour behind), and local files dated an hour in the future. Each side is
//! compared only with its own history, so none of it may matter: the first
//! run merges, later runs do nothing, each change goes across once, and no
//! conflict is made up.

use std::path::Path;
use std::time::{Duration, SystemTime};

use fjordsync_emulator::Config;
use fjordsync_engine::bisync::{BisyncReport, BisyncSpec};
use fjordsync_engine::state::Outcome;
use fjordsync_jottacloud::{AllocateRequest, BytesSource};
use tokio_util::sync::CancellationToken;

use crate::{Env, LIMIT, events, write};

const HOUR: i64 = 3600;

fn spec(local: &Path) -> BisyncSpec {
    BisyncSpec { local: local.to_path_buf(), remote: "demo".into(), path: "Skew".into(), options: Default::default() }
}

/// Writes `data` and dates the file `offset` seconds from now.
fn write_dated(p: &Path, data: &[u8], offset: i64) {
    write(p, data);
    let now = SystemTime::now();
    let at = if offset >= 0 {
        now + Duration::from_secs(offset as u64)
    } else {
        now - Duration::from_secs(offset.unsigned_abs())
    };
    std::fs::File::options().write(true).open(p).unwrap().set_modified(at).unwrap();
}

/// Puts `data` on the storage as another device would, letting the
/// service date it (by its own clock).
async fn put_remote(env: &Env, rel: &str, data: &[u8]) {
    let md5 = fjordsync_engine::local::hash_hex(&<md5::Md5 as md5::Digest>::digest(data));
    let path = env.session.path(&format!("Skew/{rel}")).unwrap();
    let req = AllocateRequest { path, md5, size: data.len() as u64, created: None, modified: None };
    env.session.client.upload(&req, &BytesSource::new(vec![data.to_vec().into()])).await.unwrap();
}

async fn run(env: &Env, local: &Path) -> BisyncReport {
    let r = tokio::time::timeout(LIMIT, env.runner.bisync(&spec(local), None, events(), CancellationToken::new()))
        .await
        .expect("run finishes in time")
        .expect("run works");
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.counters);
    assert!(r.conflicts.is_empty(), "made-up conflicts: {:?}", r.conflicts);
    r
}

/// (uploaded + updated here→there, downloaded + updated there→here) is
/// not told apart by the counters; the sum of what moved is enough.
fn moved(r: &BisyncReport) -> u64 {
    let c = &r.counters;
    c.uploaded + c.downloaded + c.updated + c.deleted + c.moved + c.mkdirs + c.failed
}

/// Two runs with nothing to do (the first may only learn what the
/// uploads were given by the service).
async fn assert_quiet(env: &Env, local: &Path) {
    for _ in 0..2 {
        let r = run(env, local).await;
        assert_eq!(moved(&r), 0, "a quiet pair did something: {:?} {:?}", r.actions, r.counters);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clock_an_hour_off_on_either_side_changes_nothing() {
    let env = Env::with(Config { clock_offset: HOUR, ..Config::default() }).await;
    let local = env.local("pair");
    write_dated(&local.join("future.txt"), b"dated an hour ahead", HOUR);
    write_dated(&local.join("now.txt"), b"dated now", 0);
    write_dated(&local.join("sub/past.txt"), b"dated an hour ago", -HOUR);
    put_remote(&env, "web.txt", b"made on the web").await;
    put_remote(&env, "sub/web2.txt", b"also made on the web").await;
    // The service really dates by its own clock, an hour ahead.
    let info = env.session.client.file_info(&env.session.path("Skew/web.txt").unwrap()).await.unwrap();
    let ahead = info.updated.unwrap().as_second() - jiff::Timestamp::now().as_second();
    assert!((HOUR - 60..=HOUR + 60).contains(&ahead), "the service's clock is {ahead} s ahead");

    // The first run merges.
    let first = run(&env, &local).await;
    assert_eq!((first.counters.uploaded, first.counters.downloaded), (3, 2), "{:?}", first.counters);
    assert_eq!(std::fs::read(local.join("web.txt")).unwrap(), b"made on the web");
    assert_quiet(&env, &local).await;

    // A change here, dated an hour in the future, goes across once.
    write_dated(&local.join("now.txt"), b"changed here, dated ahead", HOUR);
    let r = run(&env, &local).await;
    assert_eq!((r.counters.updated, moved(&r)), (1, 1), "{:?}", r.counters);
    assert_quiet(&env, &local).await;
    // And one dated *earlier* than what the base remembers, too.
    write_dated(&local.join("future.txt"), b"changed here, dated in the past", -2 * HOUR);
    let r = run(&env, &local).await;
    assert_eq!((r.counters.updated, moved(&r)), (1, 1), "{:?}", r.counters);
    assert_quiet(&env, &local).await;

    // A change on the storage (dated by its clock, an hour ahead) comes down once.
    put_remote(&env, "sub/past.txt", b"changed on the web").await;
    let r = run(&env, &local).await;
    assert_eq!((r.counters.updated, moved(&r)), (1, 1), "{:?}", r.counters);
    assert_eq!(std::fs::read(local.join("sub/past.txt")).unwrap(), b"changed on the web");
    assert_quiet(&env, &local).await;

    // The service's clock jumps to an hour behind: still nothing to do,
    // and changes on either side still go across once.
    env.emu.set_clock_offset(-HOUR);
    assert_quiet(&env, &local).await;
    put_remote(&env, "web.txt", b"changed on the web, clock behind").await;
    write_dated(&local.join("sub/web2.txt"), b"changed here again", HOUR);
    let r = run(&env, &local).await;
    assert_eq!((r.counters.updated, moved(&r)), (2, 2), "{:?}", r.counters);
    assert_eq!(std::fs::read(local.join("web.txt")).unwrap(), b"changed on the web, clock behind");
    assert_quiet(&env, &local).await;

    // Both sides alike, and no conflict anywhere.
    let remote = env.remote_files("Skew").await;
    assert_eq!(remote.len(), 5, "{remote:?}");
    for (k, (_, md5)) in &remote {
        assert_eq!(&fjordsync_engine::local::md5_of_file(&local.join(k)).unwrap(), md5, "{k}");
    }
    let db = env.runner.db();
    let pair = db.find_bisync_pair(&local.display().to_string(), "demo", "Skew").unwrap().unwrap();
    assert!(db.bisync_conflicts(pair).unwrap().is_empty());
}
