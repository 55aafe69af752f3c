//! Copying a file between two accounts (or two services). No server-side copy
//! exists across accounts, but the source's listing already gives its MD5 and
//! size, which is all an upload needs up front: allocate on the destination
//! first (dedup may finish it without a byte), then stream the source's
//! download straight into the upload body, starting at the destination's
//! `resume_pos`. Nothing touches the local disk; memory stays at one chunk.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fjordsync_jottacloud::{AllocateRequest, Client, DownloadOptions, RemotePath, Timestamp};
use futures_util::StreamExt;

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
    let alloc = to.allocate(&req).await?;
    if alloc.completed {
        return Ok(UploadDone { bytes: 0, deduplicated: true, resumed_from: 0 });
    }
    let resumed_from = alloc.resume_pos;
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let body =
        from.download(src, DownloadOptions { start: resumed_from, ..Default::default() }).await?.then(move |chunk| {
            let throttle = throttle.clone();
            let progress = progress.clone();
            let counted = counted.clone();
            async move {
                let chunk = chunk.map_err(std::io::Error::other)?;
                if let Some(t) = &throttle {
                    t.take(chunk.len()).await;
                }
                progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                counted.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                Ok(chunk)
            }
        });
    // The destination checks the MD5 it was promised when the last byte
    // arrives, so a source that changed meanwhile fails here, not silently.
    to.upload_body(&alloc, body).await?;
    Ok(UploadDone { bytes: sent.load(Ordering::Relaxed), deduplicated: false, resumed_from })
}
