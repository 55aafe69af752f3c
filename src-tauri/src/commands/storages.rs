//! The storage list, quota, services and the demo.

use super::ApiState;
use fjordsync_api::DemoSignInDto;
use fjordsync_api::dto::{QuotaDto, ServiceDto, StorageDto};
use fjordsync_api::error::AppResult;

/// Every configured storage.
#[tauri::command]
pub async fn list_storages(api: ApiState<'_>) -> AppResult<Vec<StorageDto>> {
    api.list_storages().await
}

/// Jottacloud and its white-label brands.
#[tauri::command]
pub async fn list_services(api: ApiState<'_>) -> AppResult<Vec<ServiceDto>> {
    api.list_services().await
}

/// Quota and usage per device.
#[tauri::command]
pub async fn storage_quota(api: ApiState<'_>, storage: String) -> AppResult<QuotaDto> {
    api.storage_quota(storage).await
}

/// Forget a storage (settings and token; files stay on the service).
#[tauri::command]
pub async fn remove_storage(api: ApiState<'_>, storage: String) -> AppResult<()> {
    api.remove_storage(storage).await
}

/// "Try with demo storage".
#[tauri::command]
pub async fn start_demo(api: ApiState<'_>) -> AppResult<StorageDto> {
    api.start_demo().await
}

/// The demo's address and sign-in details, for the add-storage wizard.
#[tauri::command]
pub async fn demo_sign_in(api: ApiState<'_>) -> AppResult<DemoSignInDto> {
    api.demo_sign_in().await
}
