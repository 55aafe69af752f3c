//! The core's metadata as FUSE attributes.

use std::time::{Duration, SystemTime};

use fjordsync_vfs::{Kind, Meta};
use fuser::{FileAttr, FileType, INodeNo};

/// How long the kernel trusts names and attributes: short, so once the
/// core's poll has noticed a change made elsewhere (and dropped the listing
/// it touched), the kernel asks again within a second. Asking again is cheap:
/// the core answers from the listings it holds in memory.
pub(crate) const TTL: Duration = Duration::from_secs(1);

/// Block size of the file system (`df`).
pub(crate) const BLOCK: u32 = 4096;

/// The I/O size reported for files (`stat`'s `st_blksize`): programs size
/// their buffers by it (`cp` writes in pieces of at least this), and each
/// write is a trip through FUSE, so 1 MiB (the mount's largest write) makes
/// a big file a quarter as many trips as the usual 128 KiB.
const IO_SIZE: u32 = 1 << 20;

/// Who owns the files: whoever mounted (Jottacloud has no owners).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Shown for folders, which carry no time on Jottacloud.
    pub(crate) mounted_at: SystemTime,
}

impl Owner {
    pub(crate) fn current() -> Owner {
        // SAFETY: getuid and getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Owner { uid, gid, mounted_at: SystemTime::now() }
    }

    pub(crate) fn attr(&self, ino: u64, meta: &Meta) -> FileAttr {
        let time = meta.modified.map(SystemTime::from).unwrap_or(self.mounted_at);
        let (kind, perm, nlink) = match meta.kind {
            Kind::Folder => (FileType::Directory, 0o755, 2),
            _ => (FileType::RegularFile, 0o644, 1),
        };
        FileAttr {
            ino: INodeNo(ino),
            size: meta.size,
            blocks: meta.size.div_ceil(512),
            atime: time,
            mtime: time,
            ctime: time,
            crtime: meta.created.map(SystemTime::from).unwrap_or(time),
            kind,
            perm,
            nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: IO_SIZE,
            flags: 0,
        }
    }

    /// A file being written: its size so far, modified now.
    pub(crate) fn writing(&self, ino: u64, size: u64) -> FileAttr {
        let meta = Meta {
            kind: Kind::File,
            size,
            modified: Some(jiff::Timestamp::now()),
            created: None,
            md5: None,
            revision: None,
            state: fjordsync_vfs::FileState::Pending,
        };
        self.attr(ino, &meta)
    }
}
