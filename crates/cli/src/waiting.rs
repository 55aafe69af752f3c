//! The line a user sees while a server is slow to answer.
//!
//! The client never prints; it emits a `tracing` event with target
//! [`WAITING_TARGET`] when a reply is late. This layer turns it into one
//! stderr line per host (again after a pause), so a silent server is never a
//! silent terminal, and says how to stop.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fjordsync_jottacloud::WAITING_TARGET;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer};

/// Lines about the same host at most this often (parallel transfers wait together).
const REPEAT_AFTER: Duration = Duration::from_secs(30);

/// Renders the client's "waiting" events on stderr.
#[derive(Default)]
pub struct WaitingNotice {
    last: Mutex<HashMap<String, Instant>>,
}

struct Host(Option<String>);

impl Visit for Host {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "host" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "host" && self.0.is_none() {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for WaitingNotice {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != WAITING_TARGET {
            return;
        }
        let mut host = Host(None);
        event.record(&mut host);
        // A URL's host: letters, digits, dots, colons; nothing else is printed.
        let host: String = host
            .0
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            .collect();
        let host = if host.is_empty() { "the server".to_string() } else { host };
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.get(&host).is_some_and(|t| now.duration_since(*t) < REPEAT_AFTER) {
            return;
        }
        last.insert(host.clone(), now);
        eprintln!("Waiting for {host} to answer... (Ctrl-C stops)");
    }
}
