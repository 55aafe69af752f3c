//! Backup tasks: a task of kind `backup` backs up local folders into an
//! encrypted repository (`engine::backup::Repo`) on a storage folder or a
//! local folder, on the same task list, schedule, overview, notifications
//! and progress channel as sync tasks.
//!
//! The password goes to the secret store (`backup-password-<task id>`)
//! unless the user declines; then the UI asks for it and the opened
//! repository is kept in memory until the app quits (scheduled runs of such
//! a task fail with `password_required` until it has been given once).
//! Each run goes through the engine's `backup::LoggedBackup`, as a CLI or
//! scheduled backup does: a run of kind `backup` with its own result (new /
//! changed / unmodified files, bytes added, snapshot), then the retention
//! policy, with prune. `RunDto` shows that result in the counters every run
//! has (`uploaded` = new files, `updated` = changed, `unchanged` =
//! unmodified, `bytes` = bytes added after compression).

pub mod maintenance;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fjordsync_engine::backup::{
    BackupError, BackupEvent, BackupOptions, Change, EntryKind, LoggedBackup, RETENTION_ACTION, Repo, RepoLocation,
    RepoOptions, RestoreOptions, RetentionPolicy, SnapshotInfo,
};
use fjordsync_engine::events::Counters;
use fjordsync_engine::state::{BackupResult, EventFilter, RunRecord, StateDb};
use fjordsync_engine::tasks::lock::Hold as Holding;
use fjordsync_engine::{FilterOptions, Location, TaskKind, TaskOptions, TaskSpec};
use serde::{Deserialize, Serialize};

use super::Api;
use super::dto::{RunDto, TaskDto, TaskProgressDto};
use super::tasks::ProgressSink;
use crate::error::{AppError, AppResult};

/// What a backup task backs up, where, and what it keeps.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct BackupDto {
    /// Full paths of the folders (or files) to back up.
    pub folders: Vec<String>,
    /// A local folder for the repository; `None`: the task's storage and
    /// remote path.
    pub repo_local: Option<String>,
    /// What to keep after each run (empty: keep everything).
    pub retention: RetentionDto,
    /// The password is in the secret store (false: asked for).
    pub remember_password: bool,
    /// Only files at least this many bytes large (with the task's include
    /// and exclude globs, the filters sync tasks have).
    pub min_size: Option<u64>,
    /// Only files at most this many bytes large.
    pub max_size: Option<u64>,
    /// Only files last modified at least this many seconds ago.
    pub min_age_secs: Option<u64>,
    /// Only files last modified at most this many seconds ago.
    pub max_age_secs: Option<u64>,
}

/// Keep rules, as restic's `forget --keep-*`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct RetentionDto {
    pub keep_last: Option<u32>,
    pub keep_hourly: Option<u32>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_yearly: Option<u32>,
}

impl RetentionDto {
    pub(crate) fn policy(&self) -> RetentionPolicy {
        let z = |v: Option<u32>| v.filter(|n| *n > 0);
        RetentionPolicy {
            keep_last: z(self.keep_last),
            keep_hourly: z(self.keep_hourly),
            keep_daily: z(self.keep_daily),
            keep_weekly: z(self.keep_weekly),
            keep_monthly: z(self.keep_monthly),
            keep_yearly: z(self.keep_yearly),
        }
    }
}

/// One snapshot in the list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDto {
    pub id: String,
    pub short_id: String,
    /// Unix ms.
    pub time_ms: i64,
    pub host: String,
    pub paths: Vec<String>,
    pub files: Option<u64>,
    pub size: Option<u64>,
}

impl From<&SnapshotInfo> for SnapshotDto {
    fn from(s: &SnapshotInfo) -> Self {
        SnapshotDto {
            id: s.id.clone(),
            short_id: s.short_id.clone(),
            time_ms: time_ms(&s.time),
            host: s.host.clone(),
            paths: s.paths.clone(),
            files: s.files,
            size: s.size,
        }
    }
}

/// One entry of a snapshot folder.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotEntryDto {
    /// Full path inside the snapshot (`/home/me/Photos/a.jpg`).
    pub path: String,
    pub name: String,
    pub folder: bool,
    pub size: u64,
    pub modified: Option<String>,
}

/// What changed from one snapshot to another: counts, and the first
/// [`DIFF_SHOWN`] changes in path order (a diff can list millions).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SnapshotDiffDto {
    pub added: u64,
    pub removed: u64,
    pub modified: u64,
    pub items: Vec<DiffLineDto>,
}

/// One changed path.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DiffLineDto {
    /// `added`, `removed` or `modified`.
    pub change: Change,
    pub path: String,
    pub folder: bool,
}

/// How many changed paths a diff sends to the UI.
pub const DIFF_SHOWN: usize = 500;

/// What a restore did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RestoreDto {
    /// Where it went.
    pub target: String,
    pub files_restored: u64,
    pub files_unchanged: u64,
    pub files_replaced: u64,
    pub bytes: u64,
}

/// Repositories opened in this run of the app, by task id.
#[derive(Default)]
pub(crate) struct Backups {
    repos: Mutex<HashMap<String, Repo>>,
}

pub(crate) fn secret_key(task: &str) -> String {
    format!("backup-password-{task}")
}

/// Where the app kept a task's password when its ids were `t3`: read if the
/// move to [`secret_key`] did not happen (the store was locked then).
pub(crate) fn legacy_secret_key(task: &str) -> String {
    format!("backup-password-t{task}")
}

/// The engine's error as the UI's `{code, message}`.
pub(crate) fn backup_err(e: BackupError) -> AppError {
    let code = match &e {
        BackupError::WrongPassword(_) => "wrong_password",
        BackupError::NotARepository(_) => "not_a_repository",
        BackupError::AlreadyExists(_) => "already_exists",
        BackupError::SnapshotNotFound(_) | BackupError::PathNotFound { .. } => "not_found",
        BackupError::WouldOverwrite(_) => "would_overwrite",
        BackupError::Cancelled => "cancelled",
        BackupError::Invalid(_) => "invalid",
        BackupError::CheckFailed(_) => "check_failed",
        BackupError::VerifyFailed(_) => "verify_failed",
        _ => "backup",
    };
    AppError::new(code, e.to_string())
}

pub(crate) fn backup_of(t: &TaskDto) -> AppResult<&BackupDto> {
    t.backup.as_ref().ok_or_else(|| AppError::invalid("a backup task needs its folders and repository"))
}

/// Checks a backup task and makes the spec its runs are logged under
/// (source: the first folder; destination: the repository).
pub(crate) fn spec_of(t: &TaskDto) -> AppResult<TaskSpec> {
    let b = backup_of(t)?;
    let folders = folders_of(b)?;
    options_of(t)?;
    let destination = match b.repo_local.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(local) => {
            let p = PathBuf::from(local);
            if !p.is_absolute() {
                return Err(AppError::invalid("the repository folder must be a full path"));
            }
            Location::Local { path: p }
        }
        None => {
            if t.storage.trim().is_empty() {
                return Err(AppError::invalid("choose a storage"));
            }
            let path = t.remote.trim().trim_matches('/').to_string();
            if path.is_empty() {
                return Err(AppError::invalid("give the repository its own folder, e.g. Backup"));
            }
            Location::Remote { remote: t.storage.clone(), path }
        }
    };
    let source = Location::Local { path: folders[0].clone() };
    Ok(TaskSpec { kind: TaskKind::Copy, source, destination, options: TaskOptions::default() })
}

/// The engine's backup job for a task: what its runs are recorded as (its
/// folders and repository), with its filters and retention.
pub(crate) fn job_of(t: &TaskDto) -> AppResult<fjordsync_engine::tasks::Backup> {
    let b = backup_of(t)?;
    Ok(fjordsync_engine::tasks::Backup {
        folders: folders_of(b)?,
        repository: spec_of(t)?.destination,
        filters: options_of(t)?.filters,
        retention: b.retention.policy(),
        remember_password: b.remember_password,
        password_file: None,
    })
}

fn folders_of(b: &BackupDto) -> AppResult<Vec<PathBuf>> {
    let folders: Vec<PathBuf> =
        b.folders.iter().map(|f| f.trim()).filter(|f| !f.is_empty()).map(PathBuf::from).collect();
    if folders.is_empty() {
        return Err(AppError::invalid("choose at least one folder to back up"));
    }
    if folders.iter().any(|f| !f.is_absolute()) {
        return Err(AppError::invalid("folders to back up must be full paths"));
    }
    Ok(folders)
}

/// The task's filters as the engine's backup options: the include and
/// exclude globs (as typed for sync tasks), the size and age limits.
pub(crate) fn options_of(t: &TaskDto) -> AppResult<BackupOptions> {
    let b = backup_of(t)?;
    let reversed = |lo: Option<u64>, hi: Option<u64>| lo.zip(hi).is_some_and(|(lo, hi)| lo > hi);
    if reversed(b.min_size, b.max_size) {
        return Err(AppError::invalid("the smallest size is larger than the largest"));
    }
    if reversed(b.min_age_secs, b.max_age_secs) {
        return Err(AppError::invalid("the least age is more than the most age"));
    }
    let filters = FilterOptions {
        min_size: b.min_size,
        max_size: b.max_size,
        min_age_secs: b.min_age_secs,
        max_age_secs: b.max_age_secs,
        ..super::tasks::filters_of(t)
    };
    Ok(BackupOptions { filters, ..Default::default() })
}

/// A backup run's result as the counters the UI shows for every run
/// (the log keeps the backup's own counters; this is only the DTO's shape).
pub(crate) fn counters_of(b: &BackupResult) -> Counters {
    Counters {
        uploaded: b.files_new,
        updated: b.files_changed,
        unchanged: b.files_unmodified,
        bytes: b.bytes_stored,
        ..Counters::default()
    }
}

/// rustic's phases as the task progress the UI already shows: the phase
/// title is the "file in flight"; a phase shows as soon as it starts, with
/// nothing done yet. `started`: when the phase began (the rate counts from there).
pub(crate) fn progress_of(e: &BackupEvent, started: Instant) -> Option<TaskProgressDto> {
    let (title, done, total, bytes) = match e {
        BackupEvent::Phase { title, bytes } => (title, &0, &None, bytes),
        BackupEvent::Progress { title, done, total, bytes } => (title, done, total, bytes),
        BackupEvent::PhaseDone { .. } => return None,
    };
    let total = total.unwrap_or(0);
    let (bytes_done, bytes_total, files_done, files_total) =
        if *bytes { (*done, total, 0, 0) } else { (0, 0, *done, total) };
    let secs = started.elapsed().as_secs().max(1);
    let rate = if *bytes { bytes_done / secs } else { 0 };
    let eta = (*bytes && rate > 0 && bytes_total > bytes_done).then(|| (bytes_total - bytes_done) / rate);
    Some(TaskProgressDto::Progress {
        bytes_done,
        bytes_total,
        files_done,
        files_total,
        rate,
        eta,
        current: vec![title.trim_end_matches('.').trim().to_string()],
        failed: 0,
    })
}

fn title_of(e: &BackupEvent) -> &str {
    match e {
        BackupEvent::Phase { title, .. }
        | BackupEvent::Progress { title, .. }
        | BackupEvent::PhaseDone { title, .. } => title,
    }
}

/// An engine progress sink that sends [`progress_of`] each event to `out`,
/// timing each phase from its first event. Whatever phases the engine has
/// (backing up, restoring, verifying...) show under their own titles.
pub(crate) fn phase_sink(out: ProgressSink) -> fjordsync_engine::backup::ProgressSink {
    let phase: Mutex<(String, Instant)> = Mutex::new((String::new(), Instant::now()));
    Arc::new(move |e| {
        let started = {
            let mut p = phase.lock().unwrap_or_else(|p| p.into_inner());
            if p.0 != title_of(&e) {
                *p = (title_of(&e).to_string(), Instant::now());
            }
            p.1
        };
        if let Some(p) = progress_of(&e, started) {
            out(p)
        }
    })
}

/// Why a good backup run's retention failed, from its log (`None` for
/// other runs, and when it did not).
pub(crate) fn warning_of(db: &StateDb, rec: &RunRecord) -> Option<String> {
    if rec.kind != "backup" || rec.outcome != "ok" {
        return None;
    }
    let failed = EventFilter { result: Some("failed".into()), grep: None };
    match db.events(rec.id, &failed) {
        Ok(rows) => rows.into_iter().find(|e| e.action == RETENTION_ACTION).and_then(|e| e.error),
        Err(e) => {
            tracing::warn!("run {}: reading its log: {e}", rec.id);
            None
        }
    }
}

/// A snapshot's time (RFC 3339, as the engine gives it) in Unix ms; 0 when unreadable.
fn time_ms(time: &str) -> i64 {
    time.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or(0)
}

impl Api {
    fn backup_location(&self, t: &TaskDto, session: Option<fjordsync_engine::Session>) -> AppResult<RepoLocation> {
        Ok(match spec_of(t)?.destination {
            Location::Local { path } => RepoLocation::Local(path),
            Location::Remote { path, .. } => RepoLocation::Remote {
                session: Box::new(session.ok_or_else(|| AppError::new("internal", "no session"))?),
                path,
            },
        })
    }

    async fn repo_location(&self, t: &TaskDto) -> AppResult<(RepoLocation, RepoOptions)> {
        let remote = backup_of(t)?.repo_local.as_deref().is_none_or(|s| s.trim().is_empty());
        let session = if remote { Some(self.session(&t.storage).await?) } else { None };
        let opts = RepoOptions { cache_dir: Some(self.data_dir().join("backup-cache")), no_cache: !remote };
        Ok((self.backup_location(t, session)?, opts))
    }

    /// Creates the repository of a new backup task (or, with `create`
    /// false, opens an existing one to check the password), then saves the
    /// task and, if the user agreed, the password in the secret store.
    pub async fn create_backup(&self, task: TaskDto, password: String, create: bool) -> AppResult<TaskDto> {
        let mut task = task;
        task.kind = "backup".into();
        task.direction = "upload".into();
        spec_of(&task)?;
        if password.is_empty() {
            return Err(AppError::invalid("give the repository a password"));
        }
        let remember = backup_of(&task)?.remember_password;
        if remember {
            self.probe_secrets()?;
        }
        let (location, opts) = self.repo_location(&task).await?;
        let repo = if create {
            Repo::init(&location, &password, &opts).await
        } else {
            Repo::open(&location, &password, &opts).await
        }
        .map_err(backup_err)?;
        let saved = self.save_task(task).await?;
        if remember {
            let (store, key, pw) = (self.secrets(), secret_key(&saved.id), password.clone());
            tokio::task::spawn_blocking(move || store.set(&key, &pw))
                .await
                .map_err(|e| AppError::new("internal", e.to_string()))??;
        }
        self.backups.repos.lock().expect("repos lock").insert(saved.id.clone(), repo);
        Ok(saved)
    }

    /// The task's repository: already open, opened with `password`, or
    /// with the stored password; else `password_required`.
    async fn backup_repo(&self, t: &TaskDto, password: Option<String>) -> AppResult<Repo> {
        if password.is_none()
            && let Some(r) = self.backups.repos.lock().expect("repos lock").get(&t.id)
        {
            return Ok(r.clone());
        }
        let password = match password.filter(|p| !p.is_empty()) {
            Some(p) => p,
            None => {
                let stored = if backup_of(t)?.remember_password {
                    let (store, key, legacy) = (self.secrets(), secret_key(&t.id), legacy_secret_key(&t.id));
                    tokio::task::spawn_blocking(move || match store.get(&key) {
                        Ok(None) => store.get(&legacy),
                        other => other,
                    })
                    .await
                    .map_err(|e| AppError::new("internal", e.to_string()))??
                } else {
                    None
                };
                stored.ok_or_else(|| {
                    AppError::new("password_required", format!("enter the password of backup “{}”", t.name))
                })?
            }
        };
        let (location, opts) = self.repo_location(t).await?;
        let repo = Repo::open(&location, &password, &opts).await.map_err(backup_err)?;
        self.backups.repos.lock().expect("repos lock").insert(t.id.clone(), repo.clone());
        Ok(repo)
    }

    /// Forgets the opened repository and the stored password of a task.
    pub(crate) fn forget_backup(&self, id: &str) {
        self.backups.repos.lock().expect("repos lock").remove(id);
        let store = self.secrets();
        for key in [secret_key(id), legacy_secret_key(id)] {
            if let Err(e) = store.delete(&key) {
                tracing::debug!("backup password of {id}: {e}");
            }
        }
    }

    /// Runs a backup task (by hand with `password` when it is not stored;
    /// from `run_task` and the scheduler without). The run goes to the log;
    /// the retention policy is applied after a successful run.
    pub async fn run_backup(&self, id: String, password: Option<String>, progress: ProgressSink) -> AppResult<RunDto> {
        let task = self.engine_task(&id).await?;
        let t = super::tasks::convert::dto_of(&task);
        let job = job_of(&t)?;
        let hold = self.claim(&task)?;
        let cancel = hold.cancel.clone();
        let result = async {
            let repo = self.backup_repo(&t, password).await?;
            let db = self.state_db()?;
            // The engine records the run (kind backup, its own counters) and
            // applies the retention, as for a CLI or a scheduled backup.
            let run = LoggedBackup::start(&db, &job, Some(task.id)).map_err(super::tasks::state_err)?;
            progress(TaskProgressDto::Started { run: run.id() });
            let started = Instant::now();
            let opts = options_of(&t)?;
            let report =
                run.run(&repo, &opts, phase_sink(progress.clone()), cancel).await.map_err(super::tasks::state_err)?;
            if let Some(e) = &report.retention_error {
                tracing::warn!("backup {}: {e}", t.id);
            }
            let counters = report.summary.as_ref().map(|s| counters_of(&BackupResult::from(s))).unwrap_or_default();
            progress(TaskProgressDto::Finished {
                run: report.run,
                outcome: report.outcome.as_str().into(),
                duration_ms: started.elapsed().as_millis() as u64,
                counters: (&counters).into(),
            });
            let dto = self.record_run(&task, report.run).await?;
            match report.error {
                Some(BackupError::Cancelled) | None => Ok(dto),
                Some(e) => Err(AppError::new("backup", e.to_string())),
            }
        }
        .await;
        self.release(hold, &task, &result);
        result
    }

    /// The snapshots in a backup task's repository, newest first.
    pub async fn list_snapshots(&self, task: String, password: Option<String>) -> AppResult<Vec<SnapshotDto>> {
        let t = self.task_by_id(&task).await?;
        let repo = self.backup_repo(&t, password).await?;
        let mut list: Vec<SnapshotDto> =
            repo.snapshots().await.map_err(backup_err)?.iter().map(SnapshotDto::from).collect();
        list.reverse();
        Ok(list)
    }

    /// What changed from snapshot `from` to snapshot `to` of a backup task.
    pub async fn diff_snapshots(
        &self,
        task: String,
        from: String,
        to: String,
        password: Option<String>,
    ) -> AppResult<SnapshotDiffDto> {
        let t = self.task_by_id(&task).await?;
        let repo = self.backup_repo(&t, password).await?;
        let lines = repo.diff(&from, &to).await.map_err(backup_err)?;
        let count = |c| lines.iter().filter(|l| l.change == c).count() as u64;
        Ok(SnapshotDiffDto {
            added: count(Change::Added),
            removed: count(Change::Removed),
            modified: count(Change::Modified),
            items: lines
                .iter()
                .take(DIFF_SHOWN)
                .map(|l| DiffLineDto { change: l.change, path: l.path.clone(), folder: l.kind == EntryKind::Dir })
                .collect(),
        })
    }

    /// One folder of a snapshot ("" or "/" for its top).
    pub async fn snapshot_folder(
        &self,
        task: String,
        snapshot: String,
        path: String,
        password: Option<String>,
    ) -> AppResult<Vec<SnapshotEntryDto>> {
        let t = self.task_by_id(&task).await?;
        let repo = self.backup_repo(&t, password).await?;
        let inner = path.trim_matches('/').to_string();
        let mut items: Vec<SnapshotEntryDto> = repo
            .ls(&snapshot, &inner, false)
            .await
            .map_err(backup_err)?
            .into_iter()
            .filter(|i| i.path.trim_matches('/') != inner)
            .map(|i| SnapshotEntryDto {
                name: i.path.rsplit('/').next().unwrap_or_default().to_string(),
                folder: i.kind == EntryKind::Dir,
                size: i.size,
                modified: i.mtime,
                path: i.path,
            })
            .collect();
        items.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.name.cmp(&b.name)));
        Ok(items)
    }

    /// Restores a file or folder of a snapshot into `folder` (as
    /// `folder/<its name>`; the whole snapshot: into `folder` itself).
    /// Refuses to replace differing files unless `overwrite`. The engine's
    /// phases stream to `progress` like a run's; the restore holds the task
    /// (no backup meanwhile) and `cancel_task` stops it (`cancelled`).
    #[allow(clippy::too_many_arguments)]
    pub async fn restore_snapshot(
        &self,
        task: String,
        snapshot: String,
        path: String,
        folder: String,
        overwrite: bool,
        password: Option<String>,
        progress: ProgressSink,
    ) -> AppResult<RestoreDto> {
        let folder = PathBuf::from(folder.trim());
        if !folder.is_absolute() {
            return Err(AppError::invalid("restore into a full path"));
        }
        let t = self.task_by_id(&task).await?;
        // The open repository reports progress to one operation at a time.
        let hold = self.hold(&t.id, "a restore", Holding::Restore).await?;
        let repo = self.backup_repo(&t, password).await?;
        let inner = path.trim_matches('/').to_string();
        let target = match inner.rsplit('/').next().filter(|n| !n.is_empty()) {
            Some(name) => folder.join(name),
            None => folder,
        };
        let opts = RestoreOptions { path: (!inner.is_empty()).then(|| inner.clone()), overwrite, ..Default::default() };
        let s = repo
            .restore(&snapshot, &target, &opts, phase_sink(progress), hold.cancel.clone())
            .await
            .map_err(backup_err)?;
        Ok(RestoreDto {
            target: target.display().to_string(),
            files_restored: s.files_restored,
            files_unchanged: s.files_unchanged,
            files_replaced: s.files_replaced,
            bytes: s.bytes,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use fjordsync_engine::backup::BackupSummary;

    pub(crate) fn task(folders: &[&str], storage: &str, remote: &str, local: Option<&str>) -> TaskDto {
        TaskDto {
            id: "t1".into(),
            name: "Docs".into(),
            kind: "backup".into(),
            direction: "upload".into(),
            local: String::new(),
            storage: storage.into(),
            remote: remote.into(),
            include: vec![],
            exclude: vec![],
            last_run: None,
            schedule: None,
            schedule_since_ms: None,
            next_run_ms: None,
            backup: Some(BackupDto {
                folders: folders.iter().map(|s| s.to_string()).collect(),
                repo_local: local.map(String::from),
                ..Default::default()
            }),
            no_versions: false,
            watch: None,
            paused: false,
            conflicts: 0,
            kept_aside: 0,
        }
    }

    #[test]
    fn backup_specs_are_checked() {
        let s = spec_of(&task(&["/home/me/Docs"], "demo", "/Backup/", None)).unwrap();
        assert_eq!(s.source, Location::Local { path: "/home/me/Docs".into() });
        assert_eq!(s.destination, Location::Remote { remote: "demo".into(), path: "Backup".into() });
        let l = spec_of(&task(&["/a"], "", "", Some("/mnt/repo"))).unwrap();
        assert_eq!(l.destination, Location::Local { path: "/mnt/repo".into() });
        for bad in [
            task(&[], "demo", "Backup", None),
            task(&["rel"], "demo", "Backup", None),
            task(&["/a"], "demo", "", None),
            task(&["/a"], "", "x", None),
            task(&["/a"], "", "", Some("rel")),
        ] {
            assert_eq!(spec_of(&bad).unwrap_err().code, "invalid");
        }
        assert_eq!(spec_of(&TaskDto { backup: None, ..task(&["/a"], "demo", "B", None) }).unwrap_err().code, "invalid");
    }

    #[test]
    fn retention_ignores_zero_and_maps_every_rule() {
        let r = RetentionDto { keep_last: Some(0), keep_daily: Some(7), keep_weekly: Some(4), ..Default::default() };
        let p = r.policy();
        assert_eq!((p.keep_last, p.keep_daily, p.keep_weekly), (None, Some(7), Some(4)));
        assert!(RetentionDto::default().policy().is_empty());
    }

    #[test]
    fn summaries_become_counters_and_progress() {
        let s = BackupSummary {
            files_new: 3,
            files_changed: 2,
            files_unmodified: 9,
            data_added_packed: 512,
            ..Default::default()
        };
        let c = counters_of(&BackupResult::from(&s));
        assert_eq!((c.uploaded, c.updated, c.unchanged, c.bytes), (3, 2, 9, 512));
        let e = BackupEvent::Progress { title: "backing up...".into(), done: 10, total: Some(40), bytes: true };
        match progress_of(&e, Instant::now()).unwrap() {
            TaskProgressDto::Progress { bytes_done, bytes_total, current, .. } => {
                assert_eq!((bytes_done, bytes_total), (10, 40));
                assert_eq!(current, vec!["backing up".to_string()]);
            }
            other => panic!("{other:?}"),
        }
        assert!(progress_of(&BackupEvent::PhaseDone { title: "x".into(), done: 1 }, Instant::now()).is_none());
    }

    #[test]
    fn snapshot_times_are_read() {
        assert_eq!(time_ms("2026-11-23T07:43:00Z"), 1_795_419_780_000);
        assert_eq!(time_ms("2026-11-23T08:43:00+01:00"), 1_795_419_780_000);
        assert_eq!(time_ms("nonsense"), 0);
    }

    #[test]
    fn errors_get_codes() {
        assert_eq!(backup_err(BackupError::WrongPassword("x".into())).code, "wrong_password");
        assert_eq!(backup_err(BackupError::WouldOverwrite(2)).code, "would_overwrite");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_local_backup_runs_lists_and_restores() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Api::new(config, dir.path().join("data")).unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("sub/a.txt"), b"hello backup").unwrap();
        let repo = dir.path().join("repo");
        let mut t = task(&[src.to_str().unwrap()], "", "", Some(repo.to_str().unwrap()));
        t.id = String::new();
        t.backup.as_mut().unwrap().retention.keep_last = Some(1);
        let saved = api.create_backup(t, "pw".into(), true).await.unwrap();
        let run = api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        assert_eq!((run.kind.as_str(), run.outcome.as_str(), run.counters.uploaded), ("backup", "ok", 1));
        // The engine recorded it with its own result, as `fjordsync log` shows it.
        let rec = api.state_db().unwrap().run(run.id).unwrap().unwrap();
        let b = rec.backup.expect("the backup's own result");
        assert_eq!((b.files_new, rec.counters.uploaded, rec.source.as_str()), (1, 0, src.to_str().unwrap()));
        // And the app still finds it under its task.
        let history = api.list_runs(saved.id.clone()).await.unwrap();
        assert_eq!(history.iter().map(|r| r.id).collect::<Vec<_>>(), vec![run.id]);
        api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        // keep_last 1: the older snapshot was forgotten.
        let snaps = api.list_snapshots(saved.id.clone(), None).await.unwrap();
        assert_eq!(snaps.len(), 1);
        assert!((snaps[0].time_ms - super::super::settings::now_ms()).abs() < 600_000, "{}", snaps[0].time_ms);
        assert_eq!(api.list_runs(saved.id.clone()).await.unwrap().len(), 2);
        let file = format!("{}/sub/a.txt", src.to_str().unwrap());
        let parent = file.rsplit_once('/').unwrap().0.to_string();
        let items = api.snapshot_folder(saved.id.clone(), snaps[0].id.clone(), parent, None).await.unwrap();
        assert_eq!(items.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), vec!["a.txt"]);
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let target = out.to_str().unwrap().to_string();
        let r = api
            .restore_snapshot(
                saved.id.clone(),
                snaps[0].id.clone(),
                file.clone(),
                target.clone(),
                false,
                None,
                Arc::new(|_| {}),
            )
            .await
            .unwrap();
        assert_eq!(r.files_restored, 1);
        assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"hello backup");
        std::fs::write(out.join("a.txt"), b"changed").unwrap();
        let again = api
            .restore_snapshot(saved.id.clone(), snaps[0].id.clone(), file, target, false, None, Arc::new(|_| {}))
            .await;
        assert_eq!(again.unwrap_err().code, "would_overwrite");
        // A wrong password is refused and nothing stays open with it.
        api.backups.repos.lock().unwrap().clear();
        let wrong = api.list_snapshots(saved.id.clone(), Some("nope".into())).await.unwrap_err();
        assert_eq!(wrong.code, "wrong_password");
        assert_eq!(api.list_snapshots(saved.id, None).await.unwrap_err().code, "password_required");
    }

    /// Waits for the next `TaskFinished` of `task`.
    async fn finished(
        events: &mut tokio::sync::broadcast::Receiver<super::super::dto::AppEvent>,
    ) -> (Option<RunDto>, Option<String>) {
        tokio::time::timeout(std::time::Duration::from_secs(60), async {
            loop {
                if let Ok(super::super::dto::AppEvent::TaskFinished { run, error, .. }) = events.recv().await {
                    return (run.map(|r| *r), error);
                }
            }
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn scheduled_backups_run_and_say_when_they_need_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Arc::new(Api::new(config, dir.path().join("data")).unwrap());
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.txt"), b"a").unwrap();
        let repo = dir.path().join("repo");
        let mut t = task(&[src.to_str().unwrap()], "", "", Some(repo.to_str().unwrap()));
        t.id = String::new();
        t.schedule = Some(crate::schedule::ScheduleDto::Hourly { hours: 1 });
        let saved = api.create_backup(t, "pw".into(), true).await.unwrap();
        let since = saved.schedule_since_ms.unwrap();
        let tz = jiff::tz::TimeZone::UTC;
        let mut scheduler = api.scheduler("test").unwrap();
        let ids = |v: Vec<fjordsync_engine::tasks::TaskId>| v.iter().map(|i| i.to_string()).collect::<Vec<_>>();
        assert!(scheduler.tick(since + 60_000, &tz).await.unwrap().is_empty(), "not due yet");
        // Missed while the app was off: due once, at the first tick.
        let mut events = api.subscribe();
        assert_eq!(ids(scheduler.tick(since + 3 * 3_600_000, &tz).await.unwrap()), vec![saved.id.clone()]);
        let (run, error) = finished(&mut events).await;
        assert_eq!(error, None);
        let run = run.unwrap();
        assert_eq!((run.kind.as_str(), run.outcome.as_str(), run.counters.uploaded), ("backup", "ok", 1));
        // After a restart the password is not known (not kept in the keyring):
        // the scheduled run fails and says why (the notification shows it).
        api.backups.repos.lock().unwrap().clear();
        assert_eq!(ids(scheduler.tick(since + 9 * 3_600_000, &tz).await.unwrap()), vec![saved.id.clone()]);
        let (run, error) = finished(&mut events).await;
        assert!(run.is_none());
        assert!(error.unwrap().contains("password"));
    }

    /// An app over `dir` with a backup task of `src` into a local repository
    /// (password "pw", not kept), shaped by `edit` before it is created.
    pub(crate) async fn local_backup(dir: &std::path::Path, edit: impl FnOnce(&mut TaskDto)) -> (Arc<Api>, TaskDto) {
        let config = fjordsync_engine::ConfigDir::at(dir.join("config")).unwrap();
        let api = Arc::new(Api::new(config, dir.join("data")).unwrap());
        let (src, repo) = (dir.join("src"), dir.join("repo"));
        std::fs::create_dir_all(&src).unwrap();
        let mut t = task(&[src.to_str().unwrap()], "", "", Some(repo.to_str().unwrap()));
        t.id = String::new();
        edit(&mut t);
        let saved = api.create_backup(t, "pw".into(), true).await.unwrap();
        (api, saved)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_diff_counts_and_lists_what_changed_between_two_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let (api, saved) = local_backup(dir.path(), |_| {}).await;
        let src = dir.path().join("src");
        std::fs::write(src.join("kept.txt"), b"same").unwrap();
        std::fs::write(src.join("edited.txt"), b"before").unwrap();
        std::fs::write(src.join("gone.txt"), b"bye").unwrap();
        api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        std::fs::write(src.join("edited.txt"), b"after, longer").unwrap();
        std::fs::remove_file(src.join("gone.txt")).unwrap();
        std::fs::create_dir(src.join("new")).unwrap();
        std::fs::write(src.join("new/file.txt"), b"new").unwrap();
        api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        let snaps = api.list_snapshots(saved.id.clone(), None).await.unwrap();
        let (newer, older) = (snaps[0].id.clone(), snaps[1].id.clone());
        let d = api.diff_snapshots(saved.id.clone(), older, newer, None).await.unwrap();
        let top = src.display().to_string();
        let lines: Vec<(Change, String, bool)> =
            d.items.iter().map(|l| (l.change, l.path.replacen(&top, "", 1), l.folder)).collect();
        assert_eq!(
            lines,
            [
                (Change::Modified, "/edited.txt".into(), false),
                (Change::Removed, "/gone.txt".into(), false),
                (Change::Added, "/new".into(), true),
                (Change::Added, "/new/file.txt".into(), false),
            ],
            "{d:?}"
        );
        assert_eq!((d.added, d.removed, d.modified), (2, 1, 1));
        let bad = api.diff_snapshots(saved.id, "nope".into(), snaps[0].id.clone(), None).await.unwrap_err();
        assert_eq!(bad.code, "not_found", "{bad:?}");
    }

    /// The names in the top folder of a snapshot's copy of `folder`.
    async fn names_in(api: &Api, task: &str, snapshot: &str, folder: &std::path::Path) -> Vec<String> {
        let items =
            api.snapshot_folder(task.into(), snapshot.into(), folder.display().to_string(), None).await.unwrap();
        items.into_iter().map(|i| i.name).collect()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn filters_reach_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let (api, saved) = local_backup(dir.path(), |t| {
            t.include = vec!["*.txt".into()];
            t.backup.as_mut().unwrap().min_size = Some(100);
        })
        .await;
        let src = dir.path().join("src");
        std::fs::write(src.join("small.txt"), b"tiny").unwrap();
        std::fs::write(src.join("big.txt"), vec![b'x'; 1000]).unwrap();
        std::fs::write(src.join("big.bin"), vec![b'y'; 1000]).unwrap();
        api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        let snap = &api.list_snapshots(saved.id.clone(), None).await.unwrap()[0];
        // small.txt is under the minimum size, big.bin matches no include.
        assert_eq!(names_in(&api, &saved.id, &snap.id, &src).await, vec!["big.txt"]);
        // Limits that cannot both hold are refused when saved.
        let mut bad = saved.clone();
        bad.backup.as_mut().unwrap().max_size = Some(10);
        assert_eq!(api.save_task(bad).await.unwrap_err().code, "invalid");
    }

    /// An app over `dir` (file secret store) with the demo storage running.
    pub(crate) async fn demo_api(dir: &std::path::Path) -> Api {
        let config = fjordsync_engine::ConfigDir::at(dir.join("config")).unwrap();
        let api = Api::new(config, dir.join("data")).unwrap();
        api.use_file_store().await.unwrap();
        api.start_demo().await.unwrap();
        api
    }

    /// 4 MB that do not compress, so backing them up, restoring or reading
    /// them back has bytes to count.
    pub(crate) fn incompressible() -> Vec<u8> {
        (0..4_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
    }

    /// A sink that keeps what it is sent.
    pub(crate) fn recorder() -> (ProgressSink, Arc<Mutex<Vec<TaskProgressDto>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        (Arc::new(move |p| s.lock().unwrap().push(p)), seen)
    }

    /// Checks that the engine's phases reached a sink, and that one of them counted bytes.
    pub(crate) fn assert_phases_with_bytes(seen: &[TaskProgressDto]) {
        let titles =
            seen.iter().filter(|p| matches!(p, TaskProgressDto::Progress { current, .. } if !current.is_empty()));
        assert!(titles.count() > 0, "the phases reached the sink: {seen:?}");
        let bytes = seen.iter().any(|p| matches!(p, TaskProgressDto::Progress { bytes_total, .. } if *bytes_total > 0));
        assert!(bytes, "a phase counted bytes: {seen:?}");
    }

    /// A sink that stops the task at its first progress message, as the Stop button does.
    pub(crate) fn stop_at_first(api: &Arc<Api>, task: &str) -> ProgressSink {
        let (a, id) = (api.clone(), task.to_string());
        Arc::new(move |_| {
            a.cancel_now(&id);
        })
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn restore_streams_progress_and_cancels() {
        let dir = tempfile::tempdir().unwrap();
        let (api, saved) = local_backup(dir.path(), |_| {}).await;
        let src = dir.path().join("src");
        let data = incompressible();
        std::fs::write(src.join("data.bin"), &data).unwrap();
        api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        let snap = api.list_snapshots(saved.id.clone(), None).await.unwrap()[0].id.clone();
        let file = src.join("data.bin").display().to_string();
        let restore = |to: &str, sink: ProgressSink| {
            api.restore_snapshot(saved.id.clone(), snap.clone(), file.clone(), to.into(), false, None, sink)
        };

        let (sink, seen) = recorder();
        let out = dir.path().join("out");
        let r = restore(out.to_str().unwrap(), sink).await.unwrap();
        assert_eq!(std::fs::read(out.join("data.bin")).unwrap(), data);
        assert_eq!(r.bytes, data.len() as u64);
        assert_phases_with_bytes(&seen.lock().unwrap());

        // Cancelled from its first progress message, as the Cancel button does.
        let out2 = dir.path().join("out2");
        let err = restore(out2.to_str().unwrap(), stop_at_first(&api, &saved.id)).await.unwrap_err();
        assert_eq!(err.code, "cancelled", "{err:?}");
        // The task is free again, and a running backup refuses a restore.
        assert!(!api.cancel_now(&saved.id));
        let task = api.engine_task(&saved.id).await.unwrap();
        let _run = api.claim(&task).unwrap();
        let busy = restore(out2.to_str().unwrap(), Arc::new(|_| {})).await.unwrap_err();
        assert_eq!(busy.code, "busy");
        assert!(busy.message.contains("a run"), "{}", busy.message);
    }

    /// Appends a byte to every pack file: the index no longer matches them,
    /// which a backup that reads nothing old does not notice but prune refuses.
    fn spoil_pack_sizes(repo: &std::path::Path) {
        use std::io::Write;
        let mut spoiled = 0;
        // restic's layout: data/<2 hex digits>/<pack id>.
        for sub in std::fs::read_dir(repo.join("data")).unwrap() {
            for pack in std::fs::read_dir(sub.unwrap().path()).unwrap() {
                let path = pack.unwrap().path();
                std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(b"!").unwrap();
                spoiled += 1;
            }
        }
        assert!(spoiled > 0, "the repository has packs");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_retention_is_a_warning_on_a_good_run() {
        let dir = tempfile::tempdir().unwrap();
        let (api, saved) = local_backup(dir.path(), |t| t.backup.as_mut().unwrap().retention.keep_last = Some(1)).await;
        std::fs::write(dir.path().join("src/a.txt"), b"a").unwrap();
        let first = api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        assert_eq!((first.outcome.as_str(), first.warning.as_deref()), ("ok", None));
        spoil_pack_sizes(&dir.path().join("repo"));
        let second = api.run_backup(saved.id.clone(), None, Arc::new(|_| {})).await.unwrap();
        assert_eq!(second.outcome, "ok", "the snapshot is saved");
        let warning = second.warning.clone().expect("the retention failure is reported");
        assert!(warning.starts_with("snapshot saved; retention failed: "), "{warning}");
        // The log keeps it: the run's warning, its failed row, the task's last run.
        let runs = api.list_runs(saved.id.clone()).await.unwrap();
        assert_eq!((runs[0].id, runs[0].warning.as_ref()), (second.id, Some(&warning)));
        assert_eq!(runs[1].warning, None);
        let rows = api.run_files(second.id, Some("failed".into()), None).await.unwrap();
        assert_eq!(rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(), vec![RETENTION_ACTION]);
        let listed = api.list_tasks().await.unwrap();
        assert_eq!(listed[0].last_run.as_ref().unwrap().warning.as_ref(), Some(&warning));
    }
}
