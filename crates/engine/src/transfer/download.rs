//! Downloads into a temp file beside the target: streamed, MD5-checked,
//! fsynced, given the remote mtime, then renamed over the target in one
//! step. A cancelled or failed download leaves no partial file behind; a
//! killed one leaves a recorded temp file that the next run resumes or
//! removes (see [`super::temp`]). Nothing is written through a symbolic link
//! or a mount point below the local root (see [`crate::local::SafeRoot`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fjordsync_jottacloud::{Client, DownloadOptions, RemotePath};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Throttle, TransferError, temp};
use crate::local::SafeRoot;
use crate::state::StateDb;

/// Where a download goes on the local side.
pub struct LocalTarget<'a> {
    /// The local root the target is below (nothing is written through links below it).
    pub root: &'a SafeRoot,
    /// Where temp files are recorded, so a killed download can be resumed.
    pub db: &'a StateDb,
    /// The run downloading (recorded with the temp file).
    pub run: i64,
}

/// The remote file to fetch, as listed.
pub struct RemoteFile<'a> {
    /// Its path.
    pub path: &'a RemotePath,
    /// Its MD5 (hex; empty when the listing has none).
    pub md5: &'a str,
    /// Its size.
    pub size: u64,
    /// Its modification time (seconds).
    pub mtime: i64,
}

/// What a download did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Downloaded {
    /// Bytes fetched now.
    pub bytes: u64,
    /// Bytes taken from a temp file an earlier, killed download left.
    pub resumed: u64,
}

/// Removes the temp file and its record unless the download completed.
struct TempGuard<'a> {
    path: Option<PathBuf>,
    db: &'a StateDb,
}

impl Drop for TempGuard<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(&p);
            let _ = temp::forget(self.db, &p);
        }
    }
}

/// Sets a file's modification time (whole seconds since the epoch). A link
/// at `path` is not followed (the call fails instead).
pub fn set_mtime(path: &Path, secs: i64) -> std::io::Result<()> {
    let f = open_no_follow(std::fs::File::options().write(true), path)?;
    f.set_modified(system_time(secs))
}

/// Opens `path` refusing a symbolic link at its final name (`O_NOFOLLOW`),
/// so a link made after a path check still cannot redirect the write.
fn open_no_follow(opts: &mut std::fs::OpenOptions, path: &Path) -> std::io::Result<std::fs::File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
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
pub async fn download(
    client: &Client,
    remote: &RemoteFile<'_>,
    target: &Path,
    local: &LocalTarget<'_>,
    throttle: Option<Arc<Throttle>>,
    progress: Arc<AtomicU64>,
    before_replace: impl FnOnce() -> std::io::Result<()>,
) -> Result<Downloaded, TransferError> {
    let size = remote.size;
    if let Some(parent) = target.parent() {
        local.root.create_dirs(parent)?;
    }
    local.root.check(target)?;
    let resumable = temp::take_resumable(local.db, local.root, target, remote.md5, size)?;
    let mut hasher = fjordsync_jottacloud::ContentMd5::new();
    let (tmp, file, have) = match resumable {
        Some(r) => {
            // The bytes already there count towards the whole-file MD5.
            let mut f =
                tokio::fs::File::from_std(open_no_follow(std::fs::File::options().read(true).append(true), &r.path)?);
            let mut buf = vec![0u8; 1 << 20];
            let mut read = 0u64;
            while read < r.len {
                let n = f.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                read += n as u64;
            }
            (r.path, f, read)
        }
        None => {
            let tmp = temp::temp_path(target);
            temp::record(local.db, &tmp, target, remote.md5, size, local.run)?;
            // `create_new` (O_EXCL) never follows a link at the temp name.
            let f = std::fs::File::options().write(true).create_new(true).open(&tmp);
            let f = f.inspect_err(|_| {
                let _ = temp::forget(local.db, &tmp);
            })?;
            (tmp, tokio::fs::File::from_std(f), 0)
        }
    };
    let mut guard = TempGuard { path: Some(tmp.clone()), db: local.db };
    progress.fetch_add(have, Ordering::Relaxed);
    // Chunks arrive in TLS-record sizes; a large buffer turns them into few
    // blocking-pool writes.
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut got = have;
    if got < size || size == 0 {
        let opts = DownloadOptions { start: got, ..Default::default() };
        let mut stream = client.download(remote.path, opts).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(TransferError::in_body)?;
            got += chunk.len() as u64;
            if got > size {
                return Err(TransferError::Mismatch {
                    expected: format!("{size} bytes"),
                    actual: format!("{got}+ bytes"),
                });
            }
            if let Some(t) = &throttle {
                t.take(chunk.len()).await;
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await?;
            progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
    }
    if got != size {
        return Err(TransferError::Mismatch { expected: format!("{size} bytes"), actual: format!("{got} bytes") });
    }
    let actual = hasher.finish_hex();
    if !remote.md5.is_empty() && !actual.eq_ignore_ascii_case(remote.md5) {
        return Err(TransferError::Mismatch { expected: remote.md5.to_string(), actual });
    }
    file.flush().await?;
    let file = file.into_inner();
    file.sync_all().await?;
    let std_file = file.into_std().await;
    std_file.set_modified(system_time(remote.mtime))?;
    drop(std_file);
    before_replace()?;
    // Checked again just before the rename: a link made since the plan is not followed.
    local.root.check(target)?;
    tokio::fs::rename(&tmp, target).await?;
    guard.path = None;
    if let Err(e) = temp::forget(local.db, &tmp) {
        // The file is in place; a record without its file is dropped by the next run.
        tracing::warn!("forgetting the temporary file {}: {e}", tmp.display());
    }
    Ok(Downloaded { bytes: got - have, resumed: have })
}
