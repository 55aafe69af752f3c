//! Transport: endpoints, the reqwest client (TLS, User-Agent), one error
//! decoder, and the retry/backoff policy (spec 8.3).

use std::time::Duration;

use backon::BackoffBuilder;
use reqwest::{Method, Response, StatusCode};
use url::Url;

use crate::error::{ApiError, Error, Result};
use crate::timeouts::Timeouts;
use crate::types::json::{ApiErrorJson, OAuthErrorJson};
use crate::types::xml::ErrorXml;

/// Where the service lives. Endpoints are configuration so an emulator (or a
/// white-label with other hosts) can replace them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// JFS base, ending in `/jfs/`.
    pub jfs: Url,
    /// API base (customer, allocate, purge_trash, legacy auth), ending in `/`.
    pub api: Url,
    /// Web base for public links, ending in `/`.
    pub web: Url,
    /// When set, identity URLs (well-known links, service domains) have their
    /// origin replaced by this one (spec 1.2).
    pub identity_override: Option<Url>,
}

impl Endpoints {
    /// The real Jottacloud hosts.
    pub fn production() -> Self {
        let p = |s: &str| Url::parse(s).expect("static URL");
        Endpoints {
            jfs: p("https://jfs.jottacloud.com/jfs/"),
            api: p("https://api.jottacloud.com/"),
            web: p("https://www.jottacloud.com/"),
            identity_override: None,
        }
    }

    /// Everything on one origin (`<o>/jfs/`, `<o>/`, `<o>/auth/…`), e.g. the
    /// emulator at `http://127.0.0.1:8089`.
    pub fn from_origin(origin: &Url) -> Self {
        let mut o = origin.clone();
        o.set_path("/");
        o.set_query(None);
        o.set_fragment(None);
        let jfs = o.join("jfs/").unwrap_or_else(|_| o.clone());
        Endpoints { jfs, api: o.clone(), web: o.clone(), identity_override: Some(o) }
    }

    /// Apply the identity override: keep path and query, replace scheme/host/port.
    pub fn rewrite_identity(&self, link: &Url) -> Url {
        match &self.identity_override {
            None => link.clone(),
            Some(o) => {
                let mut u = o.clone();
                u.set_path(link.path());
                u.set_query(link.query());
                u
            }
        }
    }

    pub(crate) fn api_url(&self, path: &str) -> Result<Url> {
        self.api
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::InvalidArgument(format!("bad API URL {path}: {e}")))
    }

    pub(crate) fn jfs_url(&self, encoded_path: &str) -> Result<Url> {
        self.jfs
            .join(encoded_path.trim_start_matches('/'))
            .map_err(|e| Error::InvalidArgument(format!("bad JFS URL {encoded_path}: {e}")))
    }
}

/// Retry policy for idempotent calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in total (first try included). Default 6.
    pub max_attempts: usize,
    /// Smallest backoff sleep. Default 10 ms (rclone's pacer minimum).
    pub min_delay: Duration,
    /// Largest backoff sleep. Default 2 s (rclone's pacer maximum).
    pub max_delay: Duration,
    /// Cap for a server's `Retry-After`. Default 60 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with jitter (backon), bounded.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1))
            .build()
    }

    /// Sleep before the next try; `Retry-After` wins (capped).
    pub(crate) fn pick(&self, backoff: Duration, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(r) => r.min(self.max_retry_after),
            None => backoff,
        }
    }
}

/// Which reqwest client to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Everything but upload bodies: reqwest's idle (read) limit applies.
    Calls,
    /// Upload bodies. reqwest's read limit runs from the start of the request
    /// until the reply, body sending included, so it would cut every upload
    /// longer than the limit; uploads watch their own progress instead.
    Uploads,
}

/// Build a reqwest client: `fjordsync/<version>` User-Agent, the connect and
/// idle limits of `timeouts`, system roots, plus every certificate of
/// `SSL_CERT_FILE` added explicitly as an extra root (works whatever
/// verifier reqwest picks).
pub(crate) fn build_http(
    user_agent: &str,
    extra_ca_pem: Option<&[u8]>,
    timeouts: &Timeouts,
    purpose: Purpose,
) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder().user_agent(user_agent).connect_timeout(timeouts.connect);
    if purpose == Purpose::Calls {
        b = b.read_timeout(timeouts.idle);
    }
    let mut certs = Vec::new();
    if let Some(pem) = extra_ca_pem {
        certs.extend(reqwest::Certificate::from_pem_bundle(pem)?);
    }
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        match std::fs::read(&path) {
            Ok(pem) => match reqwest::Certificate::from_pem_bundle(&pem) {
                Ok(c) => certs.extend(c),
                Err(e) => tracing::warn!(?path, "SSL_CERT_FILE unusable: {e}"),
            },
            Err(e) => tracing::warn!(?path, "SSL_CERT_FILE unreadable: {e}"),
        }
    }
    for c in certs {
        b = b.add_root_certificate(c);
    }
    Ok(b.build()?)
}

fn parse_retry_after(resp: &Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    let d = when.duration_since(now);
    Some(Duration::from_secs(d.as_secs().max(0) as u64))
}

/// Turn any non-success reply into a typed error. Decides by status; the
/// XML (8.1), API JSON (8.2) or OAuth JSON (2.5) body supplies the text. A
/// web page where the API would answer (a wrong address) is
/// [`Error::NotTheApi`], except on 429/5xx, which proxies in front of the
/// real service answer with HTML too and which stay retryable.
pub async fn decode_error(resp: Response) -> Error {
    let status = resp.status().as_u16();
    let url = resp.url().clone();
    let retry_after = parse_retry_after(&resp);
    let bytes = read_limited(resp, 64 * 1024, Duration::ZERO).await.unwrap_or_default();
    error_from_reply(&url, status, &bytes, retry_after)
}

pub(crate) fn error_from_reply(url: &Url, status: u16, bytes: &[u8], retry_after: Option<Duration>) -> Error {
    let api = api_error_from_body(status, bytes);
    let recognised = api.message.is_some() || api.error_id.is_some();
    if !recognised
        && status != 429
        && status < 500
        && crate::reply::is_web_page(bytes)
        && let Some(e) = crate::reply::not_the_api(url, status, bytes, crate::reply::Expect::Xml)
    {
        return e;
    }
    Error::from_status(api, retry_after)
}

pub(crate) fn api_error_from_body(status: u16, bytes: &[u8]) -> ApiError {
    let mut api = ApiError { status, ..Default::default() };
    // Texts from the server end up in terminals: one line, escaped, bounded.
    let clean = |s: Option<String>| s.map(|s| crate::reply::short_text(s.as_bytes(), 300));
    if let Some(x) = ErrorXml::parse(bytes) {
        api.message = clean(x.message);
        api.reason = clean(x.reason);
        api.cause = clean(x.cause);
    } else if let Ok(o) = serde_json::from_slice::<OAuthErrorJson>(bytes) {
        api.message = clean(Some(match o.error_description {
            Some(d) => format!("{}: {d}", o.error),
            None => o.error.clone(),
        }));
        api.error_id = clean(Some(o.error));
    } else if let Ok(j) = serde_json::from_slice::<ApiErrorJson>(bytes)
        && (j.message.is_some() || j.error_id.is_some())
    {
        api.message = clean(j.message);
        api.cause = clean(j.cause);
        api.error_id = clean(j.error_id);
    } else {
        let t = crate::reply::describe(bytes);
        api.body = if t.is_empty() {
            StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).map(str::to_string)
        } else {
            Some(t)
        };
    }
    api
}

/// Read a body with a size cap (error bodies, small documents). `limit` is
/// the call's idle limit, named in the error if the body stalls.
pub(crate) async fn read_limited(mut resp: Response, cap: usize, limit: Duration) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let host = crate::timeouts::host_of(resp.url());
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Err(stalled(e, limit).with_host(&host)),
        };
        if out.len() + chunk.len() > cap {
            return Err(Error::Protocol(format!("reply larger than {cap} bytes")));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A body read error: a timeout becomes [`Error::NoAnswer`] naming `limit`.
fn stalled(e: reqwest::Error, limit: Duration) -> Error {
    let t = Timeouts { idle: limit, short_call: limit, ..Timeouts::default() };
    t.error(e, limit)
}

/// Body of a request we may rebuild for every attempt.
#[derive(Debug, Clone)]
pub(crate) enum ReqBody {
    /// No body (GET).
    None,
    /// Empty body with `Content-Length: 0` (JFS mutations).
    Empty,
    /// JSON body.
    Json(Vec<u8>),
}

/// When the request path may send a request again, by the failure's
/// [`crate::Retry`] class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// Safe to repeat (reads, idempotent writes): again on `Refused`,
    /// `Backoff` and (bounded) `Silent`.
    Idempotent,
    /// Not safe to repeat (allocate, copy, move): again only when it cannot
    /// have been carried out: `Refused`, or no connection at all.
    IfUnprocessed,
    /// Never: the caller runs its own bounded loop (an upload round), so a
    /// second loop here would multiply the attempts.
    Never,
}

/// A rebuildable request description.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub method: Method,
    pub url: Url,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub body: ReqBody,
    /// When the transport may send it again (see [`Resend`]).
    pub resend: Resend,
    /// A small call with a whole-call limit ([`Timeouts::short_call`]);
    /// otherwise only the idle limit applies (listings, downloads).
    pub short: bool,
}

impl Req {
    pub fn get(url: Url) -> Self {
        Req {
            method: Method::GET,
            url,
            query: Vec::new(),
            headers: Vec::new(),
            body: ReqBody::None,
            resend: Resend::Idempotent,
            short: false,
        }
    }
    pub fn post(url: Url) -> Self {
        Req { method: Method::POST, body: ReqBody::Empty, ..Req::get(url) }
    }
    pub fn q(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.query.push((k, v.into()));
        self
    }
    pub fn h(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.headers.push((k, v.into()));
        self
    }
    /// Not safe to repeat: sent again only when it cannot have been
    /// carried out ([`Resend::IfUnprocessed`]).
    pub fn no_retry(mut self) -> Self {
        self.resend = Resend::IfUnprocessed;
        self
    }
    /// Mark as a small call with a whole-call limit.
    pub fn short(mut self) -> Self {
        self.short = true;
        self
    }

    pub fn build(&self, http: &reqwest::Client, bearer: Option<&str>, timeouts: &Timeouts) -> reqwest::RequestBuilder {
        let mut rb = http.request(self.method.clone(), self.url.clone());
        if self.short {
            rb = rb.timeout(timeouts.short_call);
        }
        if !self.query.is_empty() {
            rb = rb.query(&self.query);
        }
        for (k, v) in &self.headers {
            rb = rb.header(*k, v);
        }
        if let Some(t) = bearer {
            rb = rb.bearer_auth(t);
        }
        match &self.body {
            ReqBody::None => rb,
            ReqBody::Empty => rb.header(reqwest::header::CONTENT_LENGTH, "0").body(Vec::<u8>::new()),
            ReqBody::Json(b) => rb.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.clone()),
        }
    }
}
