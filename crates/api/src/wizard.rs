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
use fjordsync_jottacloud::auth::{self, LegacyClient, TraditionalOptions};
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
    /// The username a legacy sign-in used (kept so a reconnect can ask for
    /// the password only).
    login: Option<String>,
}

/// Services that still take the legacy username + password sign-in: the
/// protocol reference (section 2.1) knows it only from the Elkjøp
/// white-labels, i.e. the Elkjøp Nordic brands of the service table (2.6).
pub(crate) const LEGACY_SERVICES: &[&str] = &["elkjop", "elgiganten_dk", "elgiganten_se", "elko", "gigantti"];

/// True when the wizard offers the legacy sign-in for `service`.
pub(crate) fn supports_legacy(service: &str) -> bool {
    LEGACY_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
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

    /// Signs in with username and password (the legacy flow, only for the
    /// services in [`LEGACY_SERVICES`]). When the account uses SMS two-factor
    /// authentication and no `code` was given, fails with `otp_required`: the
    /// wizard then asks for the code and calls again with it (a wrong code
    /// fails with `bad_otp`). Nothing is kept between the two calls.
    pub async fn wizard_legacy(
        &self,
        service: String,
        username: String,
        password: String,
        code: Option<String>,
        endpoint: Option<String>,
    ) -> AppResult<WizardAccountDto> {
        if !supports_legacy(&service) {
            return Err(AppError::invalid(format!("{service:?} does not offer the username and password sign-in")));
        }
        let username = username.trim().to_string();
        if username.is_empty() || password.is_empty() {
            return Err(AppError::invalid("give the username and the password"));
        }
        let endpoint = endpoint.filter(|e| !e.trim().is_empty());
        let endpoints = session::endpoints_for(endpoint.as_deref())?;
        let code = code.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let asked = std::sync::atomic::AtomicBool::new(false);
        let given = code.is_some();
        let result = auth::login_legacy(
            &endpoints,
            &session::client_options(),
            &LegacyClient::default(),
            &username,
            &password,
            || {
                asked.store(true, std::sync::atomic::Ordering::Relaxed);
                std::future::ready(code)
            },
        )
        .await;
        let token = match result {
            Ok(t) => t,
            Err(_) if asked.load(std::sync::atomic::Ordering::Relaxed) && !given => {
                return Err(AppError::new("otp_required", "the service sent a code by SMS; enter it to finish"));
            }
            Err(e) if asked.load(std::sync::atomic::Ordering::Relaxed) => return Err(login_error(e, "bad_otp")),
            Err(e) => return Err(login_error(e, "bad_credentials")),
        };
        self.wizard_account_as(token, service, SignIn::Legacy, endpoint, Some(username)).await
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
                    // A browser that cannot be opened does not end the
                    // sign-in: the loopback listener keeps waiting while the
                    // user opens the link by hand.
                    if let Some(Err(e)) = opener.as_ref().map(|open| open(url.as_str())) {
                        let _ = events.send(AppEvent::BrowserFailed { url: url.to_string(), detail: e.to_string() });
                    }
                    Ok(())
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
        self.wizard_account_as(token, service, sign_in, endpoint, None).await
    }

    async fn wizard_account_as(
        &self,
        token: Token,
        service: String,
        sign_in: SignIn,
        endpoint: Option<String>,
        login: Option<String>,
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
        let pending = Pending { token: client.token(), service, sign_in, endpoint, login };
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
                login: p.login.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_only_for_the_elkjop_brands() {
        assert!(supports_legacy("elkjop") && supports_legacy("Gigantti"));
        assert!(!supports_legacy("jottacloud") && !supports_legacy("telia_no"));
        for key in LEGACY_SERVICES {
            assert!(auth::service(key).is_some(), "{key} is in the service table");
        }
    }

    fn test_api(dir: &tempfile::TempDir) -> Api {
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        Api::new(config, dir.path().join("data")).unwrap()
    }

    async fn emulator() -> fjordsync_emulator::Emulator {
        fjordsync_emulator::Emulator::start(fjordsync_emulator::Config::default()).await.unwrap()
    }

    #[tokio::test]
    async fn an_unreachable_server_is_offline_not_a_raw_http_error() {
        let dir = tempfile::tempdir().unwrap();
        let api = test_api(&dir);
        // A real token for a server that has gone away: nothing listens there.
        let emu = emulator().await;
        let (url, token) = (emu.base_url(), emu.issue_login_token());
        emu.shutdown().await;
        let e = api.wizard_login_token("jottacloud".into(), token, Some(url)).await.unwrap_err();
        assert_eq!(e.code, "offline", "{e}");
    }

    #[tokio::test]
    async fn a_malformed_token_is_a_bad_token() {
        let dir = tempfile::tempdir().unwrap();
        let api = test_api(&dir);
        let emu = emulator().await;
        let e =
            api.wizard_login_token("jottacloud".into(), "not-a-token!".into(), Some(emu.base_url())).await.unwrap_err();
        assert_eq!(e.code, "bad_login_token", "{e}");
    }

    #[tokio::test]
    async fn a_browser_that_cannot_open_leaves_the_link_to_open_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        let api = Arc::new(test_api(&dir));
        api.set_opener(Arc::new(|_| Err(std::io::Error::other("xdg-open exited with status 4"))));
        let emu = emulator().await;
        let mut events = api.subscribe();
        let waiting = tokio::spawn({
            let api = api.clone();
            let url = emu.base_url();
            async move { api.wizard_browser("jottacloud".into(), Some(url)).await }
        });
        let failed = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            loop {
                match events.recv().await.unwrap() {
                    AppEvent::BrowserFailed { url, detail } => break (url, detail),
                    _ => continue,
                }
            }
        })
        .await
        .expect("a BrowserFailed event");
        assert!(failed.0.starts_with(&emu.base_url()), "{}", failed.0);
        assert!(failed.1.contains("status 4"), "{}", failed.1);
        // Still waiting for the browser: the sign-in has not failed.
        assert!(!waiting.is_finished());
        api.wizard_cancel().await.unwrap();
        assert_eq!(waiting.await.unwrap().unwrap_err().code, "cancelled");
    }

    #[tokio::test]
    async fn the_demo_sign_in_details_work_in_the_wizard() {
        let dir = tempfile::tempdir().unwrap();
        let api = test_api(&dir);
        let demo = api.demo_sign_in().await.unwrap();
        assert!(!demo.username.is_empty() && !demo.password.is_empty());
        let account = api.wizard_login_token("jottacloud".into(), demo.login_token, Some(demo.endpoint)).await.unwrap();
        assert_eq!(account.username, demo.username);
        api.shutdown().await;
    }

    #[tokio::test]
    async fn legacy_is_refused_for_other_services_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Api::new(config, dir.path().join("data")).unwrap();
        let e = api
            .wizard_legacy("jottacloud".into(), "u".into(), "p".into(), None, Some("http://127.0.0.1:9".into()))
            .await
            .unwrap_err();
        assert_eq!(e.code, "invalid");
    }
}
