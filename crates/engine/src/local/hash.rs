//! Local MD5s through the hash cache: a file whose path, size, mtime and
//! inode match the cache is never read again.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use crate::state::{CachedHash, DbOp, WriterHandle};
use crate::tree::FileItem;

/// The cache for one run: loaded once, new hashes written back in batches.
pub struct HashCache {
    known: HashMap<String, CachedHash>,
    writer: Option<WriterHandle>,
}

impl HashCache {
    /// A cache over `known` entries that records new hashes through `writer`.
    pub fn new(known: HashMap<String, CachedHash>, writer: Option<WriterHandle>) -> HashCache {
        HashCache { known, writer }
    }

    /// The cached MD5 if it is still valid for `item`.
    pub fn lookup(&self, path: &Path, item: &FileItem) -> Option<String> {
        let c = self.known.get(&super::path_key(path))?;
        (c.size == item.size && c.mtime_ns == item.mtime_ns && c.inode == item.inode).then(|| c.md5.clone())
    }

    /// The file's MD5: cached, or read (blocking) and remembered.
    pub fn md5(&self, path: &Path, item: &FileItem) -> std::io::Result<String> {
        if let Some(m) = self.lookup(path, item) {
            return Ok(m);
        }
        let md5 = md5_of_file(path)?;
        self.remember(path, item, &md5);
        Ok(md5)
    }

    /// Records a hash computed elsewhere (e.g. while uploading).
    pub fn remember(&self, path: &Path, item: &FileItem, md5: &str) {
        if let Some(w) = &self.writer {
            let hash = CachedHash { size: item.size, mtime_ns: item.mtime_ns, inode: item.inode, md5: md5.to_string() };
            w.send(DbOp::Hash { path: super::path_key(path), hash });
        }
    }
}

/// MD5 of a whole file, streaming (blocking).
pub fn md5_of_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = fjordsync_jottacloud::ContentMd5::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finish_hex())
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
