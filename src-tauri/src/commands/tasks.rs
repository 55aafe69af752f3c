//! Tasks, their preview, runs with live progress over a channel, and the log.

use std::sync::Arc;

use tauri::ipc::Channel;

use super::ApiState;
use fjordsync_api::dto::{
    ConflictDto, FileRowDto, KeptAsideDto, PreviewDto, Resolution, RunDto, TaskDto, TaskProgressDto,
};
use fjordsync_api::error::AppResult;

/// Saved tasks.
#[tauri::command]
pub async fn list_tasks(api: ApiState<'_>) -> AppResult<Vec<TaskDto>> {
    api.list_tasks().await
}

/// Create or update a task. `create_local`: check the local folder (the
/// task form does), and make it when true.
#[tauri::command]
pub async fn save_task(api: ApiState<'_>, task: TaskDto, create_local: Option<bool>) -> AppResult<TaskDto> {
    api.save_task_with(task, create_local).await
}

/// Forget a task.
#[tauri::command]
pub async fn delete_task(api: ApiState<'_>, id: String) -> AppResult<()> {
    api.delete_task(id).await
}

/// The plan of a task (a dry run).
#[tauri::command]
pub async fn preview_task(api: ApiState<'_>, id: String) -> AppResult<PreviewDto> {
    api.preview_task(id).await
}

/// Run a task; progress goes to `on_progress`. `allow_deletes`: the user
/// chose "delete anyway" after the delete guard refused.
#[tauri::command]
pub async fn run_task(
    api: ApiState<'_>,
    id: String,
    allow_deletes: Option<bool>,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.run_task_with(id, allow_deletes.unwrap_or(false), sink(on_progress)).await
}

/// A two-way sync task's open conflicts.
#[tauri::command]
pub async fn list_conflicts(api: ApiState<'_>, id: String) -> AppResult<Vec<ConflictDto>> {
    api.list_conflicts(id).await
}

/// A two-way sync task's files kept aside after errors.
#[tauri::command]
pub async fn list_kept_aside(api: ApiState<'_>, id: String) -> AppResult<Vec<KeptAsideDto>> {
    api.list_kept_aside(id).await
}

/// Try a two-way sync task's kept-aside files again now: they leave the
/// list and the task runs; its progress goes to `on_progress`.
#[tauri::command]
pub async fn retry_kept_aside(
    api: ApiState<'_>,
    id: String,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.retry_kept_aside(id, sink(on_progress)).await
}

/// Resolve a conflict (keep mine / theirs / both), then run the task so the
/// storage follows; its progress goes to `on_progress`.
#[tauri::command]
pub async fn resolve_conflict(
    api: ApiState<'_>,
    id: String,
    conflict: i64,
    resolution: Resolution,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.resolve_conflict(id, conflict, resolution, sink(on_progress)).await
}

fn sink(channel: Channel<TaskProgressDto>) -> fjordsync_api::ProgressSink {
    Arc::new(move |p| drop(channel.send(p)))
}

/// Stop a running task.
#[tauri::command]
pub async fn cancel_task(api: ApiState<'_>, id: String) -> AppResult<bool> {
    api.cancel_task(id).await
}

/// Tasks running now.
#[tauri::command]
pub async fn running_tasks(api: ApiState<'_>) -> AppResult<Vec<String>> {
    api.running_tasks().await
}

/// A task's runs.
#[tauri::command]
pub async fn list_runs(api: ApiState<'_>, task: String) -> AppResult<Vec<RunDto>> {
    api.list_runs(task).await
}

/// A run's file rows, filtered.
#[tauri::command]
pub async fn run_files(
    api: ApiState<'_>,
    run: i64,
    result: Option<String>,
    text: Option<String>,
) -> AppResult<Vec<FileRowDto>> {
    api.run_files(run, result, text).await
}

/// Undo a run; progress goes to `on_progress`.
#[tauri::command]
pub async fn undo_run(
    api: ApiState<'_>,
    task: String,
    run: i64,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.undo_run(task, run, sink(on_progress)).await
}

/// Retry a run's failed files; progress goes to `on_progress`.
#[tauri::command]
pub async fn retry_run(
    api: ApiState<'_>,
    task: String,
    run: i64,
    on_progress: Channel<TaskProgressDto>,
) -> AppResult<RunDto> {
    api.retry_run(task, run, sink(on_progress)).await
}

/// Write a run's export (CSV or JSON) to the path picked in the save dialog.
#[tauri::command]
pub async fn export_run(api: ApiState<'_>, run: i64, format: String, path: String) -> AppResult<String> {
    api.export_run(run, format, path).await
}

/// A run's export as text (the browser downloads it).
#[tauri::command]
pub async fn export_run_text(api: ApiState<'_>, run: i64, format: String) -> AppResult<String> {
    api.export_run_text(run, format).await
}

/// Is my data safe? Per task: last success, failures since.
#[tauri::command]
pub async fn overview(api: ApiState<'_>) -> AppResult<Vec<fjordsync_api::dto::OverviewTaskDto>> {
    api.overview().await
}
