//! Settings, Pause / Resume all and Sync all now.

use super::ApiState;
use fjordsync_api::error::AppResult;
use fjordsync_api::settings::{SettingsDto, StatusDto};

/// The stored settings.
#[tauri::command]
pub async fn get_settings(api: ApiState<'_>) -> AppResult<SettingsDto> {
    api.get_settings().await
}

/// Save the settings (start at login is applied).
#[tauri::command]
pub async fn save_settings(api: ApiState<'_>, settings: SettingsDto) -> AppResult<SettingsDto> {
    api.save_settings(settings).await
}

/// Paused or not, and what runs.
#[tauri::command]
pub async fn app_status(api: ApiState<'_>) -> AppResult<StatusDto> {
    api.app_status().await
}

/// Pause all scheduled runs.
#[tauri::command]
pub async fn pause_all(api: ApiState<'_>) -> AppResult<StatusDto> {
    api.pause_all().await
}

/// Resume scheduled runs.
#[tauri::command]
pub async fn resume_all(api: ApiState<'_>) -> AppResult<StatusDto> {
    api.resume_all().await
}

/// Start every task now; returns how many started.
#[tauri::command]
pub async fn sync_all_now(api: ApiState<'_>) -> AppResult<u32> {
    api.inner().sync_all_now().await
}
