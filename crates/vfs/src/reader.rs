//! An open file for reading.

use std::sync::Arc;

use bytes::Bytes;
use fjordsync_jottacloud::RemotePath;

use crate::error::Result;
use crate::meta::Meta;
use crate::pass_through::{self, PassThrough};
use crate::positioned;
use crate::read_cache::Content;
use crate::vfs::Inner;

/// How far ahead of a reader going through a file in order the download
/// runs: at first this much (a peek into a big file fetches little more)...
const AHEAD_MIN: u64 = 16 << 20;
/// ...then as much as was read in order so far, up to this (far enough
/// that the connection never waits for the reader).
const AHEAD_MAX: u64 = 128 << 20;

/// A read this close to where the last one ended still counts as in order:
/// the kernel sends a FUSE mount's read-ahead requests several at once, so
/// they may arrive a little out of order.
const IN_ORDER_SLACK: u64 = 8 << 20;

/// Downloads past the cache a reader may start and then leave (by reading
/// out of their reach) before it reads only through the cache: a reader
/// that keeps jumping about is better served by blocks that stay.
const PASS_THROUGH_TRIES: u32 = 3;

/// A file opened with [`crate::Vfs::open_read`]. A stored file's cached
/// blocks are not evicted while it is open; a staged file is read from its
/// content file (still readable if the upload finishes meanwhile).
#[derive(Debug)]
pub struct Reader {
    source: Source,
    meta: Meta,
    /// Where the reads in order have got to.
    next: u64,
    /// Bytes read in order since the last jump.
    in_order: u64,
}

#[derive(Debug)]
enum Source {
    Staged(Arc<std::fs::File>),
    /// `id` names this reader to the read cache (its own fetch ahead).
    Stored {
        inner: Arc<Inner>,
        remote: RemotePath,
        content: Content,
        id: u64,
        /// Its download past the cache (a big file read in order), and how
        /// many it started.
        passing: Option<Box<PassThrough>>,
        passes: u32,
    },
}

/// Numbers the readers of stored files.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Reader {
    pub(crate) fn staged(file: std::fs::File, meta: Meta) -> Reader {
        Reader { source: Source::Staged(Arc::new(file)), meta, next: 0, in_order: 0 }
    }

    pub(crate) fn stored(inner: Arc<Inner>, remote: RemotePath, content: Content, meta: Meta) -> Reader {
        inner.reads.open(&content);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let source = Source::Stored { inner, remote, content, id, passing: None, passes: 0 };
        Reader { source, meta, next: 0, in_order: 0 }
    }

    /// The file's metadata when it was opened.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// `len` bytes from `offset`; fewer at the end of the file, none past it.
    pub async fn read_at(&mut self, offset: u64, len: usize) -> Result<Bytes> {
        let in_order = offset == self.next || (self.in_order > 0 && offset.abs_diff(self.next) <= IN_ORDER_SLACK);
        let ahead = if in_order { self.in_order.clamp(AHEAD_MIN, AHEAD_MAX) } else { 0 };
        let data = self.read_inner(offset, len, ahead).await?;
        let end = offset + data.len() as u64;
        if in_order {
            self.in_order += data.len() as u64;
            self.next = self.next.max(end);
        } else {
            self.in_order = 0;
            self.next = end;
        }
        Ok(data)
    }

    async fn read_inner(&mut self, offset: u64, len: usize, ahead: u64) -> Result<Bytes> {
        match &mut self.source {
            Source::Staged(f) => {
                let end = self.meta.size.min(offset.saturating_add(len as u64));
                if offset >= end {
                    return Ok(Bytes::new());
                }
                Ok(positioned::read_range(f.clone(), offset, end).await?)
            }
            Source::Stored { inner, remote, content, id, passing, passes } => {
                if let Some(p) = passing {
                    match p.read(offset, len).await {
                        Some(r) => return r,
                        None => *passing = None,
                    }
                }
                let pass = ahead > 0
                    && *passes < PASS_THROUGH_TRIES
                    && pass_through::streams_past(content.size, inner.reads.max())
                    && !inner.reads.holds(content, offset);
                let started = pass
                    .then(|| {
                        PassThrough::start(&inner.client, remote, offset, content.size, &inner.stop, &inner.passing)
                    })
                    .flatten();
                if let Some(p) = started {
                    *passes += 1;
                    if let Some(r) = passing.insert(Box::new(p)).read(offset, len).await {
                        return r;
                    }
                    *passing = None;
                }
                inner.reads.read(&inner.client, remote, content, *id, offset, len, ahead).await
            }
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Source::Stored { inner, content, id, .. } = &self.source {
            inner.reads.close(content, *id);
        }
    }
}
