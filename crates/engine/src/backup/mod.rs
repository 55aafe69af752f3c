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
//! repo.restore(&summary.snapshot, "/tmp/back".as_ref(), &RestoreOptions::default(), no_progress()).await?;
//! # Ok(()) }
//! ```
//!
//! rustic is synchronous and runs its own threads; every method here runs it
//! on tokio's blocking pool, and the Jottacloud backend drives the async
//! client from there with the runtime's handle. Call it from a
//! multi-threaded runtime.

pub mod backend;
mod check;
mod error;
mod forget;
mod progress;
mod repo;
mod restore;
mod run;
mod snapshots;

pub use check::CheckReport;
pub use error::{BackupError, Result};
pub use forget::{ForgetReport, PruneReport, RetentionPolicy};
pub use progress::{BackupEvent, ProgressSink, no_progress};
pub use repo::{InitOptions, Repo, RepoLocation, RepoOptions, RepoSize};
pub use restore::{RestoreOptions, RestoreSummary};
pub use run::{BackupOptions, BackupSummary, IGNORE_FILE};
pub use snapshots::{Change, DiffItem, EntryKind, SnapshotInfo, TreeItem};
