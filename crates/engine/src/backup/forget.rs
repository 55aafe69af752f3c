//! Forgetting snapshots by a retention policy, and pruning unused data.

use std::collections::BTreeMap;

use rustic_core::jiff::Zoned;
use rustic_core::repofile::SnapshotFile;
use rustic_core::{KeepOptions, PruneOptions};
use serde::{Deserialize, Serialize};

use super::error::{BackupError, Result, blocking};
use super::repo::Repo;
use super::snapshots::SnapshotInfo;

/// Which snapshots to keep, per group of snapshots with the same host and
/// paths (restic's `forget --keep-*`). A snapshot kept by any rule stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetentionPolicy {
    /// The newest N.
    pub keep_last: Option<u32>,
    /// The newest of each of the last N hours that have one.
    pub keep_hourly: Option<u32>,
    /// ... days.
    pub keep_daily: Option<u32>,
    /// ... weeks.
    pub keep_weekly: Option<u32>,
    /// ... months.
    pub keep_monthly: Option<u32>,
    /// ... years.
    pub keep_yearly: Option<u32>,
}

impl RetentionPolicy {
    /// True when no rule is set (which would forget everything: refused).
    pub fn is_empty(&self) -> bool {
        *self == RetentionPolicy::default()
    }

    fn to_keep(&self) -> KeepOptions {
        let n = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
        let mut k = KeepOptions::default();
        k.keep_last = n(self.keep_last);
        k.keep_hourly = n(self.keep_hourly);
        k.keep_daily = n(self.keep_daily);
        k.keep_weekly = n(self.keep_weekly);
        k.keep_monthly = n(self.keep_monthly);
        k.keep_yearly = n(self.keep_yearly);
        k
    }
}

/// What `forget` decided.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ForgetReport {
    /// Snapshots kept, with the rules that kept them.
    pub kept: Vec<(SnapshotInfo, Vec<String>)>,
    /// Snapshots removed (or that would be, for a dry run).
    pub removed: Vec<SnapshotInfo>,
    /// What prune did, when asked.
    pub prune: Option<PruneReport>,
}

/// What `prune` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// Pack files deleted.
    pub packs_removed: u64,
    /// Pack files rewritten (partly used).
    pub packs_repacked: u64,
    /// Pack files kept.
    pub packs_kept: u64,
    /// Bytes freed (packs deleted, before repacking).
    pub bytes_removed: u64,
}

impl Repo {
    /// Applies `policy` to every group of snapshots (same host and paths),
    /// removes the rest unless `dry_run`, then prunes when `prune` is set.
    pub async fn forget(&self, policy: &RetentionPolicy, prune: bool, dry_run: bool) -> Result<ForgetReport> {
        if policy.is_empty() {
            return Err(BackupError::Invalid(format!(
                "give at least one keep rule {}",
                crate::remedy::Remedy::KeepRule.cli()
            )));
        }
        let keep = policy.to_keep();
        let this = self.clone();
        let mut report = blocking(move || {
            this.gate.clear();
            let mut groups: BTreeMap<(String, String), Vec<SnapshotFile>> = BTreeMap::new();
            for s in this.repo.get_all_snapshots()? {
                groups.entry((s.hostname.clone(), s.paths.to_string())).or_default().push(s);
            }
            let now = Zoned::now();
            let mut report = ForgetReport::default();
            let mut ids = Vec::new();
            for (_, snaps) in groups {
                for f in keep.apply(snaps, &now)? {
                    if f.keep {
                        report.kept.push((SnapshotInfo::from(&f.snapshot), f.reasons));
                    } else {
                        ids.push(f.snapshot.id);
                        report.removed.push(SnapshotInfo::from(&f.snapshot));
                    }
                }
            }
            if !dry_run && !ids.is_empty() {
                this.repo.delete_snapshots(&ids)?;
            }
            Ok(report)
        })
        .await?;
        if prune && !dry_run {
            report.prune = Some(self.prune().await?);
        }
        Ok(report)
    }

    /// Removes data no snapshot needs any more (restic's `prune` with its
    /// default limits: partly used packs are repacked when worthwhile).
    pub async fn prune(&self) -> Result<PruneReport> {
        let (repo, gate) = (self.repo.clone(), self.gate.clone());
        blocking(move || {
            gate.clear();
            let opts = PruneOptions::default();
            let plan = repo.prune_plan(&opts)?;
            let s = &plan.stats;
            let report = PruneReport {
                packs_removed: s.packs_to_delete.remove,
                packs_repacked: s.packs.repack,
                packs_kept: s.packs.keep,
                bytes_removed: s.size_to_delete.remove,
            };
            repo.prune(&opts, plan)?;
            Ok(report)
        })
        .await
    }
}
