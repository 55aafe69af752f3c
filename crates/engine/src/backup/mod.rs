//! Encrypted, deduplicated, incremental backups in restic's repository
//! format, through `rustic_core`. A repository lives in a local folder
//! (rustic's local backend) or in a folder on a Jottacloud remote
//! ([`backend::JottaBackend`]); restic and rustic can read either.
//!
//! The whole API is [`Repo`]:
//!
//! ```no_run
//! # async fn demo(session: fjordsync_engine::Session) -> fjordsync_engine::backup::Result<()> {
//! use fjordsync_engine::backup::*;
//! let location = RepoLocation::Remote { session: Box::new(session), path: "backup".into() };
//! let repo = Repo::init(&location, "secret", &RepoOptions::default()).await?;
//! let summary = repo
//!     .backup(&["/home/me/Pictures".into()], &BackupOptions::default(), no_progress(), Default::default())
//!     .await?;
//! let snapshots = repo.snapshots().await?;
//! repo.restore(&summary.snapshot, "/tmp/back".as_ref(), &RestoreOptions::default(), no_progress(), Default::default()).await?;
//! # Ok(()) }
//! ```
//!
//! rustic is synchronous and runs its own threads; every method here runs it
//! on tokio's blocking pool, and the Jottacloud backend drives the async
//! client from there with the runtime's handle. Call it from a
//! multi-threaded runtime.
//!
//! Where rustic_core 0.13 falls short, and what we do about it:
//! - No cancel hook: a gate in front of the backend fails every write once
//!   the token fires (`progress.rs`), then the index is repaired. rustic's
//!   packer threads are detached and may still flush a pack after `backup`
//!   returned, so the gate stays closed to them: the repair goes through the
//!   ungated storage, and the next writing operation opens the gate.
//! - A backup killed before its index is written leaves unindexed packs;
//!   `to_indexed_ids_checked` would use them without indexing them (a later
//!   `check` would fail), so `backup` compares the pack listing with the
//!   index files and runs `repair_index` when a pack is unindexed.
//! - `Repository<OpenStatus>` is not `Clone` and the `to_indexed*` calls
//!   consume it: `Repo` re-opens with the master key for them.
//! - rustic's restore reads whole packs on 20 fixed threads, queues every
//!   decrypted chunk (memory near the restore's size) and `unwrap`s a failed
//!   read (a panic). We write file contents ourselves (`restore/`), reading
//!   pack ranges through a staging backend so rustic still decrypts, and
//!   leave only metadata to rustic's restore.
//! - Restoring one file into a folder that does not exist yet makes rustic
//!   log an error while it looks for extra files there; we restore such a
//!   file by listing its folder with a glob that lets only it through.
//! - The check results' level type is not exported; we read its `Debug`.
//! - The local source has no per-file hook: includes and excludes are its
//!   override globs and `max_size` its `exclude_larger_than`, but the
//!   minimum size and the ages are checked with the sync [`Filter`] on a walk
//!   first, and the files they reject become escaped exclude globs.
//!
//! [`Filter`]: crate::filter::Filter
//! - The local backend writes packs in place, so `kill -9` can leave a cut
//!   pack; the repair skips it (rustic logs a warning) and `prune` removes it.

pub mod backend;
mod check;
pub mod detect;
mod error;
mod forget;
mod logged;
mod progress;
mod repo;
mod restore;
mod run;
mod snapshots;

pub use check::CheckReport;
pub use error::{BackupError, Result};
pub use forget::{ForgetReport, PruneReport, RetentionPolicy};
pub use logged::{LoggedBackup, LoggedReport, RETENTION_ACTION, password_key, read_password_file};
pub use progress::{BackupEvent, ProgressSink, no_progress};
pub use repo::{InitOptions, Repo, RepoLocation, RepoOptions, RepoSize};
pub use restore::{RestoreOptions, RestoreSummary};
pub use run::{BackupOptions, BackupSummary, IGNORE_FILE};
pub use snapshots::{Change, DiffItem, EntryKind, SnapshotInfo, TreeItem};
