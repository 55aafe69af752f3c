//! The add-storage wizard: sign in, list the account's devices and
//! mountpoints, then save through the engine.
//!
//! A sign-in yields a token pair that must not be lost (the personal login
//! token is single-use), yet the storage is only recorded once the user has
//! picked a place and a name. So the pair waits here, in memory, behind an
//! opaque `pendingId`; it never crosses IPC. `wizard_save` hands it to
//! `session::add_remote`, which stores it in the secret store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fjordsync_engine::{RemoteConfig, Remotes, SignIn, session};
use fjordsync_jottacloud::auth::{self, TraditionalOptions};
use fjordsync_jottacloud::{Client, MemoryTokenStore, Token};
use tokio::task::AbortHandle;

use super::Api;
use super::dto::{AppEvent, DeviceDto, MountpointDto, StorageDto, WizardAccountDto};
use crate::error::{AppError, AppResult};

/// Sign-ins waiting for their place and name.
#[derive(Default)]
pub(super) struct Wizard {
    pending: Mutex<HashMap<String, Pending>>,
    browser: Mutex<Option<AbortHandle>>,
    next: std::sync::atomic::AtomicU64,
}

struct Pending {
    token: Token,
    service: String,
    sign_in: SignIn,
    endpoint: Option<String>,
}

impl Api {
    /// Signs in with a personal login token and lists the account's places.
    pub async fn wizard_login_token(
        &self,
        service: String,
        login_token: String,
        endpoint: Option<String>,
    ) -> AppResult<WizardAccountDto> {
        let endpoint = endpoint.filter(|e| !e.trim().is_empty());
        let endpoints = session::endpoints_for(endpoint.as_deref())?;
        let token = auth::login_with_token(&endpoints, &session::client_options(), login_token.trim())
            .await
            .map_err(|e| login_error(e, "bad_login_token"))?;
        self.wizard_account(token, service, SignIn::Standard, endpoint).await
    }

    /// Signs in through the system browser (authorization code + PKCE, the
    /// answer arrives on a 127.0.0.1 loopback listener). Waits until the
    /// browser comes back, the user cancels (`wizard_cancel`), or 5 minutes.
    pub async fn wizard_browser(&self, service: String, endpoint: Option<String>) -> AppResult<WizardAccountDto> {
        let endpoint = endpoint.filter(|e| !e.trim().is_empty());
        let token = self.browser_token(&service, endpoint.as_deref()).await?;
        self.wizard_account(token, service, SignIn::Traditional, endpoint).await
    }

    async fn browser_token(&self, service: &str, endpoint: Option<&str>) -> AppResult<Token> {
        let svc = auth::service(service).ok_or_else(|| AppError::invalid(format!("unknown service {service:?}")))?;
        let endpoints = session::endpoints_for(endpoint)?;
        let opener = self.opener();
        let events = self.events.clone();
        let task = tokio::spawn(async move {
            auth::login_traditional(
                &endpoints,
                &session::client_options(),
                svc,
                move |url| {
                    let _ = events.send(AppEvent::SignInUrl { url: url.to_string() });
                    match &opener {
                        Some(open) => open(url.as_str()),
                        None => Ok(()),
                    }
                },
                &TraditionalOptions::default(),
            )
            .await
        });
        if let Some(old) = self.wizard.browser.lock().expect("wizard lock").replace(task.abort_handle()) {
            old.abort();
        }
        match task.await {
            Ok(r) => r.map_err(|e| login_error(e, "sign_in_failed")),
            Err(e) if e.is_cancelled() => Err(AppError::new("cancelled", "the browser sign-in was cancelled")),
            Err(e) => Err(AppError::new("internal", e.to_string())),
        }
    }

    /// Signs a storage whose sign-in ended in again with a new personal
    /// login token, keeping its settings (only the sign-in step repeats).
    pub async fn reconnect_login_token(&self, storage: String, login_token: String) -> AppResult<StorageDto> {
        let remote = Remotes::new(self.config().clone()).get(&storage)?;
        let endpoints = session::endpoints_for(remote.endpoint.as_deref())?;
        let token = auth::login_with_token(&endpoints, &session::client_options(), login_token.trim())
            .await
            .map_err(|e| login_error(e, "bad_login_token"))?;
        self.finish_reconnect(storage, token).await
    }

    /// Signs a storage in again through the browser, for its own service.
    pub async fn reconnect_browser(&self, storage: String) -> AppResult<StorageDto> {
        let remote = Remotes::new(self.config().clone()).get(&storage)?;
        let token = self.browser_token(&remote.service, remote.endpoint.as_deref()).await?;
        self.finish_reconnect(storage, token).await
    }

    async fn finish_reconnect(&self, storage: String, token: Token) -> AppResult<StorageDto> {
        self.probe_secrets()?;
        self.forget_session(&storage);
        let s = session::reconnect_remote(self.config(), self.secrets(), &storage, token).await?;
        self.emit(AppEvent::StoragesChanged);
        Ok(self.storage_dto(&s.remote))
    }

    /// Stops waiting for the browser.
    pub async fn wizard_cancel(&self) -> AppResult<()> {
        if let Some(h) = self.wizard.browser.lock().expect("wizard lock").take() {
            h.abort();
        }
        Ok(())
    }

    async fn wizard_account(
        &self,
        token: Token,
        service: String,
        sign_in: SignIn,
        endpoint: Option<String>,
    ) -> AppResult<WizardAccountDto> {
        let endpoints = session::endpoints_for(endpoint.as_deref())?;
        let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
        let client = Client::new(endpoints, token, store, session::client_options())?;
        let drive = client.drive_info().await?;
        let mut devices = Vec::new();
        for d in &drive.devices {
            let info = client.device(&d.name).await?;
            devices.push(DeviceDto {
                name: d.name.clone(),
                size: d.size,
                mountpoints: info
                    .mountpoints
                    .iter()
                    .map(|m| MountpointDto { name: m.name.clone(), size: m.size })
                    .collect(),
            });
        }
        // The client may have refreshed: keep the pair it holds now.
        let pending = Pending { token: client.token(), service, sign_in, endpoint };
        let id = format!("p{}", self.wizard.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        self.wizard.pending.lock().expect("wizard lock").insert(id.clone(), pending);
        Ok(WizardAccountDto { pending_id: id, username: drive.username, devices })
    }

    /// Saves the storage: checks the place (creating it when asked), stores
    /// the token, records the settings. On failure the sign-in stays pending
    /// so the user can fix the name or place and try again.
    pub async fn wizard_save(
        &self,
        pending_id: String,
        name: String,
        device: String,
        mountpoint: String,
        create: bool,
    ) -> AppResult<StorageDto> {
        self.probe_secrets()?;
        let (token, remote) = {
            let map = self.wizard.pending.lock().expect("wizard lock");
            let p = map
                .get(&pending_id)
                .ok_or_else(|| AppError::new("expired", "this sign-in is no longer pending; sign in again"))?;
            let remote = RemoteConfig {
                name: name.trim().to_string(),
                service: p.service.clone(),
                sign_in: p.sign_in,
                endpoint: p.endpoint.clone(),
                device,
                mountpoint,
                username: None,
                login: None,
            };
            (p.token.clone(), remote)
        };
        let s = session::add_remote(self.config(), self.secrets(), remote, token, create).await?;
        self.wizard.pending.lock().expect("wizard lock").remove(&pending_id);
        self.emit(AppEvent::StoragesChanged);
        Ok(self.storage_dto(&s.remote))
    }
}

/// Refused sign-ins get the step's own code so the wizard can point at the
/// token (or the browser) instead of showing a generic failure.
fn login_error(e: fjordsync_jottacloud::Error, code: &'static str) -> AppError {
    use fjordsync_jottacloud::Error as E;
    match e {
        E::InvalidArgument(m) | E::Auth(m) | E::ReconnectNeeded(m) => AppError::new(code, m),
        E::Unauthorized(a) | E::BadRequest(a) => AppError::new(code, a.to_string()),
        other => other.into(),
    }
}
