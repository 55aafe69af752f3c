//! `bisync --watch`: the engine's continuous two-way sync, a line per run
//! on standard error, stopped by Ctrl-C or SIGTERM (exit 0).

use std::sync::Arc;
use std::time::Duration;

use fjordsync_engine::Runner;
use fjordsync_engine::bisync::{BisyncSpec, DirectRuns, Notice, WatchEvent, WatchOptions, WatchSink};
use fjordsync_engine::events::discard;
use tokio_util::sync::CancellationToken;

use super::bisync::say_run;
use crate::render::escape;

pub async fn run(runner: &Runner, spec: &BisyncSpec, poll_interval: Duration) -> anyhow::Result<()> {
    let opts = WatchOptions { poll_interval, ..WatchOptions::default() };
    eprintln!(
        "watching {} and {}:{} (storage checked every {}); Ctrl-C to stop",
        escape(&spec.local.display().to_string()),
        spec.remote,
        escape(&spec.path),
        duration(poll_interval),
    );
    let status: WatchSink = Arc::new(say);
    let runs = DirectRuns { runner, spec, task: None, events: discard() };
    runner.bisync_watch(spec, opts, &runs, status, stop_on_signal()).await?;
    eprintln!("stopped watching");
    Ok(())
}

fn say(e: WatchEvent) {
    match e {
        WatchEvent::Ran { report, .. } => {
            say_run(&report);
            if let Some(r) = &report.refusal {
                eprintln!("refused: {}; {}", r.message, r.hint);
            }
        }
        WatchEvent::Error { error, retry_in } => {
            let words = crate::errors::words(&anyhow::Error::from(error));
            eprintln!("could not sync: {}; trying again in {}", escape(&words), duration(retry_in))
        }
        WatchEvent::Notice(Notice::Overflow) => {
            eprintln!("the system dropped file events (too many at once); comparing the whole folder instead")
        }
        WatchEvent::Notice(Notice::WatchLimit) => eprintln!(
            "the system's limit on watched folders is reached (Linux: fs.inotify.max_user_watches); the whole \
             folder is compared at every storage check instead"
        ),
        WatchEvent::Notice(Notice::WatchFailed(m)) => {
            eprintln!("cannot watch the folder ({m}); the whole folder is compared at every storage check instead")
        }
        WatchEvent::Idle | WatchEvent::Syncing { .. } => {}
    }
}

/// Cancelled on Ctrl-C or SIGTERM (how a service manager stops a program);
/// a second Ctrl-C stops at once.
fn stop_on_signal() -> CancellationToken {
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        crate::signals::stop_requested().await;
        eprintln!("fjordsync: stopping after the files in flight (press Ctrl-C again to stop at once)");
        c.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(130);
        }
    });
    cancel
}

/// `30 s`, `5 min`, `1 h 30 min`.
fn duration(d: Duration) -> String {
    let s = d.as_secs().max(1);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, 0) => format!("{m} min"),
        (0, m, s) => format!("{m} min {s} s"),
        (h, 0, _) => format!("{h} h"),
        (h, m, _) => format!("{h} h {m} min"),
    }
}
