//! Two-way sync of a folder that keeps changing while the run works on it
//! (issue 14: "1,000 files changing during a run"): what the writer wrote
//! last is what both sides end with, and a file changed only here never
//! becomes a conflict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fjordsync_engine::bisync::BisyncSpec;
use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::local::md5_of_file;
use fjordsync_engine::state::{EventFilter, Outcome};
use fjordsync_jottacloud::{AllocateRequest, BytesSource};
use tokio_util::sync::CancellationToken;

use crate::{Env, LIMIT, events, write};

const FILES: usize = 1000;
/// How many times the writer goes over all files during the run (bounded).
const ROUNDS: usize = 3;

fn spec(local: &Path, path: &str) -> BisyncSpec {
    BisyncSpec { local: local.to_path_buf(), remote: "demo".into(), path: path.into(), options: Default::default() }
}

fn rel(i: usize) -> String {
    format!("d{:02}/f{i:04}.txt", i % 25)
}

/// A different size each round, so every rewrite shows in the file's
/// size even when two land within one tick of the file system's clock.
fn content(i: usize, round: usize) -> Vec<u8> {
    format!("file {i} round {round}\n").repeat(round * 3 + 1 + i % 7).into_bytes()
}

/// Every file below `root` by relative path, with its MD5.
fn md5s(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let k = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(k, md5_of_file(&p).unwrap());
            }
        }
    }
    out
}

fn md5_hex(data: &[u8]) -> String {
    fjordsync_engine::local::hash_hex(&<md5::Md5 as md5::Digest>::digest(data))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_files_rewritten_during_a_run_end_as_last_written_with_no_conflict() {
    let env = Env::start().await;
    let local = env.local("pair");
    for i in 0..FILES {
        write(&local.join(rel(i)), &content(i, 0));
    }
    let s = spec(&local, "Live");
    let run = |events: EventSink| {
        let runner = env.runner.clone();
        let s = s.clone();
        async move {
            tokio::time::timeout(LIMIT * 2, runner.bisync(&s, None, events, CancellationToken::new()))
                .await
                .expect("run finishes in time")
                .expect("run works")
        }
    };
    assert_eq!(run(events()).await.counters.uploaded, FILES as u64);
    // Changes made elsewhere in the meantime: the same run brings them down.
    let mut elsewhere = BTreeMap::new();
    for j in 0..20 {
        let data = format!("from elsewhere {j}").into_bytes();
        let path = env.session.path(&format!("Live/elsewhere/e{j}.txt")).unwrap();
        let req = AllocateRequest { path, md5: md5_hex(&data), size: data.len() as u64, created: None, modified: None };
        env.session.client.upload(&req, &BytesSource::new(vec![data.clone().into()])).await.unwrap();
        elsewhere.insert(format!("elsewhere/e{j}.txt"), md5_hex(&data));
    }

    // Every file changed (version 1), so the run plans 1,000 uploads; the
    // moment it has planned them a writer goes over all files again,
    // ROUNDS more times, while the run sends them.
    for i in 0..FILES {
        write(&local.join(rel(i)), &content(i, 1));
    }
    let (planned_tx, planned_rx) = std::sync::mpsc::channel::<()>();
    let planned_tx = std::sync::Mutex::new(Some(planned_tx));
    let on_event: EventSink = Arc::new(move |e| {
        if matches!(e, TaskEvent::Planned { .. })
            && let Some(tx) = planned_tx.lock().unwrap().take()
        {
            let _ = tx.send(());
        }
    });
    let writer = {
        let root = local.clone();
        std::thread::spawn(move || {
            // Bounded: a run that never plans leaves the files alone.
            if planned_rx.recv_timeout(LIMIT).is_err() {
                return false;
            }
            for round in 2..=ROUNDS + 1 {
                for i in 0..FILES {
                    std::fs::write(root.join(rel(i)), content(i, round)).unwrap();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            true
        })
    };
    env.emu.set_faults(0.0, 0.0, Duration::from_millis(2));
    let during = run(on_event).await;
    assert!(writer.join().unwrap(), "the run never planned");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    assert!(during.conflicts.is_empty(), "changed only here, yet: {:?}", during.conflicts);

    // One more run, then both sides hold the writer's last version.
    let after = run(events()).await;
    let failed = EventFilter { result: Some("failed".into()), ..Default::default() };
    let rows = env.runner.db().events(after.run, &failed).unwrap();
    let why: Vec<(&str, Option<&str>)> = rows.iter().map(|r| (r.path.as_str(), r.error.as_deref())).collect();
    assert_eq!(after.outcome, Outcome::Ok, "{:?} {why:?}", after.counters);
    assert!(after.conflicts.is_empty(), "changed only here, yet: {:?}", after.conflicts);
    let mut want: BTreeMap<String, String> = (0..FILES).map(|i| (rel(i), md5_hex(&content(i, ROUNDS + 1)))).collect();
    want.extend(elsewhere);
    assert_eq!(md5s(&local), want, "this computer holds what the writer wrote last (and what came down), nothing else");
    let remote: BTreeMap<String, String> =
        env.remote_files("Live").await.into_iter().map(|(k, (_, md5))| (k, md5)).collect();
    assert_eq!(remote, want, "the storage holds the same");
    let db = env.runner.db();
    let pair = db.find_bisync_pair(&local.display().to_string(), "demo", "Live").unwrap().unwrap();
    assert!(db.bisync_conflicts(pair).unwrap().is_empty(), "no conflict recorded");
    // And it stays that way.
    let c = run(events()).await.counters;
    assert_eq!((c.uploaded, c.updated, c.downloaded, c.failed), (0, 0, 0, 0), "{c:?}");
}
