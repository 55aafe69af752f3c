//! `fjordsync mount`: a Jottacloud folder as a local folder through FUSE
//! (Linux). All file logic lives in the filesystem core (`fjordsync-vfs`,
//! shared with the WebDAV server); this crate only translates:
//!
//! * [`inodes`]: the kernel speaks in inode numbers, the core in paths; the
//!   table keeps one number per path for as long as the folder is mounted
//!   (renames move the numbers along, removals drop them).
//! * [`fs`]: fuser's `Filesystem` callbacks, each run to its end on the
//!   tokio runtime (fuser calls them on its own threads, several at once).
//! * [`errno`]: the core's errors as the errno values programs expect.
//! * [`mount`]: mounting, unmounting, and telling our mounts from others.
//!
//! Attributes and names are trusted by the kernel for one second only, so
//! changes made elsewhere (another computer, the web) show up within a
//! second of the core's poll noticing them; the core's listings in memory
//! keep that cheap.
#![cfg(target_os = "linux")]

mod attr;
mod errno;
mod fs;
mod inodes;
mod mount;

pub use mount::{MountEntry, MountError, Mounted, UnmountError, find_mount, mount, unmount};
