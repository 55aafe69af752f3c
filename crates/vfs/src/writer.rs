//! An open file for writing.
//!
//! A big file is one pass over its bytes here: they are gathered into
//! pieces of [`PIECE`] bytes, and each piece is written to the content file
//! on one blocking thread and added to the MD5 on another while the next
//! piece arrives (one piece in flight, so the order holds; the MD5 is the
//! slowest part, so nothing else waits in line with it). [`Writer::close`] then only
//! makes the file durable and finishes the MD5; it reads the file again
//! only when the writes were not in order from the start (a seek back, a
//! hole, a truncation below what was hashed, or content that was there
//! before the writer opened).

use std::fs::File;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::task::JoinHandle;

use crate::cache_dir;
use crate::error::Result;
use crate::meta::Meta;
use crate::path::VfsPath;
use crate::positioned::{self, blocking};
use crate::staged::Staged;
use crate::vfs::Inner;

/// Bytes gathered before they go to the file: big enough that a file of
/// many small writes (WebDAV bodies arrive in pieces of a few KiB) costs few
/// trips to a blocking thread, small enough to hold per open file.
const PIECE: usize = 1 << 20;

/// The MD5 of the content written in order from offset 0, as far as it goes.
#[derive(Debug)]
struct Hashing {
    md5: fjordsync_jottacloud::ContentMd5,
    /// Bytes `0..upto` are hashed, and no later write touched them.
    upto: u64,
}

/// A piece on its way: written to the file, and hashed if it continues the hash.
#[derive(Debug)]
struct Job {
    write: JoinHandle<std::io::Result<()>>,
    hash: Option<JoinHandle<Hashing>>,
}

/// A file opened with [`crate::Vfs::open_write`]: its bytes go to a content
/// file in the cache folder. [`Writer::close`] finishes the MD5, records the
/// file as pending and schedules its upload; a writer dropped without
/// closing (a cut transfer) leaves nothing behind.
#[derive(Debug)]
pub struct Writer {
    inner: Arc<Inner>,
    path: VfsPath,
    file: Arc<File>,
    name: String,
    local_only: bool,
    modified: Option<Timestamp>,
    closed: bool,
    /// The content's length with every write so far (pieces still on their
    /// way to the file included).
    len: u64,
    /// Bytes not yet handed to the file, for offset `piece_at`.
    piece: Vec<u8>,
    piece_at: u64,
    /// The piece being written (and hashed) now.
    job: Option<Job>,
    /// `None` once the writes left the order that lets the MD5 be
    /// computed as they arrive (or while a job holds it: see `hash_valid`).
    hash: Option<Hashing>,
    /// False once the writes left that order.
    hash_valid: bool,
    /// Where the hash will end once the jobs in flight are done.
    hashed_to: u64,
}

impl Writer {
    /// `len` is the content already in `file` (0 for a new file); such
    /// content is not hashed here, so its MD5 is computed at close.
    pub(crate) fn new(
        inner: Arc<Inner>,
        path: VfsPath,
        file: File,
        name: String,
        local_only: bool,
        modified: Option<Timestamp>,
        len: u64,
    ) -> Writer {
        Writer {
            inner,
            path,
            file: Arc::new(file),
            name,
            local_only,
            modified,
            closed: false,
            len,
            piece: Vec::new(),
            piece_at: 0,
            job: None,
            hash: Some(Hashing { md5: fjordsync_jottacloud::ContentMd5::new(), upto: 0 }),
            hash_valid: len == 0,
            hashed_to: 0,
        }
    }

    /// The path being written.
    pub fn path(&self) -> &VfsPath {
        &self.path
    }

    /// Writes `data` at `offset` (past the end leaves a hole of zeros).
    pub async fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let follows = !self.piece.is_empty() && offset == self.piece_at + self.piece.len() as u64;
        if !follows {
            self.send_piece().await?;
            self.piece_at = offset;
        }
        if offset < self.hashed_to {
            // Bytes already hashed are written again.
            self.hash_valid = false;
        }
        self.piece.extend_from_slice(data);
        self.len = self.len.max(offset + data.len() as u64);
        self.modified = None;
        if self.piece.len() >= PIECE {
            self.send_piece().await?;
        }
        Ok(())
    }

    /// Hands the gathered bytes to a blocking job that writes them (and
    /// hashes them if they continue the hash), after the previous job ended.
    async fn send_piece(&mut self) -> Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        self.wait_job().await?;
        let piece = bytes::Bytes::from(std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE)));
        let at = self.piece_at;
        self.piece_at += piece.len() as u64;
        let hashes = self.hash_valid && at == self.hashed_to;
        if hashes {
            self.hashed_to += piece.len() as u64;
        }
        let taken = if hashes { self.hash.take() } else { None };
        let hash = taken.map(|mut h| {
            let piece = piece.clone();
            tokio::task::spawn_blocking(move || {
                h.md5.update(&piece);
                h.upto += piece.len() as u64;
                h
            })
        });
        let file = self.file.clone();
        let write = tokio::task::spawn_blocking(move || {
            positioned::write_all_at(&file, &piece, at)?;
            positioned::start_writeback(&file, at, piece.len() as u64);
            Ok(())
        });
        self.job = Some(Job { write, hash });
        Ok(())
    }

    /// Waits for the piece in flight.
    async fn wait_job(&mut self) -> Result<()> {
        let Some(job) = self.job.take() else { return Ok(()) };
        let written = job.write.await.map_err(std::io::Error::other);
        if let Some(hash) = job.hash {
            self.hash = Some(hash.await.map_err(std::io::Error::other)?);
        }
        written??;
        Ok(())
    }

    /// Every write so far is in the file.
    async fn settle(&mut self) -> Result<()> {
        self.send_piece().await?;
        self.wait_job().await?;
        Ok(())
    }

    /// `len` bytes written so far from `offset` (fewer at the end): a file
    /// opened for reading and writing (FUSE `O_RDWR`) reads what it wrote.
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<bytes::Bytes> {
        self.settle().await?;
        let end = self.len.min(offset.saturating_add(len as u64));
        if offset >= end {
            return Ok(bytes::Bytes::new());
        }
        Ok(positioned::read_range(self.file.clone(), offset, end).await?)
    }

    /// Cuts or extends the content to `size` bytes.
    pub async fn truncate(&mut self, size: u64) -> Result<()> {
        self.settle().await?;
        let file = self.file.clone();
        blocking(move || file.set_len(size)).await?;
        if size < self.hashed_to {
            self.hash_valid = false;
        }
        self.len = size;
        self.modified = None;
        Ok(())
    }

    /// The size written so far.
    pub fn size(&self) -> u64 {
        self.len
    }

    /// The modification time to record (default: the time of the close).
    pub fn set_modified(&mut self, t: Timestamp) {
        self.modified = Some(t);
    }

    /// Finishes the file: makes the content durable, finishes its MD5 and
    /// records it; the upload follows shortly (never for local-only names).
    pub async fn close(mut self) -> Result<Meta> {
        let started = std::time::Instant::now();
        self.settle().await?;
        let file = self.file.clone();
        blocking(move || file.sync_all()).await?;
        let durable = started.elapsed();
        let hashed = match self.hash.take() {
            Some(h) if self.hash_valid && h.upto == self.len && self.hashed_to == self.len => Some(h.md5.finish_hex()),
            _ => None,
        };
        let read_again = hashed.is_none();
        let md5 = match hashed {
            Some(md5) => md5,
            None => {
                // Not written in order: read once.
                let content = self.inner.dir.staged(&self.name);
                let (md5, _) = fjordsync_jottacloud::md5_file(&content)
                    .await
                    .map_err(|e| crate::VfsError::remote(&self.path, e))?;
                md5
            }
        };
        let staged = Staged {
            file: self.name.clone(),
            md5,
            size: self.len,
            modified: Some(self.modified.unwrap_or_else(Timestamp::now)),
            local_only: self.local_only,
            due: self.inner.due(),
            attempts: 0,
            failed: None,
        };
        let meta = staged.meta();
        self.inner.commit(&self.path, staged)?;
        self.closed = true;
        tracing::debug!(
            "{}: closed ({} bytes): durable after {} ms, MD5 {} after {} ms",
            self.path,
            self.len,
            durable.as_millis(),
            if read_again { "read again (not written in order)" } else { "computed as written" },
            started.elapsed().as_millis()
        );
        Ok(meta)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.closed {
            // A job still writing writes into the removed file: harmless.
            cache_dir::remove(&self.inner.dir.staged(&self.name));
        }
    }
}
