//! Demo storage: the built-in emulator, in-process, with sample content.
//!
//! A new user can explore every screen without an account. The emulator's
//! state lives in `<data dir>/demo/emulator` so the demo survives restarts
//! (the same folder `scripts/run.sh` uses), and the `demo` storage is an
//! ordinary engine remote whose token goes to the same secret store as any
//! other: the keyring unless the user chose the file store.

use std::path::PathBuf;

use fjordsync_emulator::{Config, Emulator};
use fjordsync_engine::{RemoteConfig, Remotes, SignIn, session};
use fjordsync_jottacloud::{Client, RemotePath, UploadOptions, auth};
use serde::{Deserialize, Serialize};

use super::Api;
use super::dto::{AppEvent, StorageDto};
use crate::error::{AppError, AppResult};

/// The demo storage's name.
pub const DEMO_STORAGE: &str = "demo";

/// Demo quota: small enough that the meter shows something.
const DEMO_QUOTA: i64 = 5 * 1024 * 1024 * 1024;

pub(super) struct Demo {
    pub(super) emulator: Emulator,
}

/// What we remember between runs: the port, so the stored endpoint stays valid.
#[derive(Serialize, Deserialize)]
struct DemoState {
    port: u16,
}

/// How to sign in to the demo storage by hand, so "Add storage" can be
/// tried end to end without an account: the wizard fills these in, and the
/// screens that name the demo show them (the browser sign-in asks for the
/// username and password on the emulator's own sign-in page).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DemoSignInDto {
    /// The emulator's address (the wizard's server address).
    pub endpoint: String,
    /// A fresh personal login token for the demo account.
    pub login_token: String,
    /// The demo account's username.
    pub username: String,
    /// The demo account's e-mail address (accepted in place of the username).
    pub email: String,
    /// The demo account's password.
    pub password: String,
}

impl Api {
    /// Starts the demo emulator when needed and returns how to sign in to it.
    /// Creates no storage: the wizard does that, like for a real account.
    pub async fn demo_sign_in(&self) -> AppResult<DemoSignInDto> {
        let endpoint = self.start_emulator().await?;
        let guard = self.demo.lock().await;
        let d = guard.as_ref().ok_or_else(|| AppError::new("demo", "the demo storage stopped while starting"))?;
        Ok(DemoSignInDto {
            endpoint,
            login_token: d.emulator.issue_login_token(),
            username: d.emulator.username(),
            email: d.emulator.email(),
            password: d.emulator.password(),
        })
    }

    fn demo_dir(&self) -> PathBuf {
        self.data_dir().join("demo")
    }

    fn demo_state(&self) -> Option<DemoState> {
        let text = std::fs::read_to_string(self.demo_dir().join("app-demo.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// True when this app set up the demo storage (so it should start the
    /// emulator for it).
    pub(crate) fn demo_configured(&self) -> bool {
        self.demo_state().is_some() && Remotes::new(self.config().clone()).get(DEMO_STORAGE).is_ok()
    }

    /// Starts the emulator if the demo storage exists and it is not running.
    pub async fn ensure_demo_running(&self) -> AppResult<()> {
        if self.demo_configured() {
            self.start_emulator().await?;
        }
        Ok(())
    }

    /// Starts the emulator (once), on the remembered port when it is free.
    /// Returns its base URL.
    async fn start_emulator(&self) -> AppResult<String> {
        let mut guard = self.demo.lock().await;
        if let Some(d) = guard.as_ref() {
            return Ok(d.emulator.base_url());
        }
        let dir = self.demo_dir();
        std::fs::create_dir_all(&dir)?;
        let config =
            |port| Config { port, state_dir: Some(dir.join("emulator")), quota: Some(DEMO_QUOTA), ..Config::default() };
        let saved = self.demo_state().map(|s| s.port).unwrap_or(0);
        let emulator = match Emulator::start(config(saved)).await {
            Ok(e) => e,
            // The remembered port is taken by something else: take any.
            Err(_) if saved != 0 => Emulator::start(config(0)).await.map_err(demo_err)?,
            Err(e) => return Err(demo_err(e)),
        };
        let url = emulator.base_url();
        let port = url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0);
        std::fs::write(dir.join("app-demo.json"), serde_json::to_vec(&DemoState { port })?)?;
        // Keep the demo remote pointing at where the emulator is now.
        let remotes = Remotes::new(self.config().clone());
        if let Ok(mut r) = remotes.get(DEMO_STORAGE)
            && r.endpoint.as_deref() != Some(url.as_str())
            && r.endpoint.as_deref().is_some_and(is_local)
        {
            r.endpoint = Some(url.clone());
            remotes.update(r)?;
            self.forget_session(DEMO_STORAGE);
        }
        *guard = Some(Demo { emulator });
        Ok(url)
    }

    /// "Try with demo storage": starts the emulator, signs the `demo`
    /// storage in (token to the secret store) and adds sample content the
    /// first time.
    pub async fn start_demo(&self) -> AppResult<StorageDto> {
        self.probe_secrets()?;
        let remotes = Remotes::new(self.config().clone());
        if let Ok(r) = remotes.get(DEMO_STORAGE)
            && !r.endpoint.as_deref().is_some_and(is_local)
        {
            return Err(AppError::new(
                "already_exists",
                format!("a storage named {DEMO_STORAGE:?} already exists and is not the demo; rename it first"),
            ));
        }
        let url = self.start_emulator().await?;
        let login_token = {
            let guard = self.demo.lock().await;
            guard.as_ref().map(|d| d.emulator.issue_login_token()).unwrap_or_default()
        };
        let endpoints = session::endpoints_for(Some(&url))?;
        let token = auth::login_with_token(&endpoints, &session::client_options(), &login_token).await?;
        let fresh = remotes.get(DEMO_STORAGE).is_err();
        let s = if fresh {
            let remote = RemoteConfig {
                name: DEMO_STORAGE.to_string(),
                service: "jottacloud".to_string(),
                sign_in: SignIn::Standard,
                endpoint: Some(url),
                device: session::DEFAULT_DEVICE.to_string(),
                mountpoint: session::DEFAULT_MOUNTPOINT.to_string(),
                username: None,
                login: None,
            };
            session::add_remote(self.config(), self.secrets(), remote, token, false).await?
        } else {
            session::reconnect_remote(self.config(), self.secrets(), DEMO_STORAGE, token).await?
        };
        if fresh {
            add_samples(&s.client, &s.root, &self.demo_dir()).await?;
        }
        self.forget_session(DEMO_STORAGE);
        self.emit(AppEvent::StoragesChanged);
        Ok(self.storage_dto(&s.remote))
    }
}

fn is_local(endpoint: &str) -> bool {
    endpoint.starts_with("http://127.0.0.1:")
}

fn demo_err(e: anyhow::Error) -> AppError {
    AppError::new("demo", format!("could not start the demo storage: {e:#}"))
}

/// Sample files: a few documents (one with characters Jottacloud maps to
/// look-alikes), a folder of real photos (`fjordsync_emulator::demo::PHOTOS`),
/// and one file already in the trash.
async fn add_samples(client: &Client, root: &RemotePath, dir: &std::path::Path) -> AppResult<()> {
    let documents: [(&str, &[u8]); 4] = [
        (
            "Documents/Welcome.txt",
            b"Welcome to Fjordsync!\n\nThis is demo storage: a Jottacloud emulator running inside the app.\nBrowse, rename, share, delete and restore as you like.\n",
        ),
        (
            "Documents/Notes: what changed?.md",
            b"# Notes\n\nNames with : ? * and friends are stored with look-alike characters, as the official apps do.\n",
        ),
        ("Documents/Budget 2026.csv", b"month,amount\nJanuary,1200\nFebruary,980\nMarch,1430\n"),
        ("Old draft.txt", b"This file was deleted; find it in the trash and restore it.\n"),
    ];
    let photos = fjordsync_emulator::demo::PHOTOS.iter().map(|(name, bytes)| (format!("Photos/{name}"), *bytes));
    let samples: Vec<(String, &[u8])> =
        documents.into_iter().map(|(path, body)| (path.to_string(), body)).chain(photos).collect();
    let local = dir.join("samples");
    std::fs::create_dir_all(&local)?;
    for (i, (path, body)) in samples.iter().enumerate() {
        let file = local.join(format!("sample-{i}"));
        std::fs::write(&file, body)?;
        let mut remote = root.clone();
        for seg in path.split('/') {
            remote = remote.join_local(seg.as_bytes())?;
        }
        client.upload_file(&file, &remote, &UploadOptions::default()).await?;
        let _ = std::fs::remove_file(&file);
    }
    client.delete_file(&root.join_local(b"Old draft.txt")?, false).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use fjordsync_emulator::demo::PHOTOS;

    /// The demo's "Photos" folder holds real pictures (not text files that
    /// ask you to imagine one), byte for byte.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_demo_photos_folder_has_real_images() {
        let dir = tempfile::tempdir().unwrap();
        let api = crate::backup::tests::demo_api(dir.path()).await;
        let listing = api.list_folder(crate::DEMO_STORAGE.into(), vec!["Photos".into()]).await.unwrap();
        let mut got: Vec<(&str, Option<u64>)> = listing.entries.iter().map(|e| (e.name.as_str(), e.size)).collect();
        let mut want: Vec<(&str, Option<u64>)> =
            PHOTOS.iter().map(|(name, bytes)| (*name, Some(bytes.len() as u64))).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        let (name, bytes) = PHOTOS[0];
        let back = dir.path().join("back");
        std::fs::create_dir_all(&back).unwrap();
        let saved = api
            .download(crate::DEMO_STORAGE.into(), vec!["Photos".into(), name.into()], back.to_string_lossy().into())
            .await
            .unwrap();
        assert_eq!(std::fs::read(saved).unwrap(), bytes);
    }
}
