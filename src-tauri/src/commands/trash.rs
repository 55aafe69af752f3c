//! The trash.

use super::ApiState;
use fjordsync_api::dto::{PurgeDto, TrashItemDto};
use fjordsync_api::error::AppResult;

/// Trashed items of the storage's account.
#[tauri::command]
pub async fn list_trash(api: ApiState<'_>, storage: String) -> AppResult<Vec<TrashItemDto>> {
    api.list_trash(storage).await
}

/// Restore to the original place.
#[tauri::command]
pub async fn restore_trash_item(api: ApiState<'_>, storage: String, path: Vec<String>) -> AppResult<()> {
    api.restore_trash_item(storage, path).await
}

/// Delete one item for good.
#[tauri::command]
pub async fn delete_trash_item(api: ApiState<'_>, storage: String, path: Vec<String>, folder: bool) -> AppResult<()> {
    api.delete_trash_item(storage, path, folder).await
}

/// Empty the trash for good.
#[tauri::command]
pub async fn empty_trash(api: ApiState<'_>, storage: String) -> AppResult<PurgeDto> {
    api.empty_trash(storage).await
}
