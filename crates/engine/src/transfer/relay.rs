//! Copying a file between two accounts (or two services). No server-side copy
//! exists across accounts, but the source's listing already gives its MD5 and
//! size, which is all an upload needs up front: the destination's upload
//! allocates first (dedup may finish it without a byte), then reads the
//! source's download, from the destination's `resume_pos`, straight into the
//! upload body. A round that breaks off (either side) starts another that
//! downloads from the new `resume_pos`. Nothing touches the local disk;
//! memory stays at one chunk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fjordsync_jottacloud::{AllocateRequest, Client, DownloadOptions, RemotePath, Timestamp, UploadBody, UploadSource};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;

use super::{Throttle, TransferError, UploadDone};

/// What is known of the source file from its listing or metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Lower-case hex MD5.
    pub md5: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time to give the copy.
    pub modified: Option<Timestamp>,
}

/// Copies `src` on `from` to `dst` on `to`.
pub async fn relay(
    from: &Client,
    src: &RemotePath,
    to: &Client,
    dst: &RemotePath,
    source: &Source,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
) -> Result<UploadDone, TransferError> {
    let req = AllocateRequest {
        path: dst.clone(),
        md5: source.md5.clone(),
        size: source.size,
        created: source.modified,
        modified: source.modified,
    };
    let body = Download { from, src, size: source.size, throttle, progress };
    // The destination checks the MD5 it was promised when the last byte
    // arrives, so a source that changed meanwhile fails there, not silently.
    Ok(to.upload(&req, &body).await?.into())
}

/// The source's download as the destination's upload body.
struct Download<'a> {
    from: &'a Client,
    src: &'a RemotePath,
    size: u64,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
}

impl UploadSource for Download<'_> {
    fn read_from(&self, offset: u64) -> BoxFuture<'_, fjordsync_jottacloud::Result<UploadBody>> {
        Box::pin(async move {
            if offset > 0 && offset >= self.size {
                // Nothing left to send (and a range from the end is refused).
                return Ok(Box::pin(futures_util::stream::empty()) as UploadBody);
            }
            let stream = self.from.download(self.src, DownloadOptions { start: offset, ..Default::default() }).await?;
            let (throttle, progress) = (self.throttle.clone(), self.progress.clone());
            let body = stream.then(move |chunk| {
                let throttle = throttle.clone();
                let progress = progress.clone();
                async move {
                    let chunk = chunk.map_err(std::io::Error::other)?;
                    if let Some(t) = &throttle {
                        t.take(chunk.len()).await;
                    }
                    progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    Ok(chunk)
                }
            });
            Ok(Box::pin(body) as UploadBody)
        })
    }
}
