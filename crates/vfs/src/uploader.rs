//! The upload task: staged files go to the storage a moment after close,
//! one at a time, through the client's one upload path (dedup, resume).
//!
//! A failure another try may fix (the network, a busy service) is retried
//! with a growing pause (up to a minute); one it cannot (a full storage, a
//! locked account) waits for the next start and shows in
//! [`Finished::failed`]. The state file's row goes only after success.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fjordsync_jottacloud::{AllocateRequest, FileSource};

use crate::error::{Result, VfsError};
use crate::meta::{FileState, Kind, Meta};
use crate::path::VfsPath;
use crate::staged::Staged;
use crate::vfs::Inner;

/// What [`crate::Vfs::finish_uploads`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Files uploaded.
    pub uploaded: usize,
    /// Files still pending, with why; they are uploaded at the next start.
    pub failed: Vec<(VfsPath, String)>,
}

/// Tries per file when finishing before a stop.
const FINISH_TRIES: u32 = 3;

pub(crate) async fn run(inner: Arc<Inner>) {
    loop {
        let next = inner.overlay().next_due();
        let wait = next.as_ref().map(|(_, s)| s.due.saturating_duration_since(Instant::now()));
        match wait {
            Some(d) if d.is_zero() => {
                let _gate = inner.gate.lock().await;
                // Settled under the gate: the file may have moved or gone.
                let next = inner.overlay().next_due().filter(|(_, s)| s.due <= Instant::now());
                if let Some((path, s)) = next {
                    let _ = upload(&inner, &path, &s).await;
                }
            }
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = inner.wake.notified() => {}
                    _ = inner.stop.cancelled() => return,
                }
            }
            None => {
                tokio::select! {
                    _ = inner.wake.notified() => {}
                    _ = inner.stop.cancelled() => return,
                }
            }
        }
        if inner.stop.is_cancelled() {
            return;
        }
    }
}

/// Uploads every pending file now, each at most [`FINISH_TRIES`] times.
pub(crate) async fn finish(inner: &Arc<Inner>) -> Finished {
    let mut done = Finished::default();
    let mut tries: std::collections::HashMap<VfsPath, u32> = std::collections::HashMap::new();
    // Each round uploads one file or gives one up, so this ends.
    loop {
        let _gate = inner.gate.lock().await;
        let next = {
            let overlay = inner.overlay();
            overlay
                .pending()
                .find(|(p, s)| s.failed.is_none() && tries.get(*p).copied().unwrap_or(0) < FINISH_TRIES)
                .map(|(p, s)| (p.clone(), s.clone()))
        };
        let Some((path, s)) = next else { break };
        *tries.entry(path.clone()).or_default() += 1;
        if upload(inner, &path, &s).await.is_ok() {
            done.uploaded += 1;
        }
    }
    for (p, s) in inner.overlay().pending() {
        let why = s
            .failed
            .clone()
            .unwrap_or_else(|| "the upload did not succeed; it is tried again at the next start".into());
        done.failed.push((p.clone(), why));
    }
    done
}

/// One upload, with the gate held.
async fn upload(inner: &Inner, path: &VfsPath, s: &Staged) -> Result<()> {
    let result = send(inner, path, s).await;
    match &result {
        Ok(()) => {
            // The listing first, then the overlay: a listing read in between
            // must show the file from one or the other.
            stored_now(inner, path).await;
            inner.overlay().remove_if(path, &s.file);
            inner.state.remove_staged(path, &s.file)?;
            let referenced = inner.overlay().get(path).is_some_and(|now| now.file == s.file);
            if !referenced {
                crate::cache_dir::remove(&inner.dir.staged(&s.file));
            }
            tracing::debug!("{path}: uploaded");
        }
        Err(e) => {
            let mut overlay = inner.overlay();
            if overlay.get(path).is_none_or(|now| now.file != s.file) {
                // Replaced or removed while it was uploading: its content is unused now.
                crate::cache_dir::remove(&inner.dir.staged(&s.file));
            }
            if let Some(now) = overlay.get_mut(path).filter(|now| now.file == s.file) {
                if e.is_final() {
                    tracing::warn!("{path}: upload failed: {e}");
                    now.failed = Some(e.to_string());
                } else {
                    now.attempts += 1;
                    let pause = Duration::from_secs(1u64 << now.attempts.min(6)).min(Duration::from_secs(60));
                    tracing::info!("{path}: upload failed, trying again in {} s: {e}", pause.as_secs());
                    now.due = Instant::now() + pause;
                }
            }
        }
    }
    result
}

/// After an upload: the file's new entry (with its revision) goes into the
/// cached listing of its folder, one small request instead of listing the
/// whole folder again while a client copies many files into it.
async fn stored_now(inner: &Inner, path: &VfsPath) {
    let (Some(parent), Some(name)) = (path.parent(), path.name()) else { return };
    let info = match path.remote(&inner.root) {
        Ok(remote) => inner.client.file_info(&remote).await.ok(),
        Err(_) => None,
    };
    match info {
        Some(f) => inner.listings.update(
            &parent,
            name,
            Meta {
                kind: Kind::File,
                size: f.size,
                modified: f.modified,
                created: f.created,
                md5: Some(f.md5),
                revision: Some(f.revision),
                state: FileState::Stored,
            },
        ),
        None => inner.listings.forget(&parent),
    }
}

async fn send(inner: &Inner, path: &VfsPath, s: &Staged) -> Result<()> {
    let remote = path.remote(&inner.root)?;
    let req =
        AllocateRequest { path: remote, md5: s.md5.clone(), size: s.size, created: s.modified, modified: s.modified };
    *inner.uploading.lock().unwrap_or_else(|p| p.into_inner()) = Some(s.file.clone());
    let r = inner.client.upload(&req, &FileSource::new(inner.dir.staged(&s.file), s.size)).await;
    *inner.uploading.lock().unwrap_or_else(|p| p.into_inner()) = None;
    r.map(|_| ()).map_err(|e| VfsError::remote(path, e))
}
