//! The local side: walking a folder one [`crate::tree::Folder`] at a time, hashing
//! through the cache, and mapping remote keys back to local paths without
//! ever leaving the target folder, nor writing through a link or a mount
//! point below it.

mod hash;
pub mod os_trash;
mod paths;
mod safe_path;
mod walk;

pub(crate) use walk::{inode, times};

pub use hash::{HashCache, hex as hash_hex, md5_of_file};
pub use paths::{PathError, local_path, path_key};
pub use safe_path::{MkdirError, SafeRoot, UnsafeKind, UnsafePath};
pub use walk::{IGNORE_FILE, LocalWalk, walk, walk_all};
