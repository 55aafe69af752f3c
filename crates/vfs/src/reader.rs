//! An open file for reading.

use std::io::SeekFrom;
use std::sync::Arc;

use bytes::Bytes;
use fjordsync_jottacloud::RemotePath;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::error::Result;
use crate::meta::Meta;
use crate::read_cache::Content;
use crate::vfs::Inner;

/// A file opened with [`crate::Vfs::open_read`]. A stored file's cached
/// blocks are not evicted while it is open; a staged file is read from its
/// content file (still readable if the upload finishes meanwhile).
#[derive(Debug)]
pub struct Reader {
    source: Source,
    meta: Meta,
    /// Where the last read ended: a read from there is sequential.
    next: u64,
}

#[derive(Debug)]
enum Source {
    Staged(tokio::fs::File),
    Stored { inner: Arc<Inner>, remote: RemotePath, content: Content },
}

impl Reader {
    pub(crate) fn staged(file: std::fs::File, meta: Meta) -> Reader {
        Reader { source: Source::Staged(tokio::fs::File::from_std(file)), meta, next: 0 }
    }

    pub(crate) fn stored(inner: Arc<Inner>, remote: RemotePath, content: Content, meta: Meta) -> Reader {
        inner.reads.open(&content);
        Reader { source: Source::Stored { inner, remote, content }, meta, next: 0 }
    }

    /// The file's metadata when it was opened.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// `len` bytes from `offset`; fewer at the end of the file, none past it.
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<Bytes> {
        let sequential = offset == self.next;
        let data = self.read_inner(offset, len, sequential).await?;
        self.next = offset + data.len() as u64;
        Ok(data)
    }

    async fn read_inner(&mut self, offset: u64, len: usize, sequential: bool) -> Result<Bytes> {
        match &mut self.source {
            Source::Staged(f) => {
                let end = self.meta.size.min(offset.saturating_add(len as u64));
                if offset >= end {
                    return Ok(Bytes::new());
                }
                f.seek(SeekFrom::Start(offset)).await?;
                let mut buf = vec![0u8; (end - offset) as usize];
                f.read_exact(&mut buf).await?;
                Ok(Bytes::from(buf))
            }
            Source::Stored { inner, remote, content } => {
                inner.reads.read(&inner.client, remote, content, offset, len, sequential).await
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Source::Stored { inner, content, .. } = &self.source {
            inner.reads.close(content);
        }
    }
}
