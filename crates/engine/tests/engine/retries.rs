//! One layer retries a busy service: the client. The engine's own attempts
//! at a file must not multiply the client's (5 × 6 requests for one file).

use std::sync::Arc;

use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::{RunReport, TaskKind, TaskSpec};
use fjordsync_jottacloud::{ClientOptions, RetryPolicy};
use tokio_util::sync::CancellationToken;

use super::{Duration, Env, LIMIT, local, remote, write};

/// Runs `spec` with every request failing (429 or 503) from the moment the
/// plan is made; returns the report and how many requests met the fault.
async fn run_against_a_busy_service(env: &Arc<Env>, spec: &TaskSpec) -> (RunReport, u64) {
    let before = env.emu.stats().faults_injected;
    let e = env.clone();
    let sink: EventSink = Arc::new(move |ev| {
        if let TaskEvent::Planned { .. } = ev {
            e.emu.set_faults(1.0, 0.0, Duration::ZERO);
        }
    });
    let run = env.runner.run(spec, None, sink, CancellationToken::new());
    let r = tokio::time::timeout(LIMIT, run).await.expect("run finishes in time").expect("run works");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    (r, env.emu.stats().faults_injected - before)
}

/// The most requests the client sends for one call or one upload.
fn client_budget() -> u64 {
    let o = ClientOptions::default();
    u64::from(o.upload_attempts).max(RetryPolicy::default().max_attempts as u64)
}

#[tokio::test]
async fn an_upload_to_a_busy_service_is_tried_a_bounded_number_of_times() {
    let env = Arc::new(Env::start().await);
    let src = env.local("src");
    write(&src.join("one.txt"), b"one");
    // The folder exists: after the plan, the upload is the run's only request.
    env.session.client.mkdir(&env.session.path("busy").unwrap()).await.unwrap();
    let spec = env.spec(TaskKind::Copy, local(&src), remote("busy"));
    assert!(spec.options.attempts > 1, "the engine would try a file more than once");
    let (r, requests) = run_against_a_busy_service(&env, &spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.failed), ("failed", 1), "{r:?}");
    assert!(requests > 1, "the client tried again ({requests} requests)");
    assert!(requests <= client_budget(), "{requests} requests for one file: retries were multiplied");
}

#[tokio::test]
async fn a_download_from_a_busy_service_is_tried_a_bounded_number_of_times() {
    let env = Arc::new(Env::start().await);
    let src = env.local("src");
    write(&src.join("one.txt"), b"one");
    assert_eq!(env.run(&env.spec(TaskKind::Copy, local(&src), remote("busy"))).await.outcome, "ok");
    let dst = env.local("dst");
    std::fs::create_dir_all(&dst).unwrap();
    let spec = env.spec(TaskKind::Copy, remote("busy"), local(&dst));
    let (r, requests) = run_against_a_busy_service(&env, &spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.failed), ("failed", 1), "{r:?}");
    assert!(requests > 1, "the client tried again ({requests} requests)");
    assert!(requests <= client_budget(), "{requests} requests for one file: retries were multiplied");
    assert!(std::fs::read_dir(&dst).unwrap().next().is_none(), "nothing half-written is left");
}
