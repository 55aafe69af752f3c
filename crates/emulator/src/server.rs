//! The HTTP side: shared application state, the single catch-all router, the
//! forwarded-URL helper, and the fault/latency/log/statistics wrapper every
//! request goes through.

use std::collections::{BTreeMap, HashMap};
use std::io::{LineWriter, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::Notify;

use crate::errors::{api_error, jfs_error};
use crate::store::Store;
use crate::store::content::ContentStore;
use crate::store::persist::{self, Account};
use crate::tokens::Tokens;

/// Counters served by `GET /emulator/stats` and [`crate::Emulator::stats`].
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub requests_total: u64,
    /// By route group: `jfs`, `api`, `upload`, `auth`, `legacy`, `web`, `emulator`, `other`.
    pub requests_by_group: BTreeMap<String, u64>,
    /// Successful token grants by type (`password`, `authorization_code`,
    /// `refresh_token`, `legacy_password`, `legacy_refresh`).
    pub token_grants: BTreeMap<String, u64>,
    pub refresh_ok: u64,
    pub refresh_failed: u64,
    pub reuse_detections: u64,
    pub bytes_uploaded: u64,
    pub bytes_downloaded: u64,
    pub uploads_started: u64,
    pub uploads_completed: u64,
    pub faults_injected: u64,
}

/// Knobs that can change while the server runs (control endpoint).
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    pub fail_rate: f64,
    pub reset_rate: f64,
    pub latency: Duration,
    pub quota: Option<i64>,
    /// Seconds added to the server's clock (a service whose clock is off).
    pub clock_offset: i64,
}

/// Everything the handlers share.
pub struct App {
    pub account: Account,
    pub store: Mutex<Store>,
    pub tokens: Mutex<Tokens>,
    pub content: ContentStore,
    pub stats: Mutex<Stats>,
    pub runtime: Mutex<Runtime>,
    pub token_lifetime: i64,
    pub single_use_tokens: bool,
    pub require_2fa: Option<String>,
    pub plus_as_space: bool,
    pub state_dir: Option<PathBuf>,
    pub dirty: Notify,
    save_lock: Mutex<()>,
    log: Option<Mutex<LineWriter<std::fs::File>>>,
    /// One async lock per upload id, held while its body streams to disk.
    pub upload_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Lock a std mutex, recovering from poisoning (a panicked handler must not
/// take the whole emulator down).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: &crate::Config,
        account: Account,
        store: Store,
        tokens: Tokens,
        content: ContentStore,
    ) -> anyhow::Result<Self> {
        let log = match &cfg.log {
            Some(p) => {
                Some(Mutex::new(LineWriter::new(std::fs::OpenOptions::new().create(true).append(true).open(p)?)))
            }
            None => None,
        };
        Ok(App {
            account,
            store: Mutex::new(store),
            tokens: Mutex::new(tokens),
            content,
            stats: Mutex::new(Stats::default()),
            runtime: Mutex::new(Runtime {
                fail_rate: cfg.fail_rate,
                reset_rate: cfg.reset_rate,
                latency: cfg.latency,
                quota: cfg.quota,
                clock_offset: cfg.clock_offset,
            }),
            token_lifetime: cfg.token_lifetime.as_secs().max(1) as i64,
            single_use_tokens: cfg.single_use_tokens,
            require_2fa: cfg.require_2fa.clone(),
            plus_as_space: cfg.plus_as_space,
            state_dir: cfg.state_dir.clone(),
            dirty: Notify::new(),
            save_lock: Mutex::new(()),
            log,
            upload_locks: Mutex::new(HashMap::new()),
        })
    }

    /// The server's clock, in seconds: the real time plus the configured
    /// offset. Every time the service sets (a revision's `updated`, a
    /// default `modified`/`created`, trash times, the `time` attribute) comes
    /// from here, so an offset makes a faithful server with a wrong clock.
    pub fn now(&self) -> i64 {
        crate::time::now() + self.runtime().clock_offset
    }

    pub fn runtime(&self) -> Runtime {
        *lock(&self.runtime)
    }

    pub fn stat(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut lock(&self.stats));
    }

    /// Note a change that should reach the snapshot.
    pub fn mark_dirty(&self) {
        if self.state_dir.is_some() {
            self.dirty.notify_one();
        }
    }

    /// Serialise and write the snapshot now (no-op without a state dir).
    pub fn save_now(&self) -> anyhow::Result<()> {
        let Some(dir) = &self.state_dir else {
            return Ok(());
        };
        let _g = lock(&self.save_lock);
        // Serialise each part straight into one buffer under its own lock,
        // one at a time: no `serde_json::Value` tree of the whole store (it
        // cost kilobytes per file and gigabytes at half a million).
        let mut bytes = b"{\"account\":".to_vec();
        serde_json::to_writer(&mut bytes, &self.account)?;
        bytes.extend_from_slice(b",\"store\":");
        serde_json::to_writer(&mut bytes, &*lock(&self.store))?;
        bytes.extend_from_slice(b",\"tokens\":");
        serde_json::to_writer(&mut bytes, &*lock(&self.tokens))?;
        bytes.push(b'}');
        persist::write_atomic(dir, &bytes)?;
        Ok(())
    }

    /// Roll the dice for a mid-body connection reset.
    pub fn roll_reset(&self) -> bool {
        let r = self.runtime().reset_rate;
        r > 0.0 && rand::random::<f64>() < r
    }

    fn log_line(&self, line: &serde_json::Value) {
        if let Some(l) = &self.log {
            let mut w = lock(l);
            let _ = writeln!(w, "{line}");
        }
    }
}

/// Which part of the service a path belongs to (stats, error shapes, faults).
pub fn group_of(path: &str) -> &'static str {
    if path.starts_with("/jfs/") || path == "/jfs" {
        "jfs"
    } else if path.starts_with("/files/v1/upload/") {
        "upload"
    } else if path.starts_with("/account/") || path.starts_with("/files/") {
        "api"
    } else if path.starts_with("/auth/realms/") {
        "auth"
    } else if path.starts_with("/auth/v1/") {
        "legacy"
    } else if path.starts_with("/opin/") || path.starts_with("/s/") || path.starts_with("/web/") {
        "web"
    } else if path.starts_with("/emulator") {
        "emulator"
    } else {
        "other"
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(',').next().unwrap_or("").trim())
        .filter(|s| !s.is_empty())
}

/// The origin a client used to reach us, for absolute URLs we hand out (1.2):
/// `X-Forwarded-Proto`/`X-Forwarded-Host`, else `Forwarded`, else `Host` and
/// plain http; a `*jottacloud.com` host without a port implies https.
pub fn external_base(h: &HeaderMap) -> String {
    let mut proto = header_str(h, "x-forwarded-proto").map(str::to_string);
    let mut host = header_str(h, "x-forwarded-host").map(str::to_string);
    if let Some(fwd) = header_str(h, "forwarded") {
        for part in fwd.split(';') {
            let Some((k, v)) = part.trim().split_once('=') else {
                continue;
            };
            let v = v.trim_matches('"').to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "proto" if proto.is_none() => proto = Some(v),
                "host" if host.is_none() => host = Some(v),
                _ => {}
            }
        }
    }
    let host = host.or_else(|| header_str(h, "host").map(str::to_string)).unwrap_or_else(|| "127.0.0.1".into());
    let proto = proto.unwrap_or_else(|| {
        let bare = host.trim_end_matches('.');
        if bare.ends_with("jottacloud.com") && !bare.contains(':') { "https".into() } else { "http".into() }
    });
    format!("{proto}://{host}")
}

pub fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

fn fault_response(group: &str) -> Response {
    let (status, retry) = if rand::random::<bool>() {
        (StatusCode::TOO_MANY_REQUESTS, rand::random::<bool>())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, rand::random::<bool>())
    };
    let mut r = if group == "jfs" {
        jfs_error(status, "java.lang.RuntimeException", "injected fault")
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        api_error(status, "TooManyRequests", "injected fault")
    } else {
        api_error(status, "ServiceUnavailable", "injected fault")
    };
    if retry {
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

/// The one handler: statistics, latency and fault injection, routing, log line.
async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = redact_query(req.uri().query().unwrap_or(""));
    let group = group_of(&path);
    app.stat(|s| {
        s.requests_total += 1;
        *s.requests_by_group.entry(group.to_string()).or_default() += 1;
    });
    let resp = if group == "emulator" {
        crate::routes::dispatch(&app, req).await
    } else {
        let rt = app.runtime();
        if !rt.latency.is_zero() {
            tokio::time::sleep(rt.latency).await;
        }
        if rt.fail_rate > 0.0 && rand::random::<f64>() < rt.fail_rate {
            app.stat(|s| s.faults_injected += 1);
            fault_response(group)
        } else {
            crate::routes::dispatch(&app, req).await
        }
    };
    if app.log.is_some() {
        let bytes = resp
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        app.log_line(&serde_json::json!({
            "time": jiff::Timestamp::now().to_string(),
            "method": method,
            "path": path,
            "query": query,
            "status": resp.status().as_u16(),
            "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
            "bytes": bytes,
        }));
    }
    resp
}

/// The query as logged: values of parameters that carry secrets (the legacy
/// flow sends the password and client secret in the URL) are replaced, so a
/// request log can be shared.
fn redact_query(query: &str) -> String {
    const SECRET: &[&str] = &["password", "client_secret", "refresh_token", "code", "code_verifier", "access_token"];
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET.contains(&k.to_ascii_lowercase().as_str()) => format!("{k}=REDACTED"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A body that yields the given stream and fails (connection reset) after
/// `cut_after` bytes when set.
pub fn body_with_reset<S>(stream: S, cut_after: Option<u64>, app: Arc<App>, download: bool) -> Body
where
    S: futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static,
{
    use futures_util::StreamExt as _;
    let mut sent: u64 = 0;
    let s = stream.map(move |chunk| {
        let chunk = chunk?;
        if let Some(limit) = cut_after
            && sent + chunk.len() as u64 > limit
        {
            return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset"));
        }
        sent += chunk.len() as u64;
        if download {
            app.stat(|s| s.bytes_downloaded += chunk.len() as u64);
        }
        Ok(chunk)
    });
    Body::from_stream(s)
}

/// A response whose body fails at once: hyper then drops the connection,
/// which is what a client sees as a reset.
pub fn reset_response() -> Response {
    let s = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected reset"))
    });
    (StatusCode::OK, Body::from_stream(s)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_never_reach_the_request_log() {
        let q = super::redact_query("client_id=x&grant_type=PASSWORD&password=hunter2&username=u&client_secret=s");
        assert_eq!(q, "client_id=x&grant_type=PASSWORD&password=REDACTED&username=u&client_secret=REDACTED");
        assert_eq!(super::redact_query("mode=bin"), "mode=bin");
    }
}
