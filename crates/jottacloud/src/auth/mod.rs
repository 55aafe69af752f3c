//! Authentication: the three login flows, the token value, token stores and
//! refresh with rotation.
//!
//! Token requests are hand-written form posts over our reqwest 0.13 client
//! rather than `oauth2`'s typed client: we need Keycloak's integer fields
//! read leniently, the legacy flow's query-parameter POST with upper-case
//! grant types and the 2FA header, and a precise split between
//! `invalid_grant` (→ [`Error::ReconnectNeeded`]) and other failures. The
//! whole exchange is ~60 lines and one code path for all flows.
//!
//! Refresh client authentication: we send `client_id` (and, for legacy, the
//! secret) as **form fields** and never probe with a Basic header first.
//! The spec (2.9) says servers accept both; a single request per refresh
//! means a rotated-away token is presented at most once, which keeps the
//! reuse-detection bookkeeping simple. Legacy refresh uses Basic because
//! that is what rclone sends first for it and the form fallback is unverified.

pub mod legacy;
pub mod login_token;
pub(crate) mod refresh;
pub mod services;
pub mod standard;
pub mod traditional;

use std::fmt;
use std::sync::Mutex;

use base64::Engine;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result, StoreError};
use crate::http::RetryPolicy;
use crate::reply::{Expect, not_the_api};
use crate::retry::Retry;
use crate::timeouts::{Timeouts, host_of, watch};
use crate::types::json::{OAuthErrorJson, TokenJson};

pub use legacy::{LegacyClient, login_legacy};
pub use login_token::LoginToken;
pub use services::{SERVICES, Service, service};
pub use standard::login_with_token;
pub use traditional::{TraditionalOptions, login_traditional};

/// Which flow produced a token; decides how it is refreshed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TokenKind {
    /// Personal login token + password grant (client `jottacli`).
    Standard,
    /// Browser authorization-code flow (client per white-label service).
    Traditional,
    /// `/auth/v1/token` with a client id and secret.
    Legacy {
        /// Client id used for login and refresh.
        client_id: String,
        /// Client secret (may be empty).
        client_secret: String,
    },
}

impl fmt::Debug for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Standard => f.write_str("Standard"),
            TokenKind::Traditional => f.write_str("Traditional"),
            TokenKind::Legacy { client_id, .. } => write!(f, "Legacy({client_id}, secret: <redacted>)"),
        }
    }
}

/// An OAuth token pair plus what is needed to refresh it. Persist it whole
/// (serde); its `Debug` never shows secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Bearer token for JFS/API calls.
    pub access_token: String,
    /// Rotating refresh token.
    pub refresh_token: String,
    /// Expiry of `access_token`, unix seconds.
    pub expires_at: i64,
    /// Absolute token endpoint URL used for refreshes.
    pub token_endpoint: String,
    /// OAuth client id the token belongs to.
    pub client_id: String,
    /// Flow that produced it.
    pub kind: TokenKind,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("token_endpoint", &self.token_endpoint)
            .field("client_id", &self.client_id)
            .field("kind", &self.kind)
            .finish()
    }
}

pub(crate) fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Token {
    /// Seconds before expiry at which we refresh proactively.
    pub const REFRESH_MARGIN_SECS: i64 = 60;

    /// True if the access token has at least `margin` seconds left.
    pub fn is_fresh(&self, margin: i64) -> bool {
        self.expires_at - now_secs() > margin
    }
}

/// Persistent home of a token. Implementations must make `save` durable and
/// atomic (rotated refresh tokens cannot be recovered), and `lock` exclusive
/// across processes so two processes never refresh the same token.
pub trait TokenStore: Send + Sync + 'static {
    /// The newest stored token (another process may have rotated it).
    fn load(&self) -> Result<Option<Token>, StoreError>;
    /// Persist a rotated token; called before the token is used.
    fn save(&self, token: &Token) -> Result<(), StoreError>;
    /// Hold a cross-process lock while refreshing (default: no lock).
    fn lock(&self) -> Result<Box<dyn Send>, StoreError> {
        Ok(Box::new(()))
    }
}

/// In-memory store, for tests and one-shot use. Share it between clients of
/// one process through an `Arc`; its `lock` is a real (in-process) lock so
/// such clients never refresh the same token twice.
#[derive(Default)]
pub struct MemoryTokenStore {
    token: Mutex<Option<Token>>,
    saves: std::sync::atomic::AtomicUsize,
    busy: std::sync::Arc<(Mutex<bool>, std::sync::Condvar)>,
}

/// Guard of [`MemoryTokenStore::lock`]; releases on drop.
struct MemoryLockGuard(std::sync::Arc<(Mutex<bool>, std::sync::Condvar)>);

impl Drop for MemoryLockGuard {
    fn drop(&mut self) {
        let (m, cv) = &*self.0;
        *m.lock().unwrap_or_else(|p| p.into_inner()) = false;
        cv.notify_one();
    }
}

impl MemoryTokenStore {
    /// A store holding `token`.
    pub fn new(token: Option<Token>) -> Self {
        MemoryTokenStore { token: Mutex::new(token), ..Default::default() }
    }
    /// How many times `save` was called.
    pub fn saves(&self) -> usize {
        self.saves.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> Result<Option<Token>, StoreError> {
        Ok(self.token.lock().map_err(StoreError::new)?.clone())
    }
    fn save(&self, token: &Token) -> Result<(), StoreError> {
        *self.token.lock().map_err(StoreError::new)? = Some(token.clone());
        self.saves.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn lock(&self) -> Result<Box<dyn Send>, StoreError> {
        let (m, cv) = &*self.busy;
        let mut held = m.lock().map_err(StoreError::new)?;
        while *held {
            held = cv.wait(held).map_err(StoreError::new)?;
        }
        *held = true;
        Ok(Box::new(MemoryLockGuard(self.busy.clone())))
    }
}

/// Result of one token-endpoint call.
pub(crate) enum TokenReply {
    Ok(TokenJson),
    Failed { status: u16, error: Option<String>, description: Option<String>, otp_required: bool },
}

/// Description of a token-endpoint request.
pub(crate) struct TokenRequest<'a> {
    pub url: &'a Url,
    pub form: Vec<(&'static str, String)>,
    pub query: Vec<(&'static str, String)>,
    pub basic: Option<(&'a str, &'a str)>,
    pub headers: Vec<(&'static str, String)>,
}

/// POST to a token endpoint. Retries only when nothing can have been
/// processed (connect errors) or the server refused before processing
/// (429/502/503/504), so a refresh token is never presented twice blindly.
/// A reply that never comes is therefore not retried.
pub(crate) async fn token_call(
    http: &reqwest::Client,
    retry: &RetryPolicy,
    timeouts: &Timeouts,
    req: TokenRequest<'_>,
) -> Result<TokenReply> {
    let mut delays = retry.delays();
    let host = host_of(req.url);
    let limit = timeouts.limit(true);
    let mut silent = 0u32;
    loop {
        let mut rb =
            http.post(req.url.clone()).timeout(timeouts.short_call).header(reqwest::header::ACCEPT, "application/json");
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some((id, secret)) = req.basic {
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            rb = rb.header(reqwest::header::AUTHORIZATION, format!("Basic {enc}"));
        }
        for (k, v) in &req.headers {
            rb = rb.header(*k, v);
        }
        rb = if req.form.is_empty() {
            rb.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(reqwest::header::CONTENT_LENGTH, "0")
                .body(Vec::<u8>::new())
        } else {
            rb.form(&req.form)
        };
        let resp = match watch(rb.send(), &host, timeouts.notice_after).await {
            Ok(r) => r,
            // `without_url`: the legacy login carries the password in the query.
            Err(e) if e.is_connect() => {
                let timed_out = e.is_timeout();
                silent += u32::from(timed_out);
                match delays.next() {
                    Some(d) if !timed_out || silent <= timeouts.retries => {
                        tokio::time::sleep(d).await;
                        continue;
                    }
                    _ => return Err(timeouts.error(e.without_url(), limit).with_host(&host)),
                }
            }
            Err(e) => return Err(timeouts.error(e.without_url(), limit).with_host(&host)),
        };
        let status = resp.status().as_u16();
        if matches!(status, 429 | 502 | 503 | 504)
            && let Some(d) = delays.next()
        {
            tokio::time::sleep(d).await;
            continue;
        }
        let otp_required = resp
            .headers()
            .get("x-jottacloud-otp")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("required"));
        let ok = resp.status().is_success();
        let body = crate::http::read_limited(resp, 256 * 1024, limit).await.map_err(|e| match e {
            Error::Http(h) => Error::Http(h.without_url()),
            e => e,
        })?;
        // A web page on a 5xx may be a proxy in front of the real service.
        if status < 500
            && status != 429
            && let Some(e) = not_the_api(req.url, status, &body, Expect::Json)
        {
            return Err(e);
        }
        if ok {
            let tj: TokenJson =
                serde_json::from_slice(&body).map_err(|e| Error::Protocol(format!("bad token response: {e}")))?;
            if tj.access_token.is_empty() {
                return Err(Error::Protocol("token response without access_token".into()));
            }
            return Ok(TokenReply::Ok(tj));
        }
        let (error, description) = match serde_json::from_slice::<OAuthErrorJson>(&body) {
            Ok(o) => (Some(o.error), o.error_description),
            Err(_) => (None, None),
        };
        return Ok(TokenReply::Failed { status, error, description, otp_required });
    }
}

/// Build a [`Token`] from a successful reply.
pub(crate) fn token_from_json(
    tj: TokenJson,
    previous_refresh: Option<&str>,
    token_endpoint: &Url,
    client_id: &str,
    kind: TokenKind,
) -> Result<Token> {
    let refresh = match (tj.refresh_token, previous_refresh) {
        (Some(r), _) if !r.is_empty() => r,
        (_, Some(p)) => p.to_string(),
        _ => return Err(Error::Protocol("token response without refresh_token".into())),
    };
    let lifetime = tj.expires_in.filter(|s| *s > 0).unwrap_or(3600);
    Ok(Token {
        access_token: tj.access_token,
        refresh_token: refresh,
        expires_at: now_secs() + lifetime,
        token_endpoint: token_endpoint.to_string(),
        client_id: client_id.to_string(),
        kind,
    })
}

pub(crate) fn login_failure(status: u16, error: Option<String>, description: Option<String>) -> Error {
    Error::Auth(format!(
        "token endpoint answered {status}: {}{}",
        error.as_deref().unwrap_or("error"),
        description.map(|d| format!(" ({d})")).unwrap_or_default()
    ))
}

/// Shared plumbing for the login functions.
#[derive(Clone)]
pub(crate) struct AuthHttp {
    pub http: reqwest::Client,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
}

impl AuthHttp {
    pub fn new(options: &crate::client::ClientOptions) -> Result<Self> {
        Ok(AuthHttp {
            http: crate::http::build_http(
                &options.user_agent,
                options.extra_ca_pem.as_deref(),
                &options.timeouts,
                crate::http::Purpose::Calls,
            )?,
            retry: options.retry.clone(),
            timeouts: options.timeouts.clone(),
        })
    }

    /// POST to a token endpoint with these settings.
    pub async fn token_call(&self, req: TokenRequest<'_>) -> Result<TokenReply> {
        token_call(&self.http, &self.retry, &self.timeouts, req).await
    }

    /// GET a well-known document (no auth).
    pub async fn well_known(&self, url: &Url) -> Result<crate::types::json::WellKnownJson> {
        let t = &self.timeouts;
        let host = host_of(url);
        let limit = t.limit(true);
        let mut delays = self.retry.delays();
        let mut silent = 0u32;
        loop {
            let res = watch(self.http.get(url.clone()).timeout(t.short_call).send(), &host, t.notice_after).await;
            let e = match res {
                Ok(r) if r.status().is_success() => {
                    let status = r.status().as_u16();
                    let body = crate::http::read_limited(r, 256 * 1024, limit).await?;
                    return serde_json::from_slice(&body).map_err(|e| {
                        not_the_api(url, status, &body, Expect::Json)
                            .unwrap_or_else(|| Error::Protocol(format!("bad OpenID configuration: {e}")))
                    });
                }
                Ok(r) => crate::http::decode_error(r).await,
                Err(e) => t.error(e, limit),
            };
            let again = match e.retry() {
                Retry::Silent => {
                    silent += 1;
                    silent <= t.retries
                }
                Retry::Refused | Retry::Backoff => true,
                _ => false,
            };
            if again && let Some(d) = delays.next() {
                tokio::time::sleep(d).await;
                continue;
            }
            return Err(e);
        }
    }
}
