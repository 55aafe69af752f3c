//! The add-storage wizard.

use super::ApiState;
use fjordsync_api::dto::{StorageDto, WizardAccountDto};
use fjordsync_api::error::AppResult;

/// Sign in with a personal login token.
#[tauri::command]
pub async fn wizard_login_token(
    api: ApiState<'_>,
    service: String,
    login_token: String,
    endpoint: Option<String>,
) -> AppResult<WizardAccountDto> {
    api.wizard_login_token(service, login_token, endpoint).await
}

/// Sign in with username and password (legacy services); `code` is the SMS
/// code, on the second call when the first failed with `otp_required`.
#[tauri::command]
pub async fn wizard_legacy(
    api: ApiState<'_>,
    service: String,
    username: String,
    password: String,
    code: Option<String>,
    endpoint: Option<String>,
) -> AppResult<WizardAccountDto> {
    api.wizard_legacy(service, username, password, code, endpoint).await
}

/// Sign in through the system browser; returns when the browser comes back.
#[tauri::command]
pub async fn wizard_browser(
    api: ApiState<'_>,
    service: String,
    endpoint: Option<String>,
) -> AppResult<WizardAccountDto> {
    api.wizard_browser(service, endpoint).await
}

/// Stop waiting for the browser.
#[tauri::command]
pub async fn wizard_cancel(api: ApiState<'_>) -> AppResult<()> {
    api.wizard_cancel().await
}

/// Save the storage.
#[tauri::command]
pub async fn wizard_save(
    api: ApiState<'_>,
    pending_id: String,
    name: String,
    device: String,
    mountpoint: String,
    create: bool,
) -> AppResult<StorageDto> {
    api.wizard_save(pending_id, name, device, mountpoint, create).await
}

/// Sign a storage in again with a new personal login token.
#[tauri::command]
pub async fn reconnect_login_token(api: ApiState<'_>, storage: String, login_token: String) -> AppResult<StorageDto> {
    api.reconnect_login_token(storage, login_token).await
}

/// Sign a storage in again through the browser.
#[tauri::command]
pub async fn reconnect_browser(api: ApiState<'_>, storage: String) -> AppResult<StorageDto> {
    api.reconnect_browser(storage).await
}
