//! Backup tasks: create the repository, run with a password, snapshots,
//! browse and restore, and the repository's maintenance.

use tauri::ipc::Channel;

use super::ApiState;
use fjordsync_api::backup::maintenance::{CheckDto, ForgetDto, PruneDto, RepoSizeDto};
use fjordsync_api::backup::{RestoreDto, SnapshotDiffDto, SnapshotDto, SnapshotEntryDto};
use fjordsync_api::dto::{RunDto, TaskDto, TaskProgressDto};
use fjordsync_api::error::AppResult;

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

/// What changed from one snapshot of a backup to another.
#[tauri::command]
pub async fn diff_snapshots(
    api: ApiState<'_>,
    task: String,
    from: String,
    to: String,
    password: Option<String>,
) -> AppResult<SnapshotDiffDto> {
    api.diff_snapshots(task, from, to, password).await
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

/// Restore a file or folder of a snapshot into a folder, with progress
/// (`cancel_task` stops it).
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn restore_snapshot(
    api: ApiState<'_>,
    task: String,
    snapshot: String,
    path: String,
    folder: String,
    overwrite: bool,
    password: Option<String>,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RestoreDto> {
    let sink = std::sync::Arc::new(move |p| drop(on_progress.send(p)));
    api.restore_snapshot(task, snapshot, path, folder, overwrite, password, sink).await
}

/// Check a backup's repository, reading back a share of its data, with
/// progress (`cancel_task` stops it).
#[tauri::command]
pub async fn check_backup(
    api: ApiState<'_>,
    task: String,
    read_data_percent: f64,
    password: Option<String>,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<CheckDto> {
    let sink = std::sync::Arc::new(move |p| drop(on_progress.send(p)));
    api.check_backup(task, read_data_percent, password, sink).await
}

/// Apply a backup's retention policy now (`dry_run`: only list what would go).
#[tauri::command]
pub async fn forget_snapshots(
    api: ApiState<'_>,
    task: String,
    dry_run: bool,
    password: Option<String>,
) -> AppResult<ForgetDto> {
    api.forget_snapshots(task, dry_run, password).await
}

/// Remove data no version of a backup needs.
#[tauri::command]
pub async fn prune_backup(api: ApiState<'_>, task: String, password: Option<String>) -> AppResult<PruneDto> {
    api.prune_backup(task, password).await
}

/// Replace a backup repository's password.
#[tauri::command]
pub async fn change_backup_password(
    api: ApiState<'_>,
    task: String,
    password: Option<String>,
    new_password: String,
) -> AppResult<()> {
    api.change_backup_password(task, password, new_password).await
}

/// How much a backup's repository stores.
#[tauri::command]
pub async fn backup_size(api: ApiState<'_>, task: String, password: Option<String>) -> AppResult<RepoSizeDto> {
    api.backup_size(task, password).await
}
