//! Restoring a snapshot, or a file or folder of it, into a local folder.
//!
//! Three steps:
//! 1. `walk`: list the snapshot's entries and compare each with the target
//!    (nothing is changed: a refused overwrite or a dry run stops here).
//! 2. `contents`: create the folders, then fetch the chunks in pack ranges
//!    (`staged`), write them, read each back and compare its SHA-256 with
//!    its id; files appear complete (renamed into place) with their times.
//! 3. rustic's own restore for the rest (permissions, symlinks, hard links,
//!    folder times): it finds every file in place and writes no content.
//!
//! Why not rustic's restore for the contents too: in rustic_core 0.13 it
//! reads whole packs on 20 fixed threads and queues every decrypted chunk,
//! so a 1 GiB restore peaked near 1 GiB of memory, and it `unwrap`s a failed
//! read in its workers (a panic, not an error). Decryption stays in rustic.
//!
//! Existing files that differ from the snapshot are never replaced unless
//! asked ([`RestoreOptions::overwrite`]); files that already match are
//! skipped, and read back at the end like the written ones.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rustic_core::{LocalDestination, LsOptions, ProgressBars, ProgressType, RepositoryBackends};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::error::{BackupError, Result, blocking, hex};
use super::progress::ProgressSink;
use super::repo::Repo;
use super::snapshots::pick;
use staged::Staged;
use walk::{FileEntry, Found, Target};

mod contents;
mod staged;
mod walk;

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
    /// files completed before stay, no partly written file is left.
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
        blocking(move || this.restore_blocking(&snapshot, &target, &opts, progress, &cancel)).await
    }

    fn restore_blocking(
        &self,
        snapshot: &str,
        target: &str,
        opts: &RestoreOptions,
        progress: ProgressSink,
        cancel: &CancellationToken,
    ) -> Result<RestoreSummary> {
        let attached = self.bars.attach(progress.clone());
        let snap = pick(&self.repo.get_all_snapshots()?, snapshot)?;
        let short: String = hex(&snap.id).chars().take(8).collect();
        // Chunk reads go through `staged`, which answers them from the
        // pack ranges the workers read ahead.
        let staged = Arc::new(Staged::new(self.backends.repository()));
        let backends = RepositoryBackends::new(staged.clone(), self.backends.repo_hot());
        let repo = self.reopen_with(&backends)?.to_indexed()?;
        let inner = opts.path.clone().unwrap_or_default();
        let node = repo
            .node_from_snapshot_and_path(&snap, &inner)
            .map_err(|_| BackupError::PathNotFound { snapshot: short.clone(), path: inner.clone() })?;
        let mut ls_opts = LsOptions::default();
        let (node, dest) = match single_file(&node, &inner, target) {
            // A file restored under its own name: list its folder with only
            // that name let through, and restore into the folder.
            Some((parent, folder, glob)) => {
                ls_opts.recursive = false;
                ls_opts.excludes.globs = vec![glob];
                (repo.node_from_snapshot_and_path(&snap, &parent)?, Target { root: folder.into(), is_file: false })
            }
            None => {
                let is_file = !node.is_dir();
                (node, Target { root: target.into(), is_file })
            }
        };
        let ls = repo.ls(&node, &ls_opts)?;
        let plan = walk::walk(&repo, ls.clone(), &dest, opts.verify_existing)?;
        let count = |found| plan.files.iter().filter(|f| f.found == found).count() as u64;
        let summary = RestoreSummary {
            snapshot: short,
            files_restored: count(Found::Missing),
            files_unchanged: count(Found::Same),
            files_replaced: count(Found::Differs),
            dirs_restored: plan.new_dirs.len() as u64,
            bytes: plan.files.iter().filter(|f| f.to_write()).map(|f| f.size).sum(),
            files_verified: 0,
        };
        if summary.files_replaced > 0 && !opts.overwrite {
            return Err(BackupError::WouldOverwrite(summary.files_replaced));
        }
        if opts.dry_run {
            return Ok(summary);
        }
        let root = if dest.is_file { dest.root.parent().map(Path::to_path_buf) } else { Some(dest.root.clone()) };
        for dir in root.iter().chain(&plan.new_dirs) {
            std::fs::create_dir_all(dir)
                .map_err(|source| BackupError::Io { context: format!("cannot create {}", dir.display()), source })?;
        }
        // What killed restores into these folders left behind goes first.
        contents::remove_stale_temps(&plan.files);
        let bar = self.bars.progress(ProgressType::Bytes, "restoring file contents...");
        bar.set_length(summary.bytes);
        let written = contents::write(&repo, &staged, &plan.files, &bar, cancel)?;
        bar.finish();
        // Permissions, symlinks, hard links and folder times: rustic's own
        // restore, which finds every file already in place (size and
        // modification time match), so it writes no content. Quietly: its
        // phases would repeat ours.
        drop(attached);
        let local = LocalDestination::new(&dest.root.to_string_lossy(), true, dest.is_file)?;
        let ropts = rustic_core::RestoreOptions::default();
        let rest = repo.prepare_restore(&ropts, ls.clone(), &local, false)?;
        repo.restore(rest, &ropts, ls, &local)?;
        // Files that were already there are read now (written ones were read
        // back chunk by chunk as they were written).
        let _attached = self.bars.attach(progress);
        let same: Vec<_> = plan.files.iter().filter(|f| !f.to_write()).collect();
        let bad = verify_existing(&same, &self.bars);
        if bad > 0 {
            return Err(BackupError::VerifyFailed(bad));
        }
        Ok(RestoreSummary { files_verified: written + same.len() as u64, ..summary })
    }
}

/// Reads `files` back (on a few threads) and counts those whose content
/// differs from the snapshot.
fn verify_existing(files: &[&FileEntry], bars: &impl ProgressBars) -> u64 {
    if files.is_empty() {
        return 0;
    }
    let bar = bars.progress(ProgressType::Bytes, "verifying existing files...");
    bar.set_length(files.iter().map(|f| f.size).sum());
    let next = AtomicUsize::new(0);
    let bad = AtomicU64::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while let Some(f) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if !walk::content_matches(&f.path, &f.blobs) {
                        bad.fetch_add(1, Ordering::Relaxed);
                    }
                    bar.inc(f.size);
                }
            });
        }
    });
    bar.finish();
    bad.into_inner()
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
