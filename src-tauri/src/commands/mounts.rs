//! Mounts: storage folders kept available as a local folder or in the
//! file manager.

use super::ApiState;
use fjordsync_api::dto::{MountDto, MountFormDto};
use fjordsync_api::error::AppResult;
use fjordsync_api::mounts::quit::QuitWhen;

/// The mounts, with what each is doing.
#[tauri::command]
pub async fn list_mounts(api: ApiState<'_>) -> AppResult<Vec<MountDto>> {
    api.list_mounts().await
}

/// Add (empty id) or change a mount.
#[tauri::command]
pub async fn save_mount(api: ApiState<'_>, mount: MountFormDto) -> AppResult<MountDto> {
    api.save_mount(mount).await
}

/// Remove a mount (its pending uploads finish first).
#[tauri::command]
pub async fn delete_mount(api: ApiState<'_>, id: String) -> AppResult<()> {
    api.delete_mount(id).await
}

/// Mount or unmount.
#[tauri::command]
pub async fn set_mounted(api: ApiState<'_>, id: String, on: bool) -> AppResult<MountDto> {
    api.set_mounted(id, on).await
}

/// Open a mounted folder in the file manager.
#[tauri::command]
pub async fn open_mount(api: ApiState<'_>, id: String) -> AppResult<()> {
    api.open_mount(id).await
}

/// Files written into mounts and not yet uploaded.
#[tauri::command]
pub async fn pending_mount_uploads(api: ApiState<'_>) -> AppResult<u32> {
    api.pending_mount_uploads().await
}

/// The answer to "files are still uploading" when quitting.
#[tauri::command]
pub async fn quit_app(api: ApiState<'_>, when: QuitWhen) -> AppResult<()> {
    api.inner().quit_app(when).await
}
