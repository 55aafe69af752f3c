//! Mounts: a storage folder kept available as a local folder (FUSE on
//! Linux) or as a WebDAV folder the system's file manager opens, for as
//! long as its task wants it. A mount is a task kind ([`crate::tasks::Job::Mount`]),
//! so the scheduler that keeps continuous two-way syncs keeps mounts too,
//! in the app and in `fjordsync daemon` alike.
//!
//! - [`spec`]: what a mount task stores ([`MountSpec`], [`MountAccess`]);
//! - [`status`]: what a kept mount is doing ([`MountStatus`]), reported as
//!   it changes;
//! - [`keep`]: the loop that opens the filesystem core, attaches it
//!   (FUSE or WebDAV), reports, and at a stop finishes the uploads first
//!   ([`crate::Runner::keep_mounted`]);
//! - [`attach`]: the two ways to attach, one concept each.
//!
//! The filesystem itself (caches, staged writes, uploads) is
//! `fjordsync-vfs`; this module only decides its life cycle.

mod attach;
mod error;
pub mod keep;
pub mod spec;
pub mod status;

pub use error::MountError;
pub use keep::{MountSink, MountStops};
pub use spec::{MountAccess, MountSpec};
pub use status::{MountLocation, MountProblem, MountState, MountStatus};
