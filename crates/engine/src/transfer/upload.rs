//! Uploads through the client's one allocate/resume path
//! ([`Client::upload`]), with what the engine adds around it: the MD5 the
//! hash cache already knows, the bandwidth limit and byte progress (in the
//! [`UploadSource`] the client reads), and the record in the state database
//! (`uploads`): after a crash the service answers the same allocate with the
//! bytes it already holds (`resume_pos`) and only the rest is sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use fjordsync_jottacloud::{AllocateRequest, Client, RemotePath, Timestamp, UploadBody, UploadSource};
use futures_util::future::BoxFuture;
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

impl From<fjordsync_jottacloud::Uploaded> for UploadDone {
    fn from(u: fjordsync_jottacloud::Uploaded) -> Self {
        UploadDone { bytes: u.bytes_sent, deduplicated: u.deduplicated, resumed_from: u.resumed_from }
    }
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
    let source = LocalFile { path: local.to_path_buf(), size: item.size, throttle, progress };
    let up = client.upload(&req, &source).await?;
    if let Some(db) = db {
        db.end_upload(&key)?;
    }
    Ok(up.into())
}

/// A local file read in chunks the bandwidth limit allows, counted into
/// the run's progress as the transport takes them.
struct LocalFile {
    path: PathBuf,
    size: u64,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
}

impl UploadSource for LocalFile {
    fn read_from(&self, offset: u64) -> BoxFuture<'_, fjordsync_jottacloud::Result<UploadBody>> {
        Box::pin(async move {
            let mut f = tokio::fs::File::open(&self.path).await?;
            f.seek(std::io::SeekFrom::Start(offset)).await?;
            let remaining = self.size.saturating_sub(offset);
            let throttle = self.throttle.clone();
            let progress = self.progress.clone();
            let chunk = throttle.as_ref().map_or(256 * 1024, |t| t.chunk());
            let body = futures_util::stream::unfold((f, remaining), move |(mut f, left)| {
                let throttle = throttle.clone();
                let progress = progress.clone();
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
                    Some((Ok(Bytes::from(buf)), (f, left - got as u64)))
                }
            });
            Ok(Box::pin(body) as UploadBody)
        })
    }
}
