//! The filesystem core behind "Jottacloud as a local folder": one API that
//! the WebDAV server (`fjordsync serve webdav`) and, later, the FUSE mount
//! call, so both behave alike and both are tested without a kernel.
//!
//! * [`Vfs`]: list, stat, read, write, mkdir, remove (to the Jottacloud
//!   trash, never a hard delete), rename (a server-side move), copy and
//!   `set_modified` on paths below one remote folder.
//! * Folder listings are kept in memory ([`listings`]): our own changes
//!   update or drop them at once, and a poll of the served folder's
//!   fingerprint every [`VfsOptions::poll_interval`] drops those that
//!   changed elsewhere ([`poll`]); [`VfsOptions::listing_ttl`] is a safety net.
//! * Reads go through a disk cache of byte ranges with a size limit, least
//!   recently used evicted, never a file that is open ([`read_cache`]); a
//!   file read in order streams in ahead of the reader (`read_ahead`); a
//!   big one (over a quarter of the cache) streams past the cache, held only
//!   in memory around its reader (`pass_through`).
//! * Writes are staged in a file in the cache folder, their MD5 computed as
//!   the bytes arrive; after close they are uploaded a moment later with the
//!   client's normal upload (dedup, resume). Pending uploads are rows in a
//!   small SQLite file ([`state`]), so a crash loses none: the next start
//!   finishes them.
//! * Finder's and Explorer's habit files (`._*`, `.DS_Store`, `Thumbs.db`,
//!   ...) are kept in the cache only and never reach the storage ([`junk`]).
//! * Paths are [`VfsPath`]s: names only, no `..`, so nothing a client sends
//!   can reach outside the served folder; files in the cache folder are named
//!   by us and never opened through a symbolic link ([`cache_dir`]).

mod cache_dir;
mod error;
pub mod junk;
pub mod listings;
mod meta;
mod options;
mod pass_through;
mod path;
pub mod poll;
mod positioned;
mod read_ahead;
pub mod read_cache;
mod reader;
mod staged;
pub mod state;
mod uploader;
mod vfs;
mod writer;

pub use error::{Result, VfsError};
pub use meta::{DirEntry, FileState, Kind, Meta};
pub use options::VfsOptions;
pub use path::VfsPath;
pub use poll::Polled;
pub use reader::Reader;
pub use uploader::Finished;
pub use vfs::{Space, Vfs};
pub use writer::Writer;
