//! The [`Client`] handle and the one request path every call goes through:
//! bearer token (refreshed proactively), one refresh-and-retry on 401,
//! and the retries [`crate::Retry`] allows for what the request tolerates.

use std::sync::Arc;

use reqwest::Response;
use url::Url;

use crate::auth::refresh::TokenManager;
use crate::auth::{Token, TokenStore};
use crate::error::{Error, Result, Waiting};
use crate::http::{Endpoints, Purpose, Req, Resend, RetryPolicy, build_http, decode_error, read_limited};
use crate::names::RemotePath;
use crate::reply::{Expect, not_the_api};
use crate::retry::Retry;
use crate::timeouts::{Timeouts, host_of, watch};
use crate::types::xml::{Element, parse_document};

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// User-Agent header. Default `fjordsync/<crate version>`.
    pub user_agent: String,
    /// Retry policy for idempotent calls.
    pub retry: RetryPolicy,
    /// Attempts (allocate rounds) for one file upload. Default 5.
    pub upload_attempts: u32,
    /// Extra PEM root certificates (besides the system roots and `SSL_CERT_FILE`).
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Largest XML document read into memory (listings are streamed instead). Default 64 MiB.
    pub max_document_bytes: usize,
    /// Connect, idle and whole-call limits, and the slow-reply notice.
    pub timeouts: Timeouts,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            user_agent: concat!("fjordsync/", env!("CARGO_PKG_VERSION")).to_string(),
            retry: RetryPolicy::default(),
            upload_attempts: 5,
            extra_ca_pem: None,
            max_document_bytes: 64 << 20,
            timeouts: Timeouts::default(),
        }
    }
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    /// For upload bodies only (see [`Purpose::Uploads`]).
    pub upload_http: reqwest::Client,
    pub endpoints: Endpoints,
    pub options: ClientOptions,
    pub tokens: TokenManager,
    pub username: tokio::sync::OnceCell<String>,
}

/// A cheap-to-clone handle on one Jottacloud account.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoints", &self.inner.endpoints).finish_non_exhaustive()
    }
}

impl Client {
    /// Create a client for `token`. Rotated tokens go to `store` before use;
    /// tokens rotated by other processes are adopted from it.
    pub fn new(
        endpoints: Endpoints,
        token: Token,
        store: Arc<dyn TokenStore>,
        options: ClientOptions,
    ) -> Result<Client> {
        let ca = options.extra_ca_pem.as_deref();
        let http = build_http(&options.user_agent, ca, &options.timeouts, Purpose::Calls)?;
        let upload_http = build_http(&options.user_agent, ca, &options.timeouts, Purpose::Uploads)?;
        let tokens = TokenManager::new(http.clone(), options.retry.clone(), options.timeouts.clone(), token, store);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                upload_http,
                endpoints,
                options,
                tokens,
                username: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The token currently held (already saved to the store).
    pub fn token(&self) -> Token {
        self.inner.tokens.token()
    }

    /// A valid access token (refreshing if needed). For callers that must
    /// talk to the service directly; never log it.
    pub async fn access_token(&self) -> Result<String> {
        self.inner.tokens.access_token().await
    }

    /// Send an authenticated request; returns only successful replies.
    pub(crate) async fn call(&self, req: Req) -> Result<Response> {
        self.call_tracked(req).await.0
    }

    /// Like [`Client::call`], also telling whether an earlier attempt may
    /// have reached the server (a transport error after sending), so a
    /// non-idempotent outcome such as "404 on the second `rm`" can be
    /// recognised.
    pub(crate) async fn call_tracked(&self, req: Req) -> (Result<Response>, bool) {
        let mut maybe_applied = false;
        let r = self.call_inner(&req, &mut maybe_applied).await;
        (r, maybe_applied)
    }

    async fn call_inner(&self, req: &Req, maybe_applied: &mut bool) -> Result<Response> {
        let policy = &self.inner.options.retry;
        let timeouts = &self.inner.options.timeouts;
        let limit = timeouts.limit(req.short);
        let host = host_of(&req.url);
        let mut delays = policy.delays();
        let mut refreshed = false;
        let mut silent = 0u32;
        loop {
            let bearer = self.inner.tokens.access_token().await?;
            let send = req.build(&self.inner.http, Some(&bearer), timeouts).send();
            let res = watch(send, &host, timeouts.notice_after).await;
            let err = match res {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) if r.status().as_u16() == 401 && !refreshed => {
                    refreshed = true;
                    let _ = decode_error(r).await;
                    self.inner.tokens.refresh_from(&bearer).await?;
                    continue;
                }
                Ok(r) => decode_error(r).await,
                Err(e) => timeouts.error(e, limit),
            };
            // One classifier decides (see `crate::retry`); `req.resend` says
            // what this request tolerates.
            match (err.retry(), req.resend) {
                (_, Resend::Never) => return Err(err),
                // A silent server: try again only as often as the timeouts
                // allow, and a request that may have arrived only if it is
                // safe to repeat.
                (Retry::Silent, resend) => {
                    silent += 1;
                    let nothing_sent = matches!(&err, Error::NoAnswer(n) if n.waiting == Waiting::Connection);
                    if silent <= timeouts.retries && (resend == Resend::Idempotent || nothing_sent) {
                        if !nothing_sent {
                            *maybe_applied = true;
                        }
                        tracing::debug!(url = %req.url, "trying again after: {err}");
                        continue;
                    }
                }
                // Refused: not carried out, so even requests that are never
                // repeated blindly (allocate, cp, mv) can be sent again.
                (Retry::Refused, _) | (Retry::Backoff, Resend::Idempotent) => {
                    let retry_after = match &err {
                        Error::RateLimited { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    if let Some(d) = delays.next() {
                        if let Error::Http(e) = &err
                            && !e.is_connect()
                        {
                            *maybe_applied = true;
                        }
                        let d = policy.pick(d, retry_after);
                        tracing::debug!(url = %req.url, "retrying in {d:?} after: {err}");
                        tokio::time::sleep(d).await;
                        continue;
                    }
                }
                _ => {}
            }
            return Err(err);
        }
    }

    /// Send and read a whole XML document.
    pub(crate) async fn call_xml(&self, req: Req) -> Result<Element> {
        let url = req.url.clone();
        let limit = self.inner.options.timeouts.limit(req.short);
        let resp = self.call(req).await?;
        let status = resp.status().as_u16();
        let body = read_limited(resp, self.inner.options.max_document_bytes, limit).await?;
        // Checked first: a well-formed XHTML page would parse as XML.
        if let Some(e) = not_the_api(&url, status, &body, Expect::Xml) {
            return Err(e);
        }
        parse_document(&body)
    }

    /// Send and read a JSON document.
    pub(crate) async fn call_json<T: serde::de::DeserializeOwned>(&self, req: Req) -> Result<T> {
        let url = req.url.clone();
        let limit = self.inner.options.timeouts.limit(req.short);
        let resp = self.call(req).await?;
        let status = resp.status().as_u16();
        let body = read_limited(resp, 16 << 20, limit).await?;
        serde_json::from_slice(&body).map_err(|e| {
            not_the_api(&url, status, &body, Expect::Json)
                .unwrap_or_else(|| Error::Protocol(format!("bad JSON reply: {e}")))
        })
    }

    /// JFS URL of `path`.
    pub(crate) async fn jfs_url(&self, path: &RemotePath) -> Result<Url> {
        let user = self.username().await?;
        self.inner.endpoints.jfs_url(&path.jfs_url_path(&user))
    }

    pub(crate) fn api_url(&self, p: &str) -> Result<Url> {
        self.inner.endpoints.api_url(p)
    }
}
