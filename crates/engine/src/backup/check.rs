//! Checking a repository: its structure (index, packs, snapshots, trees)
//! and, optionally, a share of the pack data read back and verified.

use rustic_core::{CheckOptions, ReadSubsetOption};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::error::{BackupError, Result, blocking};
use super::progress::ProgressSink;
use super::repo::Repo;

/// What `check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Problems that damage the repository.
    pub errors: Vec<String>,
    /// Oddities that do not (e.g. packs no index mentions).
    pub warnings: Vec<String>,
}

impl Repo {
    /// Checks the structure and reads back `read_data_percent` percent of the
    /// pack data (0 = none, 100 = all), verifying every blob's hash.
    /// Returns the findings; [`BackupError::CheckFailed`] when there are errors.
    ///
    /// `cancel` stops it at the next read with [`BackupError::Cancelled`]
    /// (a check changes nothing, so stopping it is always safe).
    pub async fn check(
        &self,
        read_data_percent: f64,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<CheckReport> {
        if !(0.0..=100.0).contains(&read_data_percent) {
            return Err(BackupError::Invalid(format!("read-data share {read_data_percent} is not 0..100 percent")));
        }
        let this = self.clone();
        blocking(move || {
            let _progress = this.bars.attach(progress);
            this.gate.set_all(cancel.clone());
            let results = this.repo.check(options(read_data_percent));
            this.gate.clear();
            if cancel.is_cancelled() {
                return Err(BackupError::Cancelled);
            }
            let results = results?;
            let mut report = CheckReport::default();
            // rustic does not export the level's type; its Debug name is stable.
            for (level, err) in &results.0 {
                if format!("{level:?}") == "Warn" {
                    report.warnings.push(err.to_string());
                } else {
                    report.errors.push(err.to_string());
                }
            }
            if report.errors.is_empty() { Ok(report) } else { Err(BackupError::CheckFailed(report.errors.len())) }
        })
        .await
    }
}

/// rustic's options for reading back `read_data_percent` percent of the data.
fn options(read_data_percent: f64) -> CheckOptions {
    let mut opts = CheckOptions::default();
    if read_data_percent > 0.0 {
        opts.read_data = true;
        opts.read_data_subset = if read_data_percent >= 100.0 {
            ReadSubsetOption::All
        } else {
            ReadSubsetOption::Percentage(read_data_percent)
        };
    }
    opts
}
