//! How long a call waits for the server, and what the user hears meanwhile.
//!
//! A server that accepts the connection and then says nothing must not
//! leave a shell silent for minutes. Every request has a connect limit and
//! an idle limit (no byte for that long); small calls (sign-in, account,
//! metadata) also have a whole-call limit. A call that hits a limit fails
//! with [`Error::NoAnswer`], which says what it waited for and how long, and
//! is tried again at most [`Timeouts::retries`] times.
//!
//! The client never prints. When a reply is slow it emits one `tracing`
//! event with target [`WAITING_TARGET`] (fields `host` and `waited_ms`),
//! which a shell may render ("Waiting for jfs.jottacloud.com to answer...").

use std::future::Future;
use std::time::Duration;

use url::Url;

use crate::error::{Error, NoAnswer, Waiting};

/// `tracing` target of the "still waiting for the server" event.
pub const WAITING_TARGET: &str = "jottacloud::waiting";

/// Time limits of every call. Tests shorten them; shells keep the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection (TCP and TLS). Default 15 s.
    pub connect: Duration,
    /// Longest silence: waiting for a reply, between the bytes of a listing
    /// or download, or while an upload does not move. Default 60 s.
    pub idle: Duration,
    /// Whole-call limit of small calls (sign-in, account, metadata,
    /// allocate). Default 30 s.
    pub short_call: Duration,
    /// When to tell the user a reply is slow. Default 5 s.
    pub notice_after: Duration,
    /// How many times a call that got no answer is tried again. Default 1:
    /// a server silent twice in a row is not helped by waiting longer.
    pub retries: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            idle: Duration::from_secs(60),
            short_call: Duration::from_secs(30),
            notice_after: Duration::from_secs(5),
            retries: 1,
        }
    }
}

impl Timeouts {
    /// The silence a call of this kind tolerates before its reply.
    pub(crate) fn limit(&self, short: bool) -> Duration {
        if short { self.short_call.min(self.idle) } else { self.idle }
    }

    /// Turn a transport error into [`Error::NoAnswer`] when it was a
    /// timeout; `limit` is the call's own limit (see [`Timeouts::limit`]).
    pub(crate) fn error(&self, e: reqwest::Error, limit: Duration) -> Error {
        if !e.is_timeout() {
            return Error::Http(e);
        }
        let host = e.url().map(host_of).unwrap_or_else(|| "the server".into());
        let (waiting, after) = if e.is_connect() {
            (Waiting::Connection, self.connect)
        } else if e.is_body() || e.is_decode() {
            (Waiting::MoreData, limit)
        } else {
            (Waiting::Reply, limit)
        };
        Error::NoAnswer(Box::new(NoAnswer { host, waiting, after }))
    }
}

/// The host a user would recognise in a message.
pub(crate) fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("the server").to_string()
}

/// Tell the shell (through [`WAITING_TARGET`]) that `host` has been silent
/// for `waited`.
pub(crate) fn notice(host: &str, waited: Duration) {
    tracing::info!(target: WAITING_TARGET, host, waited_ms = waited.as_millis() as u64, "waiting for {host} to answer");
}

/// Await `fut`; if it takes longer than `after`, emit one waiting notice.
pub(crate) async fn watch<F: Future>(fut: F, host: &str, after: Duration) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    tokio::select! {
        out = &mut fut => return out,
        _ = tokio::time::sleep(after) => notice(host, after),
    }
    fut.await
}
