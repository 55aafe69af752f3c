//! The read cache: stored files' bytes on disk, fetched by range.
//!
//! A file is cached in blocks of [`BLOCK`] bytes in a sparse file named by
//! its MD5 and size (content-addressed: a new revision is a new entry, and
//! equal files share one). A read fetches only the missing blocks it needs,
//! with HTTP ranges. When the blocks held exceed the size limit, whole files
//! go, least recently used first, never one that is open. The index lives in
//! memory; the folder is emptied at every start, so a crash leaves no stale
//! blocks behind.

use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::Mutex;

use bytes::Bytes;
use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::cache_dir;
use crate::error::{Result, VfsError};

/// Bytes per block: small enough that a peek into a big file fetches little.
pub const BLOCK: u64 = 1 << 20;

/// Blocks fetched beyond a sequential read, in the same request: a file
/// read from start to end costs one request per 16 MiB, not per block.
const READ_AHEAD: u64 = 15;

/// A stored file's content, as the cache knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    /// Lower-case hex MD5.
    pub md5: String,
    /// Size in bytes.
    pub size: u64,
}

impl Content {
    /// The cache's name for it, or `None` if the MD5 is not 32 hex digits
    /// (then it is read without caching: the name must be ours).
    fn key(&self) -> Option<String> {
        let ok = self.md5.len() == 32 && self.md5.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| format!("{}-{}", self.md5.to_ascii_lowercase(), self.size))
    }
}

#[derive(Debug)]
struct Entry {
    have: Vec<bool>,
    bytes: u64,
    used: u64,
    open: usize,
}

#[derive(Debug, Default)]
struct Index {
    entries: HashMap<String, Entry>,
    clock: u64,
    total: u64,
}

/// The cache.
#[derive(Debug)]
pub struct ReadCache {
    dir: PathBuf,
    max: u64,
    index: Mutex<Index>,
}

impl ReadCache {
    /// A cache in `dir` (an empty folder) holding at most `max` bytes of
    /// closed files.
    pub fn new(dir: PathBuf, max: u64) -> ReadCache {
        ReadCache { dir, max, index: Mutex::new(Index::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Bytes held now.
    pub fn size(&self) -> u64 {
        self.lock().total
    }

    /// Marks `content` open: it stays until [`ReadCache::close`].
    pub fn open(&self, content: &Content) {
        let Some(key) = content.key() else { return };
        let mut idx = self.lock();
        let blocks = content.size.div_ceil(BLOCK) as usize;
        idx.entries
            .entry(key)
            .or_insert_with(|| Entry { have: vec![false; blocks], bytes: 0, used: 0, open: 0 })
            .open += 1;
    }

    /// Ends one [`ReadCache::open`]; the limit applies again.
    pub fn close(&self, content: &Content) {
        let Some(key) = content.key() else { return };
        let mut idx = self.lock();
        if let Some(e) = idx.entries.get_mut(&key) {
            e.open = e.open.saturating_sub(1);
        }
        self.evict(&mut idx);
    }

    /// `len` bytes of `content` (stored at `remote`) from `offset`; fewer at
    /// the end of the file. The caller holds it open. `sequential` reads
    /// fetch ahead.
    pub async fn read(
        &self,
        client: &Client,
        remote: &RemotePath,
        content: &Content,
        offset: u64,
        len: usize,
        sequential: bool,
    ) -> Result<Bytes> {
        let end = content.size.min(offset.saturating_add(len as u64));
        if offset >= end {
            return Ok(Bytes::new());
        }
        let Some(key) = content.key() else {
            return download(client, remote, offset, end).await;
        };
        let path = self.dir.join(&key);
        let (first, last) = (offset / BLOCK, (end - 1) / BLOCK);
        let missing = {
            let mut idx = self.lock();
            idx.clock += 1;
            let clock = idx.clock;
            let blocks = content.size.div_ceil(BLOCK) as usize;
            let e = idx.entries.entry(key.clone()).or_insert_with(|| Entry {
                have: vec![false; blocks],
                bytes: 0,
                used: 0,
                open: 0,
            });
            e.used = clock;
            let fetch_to = if sequential { (last + READ_AHEAD).min(blocks as u64 - 1) } else { last };
            // Ahead only as one stretch with what was asked for.
            let mut missing = runs(&e.have, first as usize, fetch_to as usize);
            missing.retain(|&(a, _)| a as u64 <= last);
            missing
        };
        if !missing.is_empty() {
            let file = match cache_dir::open_rw(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => cache_dir::create_new(&path)?,
                Err(e) => return Err(e.into()),
            };
            file.set_len(content.size)?;
            let mut file = tokio::fs::File::from_std(file);
            for (a, b) in missing {
                let start = a as u64 * BLOCK;
                let stop = ((b as u64 + 1) * BLOCK).min(content.size);
                fetch_into(client, remote, &mut file, start, stop).await?;
                let mut idx = self.lock();
                let mut added = 0;
                if let Some(e) = idx.entries.get_mut(&key) {
                    for i in a..=b {
                        if !e.have[i] {
                            e.have[i] = true;
                            let block_len = ((i as u64 + 1) * BLOCK).min(content.size) - i as u64 * BLOCK;
                            e.bytes += block_len;
                            added += block_len;
                        }
                    }
                }
                idx.total += added;
            }
        }
        let mut file = tokio::fs::File::from_std(cache_dir::open_read(&path)?);
        file.seek(SeekFrom::Start(offset)).await?;
        let mut buf = vec![0u8; (end - offset) as usize];
        file.read_exact(&mut buf).await?;
        let mut idx = self.lock();
        self.evict(&mut idx);
        Ok(Bytes::from(buf))
    }

    /// Drops least recently used closed files until the limit holds.
    fn evict(&self, idx: &mut Index) {
        while idx.total > self.max {
            let victim = idx
                .entries
                .iter()
                .filter(|(_, e)| e.open == 0 && e.bytes > 0)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            let Some(key) = victim else { return };
            if let Some(e) = idx.entries.remove(&key) {
                idx.total -= e.bytes;
            }
            cache_dir::remove(&self.dir.join(&key));
        }
        idx.entries.retain(|_, e| e.open > 0 || e.bytes > 0);
    }
}

/// Runs of missing blocks in `first..=last`, as inclusive pairs.
fn runs(have: &[bool], first: usize, last: usize) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let last = last.min(have.len().saturating_sub(1));
    for (i, &held) in have.iter().enumerate().take(last + 1).skip(first) {
        if held {
            continue;
        }
        match out.last_mut() {
            Some((_, b)) if *b + 1 == i => *b = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// Tries of a range read that bring no new byte before it fails.
const FRUITLESS_TRIES: u32 = 4;

/// Writes bytes `start..stop` of the file at `remote` into `file` at the
/// same offsets. A reply cut in the middle is asked for again from where it
/// stopped; it fails after [`FRUITLESS_TRIES`] tries in a row that brought
/// nothing, or at once for what another try cannot fix.
async fn fetch_into(
    client: &Client,
    remote: &RemotePath,
    file: &mut tokio::fs::File,
    start: u64,
    stop: u64,
) -> Result<()> {
    let mut got = 0u64;
    let mut fruitless = 0u32;
    loop {
        let before = got;
        match fetch_part(client, remote, file, start + got, stop, &mut got).await {
            // tokio writes in the background: the bytes must be in the file
            // before the blocks are marked held and read through another handle.
            Ok(()) if got == stop - start => return Ok(file.flush().await?),
            Ok(()) => {}
            Err(e) if e.retry() == fjordsync_jottacloud::Retry::Never => return Err(VfsError::remote(remote, e)),
            Err(e) if fruitless + 1 >= FRUITLESS_TRIES => return Err(VfsError::remote(remote, e)),
            Err(e) => tracing::debug!("{remote}: range read cut at {}, asking again: {e}", start + got),
        }
        fruitless = if got > before { 0 } else { fruitless + 1 };
        if fruitless >= FRUITLESS_TRIES {
            return Err(VfsError::Remote {
                path: remote.to_string(),
                source: fjordsync_jottacloud::Error::Protocol(format!(
                    "asked for {} bytes from offset {start}, got {got}",
                    stop - start
                )),
            });
        }
    }
}

/// One range request from `from` to `stop`; `got` counts what arrived.
async fn fetch_part(
    client: &Client,
    remote: &RemotePath,
    file: &mut tokio::fs::File,
    from: u64,
    stop: u64,
    got: &mut u64,
) -> std::result::Result<(), fjordsync_jottacloud::Error> {
    let opts = DownloadOptions { start: from, end: Some(stop - 1), revision: None };
    let mut body = client.download(remote, opts).await?;
    file.seek(SeekFrom::Start(from)).await?;
    let mut at = from;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        let take = chunk.len().min((stop - at) as usize);
        file.write_all(&chunk[..take]).await?;
        at += take as u64;
        *got += take as u64;
        if at == stop {
            break;
        }
    }
    Ok(())
}

/// An uncached range read (the MD5 cannot name a cache file).
async fn download(client: &Client, remote: &RemotePath, start: u64, stop: u64) -> Result<Bytes> {
    let opts = DownloadOptions { start, end: Some(stop - 1), revision: None };
    let mut body = client.download(remote, opts).await.map_err(|e| VfsError::remote(remote, e))?;
    let mut out = Vec::with_capacity((stop - start) as usize);
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.map_err(|e| VfsError::remote(remote, e))?);
    }
    out.truncate((stop - start) as usize);
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_blocks_come_in_runs() {
        let have = [true, false, false, true, false, true];
        assert_eq!(runs(&have, 0, 5), [(1, 2), (4, 4)]);
        assert_eq!(runs(&have, 2, 3), [(2, 2)]);
        assert!(runs(&have, 3, 3).is_empty());
    }

    #[test]
    fn only_md5s_name_cache_files() {
        let ok = Content { md5: "d41d8cd98f00b204e9800998ecf8427e".into(), size: 0 };
        assert_eq!(ok.key().unwrap(), "d41d8cd98f00b204e9800998ecf8427e-0");
        assert!(Content { md5: "../../etc/passwd".into(), size: 1 }.key().is_none());
    }
}
