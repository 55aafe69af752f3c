//! Restoring a snapshot, or a file or folder of it, into a local folder.
//!
//! Content is authenticated as it is decrypted (restic's format: every blob
//! is AES-256-CTR + Poly1305 and named by its SHA-256), and after writing,
//! every restored file is read back and each chunk's SHA-256 compared with
//! its blob id, so what lands on disk is what was backed up. Modification
//! times are restored. Existing files
//! that differ from the snapshot are never replaced unless asked
//! ([`RestoreOptions::overwrite`]); files that already match are skipped.

use std::path::Path;

use rustic_core::{LocalDestination, LsOptions};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::error::{BackupError, Result, blocking, hex};
use super::progress::ProgressSink;
use super::repo::Repo;
use super::snapshots::pick;

/// How to restore.
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Only this file or folder of the snapshot (its contents land directly
    /// in the target). `None` restores the whole snapshot.
    pub path: Option<String>,
    /// Replace existing files that differ from the snapshot.
    pub overwrite: bool,
    /// Read existing files to decide whether they match (instead of trusting
    /// size and modification time).
    pub verify_existing: bool,
    /// Only say what would happen.
    pub dry_run: bool,
}

/// What a restore did (or would do, for a dry run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RestoreSummary {
    /// The snapshot restored.
    pub snapshot: String,
    /// Files written.
    pub files_restored: u64,
    /// Existing files that already matched.
    pub files_unchanged: u64,
    /// Existing files that differed and were replaced.
    pub files_replaced: u64,
    /// Folders created.
    pub dirs_restored: u64,
    /// Bytes to write.
    pub bytes: u64,
    /// Files read back after the restore whose content matched the snapshot.
    pub files_verified: u64,
}

impl Repo {
    /// Restores `snapshot` (`latest`, id or prefix) into `target`, which is
    /// created if missing.
    ///
    /// `cancel` stops the restore between reads with [`BackupError::Cancelled`];
    /// files already written stay, the file being written may be partial.
    pub async fn restore(
        &self,
        snapshot: &str,
        target: &Path,
        opts: &RestoreOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<RestoreSummary> {
        let target = target
            .to_str()
            .ok_or_else(|| BackupError::Invalid(format!("{} is not UTF-8", target.display())))?
            .to_string();
        let this = self.clone();
        let (snapshot, opts) = (snapshot.to_string(), opts.clone());
        blocking(move || {
            let _progress = this.bars.attach(progress);
            let snap = pick(&this.repo.get_all_snapshots()?, &snapshot)?;
            let short: String = hex(&snap.id).chars().take(8).collect();
            let repo = this.reopen()?.to_indexed()?;
            let inner = opts.path.clone().unwrap_or_default();
            let node = repo
                .node_from_snapshot_and_path(&snap, &inner)
                .map_err(|_| BackupError::PathNotFound { snapshot: short.clone(), path: inner.clone() })?;
            let mut ls_opts = LsOptions::default();
            let (node, dest) = match single_file(&node, &inner, &target) {
                // A file restored under its own name: list its folder with
                // only that name let through, and restore into the folder
                // (rustic would otherwise walk a target that does not exist yet).
                Some((parent, folder, glob)) => {
                    ls_opts.recursive = false;
                    ls_opts.excludes.globs = vec![glob];
                    let parent = repo.node_from_snapshot_and_path(&snap, &parent)?;
                    (parent, LocalDestination::new(&folder, true, false)?)
                }
                None => {
                    let dest = LocalDestination::new(&target, true, !node.is_dir())?;
                    (node, dest)
                }
            };
            let ls = repo.ls(&node, &ls_opts)?;
            let mut ropts = rustic_core::RestoreOptions::default();
            ropts.verify_existing = opts.verify_existing;
            let plan = repo.prepare_restore(&ropts, ls.clone(), &dest, true)?;
            let files = &plan.stats.files;
            let summary = RestoreSummary {
                snapshot: short,
                files_restored: files.restore,
                files_unchanged: files.unchanged + files.verified,
                files_replaced: files.modify,
                dirs_restored: plan.stats.dirs.restore,
                bytes: plan.restore_size,
                files_verified: 0,
            };
            if files.modify > 0 && !opts.overwrite {
                return Err(BackupError::WouldOverwrite(files.modify));
            }
            if opts.dry_run {
                return Ok(summary);
            }
            if cancel.is_cancelled() {
                return Err(BackupError::Cancelled);
            }
            let plan = repo.prepare_restore(&ropts, ls.clone(), &dest, false)?;
            repo.restore(plan, &ropts, ls.clone(), &dest)?;
            // Read everything back and compare each chunk with its blob id.
            let mut verify = rustic_core::RestoreOptions::default();
            verify.verify_existing = true;
            let check = repo.prepare_restore(&verify, ls, &dest, true)?;
            let bad = check.stats.files.modify + check.stats.files.restore;
            if bad > 0 {
                return Err(BackupError::VerifyFailed(bad));
            }
            Ok(RestoreSummary { files_verified: check.stats.files.verified + check.stats.files.unchanged, ..summary })
        })
        .await
    }
}

/// For a file whose target keeps its name: (the snapshot folder holding it,
/// the local folder to restore into, a glob that matches only the file).
fn single_file(node: &rustic_core::repofile::Node, inner: &str, target: &str) -> Option<(String, String, String)> {
    if node.is_dir() {
        return None;
    }
    let name = node.name().to_str()?.to_string();
    let target = Path::new(target);
    if target.file_name()?.to_str()? != name {
        return None;
    }
    let parent = Path::new(inner).parent()?.to_str()?.to_string();
    let folder = target.parent()?.to_str()?.to_string();
    let escaped: String =
        name.chars().flat_map(|c| if "*?[]{}\\!".contains(c) { vec!['\\', c] } else { vec![c] }).collect();
    Some((parent, if folder.is_empty() { ".".into() } else { folder }, format!("/{escaped}")))
}
