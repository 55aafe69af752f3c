//! Failures that no retry can fix end the run at once: the service's
//! storage filling up in the middle of a run gives one failed file and one
//! message, not one failure per remaining file.

use std::sync::{Arc, Mutex};

use fjordsync_engine::events::TaskEvent;
use fjordsync_engine::state::EventFilter;
use fjordsync_engine::transfer::Fatal;
use fjordsync_engine::{TaskKind, TaskOptions, TaskSpec};
use tokio_util::sync::CancellationToken;

use super::{Env, LIMIT, local, remote, write};

const FILES: usize = 40;
const SIZE: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_that_fills_up_mid_run_stops_the_run_with_one_failure() {
    let Env { emu, dir, runner, session } = Env::start().await;
    let src = dir.path().join("src");
    for i in 0..FILES {
        write(&src.join(format!("f{i:02}.bin")), &vec![i as u8; SIZE]);
    }
    let usage = session.client.drive_info().await.unwrap().usage;
    // The storage fills up once the run has planned (the preflight saw room
    // for everything): another device uploading meanwhile. Three files fit.
    let emu = Arc::new(emu);
    let seen: Arc<Mutex<Vec<TaskEvent>>> = Arc::default();
    let sink = {
        let (emu, seen) = (emu.clone(), seen.clone());
        Arc::new(move |e: TaskEvent| {
            if matches!(e, TaskEvent::Planned { .. }) {
                emu.set_quota(Some((usage + 3 * SIZE as u64 + SIZE as u64 / 2) as i64));
            }
            seen.lock().unwrap().push(e);
        })
    };
    let spec = TaskSpec {
        kind: TaskKind::Copy,
        source: local(&src),
        destination: remote("full"),
        options: TaskOptions { transfers: 2, ..Default::default() },
    };
    let r = tokio::time::timeout(LIMIT, runner.run(&spec, None, sink, CancellationToken::new()))
        .await
        .expect("the run ends in time")
        .expect("the run works");

    assert_eq!(r.outcome, "failed");
    let stopped = r.stopped.expect("the run says why it stopped");
    assert_eq!(stopped.cause, Fatal::StorageFull);
    assert!(stopped.message().contains("cloud storage is full"), "{}", stopped.message());
    assert!(stopped.hint().contains("free space in the cloud storage"), "{}", stopped.hint());
    assert_eq!(r.counters.failed, 1, "{:?}", r.counters);
    // Three fit; the service checks the quota when an upload starts, so
    // uploads started side by side before the storage filled may finish too.
    assert!(r.counters.uploaded <= 3 + spec.options.transfers as u64, "{:?}", r.counters);
    // One failed row, with the message; no file started after the refusal
    // beyond the ones already in flight.
    let failed =
        runner.db().events(r.run, &EventFilter { result: Some("failed".into()), ..Default::default() }).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].error.as_deref(), Some(stopped.message().as_str()));
    let (started, failures) = {
        let seen = seen.lock().unwrap();
        let count = |f: fn(&TaskEvent) -> bool| seen.iter().filter(|e| f(e)).count();
        (count(|e| matches!(e, TaskEvent::FileStarted { .. })), count(|e| matches!(e, TaskEvent::FileFailed { .. })))
    };
    assert_eq!(failures, 1);
    assert!(started <= r.counters.uploaded as usize + 1 + spec.options.transfers, "{started} files started");

    // With room again, the next run sends the rest.
    emu.set_quota(None);
    let r = tokio::time::timeout(LIMIT, runner.run(&spec, None, super::events(), CancellationToken::new()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r.outcome.as_str(), r.counters.failed), ("ok", 0));
    let c = &r.counters;
    assert_eq!(c.uploaded + c.updated + c.unchanged, FILES as u64, "{c:?}");
}
