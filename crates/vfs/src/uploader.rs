//! The upload task: staged files go to the storage a moment after close,
//! a few at once ([`PARALLEL_UPLOADS`]) but never two of one path, through
//! the client's one upload path (dedup, resume).
//!
//! A failure another try may fix (the network, a busy service) is retried
//! with a growing pause (up to a minute); one it cannot (a full storage, a
//! locked account) waits for the next start and shows in
//! [`Finished::failed`]. The state file's row goes only after success.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fjordsync_jottacloud::{AllocateRequest, FileSource};
use tokio::task::JoinSet;

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

/// Uploads in flight at once. Many small files (a folder copied in) spend
/// most of their time waiting for round trips, so a few at once go several
/// times faster; more would only compete for the same upstream bandwidth.
pub(crate) const PARALLEL_UPLOADS: usize = 4;

/// The upload task: starts due uploads while fewer than
/// [`PARALLEL_UPLOADS`] run, each on its own task holding the gate for
/// reading; their path is in flight until it ends, so a newer close of the
/// same path waits for it.
pub(crate) async fn run(inner: Arc<Inner>) {
    // Dropped (when the task is aborted at stop) it cuts the uploads running.
    let mut running = JoinSet::new();
    loop {
        while running.len() < PARALLEL_UPLOADS && due_now(&inner) {
            let gate = tokio::select! {
                g = inner.gate.clone().read_owned() => g,
                _ = inner.stop.cancelled() => return,
            };
            // Claimed under the gate: the file may have moved or gone meanwhile.
            let Some((path, s)) = inner.overlay().claim_due(Instant::now()) else { break };
            let claim = InFlight { inner: inner.clone(), path };
            running.spawn(async move {
                let _ = upload(&claim.inner, &claim.path, &s).await;
                drop(claim);
                drop(gate);
            });
        }
        let wait = inner.overlay().next_due().map(|(_, s)| s.due.saturating_duration_since(Instant::now()));
        let slot_free = running.len() < PARALLEL_UPLOADS;
        tokio::select! {
            _ = tokio::time::sleep(wait.unwrap_or_default()), if wait.is_some() && slot_free => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = inner.wake.notified() => {}
            _ = inner.stop.cancelled() => return,
        }
        if inner.stop.is_cancelled() {
            return;
        }
    }
}

/// A path's upload in flight; dropped (also when the upload is cut) it
/// frees the path and wakes the task, as a newer version of the path may
/// be waiting for it.
struct InFlight {
    inner: Arc<Inner>,
    path: VfsPath,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.inner.overlay().release(&self.path);
        self.inner.wake.notify_one();
    }
}

/// True if an upload may start now.
fn due_now(inner: &Inner) -> bool {
    inner.overlay().next_due().is_some_and(|(_, s)| s.due <= Instant::now())
}

/// Uploads every pending file now, each at most [`FINISH_TRIES`] times,
/// several at once.
pub(crate) async fn finish(inner: &Arc<Inner>) -> Finished {
    let mut done = Finished::default();
    let mut tries: HashMap<VfsPath, u32> = HashMap::new();
    // Each round uploads or tries at least one file, or waits for the
    // uploads the task has in flight, so this ends.
    loop {
        let gate = inner.gate.clone().read_owned().await;
        let mut batch = JoinSet::new();
        {
            let mut overlay = inner.overlay();
            let room = PARALLEL_UPLOADS.saturating_sub(overlay.in_flight()).max(1);
            while batch.len() < room {
                let Some((path, s)) =
                    overlay.claim_where(|p, s| s.failed.is_none() && tries.get(p).copied().unwrap_or(0) < FINISH_TRIES)
                else {
                    break;
                };
                *tries.entry(path.clone()).or_default() += 1;
                let claim = InFlight { inner: inner.clone(), path };
                batch.spawn(async move { upload(&claim.inner, &claim.path, &s).await.is_ok() });
            }
        }
        if batch.is_empty() {
            drop(gate);
            if inner.overlay().in_flight() == 0 {
                break;
            }
            // The task's uploads end before a writer gets the gate.
            drop(inner.gate.write().await);
            continue;
        }
        while let Some(ok) = batch.join_next().await {
            if ok.unwrap_or(false) {
                done.uploaded += 1;
            }
        }
        drop(gate);
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

/// One upload, with the gate held for reading and its path in flight.
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
    inner.uploading.lock().unwrap_or_else(|p| p.into_inner()).insert(s.file.clone());
    let r = inner.client.upload(&req, &FileSource::new(inner.dir.staged(&s.file), s.size)).await;
    inner.uploading.lock().unwrap_or_else(|p| p.into_inner()).remove(&s.file);
    r.map(|_| ()).map_err(|e| VfsError::remote(path, e))
}
