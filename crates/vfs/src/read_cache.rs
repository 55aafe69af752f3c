//! The read cache: stored files' bytes on disk, fetched by range.
//!
//! A file is cached in blocks of [`BLOCK`] bytes in a sparse file named by
//! its MD5 and size (content-addressed: a new revision is a new entry, and
//! equal files share one). A read fetches only the missing blocks it needs,
//! with HTTP ranges; a file read in order is fetched by one streaming
//! download running ahead of the reader instead (`read_ahead`), or, for a
//! file too big to keep, past the cache altogether (`pass_through`).
//! When the blocks held exceed the size limit, whole files go, least
//! recently used first, never one that is open or being fetched ahead. The
//! index lives in memory; the folder is emptied at every start, so a crash
//! leaves no stale blocks behind.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::cache_dir;
use crate::error::{Result, VfsError};
use crate::positioned::{self, blocking};
use crate::read_ahead::{self, Ahead};

/// Bytes per block: small enough that a peek into a big file fetches little.
pub const BLOCK: u64 = 1 << 20;

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

    /// Number of blocks.
    pub(crate) fn blocks(&self) -> u64 {
        self.size.div_ceil(BLOCK)
    }

    /// Where block `b` ends (the last one may be short).
    pub(crate) fn block_end(&self, b: u64) -> u64 {
        ((b + 1) * BLOCK).min(self.size)
    }
}

/// One cached file.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) have: Vec<bool>,
    bytes: u64,
    used: u64,
    pub(crate) open: usize,
    /// The cache file, once something was fetched (shared by readers and
    /// fetches: they read and write at offsets).
    file: Option<Arc<File>>,
    /// Bumped whenever blocks arrive or a fetch ahead ends: readers waiting
    /// for a block a fetch ahead will bring watch it.
    pub(crate) arrived: watch::Sender<u64>,
    /// The fetches ahead running, one per reader going through the file in
    /// order (a client that copies a big file reads several parts at once).
    pub(crate) aheads: Vec<Ahead>,
}

impl Entry {
    pub(crate) fn new(content: &Content) -> Entry {
        Entry {
            have: vec![false; content.blocks() as usize],
            bytes: 0,
            used: 0,
            open: 0,
            file: None,
            arrived: watch::Sender::new(0),
            aheads: Vec::new(),
        }
    }

    /// The first missing block in `from..to`.
    pub(crate) fn first_missing(&self, from: u64, to: u64) -> Option<u64> {
        (from..to.min(self.have.len() as u64)).find(|&b| !self.have[b as usize])
    }
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) entries: HashMap<String, Entry>,
    clock: u64,
    total: u64,
}

/// What the cache and its fetches ahead share.
#[derive(Debug)]
pub(crate) struct Shared {
    dir: PathBuf,
    max: u64,
    index: Mutex<Index>,
    /// Cancelled when the vfs stops: fetches ahead end.
    pub(crate) stop: CancellationToken,
}

/// The cache.
#[derive(Debug)]
pub struct ReadCache {
    shared: Arc<Shared>,
}

/// What a reader does next for the blocks it needs.
enum Step {
    Ready(Option<Arc<File>>),
    Wait(watch::Receiver<u64>),
    Fetch(Vec<(u64, u64)>),
}

impl ReadCache {
    /// A cache in `dir` (an empty folder) holding at most `max` bytes of
    /// closed files; fetches ahead end when `stop` is cancelled.
    pub fn new(dir: PathBuf, max: u64, stop: CancellationToken) -> ReadCache {
        ReadCache { shared: Arc::new(Shared { dir, max, index: Mutex::new(Index::default()), stop }) }
    }

    /// Bytes held now.
    pub fn size(&self) -> u64 {
        self.shared.lock().total
    }

    /// The size limit.
    pub(crate) fn max(&self) -> u64 {
        self.shared.max
    }

    /// Whether the byte at `offset` of `content` is held.
    pub(crate) fn holds(&self, content: &Content, offset: u64) -> bool {
        let Some(key) = content.key() else { return false };
        let idx = self.shared.lock();
        idx.entries.get(&key).is_some_and(|e| e.have.get((offset / BLOCK) as usize).is_some_and(|h| *h))
    }

    /// Marks `content` open: it stays until [`ReadCache::close`].
    pub fn open(&self, content: &Content) {
        let Some(key) = content.key() else { return };
        self.shared.lock().entries.entry(key).or_insert_with(|| Entry::new(content)).open += 1;
    }

    /// Ends one [`ReadCache::open`] by `reader`; the limit applies again
    /// (and the reader's fetch ahead ends).
    pub fn close(&self, content: &Content, reader: u64) {
        let Some(key) = content.key() else { return };
        let mut idx = self.shared.lock();
        if let Some(e) = idx.entries.get_mut(&key) {
            e.open = e.open.saturating_sub(1);
            for a in e.aheads.iter_mut().filter(|a| a.reader == reader) {
                a.closed = true;
                a.more.notify_one();
            }
        }
        self.shared.evict(&mut idx);
    }

    /// `len` bytes of `content` (stored at `remote`) from `offset`; fewer at
    /// the end of the file. The caller (`reader`) holds it open. `ahead` > 0
    /// (a reader going through the file in order) keeps the reader's own
    /// download that many bytes beyond this read running (`read_ahead`).
    #[allow(clippy::too_many_arguments)]
    pub async fn read(
        &self,
        client: &Client,
        remote: &RemotePath,
        content: &Content,
        reader: u64,
        offset: u64,
        len: usize,
        ahead: u64,
    ) -> Result<Bytes> {
        let end = content.size.min(offset.saturating_add(len as u64));
        if offset >= end {
            return Ok(Bytes::new());
        }
        let Some(key) = content.key() else {
            return download(client, remote, offset, end).await;
        };
        let (first, last) = (offset / BLOCK, (end - 1) / BLOCK);
        let until = (last + 1 + ahead.div_ceil(BLOCK)).min(content.blocks());
        if until > last + 1 {
            read_ahead::want(&self.shared, client, remote, content, &key, reader, first, until);
        }
        // Bounded: each turn either reads, fetches what is missing itself,
        // or waits for a block the fetch ahead brings (which ends in time:
        // the client's limits on silence).
        let file = loop {
            let step = {
                let mut idx = self.shared.lock();
                idx.clock += 1;
                let clock = idx.clock;
                let e = idx.entries.entry(key.clone()).or_insert_with(|| Entry::new(content));
                e.used = clock;
                let missing = runs(&e.have, first as usize, last as usize);
                match missing.first() {
                    None => Step::Ready(e.file.clone()),
                    Some(&(m, _)) if e.aheads.iter().any(|a| a.next <= m && m < a.until) => {
                        Step::Wait(e.arrived.subscribe())
                    }
                    _ => Step::Fetch(missing),
                }
            };
            match step {
                Step::Ready(Some(f)) => break f,
                Step::Ready(None) => break self.shared.file(&key, content)?,
                Step::Wait(mut rx) => {
                    let _ = rx.changed().await;
                }
                Step::Fetch(missing) => {
                    for (a, b) in missing {
                        fetch_into(&self.shared, client, remote, content, &key, a, b + 1).await?;
                    }
                }
            }
        };
        Ok(positioned::read_range(file, offset, end).await?)
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cache file of `key`, opened (or created) once and kept with its
    /// entry.
    pub(crate) fn file(&self, key: &str, content: &Content) -> Result<Arc<File>> {
        if let Some(f) = self.lock().entries.get(key).and_then(|e| e.file.clone()) {
            return Ok(f);
        }
        let path = self.dir.join(key);
        let file = match cache_dir::open_rw(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match cache_dir::create_new(&path) {
                Ok(f) => {
                    f.set_len(content.size)?;
                    f
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => cache_dir::open_rw(&path)?,
                Err(e) => return Err(e.into()),
            },
            Err(e) => return Err(e.into()),
        };
        let mut idx = self.lock();
        let e = idx.entries.entry(key.to_string()).or_insert_with(|| Entry::new(content));
        Ok(e.file.get_or_insert_with(|| Arc::new(file)).clone())
    }

    /// Marks block `b` of `key` held (its bytes are in the file) and wakes
    /// the readers waiting for blocks.
    pub(crate) fn landed(&self, key: &str, content: &Content, b: u64) {
        let mut idx = self.lock();
        let mut added = 0;
        if let Some(e) = idx.entries.get_mut(key)
            && !e.have[b as usize]
        {
            e.have[b as usize] = true;
            added = content.block_end(b) - b * BLOCK;
            e.bytes += added;
            e.arrived.send_modify(|n| *n += 1);
        }
        idx.total += added;
        if added > 0 {
            self.evict(&mut idx);
        }
    }

    /// Drops least recently used files that are neither open nor being
    /// fetched ahead, until the limit holds.
    pub(crate) fn evict(&self, idx: &mut Index) {
        while idx.total > self.max {
            let victim = idx
                .entries
                .iter()
                .filter(|(_, e)| e.open == 0 && e.aheads.is_empty() && e.bytes > 0)
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            let Some(key) = victim else { break };
            if let Some(e) = idx.entries.remove(&key) {
                idx.total -= e.bytes;
            }
            cache_dir::remove(&self.dir.join(&key));
        }
        idx.entries.retain(|_, e| e.open > 0 || !e.aheads.is_empty() || e.bytes > 0);
    }
}

/// Runs of missing blocks in `first..=last`, as inclusive pairs.
fn runs(have: &[bool], first: usize, last: usize) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let last = last.min(have.len().saturating_sub(1));
    for (i, &held) in have.iter().enumerate().take(last + 1).skip(first) {
        if held {
            continue;
        }
        let i = i as u64;
        match out.last_mut() {
            Some((_, b)) if *b + 1 == i => *b = i,
            _ => out.push((i, i)),
        }
    }
    out
}

/// Tries of a range read that bring no new byte before it fails. A reply
/// cut near the end of a range often brings nothing (the few bytes before
/// the connection broke are lost with it), so a bad line needs several.
pub(crate) const FRUITLESS_TRIES: u32 = 10;

/// Bytes of a download gathered into whole blocks, each written to the
/// cache file at its place as it completes.
pub(crate) struct Blocks {
    file: Arc<File>,
    content: Content,
    /// The block being filled, and its bytes so far.
    block: u64,
    buf: Vec<u8>,
}

impl Blocks {
    pub(crate) fn new(file: Arc<File>, content: &Content, block: u64) -> Blocks {
        Blocks { file, content: content.clone(), block, buf: Vec::with_capacity(BLOCK as usize) }
    }

    /// Where the next byte goes (a cut reply is asked for again from here).
    pub(crate) fn at(&self) -> u64 {
        (self.block * BLOCK).min(self.content.size) + self.buf.len() as u64
    }

    /// Adds `data` (the bytes from [`Blocks::at`] on); writes each block
    /// it completes and returns their numbers.
    pub(crate) async fn push(&mut self, mut data: &[u8]) -> Result<Vec<u64>> {
        let mut done = Vec::new();
        while !data.is_empty() && self.block < self.content.blocks() {
            let block_len = (self.content.block_end(self.block) - self.block * BLOCK) as usize;
            let take = data.len().min(block_len - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == block_len {
                let (file, at) = (self.file.clone(), self.block * BLOCK);
                let buf = std::mem::take(&mut self.buf);
                // The buffer comes back for the next block: no new allocation per block.
                self.buf = blocking(move || {
                    positioned::write_all_at(&file, &buf, at)?;
                    Ok(buf)
                })
                .await?;
                self.buf.clear();
                done.push(self.block);
                self.block += 1;
            }
        }
        Ok(done)
    }
}

/// After a reply of a range read that ended (`error`: how, if it broke
/// off) at byte `at`, with `fruitless` replies in a row that brought
/// nothing: `Ok` to ask again from `at`, or the error to give up with
/// (what another try cannot fix, or [`FRUITLESS_TRIES`] fruitless replies;
/// `short` says what went wrong when the replies simply ended short).
pub(crate) fn ask_again(
    remote: &RemotePath,
    error: Option<fjordsync_jottacloud::Error>,
    fruitless: u32,
    at: u64,
    short: impl FnOnce() -> String,
) -> Result<()> {
    match error {
        Some(e) if e.retry() == fjordsync_jottacloud::Retry::Never => Err(VfsError::remote(remote, e)),
        Some(e) if fruitless >= FRUITLESS_TRIES => Err(VfsError::remote(remote, e)),
        Some(e) => {
            tracing::debug!("{remote}: range read cut at {at}, asking again: {e}");
            Ok(())
        }
        None if fruitless >= FRUITLESS_TRIES => {
            Err(VfsError::Remote { path: remote.to_string(), source: fjordsync_jottacloud::Error::Protocol(short()) })
        }
        None => Ok(()),
    }
}

/// Fetches blocks `from..to` of `content` (stored at `remote`) into the
/// cache, marking each held as it lands. A reply cut in the middle is asked
/// for again from where it stopped; it fails after [`FRUITLESS_TRIES`] tries
/// in a row that brought nothing, or at once for what another try cannot fix.
async fn fetch_into(
    shared: &Shared,
    client: &Client,
    remote: &RemotePath,
    content: &Content,
    key: &str,
    from: u64,
    to: u64,
) -> Result<()> {
    let mut blocks = Blocks::new(shared.file(key, content)?, content, from);
    let stop = content.block_end(to - 1);
    let mut fruitless = 0u32;
    while blocks.at() < stop {
        let before = blocks.at();
        let opts = DownloadOptions { start: blocks.at(), end: Some(stop - 1), revision: None };
        let error = match client.download(remote, opts).await {
            Ok(mut body) => loop {
                match body.next().await {
                    Some(Ok(chunk)) => {
                        let take = chunk.len().min((stop - blocks.at()) as usize);
                        for b in blocks.push(&chunk[..take]).await? {
                            shared.landed(key, content, b);
                        }
                        if blocks.at() == stop {
                            break None;
                        }
                    }
                    Some(Err(e)) => break Some(e),
                    None => break None,
                }
            },
            Err(e) => Some(e),
        };
        // A try that brought bytes is never the last one.
        fruitless = if blocks.at() > before { 0 } else { fruitless + 1 };
        ask_again(remote, error, fruitless, blocks.at(), || {
            format!("asked for the bytes {}..{stop}, the reply ended at {}", from * BLOCK, blocks.at())
        })?;
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
