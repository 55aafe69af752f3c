//! Backup tasks: create the repository, run with a password, snapshots,
//! browse and restore.

use tauri::ipc::Channel;

use super::ApiState;
use crate::api::backup::{RestoreDto, SnapshotDto, SnapshotEntryDto};
use crate::api::dto::{RunDto, TaskDto, TaskProgressDto};
use crate::error::AppResult;

/// Create (or, with `create` false, connect to) the repository of a new backup task and save it.
#[tauri::command]
pub async fn create_backup(api: ApiState<'_>, task: TaskDto, password: String, create: bool) -> AppResult<TaskDto> {
    api.create_backup(task, password, create).await
}

/// Run a backup task, with its password when it is not stored.
#[tauri::command]
pub async fn run_backup(
    api: ApiState<'_>,
    id: String,
    password: Option<String>,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.run_backup(id, password, std::sync::Arc::new(move |p| drop(on_progress.send(p)))).await
}

/// The snapshots of a backup task's repository, newest first.
#[tauri::command]
pub async fn list_snapshots(api: ApiState<'_>, task: String, password: Option<String>) -> AppResult<Vec<SnapshotDto>> {
    api.list_snapshots(task, password).await
}

/// One folder of a snapshot.
#[tauri::command]
pub async fn snapshot_folder(
    api: ApiState<'_>,
    task: String,
    snapshot: String,
    path: String,
    password: Option<String>,
) -> AppResult<Vec<SnapshotEntryDto>> {
    api.snapshot_folder(task, snapshot, path, password).await
}

/// Restore a file or folder of a snapshot into a folder.
#[tauri::command]
pub async fn restore_snapshot(
    api: ApiState<'_>,
    task: String,
    snapshot: String,
    path: String,
    folder: String,
    overwrite: bool,
    password: Option<String>,
) -> AppResult<RestoreDto> {
    api.restore_snapshot(task, snapshot, path, folder, overwrite, password).await
}
