//! The storage browser.

use super::ApiState;
use fjordsync_api::dto::{EntryDto, ListingDto, RevisionDto, ShareDto};
use fjordsync_api::error::AppResult;

/// A folder's contents.
#[tauri::command]
pub async fn list_folder(api: ApiState<'_>, storage: String, path: Vec<String>) -> AppResult<ListingDto> {
    api.list_folder(storage, path).await
}

/// New folder.
#[tauri::command]
pub async fn create_folder(
    api: ApiState<'_>,
    storage: String,
    parent: Vec<String>,
    name: String,
) -> AppResult<Vec<String>> {
    api.create_folder(storage, parent, name).await
}

/// Rename or move.
#[tauri::command]
pub async fn move_item(
    api: ApiState<'_>,
    storage: String,
    path: Vec<String>,
    to_parent: Vec<String>,
    new_name: String,
) -> AppResult<Vec<String>> {
    api.move_item(storage, path, to_parent, new_name).await
}

/// Delete to the trash.
#[tauri::command]
pub async fn delete_item(api: ApiState<'_>, storage: String, path: Vec<String>) -> AppResult<()> {
    api.delete_item(storage, path).await
}

/// Download a file into a local folder.
#[tauri::command]
pub async fn download(api: ApiState<'_>, storage: String, path: Vec<String>, folder: String) -> AppResult<String> {
    api.download(storage, path, folder).await
}

/// A file's versions, newest first.
#[tauri::command]
pub async fn list_revisions(api: ApiState<'_>, storage: String, path: Vec<String>) -> AppResult<Vec<RevisionDto>> {
    api.list_revisions(storage, path).await
}

/// Download one version of a file into a local folder.
#[tauri::command]
pub async fn download_revision(
    api: ApiState<'_>,
    storage: String,
    path: Vec<String>,
    number: u32,
    folder: String,
) -> AppResult<String> {
    api.download_revision(storage, path, number, folder).await
}

/// Make an old version the current one.
#[tauri::command]
pub async fn restore_revision(
    api: ApiState<'_>,
    storage: String,
    path: Vec<String>,
    number: u32,
) -> AppResult<EntryDto> {
    api.restore_revision(storage, path, number).await
}

/// Share link on or off.
#[tauri::command]
pub async fn set_share(api: ApiState<'_>, storage: String, path: Vec<String>, on: bool) -> AppResult<Option<ShareDto>> {
    api.set_share(storage, path, on).await
}
