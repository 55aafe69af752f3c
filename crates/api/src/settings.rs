//! App settings, Pause / Resume all, and the log retention (applied by
//! the engine's scheduler, `tasks::scheduling`).
//!
//! Settings live in `settings.json` in the app's data folder, written
//! atomically. Pausing is a setting too, so it survives a
//! restart. Paused means the scheduler starts no runs; runs already going
//! finish (stopping them is one click on their card), and "Sync all now" or
//! "Run now" still work because the user asked for them explicitly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Api;
use super::dto::AppEvent;
use super::json_file;
use crate::error::{AppError, AppResult};

/// The languages the window, the tray and the notifications speak, by the
/// codes of the UI's dictionaries (`ui/src/lib/i18n`).
pub const LANGUAGES: [&str; 5] = ["en", "nb", "sv", "da", "fi"];

/// Turns "start at login" on or off (the autostart plugin in the window;
/// nothing in the bridge, which only stores the choice).
pub type AutostartHook = Arc<dyn Fn(bool) -> Result<(), String> + Send + Sync>;

/// Everything the settings screen edits, plus the paused flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsDto {
    /// Parallel file transfers per run (1 to 16).
    pub transfers: u32,
    /// Bandwidth limit in KiB/s for each run; 0 for none.
    pub bandwidth_kib: u64,
    /// Start Fjordsync (in the tray) when the user logs in.
    pub start_at_login: bool,
    /// `system`, `light` or `dark` (checked on save).
    #[cfg_attr(test, ts(type = r#""system" | "light" | "dark""#))]
    pub theme: String,
    /// Runs older than this many days leave the log (0 keeps them all).
    pub log_retention_days: u32,
    /// Desktop notifications for failed and long runs.
    pub notifications: bool,
    /// One of [`LANGUAGES`], or empty to follow the system (checked on save).
    #[cfg_attr(test, ts(type = r#""" | "en" | "nb" | "sv" | "da" | "fi""#))]
    pub language: String,
    /// The scheduler starts nothing (Pause all); changed only by pause/resume.
    pub paused: bool,
}

impl Default for SettingsDto {
    fn default() -> Self {
        SettingsDto {
            transfers: 4,
            bandwidth_kib: 0,
            start_at_login: false,
            theme: "system".into(),
            log_retention_days: 90,
            notifications: true,
            language: String::new(),
            paused: false,
        }
    }
}

impl SettingsDto {
    fn validate(&self) -> AppResult<()> {
        if !(1..=16).contains(&self.transfers) {
            return Err(AppError::invalid("parallel transfers must be 1 to 16"));
        }
        if !["system", "light", "dark"].contains(&self.theme.as_str()) {
            return Err(AppError::invalid(format!("unknown theme {:?}", self.theme)));
        }
        if !self.language.is_empty() && !LANGUAGES.contains(&self.language.as_str()) {
            return Err(AppError::invalid(format!("unknown language {:?}", self.language)));
        }
        if self.log_retention_days > 3650 {
            return Err(AppError::invalid("keep the log at most 3650 days"));
        }
        Ok(())
    }
}

/// Whether the scheduler may start runs, and what runs now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StatusDto {
    /// Pause all is on.
    pub paused: bool,
    /// Ids of the tasks running now.
    pub running: Vec<String>,
    /// Another program runs the schedules of this configuration (the
    /// daemon while the app is open, or the app while the daemon runs):
    /// how it names itself. `None`: this one does, or nobody.
    pub scheduled_by: Option<String>,
}

pub(crate) fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// The stored settings; defaults when there is no file yet.
pub(crate) fn read_settings(path: &Path) -> AppResult<SettingsDto> {
    json_file::read_or(path, SettingsDto::default)
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Api {
    /// The settings as stored.
    pub async fn get_settings(&self) -> AppResult<SettingsDto> {
        let _g = self.settings_file.lock().await;
        read_settings(&settings_path(self.data_dir()))
    }

    /// Saves the settings (the paused flag is kept: Pause / Resume own it)
    /// and applies "start at login" when it changed.
    pub async fn save_settings(&self, settings: SettingsDto) -> AppResult<SettingsDto> {
        settings.validate()?;
        let saved = {
            let _g = self.settings_file.lock().await;
            let path = settings_path(self.data_dir());
            let old = read_settings(&path)?;
            if old.start_at_login != settings.start_at_login
                && let Some(hook) = self.autostart.read().expect("autostart lock").clone()
            {
                hook(settings.start_at_login).map_err(|e| AppError::new("autostart", e))?;
            }
            let new = SettingsDto { paused: old.paused, ..settings };
            json_file::write_json(&path, &new)?;
            new
        };
        self.emit(AppEvent::SettingsChanged);
        Ok(saved)
    }

    /// Replaces how "start at login" is applied.
    pub fn set_autostart(&self, hook: AutostartHook) {
        *self.autostart.write().expect("autostart lock") = Some(hook);
    }

    async fn set_paused(&self, paused: bool) -> AppResult<StatusDto> {
        {
            let _g = self.settings_file.lock().await;
            let path = settings_path(self.data_dir());
            let mut s = read_settings(&path)?;
            if s.paused != paused {
                s.paused = paused;
                json_file::write_json(&path, &s)?;
            }
        }
        self.emit(AppEvent::StatusChanged { paused });
        self.poke_scheduler();
        self.app_status().await
    }

    /// Pause all: the scheduler starts no runs until Resume (running ones finish).
    pub async fn pause_all(&self) -> AppResult<StatusDto> {
        self.set_paused(true).await
    }

    /// Resume all: schedules run again (missed ones catch up once).
    pub async fn resume_all(&self) -> AppResult<StatusDto> {
        self.set_paused(false).await
    }

    /// Paused or not, and what runs.
    pub async fn app_status(&self) -> AppResult<StatusDto> {
        let paused = self.get_settings().await?.paused;
        let mut running = self.running_tasks().await?;
        running.sort();
        Ok(StatusDto { paused, running, scheduled_by: self.scheduled_elsewhere() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(dir: &Path) -> Api {
        let config = fjordsync_engine::ConfigDir::at(dir.join("config")).unwrap();
        Api::new(config, dir.join("data")).unwrap()
    }

    #[tokio::test]
    async fn settings_persist_atomically_and_keep_paused() {
        let dir = tempfile::tempdir().unwrap();
        let a = api(dir.path());
        assert_eq!(a.get_settings().await.unwrap(), SettingsDto::default());
        a.pause_all().await.unwrap();
        let want = SettingsDto {
            transfers: 8,
            bandwidth_kib: 512,
            theme: "dark".into(),
            language: "nb".into(),
            notifications: false,
            log_retention_days: 30,
            ..SettingsDto::default()
        };
        let saved = a.save_settings(want.clone()).await.unwrap();
        assert!(saved.paused, "saving settings does not resume");
        // A new Api over the same folder (an app restart) reads the same.
        let b = api(dir.path());
        assert_eq!(b.get_settings().await.unwrap(), SettingsDto { paused: true, ..want });
        assert!(b.app_status().await.unwrap().paused);
        b.resume_all().await.unwrap();
        assert!(!api(dir.path()).get_settings().await.unwrap().paused);
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("data")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("settings.json")], "no temp file left");
        let bad = SettingsDto { transfers: 0, ..SettingsDto::default() };
        assert_eq!(b.save_settings(bad).await.unwrap_err().code, "invalid");
        let bad = SettingsDto { theme: "pink".into(), ..SettingsDto::default() };
        assert_eq!(b.save_settings(bad).await.unwrap_err().code, "invalid");
        for language in ["sv", "da", "fi", ""] {
            let s = SettingsDto { language: language.into(), ..SettingsDto::default() };
            assert_eq!(b.save_settings(s).await.unwrap().language, language);
        }
        let bad = SettingsDto { language: "de".into(), ..SettingsDto::default() };
        assert_eq!(b.save_settings(bad).await.unwrap_err().code, "invalid");
    }

    #[tokio::test]
    async fn start_at_login_goes_through_the_hook_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let a = api(dir.path());
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        a.set_autostart(Arc::new(move |on| {
            s.lock().unwrap().push(on);
            Ok(())
        }));
        a.save_settings(SettingsDto { start_at_login: true, ..SettingsDto::default() }).await.unwrap();
        a.save_settings(SettingsDto { start_at_login: true, transfers: 2, ..SettingsDto::default() }).await.unwrap();
        a.save_settings(SettingsDto::default()).await.unwrap();
        assert_eq!(*seen.lock().unwrap(), vec![true, false]);
    }

    #[test]
    fn old_files_get_defaults_for_new_fields() {
        let s: SettingsDto = serde_json::from_str(r#"{"transfers": 2}"#).unwrap();
        assert_eq!(s, SettingsDto { transfers: 2, ..SettingsDto::default() });
    }
}
