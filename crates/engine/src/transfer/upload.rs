//! Uploads through allocate + upload_body (not `Client::upload_file`) so
//! that we pass the MD5 the hash cache already knows, count bytes for
//! progress, apply the bandwidth limit, and record the upload in the state
//! database: after a crash the service answers the same allocate with the
//! bytes it already holds (`resume_pos`) and we send only the rest.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use fjordsync_jottacloud::{AllocateRequest, Client, RemotePath, Timestamp};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Throttle, TransferError};
use crate::state::StateDb;
use crate::tree::FileItem;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadDone {
    /// Bytes sent in this run.
    pub bytes: u64,
    /// The service already had the content.
    pub deduplicated: bool,
    /// Bytes the service already held from an earlier, interrupted upload.
    pub resumed_from: u64,
}

#[allow(clippy::too_many_arguments)] // each is a distinct input; a struct would only rename them
/// Uploads `local` (described by `item`, whose MD5 is `md5`) to `remote`.
pub async fn upload(
    client: &Client,
    db: Option<&StateDb>,
    local: &Path,
    remote: &RemotePath,
    item: &FileItem,
    md5: &str,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
) -> Result<UploadDone, TransferError> {
    let modified = Timestamp::from_second(item.mtime).ok();
    let req =
        AllocateRequest { path: remote.clone(), md5: md5.to_string(), size: item.size, created: modified, modified };
    let key = remote.to_string();
    if let Some(db) = db {
        db.begin_upload(&key, &local.to_string_lossy(), md5, item.size, item.mtime)?;
    }
    let alloc = match client.allocate(&req).await {
        Err(e) if e.is_not_found() && remote.parent().is_some_and(|p| !p.is_mountpoint_root()) => {
            if let Some(parent) = remote.parent() {
                client.mkdir(&parent).await?;
            }
            client.allocate(&req).await?
        }
        r => r?,
    };
    if alloc.completed {
        if let Some(db) = db {
            db.end_upload(&key)?;
        }
        return Ok(UploadDone { bytes: 0, deduplicated: true, resumed_from: 0 });
    }
    let mut f = tokio::fs::File::open(local).await?;
    f.seek(std::io::SeekFrom::Start(alloc.resume_pos)).await?;
    let remaining = alloc.bytes.saturating_sub(alloc.resume_pos);
    let chunk = throttle.as_ref().map_or(256 * 1024, |t| t.chunk());
    let sent = Arc::new(AtomicU64::new(0));
    let sent_in = sent.clone();
    let body = futures_util::stream::unfold((f, remaining), move |(mut f, left)| {
        let throttle = throttle.clone();
        let progress = progress.clone();
        let sent = sent_in.clone();
        async move {
            if left == 0 {
                return None;
            }
            let want = (chunk as u64).min(left) as usize;
            let mut buf = vec![0u8; want];
            let got = match f.read(&mut buf).await {
                Ok(0) => {
                    let e = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file got shorter");
                    return Some((Err(e), (f, 0)));
                }
                Ok(n) => n,
                Err(e) => return Some((Err(e), (f, 0))),
            };
            buf.truncate(got);
            if let Some(t) = &throttle {
                t.take(got).await;
            }
            progress.fetch_add(got as u64, Ordering::Relaxed);
            sent.fetch_add(got as u64, Ordering::Relaxed);
            Some((Ok(Bytes::from(buf)), (f, left - got as u64)))
        }
    });
    client.upload_body(&alloc, body).await?;
    if let Some(db) = db {
        db.end_upload(&key)?;
    }
    Ok(UploadDone { bytes: sent.load(Ordering::Relaxed), deduplicated: false, resumed_from: alloc.resume_pos })
}
