//! Checking a repository: its structure (index, packs, snapshots, trees)
//! and, optionally, a share of the pack data read back and verified.

use rustic_core::{CheckOptions, ReadSubsetOption};
use serde::Serialize;

use super::error::{BackupError, Result, blocking};
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
    pub async fn check(&self, read_data_percent: f64) -> Result<CheckReport> {
        if !(0.0..=100.0).contains(&read_data_percent) {
            return Err(BackupError::Invalid(format!("read-data share {read_data_percent} is not 0..100 percent")));
        }
        let repo = self.repo.clone();
        blocking(move || {
            let mut opts = CheckOptions::default();
            if read_data_percent > 0.0 {
                opts.read_data = true;
                opts.read_data_subset = if read_data_percent >= 100.0 {
                    ReadSubsetOption::All
                } else {
                    ReadSubsetOption::Percentage(read_data_percent)
                };
            }
            let results = repo.check(opts)?;
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
