//! App-wide commands.

use super::ApiState;
use fjordsync_api::dto::AppInfo;
use fjordsync_api::error::AppResult;

/// Version and where tokens are kept.
#[tauri::command]
pub async fn app_info(api: ApiState<'_>) -> AppResult<AppInfo> {
    api.app_info().await
}

/// Keep tokens in the documented file store for this run (explicit choice
/// after the keyring failed).
#[tauri::command]
pub async fn use_file_store(api: ApiState<'_>) -> AppResult<AppInfo> {
    api.use_file_store().await
}
