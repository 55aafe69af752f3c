//! Refresh with rotation, single-flight in-process and locked across
//! processes through the [`TokenStore`].
//!
//! Algorithm (one refresh at a time):
//! 1. take the in-process async mutex; if another task already replaced the
//!    token we were unhappy with, use the new one;
//! 2. take `store.lock()` and `store.load()` (on a blocking thread);
//! 3. if the stored token differs from ours and is usable (fresh, or carries
//!    a different refresh token), adopt it — another process rotated it;
//! 4. otherwise refresh, `save` the new pair (before any use), then use it.
//!
//! `invalid_grant` means the family is dead: [`Error::ReconnectNeeded`],
//! never retried.

use std::sync::{Arc, Mutex};

use url::Url;

use super::{Token, TokenKind, TokenReply, TokenRequest, TokenStore, token_call, token_from_json};
use crate::error::{Error, Result, StoreError};
use crate::http::RetryPolicy;
use crate::timeouts::Timeouts;

pub(crate) struct TokenManager {
    http: reqwest::Client,
    retry: RetryPolicy,
    timeouts: Timeouts,
    current: Mutex<Token>,
    refresh_lock: tokio::sync::Mutex<()>,
    store: Arc<dyn TokenStore>,
    /// Set once a refresh failed with `invalid_grant`; later calls fail fast.
    dead: Mutex<Option<String>>,
    /// Refresh margin in seconds: 60, or half the lifetime of the last
    /// issued token if that is shorter (so a short-lived token is not
    /// refreshed on every request).
    margin: std::sync::atomic::AtomicI64,
}

impl TokenManager {
    pub fn new(
        http: reqwest::Client,
        retry: RetryPolicy,
        timeouts: Timeouts,
        token: Token,
        store: Arc<dyn TokenStore>,
    ) -> Self {
        TokenManager {
            http,
            retry,
            timeouts,
            current: Mutex::new(token),
            refresh_lock: tokio::sync::Mutex::new(()),
            store,
            dead: Mutex::new(None),
            margin: std::sync::atomic::AtomicI64::new(Token::REFRESH_MARGIN_SECS),
        }
    }

    fn margin(&self) -> i64 {
        self.margin.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn note_lifetime(&self, t: &Token) {
        let life = t.expires_at - super::now_secs();
        let m = Token::REFRESH_MARGIN_SECS.min(life / 2).max(0);
        self.margin.store(m, std::sync::atomic::Ordering::Relaxed);
    }

    fn snapshot(&self) -> Token {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set(&self, t: Token) {
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    fn check_dead(&self) -> Result<()> {
        if let Some(msg) = self.dead.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Err(Error::ReconnectNeeded(msg));
        }
        Ok(())
    }

    /// The token currently held (for the caller to persist or inspect).
    pub fn token(&self) -> Token {
        self.snapshot()
    }

    /// An access token with at least the refresh margin left.
    pub async fn access_token(&self) -> Result<String> {
        let t = self.snapshot();
        if t.is_fresh(self.margin()) {
            return Ok(t.access_token);
        }
        self.refresh_from(&t.access_token).await
    }

    /// Refresh because `stale_access` was rejected or is expiring. Concurrent
    /// callers with the same stale token share one refresh.
    pub async fn refresh_from(&self, stale_access: &str) -> Result<String> {
        self.check_dead()?;
        let _g = self.refresh_lock.lock().await;
        self.check_dead()?;
        let ours = self.snapshot();
        if ours.access_token != stale_access && ours.is_fresh(self.margin()) {
            return Ok(ours.access_token);
        }
        // Cross-process: lock the store and look at what it holds.
        let store = self.store.clone();
        let (guard, stored) = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
            let g = store.lock()?;
            let t = store.load()?;
            Ok((g, t))
        })
        .await
        .map_err(|e| StoreError::new(format!("store task failed: {e}")))??;

        let mut base = ours;
        if let Some(s) = stored
            && s != base
        {
            let usable = s.access_token != stale_access && s.is_fresh(self.margin());
            if usable {
                tracing::debug!("adopting a token rotated by another client");
                self.set(s.clone());
                drop(guard);
                return Ok(s.access_token);
            }
            if s.refresh_token != base.refresh_token {
                // Newer refresh token from another client: refresh with it.
                base = s;
            }
        }
        let result = self.do_refresh(&base).await;
        let new = match result {
            Ok(t) => t,
            Err(e) => {
                if let Error::ReconnectNeeded(m) = &e {
                    *self.dead.lock().unwrap_or_else(|p| p.into_inner()) = Some(m.clone());
                }
                drop(guard);
                return Err(e);
            }
        };
        let store = self.store.clone();
        let to_save = new.clone();
        let saved = tokio::task::spawn_blocking(move || store.save(&to_save))
            .await
            .map_err(|e| StoreError::new(format!("store task failed: {e}")))
            .and_then(|r| r);
        drop(guard);
        // The old refresh token is gone on the server either way, so keep the
        // new pair in memory (this process can go on and a later refresh
        // saves again) but report that persisting it failed.
        self.note_lifetime(&new);
        self.set(new.clone());
        if let Err(e) = saved {
            tracing::error!("rotated token could not be saved: {e}");
            return Err(Error::Store(e));
        }
        tracing::debug!(expires_at = new.expires_at, "access token refreshed");
        Ok(new.access_token)
    }

    async fn do_refresh(&self, t: &Token) -> Result<Token> {
        let url = Url::parse(&t.token_endpoint)
            .map_err(|e| Error::InvalidArgument(format!("bad token endpoint in token: {e}")))?;
        let req = match &t.kind {
            TokenKind::Legacy { client_id, client_secret } => TokenRequest {
                url: &url,
                form: vec![("grant_type", "REFRESH_TOKEN".into()), ("refresh_token", t.refresh_token.clone())],
                query: vec![],
                basic: Some((client_id.as_str(), client_secret.as_str())),
                headers: vec![],
            },
            _ => TokenRequest {
                url: &url,
                form: vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", t.refresh_token.clone()),
                    ("client_id", t.client_id.clone()),
                ],
                query: vec![],
                basic: None,
                headers: vec![],
            },
        };
        match token_call(&self.http, &self.retry, &self.timeouts, req).await? {
            TokenReply::Ok(tj) => token_from_json(tj, Some(&t.refresh_token), &url, &t.client_id, t.kind.clone()),
            TokenReply::Failed { status, error, description, .. } => {
                let desc = description.unwrap_or_default();
                match error.as_deref() {
                    Some("invalid_grant") => Err(Error::ReconnectNeeded(format!(
                        "refresh token rejected (invalid_grant: {desc}); log in again"
                    ))),
                    _ => Err(super::login_failure(status, error, Some(desc))),
                }
            }
        }
    }
}
