//! An open file for writing.

use std::io::SeekFrom;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::cache_dir;
use crate::error::Result;
use crate::meta::Meta;
use crate::path::VfsPath;
use crate::staged::Staged;
use crate::vfs::Inner;

/// A file opened with [`crate::Vfs::open_write`]: its bytes go to a content
/// file in the cache folder. [`Writer::close`] computes the MD5, records the
/// file as pending and schedules its upload; a writer dropped without
/// closing (a cut transfer) leaves nothing behind.
#[derive(Debug)]
pub struct Writer {
    inner: Arc<Inner>,
    path: VfsPath,
    file: tokio::fs::File,
    name: String,
    local_only: bool,
    modified: Option<Timestamp>,
    closed: bool,
}

impl Writer {
    pub(crate) fn new(
        inner: Arc<Inner>,
        path: VfsPath,
        file: tokio::fs::File,
        name: String,
        local_only: bool,
        modified: Option<Timestamp>,
    ) -> Writer {
        Writer { inner, path, file, name, local_only, modified, closed: false }
    }

    /// The path being written.
    pub fn path(&self) -> &VfsPath {
        &self.path
    }

    /// Writes `data` at `offset` (past the end leaves a hole of zeros).
    pub async fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.file.seek(SeekFrom::Start(offset)).await?;
        self.file.write_all(data).await?;
        self.modified = None;
        Ok(())
    }

    /// `len` bytes written so far from `offset` (fewer at the end): a file
    /// opened for reading and writing (FUSE `O_RDWR`) reads what it wrote.
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<bytes::Bytes> {
        // Writes still on their way to the file first (tokio hands them to a thread).
        self.file.flush().await?;
        let size = self.size().await?;
        let end = size.min(offset.saturating_add(len as u64));
        if offset >= end {
            return Ok(bytes::Bytes::new());
        }
        self.file.seek(SeekFrom::Start(offset)).await?;
        let mut buf = vec![0u8; (end - offset) as usize];
        self.file.read_exact(&mut buf).await?;
        Ok(bytes::Bytes::from(buf))
    }

    /// Cuts or extends the content to `size` bytes.
    pub async fn truncate(&mut self, size: u64) -> Result<()> {
        self.file.set_len(size).await?;
        self.modified = None;
        Ok(())
    }

    /// The size written so far.
    pub async fn size(&self) -> Result<u64> {
        Ok(self.file.metadata().await?.len())
    }

    /// The modification time to record (default: the time of the close).
    pub fn set_modified(&mut self, t: Timestamp) {
        self.modified = Some(t);
    }

    /// Finishes the file: makes the content durable, computes its MD5 and
    /// records it; the upload follows shortly (never for local-only names).
    pub async fn close(mut self) -> Result<Meta> {
        self.file.flush().await?;
        self.file.sync_all().await?;
        let content = self.inner.dir.staged(&self.name);
        let (md5, size) =
            fjordsync_jottacloud::md5_file(&content).await.map_err(|e| crate::VfsError::remote(&self.path, e))?;
        let staged = Staged {
            file: self.name.clone(),
            md5,
            size,
            modified: Some(self.modified.unwrap_or_else(Timestamp::now)),
            local_only: self.local_only,
            due: self.inner.due(),
            attempts: 0,
            failed: None,
        };
        let meta = staged.meta();
        self.inner.commit(&self.path, staged)?;
        self.closed = true;
        Ok(meta)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.closed {
            cache_dir::remove(&self.inner.dir.staged(&self.name));
        }
    }
}
