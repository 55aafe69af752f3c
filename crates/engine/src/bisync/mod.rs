//! Two-way sync: a local folder and a remote folder kept in step, whichever
//! side changes (issue 14). One run lists both sides once
//! ([`snapshot`]), compares each with the pair's base, the last state both
//! agreed on ([`base`]), turns the differences into actions by Unison's
//! and Maestral's rules ([`reconcile`], a pure function), checks them
//! ([`guard`], the preflight), and applies them ([`apply`]), writing each
//! item's new base row the moment it settles. So a run can stop anywhere
//! and the next one carries on: there is no "resync". Continuous mode
//! ([`Runner::bisync_watch`](crate::Runner::bisync_watch)) decides only
//! *when* to run: on file events ([`local_watch`]), on a changed storage
//! listing ([`poll`]), and now and then.

pub mod apply;
pub mod base;
pub mod conflict;
mod error;
pub mod guard;
pub mod issues;
pub mod local_watch;
mod lock;
pub mod names;
pub mod poll;
pub mod reconcile;
mod resolve;
mod run;
pub mod snapshot;
pub mod temporary;
mod watch;

pub use base::{Base, BaseItem, Kind, PairId};
pub use conflict::{Conflict, CopyNamer};
pub use error::BisyncError;
pub use issues::{Issue, IssueKind, IssueSide};
pub use lock::{PairLock, lock_pair};
pub use reconcile::{Action, SkipReason, reconcile};
pub use resolve::{OpenConflict, Resolution, Version, open_conflicts};
pub use run::{BisyncReport, BisyncSpec, dry_word};
pub use watch::{DirectRuns, Notice, PairRuns, Trigger, WatchEvent, WatchOptions, WatchSink};
