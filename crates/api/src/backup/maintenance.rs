//! Keeping a backup task's repository healthy: check it, forget versions
//! by the task's retention policy now (a dry run first, so the user sees what
//! goes), prune, change its password, and how much it stores.
//!
//! Each operation that touches the repository holds the task (see
//! `Api::hold`): it is refused while a backup or restore of the task runs,
//! and a scheduled backup waits for it, because rustic's progress goes to
//! one operation at a time and a prune must not race a backup's uploads.

use fjordsync_engine::backup::{CheckReport, ForgetReport, PruneReport, Repo, RepoSize};
use serde::Serialize;

use super::super::Api;
use super::super::tasks::{Hold, ProgressSink};
use super::{SnapshotDto, backup_err, backup_of, phase_sink, secret_key};
use crate::dto::TaskDto;
use crate::error::{AppError, AppResult};

/// What a check found (errors fail it with `check_failed`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CheckDto {
    /// The share of the data that was read back and verified (0 to 100).
    pub read_data_percent: f64,
    /// Oddities that do not damage the repository.
    pub warnings: Vec<String>,
}

/// A version kept by the retention policy, with the rules that keep it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct KeptDto {
    pub snapshot: SnapshotDto,
    /// restic's reasons (`last`, `daily`, ...).
    pub reasons: Vec<String>,
}

/// What prune removed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PruneDto {
    pub packs_removed: u64,
    pub packs_repacked: u64,
    pub packs_kept: u64,
    pub bytes_removed: u64,
}

/// What "forget now" removed, or would remove (`dry_run`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ForgetDto {
    pub dry_run: bool,
    /// Newest first.
    pub removed: Vec<SnapshotDto>,
    /// Newest first.
    pub kept: Vec<KeptDto>,
    /// The prune after a real forget.
    pub prune: Option<PruneDto>,
}

/// How much the repository stores, and how much its versions hold.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RepoSizeDto {
    /// Bytes of every kind of file in the repository.
    pub bytes: u64,
    pub files: u64,
    /// Bytes of data (pack files).
    pub pack_bytes: u64,
    pub snapshots: u64,
    /// What the versions hold together (file sizes as backed up).
    pub snapshot_bytes: u64,
    /// `snapshot_bytes` per stored data byte: what deduplication and
    /// compression save (`None` with no data yet).
    pub dedup_ratio: Option<f64>,
}

impl From<&PruneReport> for PruneDto {
    fn from(p: &PruneReport) -> Self {
        PruneDto {
            packs_removed: p.packs_removed,
            packs_repacked: p.packs_repacked,
            packs_kept: p.packs_kept,
            bytes_removed: p.bytes_removed,
        }
    }
}

fn check_dto(read_data_percent: f64, r: CheckReport) -> CheckDto {
    CheckDto { read_data_percent, warnings: r.warnings }
}

fn forget_dto(dry_run: bool, r: &ForgetReport) -> ForgetDto {
    let mut removed: Vec<SnapshotDto> = r.removed.iter().map(SnapshotDto::from).collect();
    let mut kept: Vec<KeptDto> = r
        .kept
        .iter()
        .map(|(s, reasons)| KeptDto { snapshot: SnapshotDto::from(s), reasons: reasons.clone() })
        .collect();
    removed.sort_by_key(|s| std::cmp::Reverse(s.time_ms));
    kept.sort_by_key(|k| std::cmp::Reverse(k.snapshot.time_ms));
    ForgetDto { dry_run, removed, kept, prune: r.prune.as_ref().map(PruneDto::from) }
}

/// The size with the versions' total: the ratio says how many bytes of
/// files each stored byte of data stands for.
fn size_dto(size: &RepoSize, snapshots: &[SnapshotDto]) -> RepoSizeDto {
    let snapshot_bytes: u64 = snapshots.iter().filter_map(|s| s.size).sum();
    RepoSizeDto {
        bytes: size.bytes,
        files: size.files,
        pack_bytes: size.pack_bytes,
        snapshots: snapshots.len() as u64,
        snapshot_bytes,
        dedup_ratio: (size.pack_bytes > 0).then(|| snapshot_bytes as f64 / size.pack_bytes as f64),
    }
}

impl Api {
    /// The task, held busy with `what`, and its open repository.
    async fn held_repo(
        &self,
        task: &str,
        what: &'static str,
        password: Option<String>,
    ) -> AppResult<(TaskDto, Hold<'_>, Repo)> {
        let t = self.task_by_id(task).await?;
        let hold = self.hold(&t.id, what, fjordsync_engine::tasks::Hold::Check).await?;
        let repo = self.backup_repo(&t, password).await?;
        Ok((t, hold, repo))
    }

    /// Checks the repository's structure and reads back `read_data_percent`
    /// percent of its data (0 to 100); damage fails with `check_failed`.
    /// Reading data back can take as long as a restore, so the engine's
    /// phases stream to `progress` like a restore's, and `cancel_task`
    /// stops it (`cancelled`).
    pub async fn check_backup(
        &self,
        task: String,
        read_data_percent: f64,
        password: Option<String>,
        progress: ProgressSink,
    ) -> AppResult<CheckDto> {
        let (_, hold, repo) = self.held_repo(&task, "a repository check", password).await?;
        let report =
            repo.check(read_data_percent, phase_sink(progress), hold.cancel.clone()).await.map_err(backup_err)?;
        Ok(check_dto(read_data_percent, report))
    }

    /// Applies the task's retention policy now: with `dry_run`, only says
    /// which versions would go; otherwise removes them and prunes.
    pub async fn forget_snapshots(
        &self,
        task: String,
        dry_run: bool,
        password: Option<String>,
    ) -> AppResult<ForgetDto> {
        let t = self.task_by_id(&task).await?;
        let policy = backup_of(&t)?.retention.policy();
        if policy.is_empty() {
            return Err(AppError::invalid("this backup keeps every version: choose versions to keep first"));
        }
        let (_, _hold, repo) = self.held_repo(&task, "forgetting versions", password).await?;
        let report = repo.forget(&policy, !dry_run, dry_run).await.map_err(backup_err)?;
        Ok(forget_dto(dry_run, &report))
    }

    /// Removes data no version needs any more.
    pub async fn prune_backup(&self, task: String, password: Option<String>) -> AppResult<PruneDto> {
        let (_, _hold, repo) = self.held_repo(&task, "a prune", password).await?;
        Ok(PruneDto::from(&repo.prune().await.map_err(backup_err)?))
    }

    /// Replaces the repository's password (`password`: the current one when
    /// the app does not have it). The repository kept open and, if the task
    /// remembers it, the secret store get the new one.
    pub async fn change_backup_password(
        &self,
        task: String,
        password: Option<String>,
        new_password: String,
    ) -> AppResult<()> {
        if new_password.is_empty() {
            return Err(AppError::invalid("give the repository a new password"));
        }
        let (t, _hold, repo) = self.held_repo(&task, "a password change", password).await?;
        let remember = backup_of(&t)?.remember_password;
        if remember {
            // Before the change: a secret store that cannot be reached would
            // leave the stored password stale.
            self.probe_secrets()?;
        }
        let fresh = repo.change_password(&new_password).await.map_err(backup_err)?;
        self.backups.repos.lock().expect("repos lock").insert(t.id.clone(), fresh);
        if remember {
            let (store, key) = (self.secrets(), secret_key(&t.id));
            let stored = tokio::task::spawn_blocking(move || store.set(&key, &new_password))
                .await
                .map_err(|e| AppError::new("internal", e.to_string()))?;
            if let Err(e) = stored {
                let e = AppError::from(e);
                let message =
                    format!("the password was changed, but the keyring did not take the new one: {}", e.message);
                return Err(AppError::new(e.code, message));
            }
        }
        Ok(())
    }

    /// How much the repository stores and what its versions hold. Read-only:
    /// it does not hold the task.
    pub async fn backup_size(&self, task: String, password: Option<String>) -> AppResult<RepoSizeDto> {
        let t = self.task_by_id(&task).await?;
        let repo = self.backup_repo(&t, password).await?;
        let snapshots: Vec<SnapshotDto> =
            repo.snapshots().await.map_err(backup_err)?.iter().map(SnapshotDto::from).collect();
        Ok(size_dto(&repo.size().await.map_err(backup_err)?, &snapshots))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(id: &str, time_ms: i64, size: Option<u64>) -> SnapshotDto {
        SnapshotDto { id: id.into(), short_id: id.into(), time_ms, host: "h".into(), paths: vec![], files: None, size }
    }

    #[test]
    fn the_ratio_is_what_the_versions_hold_per_stored_byte() {
        let size = RepoSize { files: 9, bytes: 1_100, pack_files: 2, pack_bytes: 1_000 };
        let d = size_dto(&size, &[snap("a", 1, Some(3_000)), snap("b", 2, None), snap("c", 3, Some(1_000))]);
        assert_eq!((d.snapshots, d.snapshot_bytes, d.bytes), (3, 4_000, 1_100));
        assert_eq!(d.dedup_ratio, Some(4.0));
        assert_eq!(size_dto(&RepoSize::default(), &[]).dedup_ratio, None);
    }

    /// A check that reads the data back streams the engine's phases (with
    /// bytes) like a restore, and Stop (`cancel_now`, what `cancel_task`
    /// calls) ends it with `cancelled` and frees the task.
    #[tokio::test(flavor = "multi_thread")]
    async fn check_streams_progress_and_cancels() {
        use crate::backup::tests::{assert_phases_with_bytes, incompressible, local_backup, recorder, stop_at_first};
        let dir = tempfile::tempdir().unwrap();
        let (api, saved) = local_backup(dir.path(), |_| {}).await;
        std::fs::write(dir.path().join("src/data.bin"), incompressible()).unwrap();
        let quiet = || -> ProgressSink { std::sync::Arc::new(|_| {}) };
        api.run_backup(saved.id.clone(), None, quiet()).await.unwrap();

        let (sink, seen) = recorder();
        let report = api.check_backup(saved.id.clone(), 100.0, None, sink).await.unwrap();
        assert_eq!(report.read_data_percent, 100.0);
        assert_phases_with_bytes(&seen.lock().unwrap());

        let err = api.check_backup(saved.id.clone(), 100.0, None, stop_at_first(&api, &saved.id)).await.unwrap_err();
        assert_eq!(err.code, "cancelled", "{err:?}");
        assert!(!api.cancel_now(&saved.id), "the task is free again");
        // A check changes nothing: a full one afterwards passes.
        api.check_backup(saved.id.clone(), 100.0, None, quiet()).await.unwrap();
    }

    /// Check, forget (dry run, then for real), prune, size and a password
    /// change on a repository in the demo storage (the emulator in the app).
    #[tokio::test(flavor = "multi_thread")]
    async fn maintenance_on_the_emulator() {
        let dir = tempfile::tempdir().unwrap();
        let api = crate::backup::tests::demo_api(dir.path()).await;
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        let mut t = crate::backup::tests::task(&[src.to_str().unwrap()], crate::DEMO_STORAGE, "Vault", None);
        t.id = String::new();
        t.backup.as_mut().unwrap().remember_password = true;
        let saved = api.create_backup(t, "old pw".into(), true).await.unwrap();
        for i in 0..3 {
            std::fs::write(src.join(format!("f{i}.txt")), format!("version {i}")).unwrap();
            api.run_backup(saved.id.clone(), None, std::sync::Arc::new(|_| {})).await.unwrap();
        }
        let id = || saved.id.clone();
        let all = api.list_snapshots(id(), None).await.unwrap();
        assert_eq!(all.len(), 3, "no retention yet: every version is kept");

        let check = api.check_backup(id(), 100.0, None, std::sync::Arc::new(|_| {})).await.unwrap();
        assert_eq!(check.read_data_percent, 100.0);
        let too_much = api.check_backup(id(), 150.0, None, std::sync::Arc::new(|_| {})).await;
        assert_eq!(too_much.unwrap_err().code, "invalid");
        assert_eq!(api.forget_snapshots(id(), true, None).await.unwrap_err().code, "invalid", "no policy yet");

        let mut keep_one = saved.clone();
        keep_one.backup.as_mut().unwrap().retention.keep_last = Some(1);
        api.save_task(keep_one).await.unwrap();
        let preview = api.forget_snapshots(id(), true, None).await.unwrap();
        let ids = |v: &[SnapshotDto]| v.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&preview.removed), ids(&all[1..]), "the two older versions would go");
        assert_eq!(preview.kept.len(), 1);
        assert_eq!(
            (preview.kept[0].snapshot.id.as_str(), preview.kept[0].reasons.is_empty()),
            (all[0].id.as_str(), false)
        );
        assert!(preview.prune.is_none());
        assert_eq!(api.list_snapshots(id(), None).await.unwrap().len(), 3, "a dry run removes nothing");
        let done = api.forget_snapshots(id(), false, None).await.unwrap();
        assert_eq!(ids(&done.removed), ids(&all[1..]));
        assert!(done.prune.is_some(), "a real forget prunes");
        assert_eq!(ids(&api.list_snapshots(id(), None).await.unwrap()), ids(&all[..1]));
        api.prune_backup(id(), None).await.unwrap();
        let size = api.backup_size(id(), None).await.unwrap();
        assert_eq!(size.snapshots, 1);
        assert!(size.pack_bytes > 0 && size.bytes >= size.pack_bytes, "{size:?}");

        // Maintenance waits for a running backup.
        let task = api.engine_task(&saved.id).await.unwrap();
        let run = api.claim(&task).unwrap();
        assert_eq!(api.prune_backup(id(), None).await.unwrap_err().code, "busy");
        api.release(run, &task, &Err(AppError::new("cancelled", "test")));

        api.change_backup_password(id(), None, "new pw".into()).await.unwrap();
        // The open repository and the stored password follow the change.
        api.list_snapshots(id(), None).await.unwrap();
        api.backups.repos.lock().unwrap().clear();
        api.list_snapshots(id(), None).await.unwrap();
        api.backups.repos.lock().unwrap().clear();
        assert_eq!(api.list_snapshots(id(), Some("old pw".into())).await.unwrap_err().code, "wrong_password");
        assert_eq!(api.list_snapshots(id(), Some("new pw".into())).await.unwrap().len(), 1);
        let stored = api.secrets().get(&secret_key(&saved.id)).unwrap();
        assert_eq!(stored.as_deref(), Some("new pw"));
        assert_eq!(api.change_backup_password(id(), None, String::new()).await.unwrap_err().code, "invalid");
        api.shutdown().await;
    }
}
