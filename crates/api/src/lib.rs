//! Fjordsync's one door into the engine for every shell: each command the
//! UI can call, as a plain async method on [`Api`].
//!
//! The desktop app's Tauri commands, the app's `--bridge` and the headless
//! `fjordsync daemon` are all thin wrappers over these methods (the last two
//! through [`web`]), so the browser end-to-end tests exercise exactly the code
//! the desktop window runs (GitButler's `but-api` idea). Nothing here knows
//! about Tauri or terminals.
//!
//! - [`COMMANDS`]: the one list of command names; the Tauri handlers, the
//!   HTTP routes ([`web::dispatch`]) and the app's capability file are checked
//!   against it.
//! - [`error`]: the `{code, message}` error the UI branches on.

pub mod backup;
pub mod dto;
pub mod error;
pub mod web;

pub mod schedule;
pub mod settings;

mod browse;
mod demo;
mod export;
mod json_file;
pub mod mounts;
pub mod storages;
mod tasks;
mod trash;
#[cfg(test)]
mod ts_types;
mod versions;
mod wizard;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use fjordsync_engine::secrets::{FileStore, KeyringStore};
use fjordsync_engine::{ConfigDir, SecretStore, Session, session};
use tokio::sync::broadcast;

use crate::error::{AppError, AppResult};
use dto::{AppEvent, AppInfo, SecretKind};

pub use demo::{DEMO_STORAGE, DemoSignInDto};
pub use tasks::{AppShell, BAD_OUTCOMES, ProgressSink};

/// Every command the UI may call. The app's `build.rs` reads the same file
/// (a build script cannot import a crate) to generate its Tauri permissions.
pub const COMMANDS: &[&str] = include!("command_names.rs");

/// Opens URLs for the browser sign-in. The desktop app uses the opener
/// plugin; the bridge and tests substitute their own.
pub type UrlOpener = Arc<dyn Fn(&str) -> std::io::Result<()> + Send + Sync>;

/// Shared state of the app: the configuration, the secret store, open
/// sessions, the demo emulator and pending wizard sign-ins.
pub struct Api {
    config: ConfigDir,
    data_dir: PathBuf,
    secrets: RwLock<(SecretKind, Arc<dyn SecretStore>)>,
    sessions: Mutex<HashMap<String, Session>>,
    demo: tokio::sync::Mutex<Option<demo::Demo>>,
    wizard: wizard::Wizard,
    events: broadcast::Sender<AppEvent>,
    opener: RwLock<Option<UrlOpener>>,
    tasks: tasks::Tasks,
    backups: backup::Backups,
    mounts: mounts::keeping::Mounts,
    /// Serialises read-modify-write of `settings.json`.
    settings_file: tokio::sync::Mutex<()>,
    autostart: RwLock<Option<settings::AutostartHook>>,
    /// Cancelled at shutdown: stops the scheduler loop.
    stopping: tokio_util::sync::CancellationToken,
}

impl Api {
    /// The app over a configuration directory (shared with the CLI) and a
    /// data directory (the demo emulator's state). The secret store follows
    /// `FJORDSYNC_SECRET_STORE` exactly like the CLI: the keyring unless the
    /// user chose the file store.
    pub fn new(config: ConfigDir, data_dir: PathBuf) -> AppResult<Api> {
        let kind = match std::env::var(fjordsync_engine::secrets::SECRET_STORE_ENV).unwrap_or_default().trim() {
            "file" => SecretKind::File,
            "" | "keyring" => SecretKind::Keyring,
            other => return Err(AppError::invalid(format!("unknown FJORDSYNC_SECRET_STORE value {other:?}"))),
        };
        let store = make_store(&config, kind)?;
        let (events, _) = broadcast::channel(64);
        Ok(Api {
            config,
            data_dir,
            secrets: RwLock::new((kind, store)),
            sessions: Mutex::new(HashMap::new()),
            demo: tokio::sync::Mutex::new(None),
            wizard: wizard::Wizard::default(),
            events,
            opener: RwLock::new(None),
            tasks: tasks::Tasks::default(),
            backups: backup::Backups::default(),
            mounts: mounts::keeping::Mounts::default(),
            settings_file: tokio::sync::Mutex::new(()),
            autostart: RwLock::new(None),
            stopping: tokio_util::sync::CancellationToken::new(),
        })
    }

    /// The app from the environment: `FJORDSYNC_CONFIG_DIR` or the platform
    /// config folder, and the platform data folder (`~/.local/share/fjordsync`).
    pub fn from_env() -> AppResult<Api> {
        let config = ConfigDir::resolve(None)?;
        Api::new(config, data_dir_from_env()?)
    }

    /// Events for the UI (storage list changes, sign-in URLs).
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.events.subscribe()
    }

    /// Cancelled when the app shuts down (for loops that run alongside it).
    pub fn stopping(&self) -> tokio_util::sync::CancellationToken {
        self.stopping.clone()
    }

    /// Replaces how the browser sign-in opens URLs.
    pub fn set_opener(&self, opener: UrlOpener) {
        *self.opener.write().expect("opener lock") = Some(opener);
    }

    /// The event sender, for progress sinks that outlive a borrow of the Api.
    pub fn event_sender(&self) -> broadcast::Sender<AppEvent> {
        self.events.clone()
    }

    pub(crate) fn emit(&self, e: AppEvent) {
        let _ = self.events.send(e);
    }

    pub(crate) fn secrets(&self) -> Arc<dyn SecretStore> {
        self.secrets.read().expect("secrets lock").1.clone()
    }

    /// Facts for the UI's first screen.
    pub async fn app_info(&self) -> AppResult<AppInfo> {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            secret_store: self.secrets.read().expect("secrets lock").0,
            config_dir: self.config.path().display().to_string(),
        })
    }

    /// The user chose, after the keyring failed, to keep tokens in the
    /// documented 0600 file store for this run of the app. Never done
    /// without that explicit choice.
    pub async fn use_file_store(&self) -> AppResult<AppInfo> {
        let store = make_store(&self.config, SecretKind::File)?;
        *self.secrets.write().expect("secrets lock") = (SecretKind::File, store);
        self.sessions.lock().expect("sessions lock").clear();
        self.app_info().await
    }

    /// Fails early with `keyring_unavailable` when the secret store cannot be
    /// reached, before anything is created that would then be orphaned.
    pub(crate) fn probe_secrets(&self) -> AppResult<()> {
        self.secrets().get("fjordsync-probe").map(|_| ()).map_err(AppError::from)
    }

    /// A connected session for a storage, cached after the first open.
    pub(crate) async fn session(&self, name: &str) -> AppResult<Session> {
        if let Some(s) = self.sessions.lock().expect("sessions lock").get(name) {
            return Ok(s.clone());
        }
        if name == DEMO_STORAGE {
            self.ensure_demo_running().await?;
        }
        let config = self.config.clone();
        let secrets = self.secrets();
        let owned = name.to_string();
        // Keyring calls block (D-Bus round trips): keep them off the runtime.
        let s = tokio::task::spawn_blocking(move || session::open(&config, secrets, &owned))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))??;
        self.sessions.lock().expect("sessions lock").insert(name.to_string(), s.clone());
        Ok(s)
    }

    pub(crate) fn forget_session(&self, name: &str) {
        self.sessions.lock().expect("sessions lock").remove(name);
    }

    pub(crate) fn config(&self) -> &ConfigDir {
        &self.config
    }

    pub(crate) fn data_dir(&self) -> &PathBuf {
        &self.data_dir
    }

    pub(crate) fn opener(&self) -> Option<UrlOpener> {
        self.opener.read().expect("opener lock").clone()
    }

    /// Stops the scheduler (waiting, bounded, for kept mounts to unmount),
    /// asks running tasks to stop (they are recorded as cancelled) and
    /// stops the demo emulator (app exit).
    pub async fn shutdown(&self) {
        self.stopping.cancel();
        self.cancel_all_runs();
        // Mounts unmount (and finish their uploads unless hurried) first.
        self.scheduler_stopped().await;
        if let Some(d) = self.demo.lock().await.take() {
            d.emulator.shutdown().await;
        }
    }
}

/// The data folder (the demo emulator's state): `FJORDSYNC_DATA_DIR`, else
/// the platform's (`~/.local/share/fjordsync`). The app and `fjordsync
/// daemon` share it, so both find the same demo storage.
pub fn data_dir_from_env() -> AppResult<PathBuf> {
    match std::env::var_os("FJORDSYNC_DATA_DIR") {
        Some(d) if !d.is_empty() => Ok(PathBuf::from(d)),
        _ => Ok(dirs::data_dir()
            .ok_or_else(|| AppError::new("config", "no data folder found; set FJORDSYNC_DATA_DIR"))?
            .join("fjordsync")),
    }
}

fn make_store(config: &ConfigDir, kind: SecretKind) -> AppResult<Arc<dyn SecretStore>> {
    Ok(match kind {
        SecretKind::Keyring => Arc::new(KeyringStore::new(config)),
        SecretKind::File => Arc::new(FileStore::new(config)?),
    })
}
