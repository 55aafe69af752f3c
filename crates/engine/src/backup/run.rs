//! Backing up local folders: incremental (the latest snapshot of the same
//! host and paths is the parent, so unchanged files are not read again),
//! deduplicated and compressed by rustic.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use rustic_core::repofile::{IndexFile, SnapshotFile};
use rustic_core::{
    Excludes, FileType, LocalSourceFilterOptions, ParentOptions, PathList, RepairIndexOptions, SnapshotOptions,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::error::{BackupError, Result, blocking, hex};
use super::progress::ProgressSink;
use super::repo::Repo;
use crate::filter::{Filter, FilterOptions};

/// How long a cancelled backup waits for its uploads under way to end.
const SETTLE_LIMIT: Duration = Duration::from_secs(120);

/// The ignore file honoured in backed-up folders, as in sync tasks.
pub const IGNORE_FILE: &str = ".fjordsyncignore";

/// What to back up and how to label it.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Tags for the snapshot.
    pub tags: Vec<String>,
    /// The host name to record (default: this machine's).
    pub host: Option<String>,
    /// Which files are backed up: the sync tasks' filters, with the same
    /// meaning (`.fjordsyncignore` files are honoured as well).
    pub filters: FilterOptions,
    /// Read every file even if the parent snapshot says it is unchanged.
    pub force: bool,
    /// Do everything but write (nothing is uploaded).
    pub dry_run: bool,
}

/// What a backup did (rustic's snapshot summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupSummary {
    /// The new snapshot's id (empty for a dry run).
    pub snapshot: String,
    /// The parent snapshot that decided what was unchanged, if any.
    pub parent: Option<String>,
    /// Files not in the parent.
    pub files_new: u64,
    /// Files changed since the parent (read again).
    pub files_changed: u64,
    /// Files the parent vouched for (not read).
    pub files_unmodified: u64,
    /// Folders new / changed / unmodified.
    pub dirs_new: u64,
    /// Folders changed since the parent.
    pub dirs_changed: u64,
    /// Folders unmodified.
    pub dirs_unmodified: u64,
    /// Files in the snapshot.
    pub total_files: u64,
    /// Bytes in the snapshot's files.
    pub total_bytes: u64,
    /// New data blobs before compression.
    pub data_added: u64,
    /// New data after compression (what was uploaded, roughly).
    pub data_added_packed: u64,
    /// Pack files of an interrupted earlier backup that this run indexed
    /// first, so their data was reused instead of sent again.
    pub packs_recovered: usize,
}

impl From<&SnapshotFile> for BackupSummary {
    fn from(s: &SnapshotFile) -> Self {
        let mut out = BackupSummary { snapshot: hex(&s.id), parent: s.parent.map(|p| hex(&p)), ..Default::default() };
        if let Some(m) = &s.summary {
            out.files_new = m.files_new;
            out.files_changed = m.files_changed;
            out.files_unmodified = m.files_unmodified;
            out.dirs_new = m.dirs_new;
            out.dirs_changed = m.dirs_changed;
            out.dirs_unmodified = m.dirs_unmodified;
            out.total_files = m.total_files_processed;
            out.total_bytes = m.total_bytes_processed;
            out.data_added = m.data_added;
            out.data_added_packed = m.data_added_packed;
        }
        out
    }
}

impl Repo {
    /// Backs up `paths` (files or folders) as one snapshot.
    ///
    /// `cancel` stops the backup at the next write: no snapshot is written,
    /// the packs already uploaded are indexed so `check` is clean and the
    /// next backup reuses them, and the result is [`BackupError::Cancelled`].
    pub async fn backup(
        &self,
        paths: &[PathBuf],
        opts: &BackupOptions,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<BackupSummary> {
        if paths.is_empty() {
            return Err(BackupError::Invalid("nothing to back up: give at least one path".into()));
        }
        let mut sources = Vec::new();
        for p in paths {
            let abs = std::fs::canonicalize(p)
                .map_err(|source| BackupError::Io { context: format!("cannot back up {}", p.display()), source })?;
            sources.push(abs);
        }
        let this = self.clone();
        let opts = opts.clone();
        blocking(move || {
            let _progress = this.bars.attach(progress);
            this.gate.set(cancel.clone());
            let result = this.backup_blocking(sources, &opts);
            match result {
                Ok(s) => {
                    this.gate.clear();
                    Ok(s)
                }
                Err(e) if cancel.is_cancelled() => {
                    // rustic returns while some of its threads still run: an
                    // upload under way, or a packer flushing its last pack.
                    // The gate stays closed to them (the next operation opens
                    // it); the packs that did land are indexed through the
                    // ungated storage once the uploads under way have ended.
                    tracing::info!("backup cancelled ({e}); indexing the packs already uploaded");
                    if !this.gate.settle(SETTLE_LIMIT) {
                        tracing::warn!("an upload of the cancelled backup is still under way; indexing without it");
                    }
                    let repaired = this
                        .reopen_with(&this.ungated)
                        .and_then(|r| Ok(r.repair_index(&RepairIndexOptions::default(), false)?));
                    if let Err(e) = repaired {
                        tracing::warn!("indexing the packs of a cancelled backup failed: {e}");
                    }
                    Err(BackupError::Cancelled)
                }
                Err(e) => {
                    this.gate.clear();
                    Err(e)
                }
            }
        })
        .await
    }

    /// Pack files that no index lists: what a backup killed before writing
    /// its index leaves behind (a concurrent backup's packs look the same,
    /// and indexing those early is harmless too).
    fn orphan_packs(&self) -> Result<usize> {
        let listed = self.backends.repository().list_with_size(FileType::Pack)?;
        if listed.is_empty() {
            return Ok(0);
        }
        let mut indexed = HashSet::new();
        for file in self.repo.stream_files::<IndexFile>()? {
            let (_, file) = file?;
            for p in file.packs.iter().chain(&file.packs_to_delete) {
                indexed.insert(*p.id);
            }
        }
        Ok(listed.iter().filter(|(id, _)| !indexed.contains(id)).count())
    }

    fn backup_blocking(&self, sources: Vec<PathBuf>, opts: &BackupOptions) -> Result<BackupSummary> {
        let orphans = if opts.dry_run { 0 } else { self.orphan_packs()? };
        if orphans > 0 {
            tracing::info!("indexing {orphans} pack(s) left by an interrupted backup");
            self.repo.repair_index(&RepairIndexOptions::default(), false)?;
        }
        let mut snap_opts = SnapshotOptions::default();
        if let Some(h) = &opts.host {
            snap_opts = snap_opts.host(h.clone());
        }
        for t in &opts.tags {
            snap_opts = snap_opts.add_tags(t)?;
        }
        let snap = snap_opts.to_snapshot()?;
        let filters = &opts.filters;
        let mut excludes = Excludes::default();
        // Includes first and excludes last, as in `filter.rs`: the last
        // matching glob wins, and a folder that matches no include is still
        // walked (the `ignore` crate's whitelist rule).
        excludes.globs =
            filters.include.iter().cloned().chain(filters.exclude.iter().map(|g| format!("!{g}"))).collect();
        let mut filter = LocalSourceFilterOptions::default();
        filter.custom_ignorefiles = vec![IGNORE_FILE.to_string()];
        filter.exclude_larger_than = filters.max_size.map(bytesize::ByteSize::b);
        let rejected = rejected_by_size_or_age(&sources, &excludes, filters)?;
        excludes.globs.extend(rejected);
        let mut parent = ParentOptions::default();
        parent.force = opts.force;
        let mut backup_opts = rustic_core::BackupOptions::default();
        backup_opts.parent_opts = parent;
        backup_opts.excludes = excludes;
        backup_opts.ignore_filter_opts = filter;
        backup_opts.dry_run = opts.dry_run;
        // Sorted (and without paths below others): rustic walks the sources
        // in this order and matches them against the parent's sorted tree
        // in one pass, so a path given before one that sorts lower would
        // find no parent and every file below it would be read again.
        let source: PathList = sources.into_iter().collect::<PathList>().merge();
        let repo = self.reopen()?.to_indexed_ids()?;
        let snap = repo.backup(&backup_opts, &source, snap)?;
        Ok(BackupSummary { packs_recovered: orphans, ..BackupSummary::from(&snap) })
    }
}

/// The files below `sources` that the sync filter's minimum size or age
/// limits reject, as exclude globs (their escaped absolute paths): rustic's
/// local source has no hook for those limits, so they reach it the way the
/// exclude globs do. The walk skips what the globs and ignore files already
/// leave out, as rustic's own walk does.
fn rejected_by_size_or_age(sources: &[PathBuf], excludes: &Excludes, filters: &FilterOptions) -> Result<Vec<String>> {
    if filters.min_size.is_none() && filters.min_age_secs.is_none() && filters.max_age_secs.is_none() {
        return Ok(Vec::new());
    }
    let limits = FilterOptions {
        min_size: filters.min_size,
        min_age_secs: filters.min_age_secs,
        max_age_secs: filters.max_age_secs,
        ..Default::default()
    };
    let filter = Filter::new(&limits).map_err(|e| BackupError::Invalid(e.to_string()))?;
    let mut globs = OverrideBuilder::new("");
    for g in &excludes.globs {
        globs.add(g).map_err(|e| BackupError::Invalid(format!("invalid filter {g:?}: {e}")))?;
    }
    let globs = globs.build().map_err(|e| BackupError::Invalid(e.to_string()))?;
    let mut out = Vec::new();
    for source in sources {
        let walk = WalkBuilder::new(source)
            .follow_links(false)
            .hidden(false)
            .ignore(false)
            .git_ignore(false)
            .git_exclude(false)
            .add_custom_ignore_filename(IGNORE_FILE)
            .overrides(globs.clone())
            .build();
        // Unreadable entries are left to rustic's walk, which reports them.
        for entry in walk.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            let mtime =
                meta.modified().ok().and_then(|t| jiff::Timestamp::try_from(t).ok()).map_or(0, |t| t.as_second());
            if !filter.accepts_file("", "", meta.len(), mtime) {
                out.push(format!("!{}", globset::escape(&entry.path().to_string_lossy())));
            }
        }
    }
    Ok(out)
}
