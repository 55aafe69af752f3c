//! `fjordsync serve webdav`: a WebDAV server over the filesystem core
//! ([`fjordsync_vfs::Vfs`]), built on `dav-server`.
//!
//! * [`fs`]: `DavFileSystem` over the core; [`file`]: open files (a PUT
//!   is staged and handed to the upload queue when its body ends).
//! * Class 2 with real locks (`MemLs`), so macOS Finder mounts read-write
//!   and Office can lock documents; dead properties are stored ([`props`]),
//!   not just answered "OK" as rclone does.
//! * ETags are the MD5 plus the storage's revision ([`meta`]).
//! * [`server`]: HTTP on a listener the caller bound, every request behind
//!   HTTP Basic ([`login`]); a DELETE of a folder is one move of the whole
//!   folder to the trash.
//! * [`os_mount`]: the served folder mounted with the system's own WebDAV
//!   client (macOS `mount_webdav`, Windows `net use`, Linux `gio mount`),
//!   so no kernel extension or driver is needed.

pub mod file;
pub mod fs;
pub mod login;
pub mod meta;
pub mod os_mount;
pub mod props;
pub mod server;

pub use login::Login;
pub use server::{handler, serve_until};
