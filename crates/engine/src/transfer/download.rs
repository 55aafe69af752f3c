//! Downloads into a temp file beside the target: streamed, MD5-checked,
//! fsynced, given the remote mtime, then renamed over the target in one
//! step. A cancelled or failed download leaves no partial file behind.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use md5::Digest;
use tokio::io::AsyncWriteExt;

use super::{Throttle, TransferError};

/// Removes the temp file unless the download completed.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The temp name for `target`: hidden, recognisable, skipped by the walker.
pub fn temp_name(target: &Path) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let base = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "download".into());
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let salt = nanos ^ (u64::from(std::process::id()) << 32) ^ N.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{base}.fjordsync-{salt:016x}.part"))
}

/// Sets a file's modification time (whole seconds since the epoch).
pub fn set_mtime(path: &Path, secs: i64) -> std::io::Result<()> {
    let f = std::fs::File::options().write(true).open(path)?;
    f.set_modified(system_time(secs))
}

fn system_time(secs: i64) -> std::time::SystemTime {
    if secs >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs())
    }
}

/// Downloads `remote` to `target`. `before_replace` runs just before the
/// rename (the runner keeps a copy of the old file there, for undo).
#[allow(clippy::too_many_arguments)]
pub async fn download(
    client: &Client,
    remote: &RemotePath,
    target: &Path,
    md5: &str,
    size: u64,
    mtime: i64,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
    before_replace: impl FnOnce() -> std::io::Result<()>,
) -> Result<u64, TransferError> {
    if let Some(parent) = target.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let tmp = temp_name(target);
    let mut guard = TempGuard(Some(tmp.clone()));
    // Chunks arrive in TLS-record sizes; a large buffer turns them into few
    // blocking-pool writes.
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::create(&tmp).await?);
    let mut hasher = md5::Md5::new();
    let mut got = 0u64;
    let mut stream = client.download(remote, DownloadOptions::default()).await?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        got += chunk.len() as u64;
        if got > size {
            return Err(TransferError::Mismatch { expected: format!("{size} bytes"), actual: format!("{got}+ bytes") });
        }
        if let Some(t) = &throttle {
            t.take(chunk.len()).await;
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
        progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
    if got != size {
        return Err(TransferError::Mismatch { expected: format!("{size} bytes"), actual: format!("{got} bytes") });
    }
    let actual = crate::local::hash_hex(&hasher.finalize());
    if !md5.is_empty() && !actual.eq_ignore_ascii_case(md5) {
        return Err(TransferError::Mismatch { expected: md5.to_string(), actual });
    }
    file.flush().await?;
    let file = file.into_inner();
    file.sync_all().await?;
    let std_file = file.into_std().await;
    std_file.set_modified(system_time(mtime))?;
    drop(std_file);
    before_replace()?;
    tokio::fs::rename(&tmp, target).await?;
    guard.0 = None;
    Ok(got)
}
