//! Keeping a mount: open the filesystem core, attach it, report what it
//! does, and at a stop detach it and upload what is pending first.
//!
//! A stop has two speeds ([`MountStops`]): `stop` unmounts and then
//! finishes the pending uploads (the card says how many are left);
//! `hurry` (quitting the app "now", a second Ctrl-C) leaves them in the
//! cache, where they are recorded and uploaded at the next start.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fjordsync_vfs::{Vfs, VfsError, VfsOptions};
use tokio_util::sync::CancellationToken;

use super::attach::attach;
use super::error::MountError;
use super::spec::MountSpec;
use super::status::{MountProblem, MountState, MountStatus};
use crate::Runner;
use crate::runner::Side;
use crate::tasks::lock::now_ms;

/// How often the numbers (pending uploads, cache size) are looked at.
const REFRESH: Duration = Duration::from_secs(1);
/// The first wait before trying again to open an unreachable storage,
/// doubling up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_secs(2);
const RETRY_MAX: Duration = Duration::from_secs(300);

/// What a kept mount tells its shell.
#[derive(Debug, Clone)]
pub enum MountEvent {
    /// Its status changed.
    Status(MountStatus),
    /// It serves WebDAV at `url` with this login (made at each start):
    /// what the shell needs to open it in the file manager. Never shown.
    Login {
        /// `http://127.0.0.1:PORT/`.
        url: String,
        /// The user name.
        user: String,
        /// The password.
        pass: String,
    },
}

/// Where a kept mount's events go.
pub type MountSink = Arc<dyn Fn(MountEvent) + Send + Sync>;

/// The two ways to stop a kept mount (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct MountStops {
    /// Unmount, then finish the pending uploads.
    pub stop: CancellationToken,
    /// Leave the pending uploads for the next start.
    pub hurry: CancellationToken,
}

impl Runner {
    /// Keeps `spec` mounted until `stops.stop` fires, caching in
    /// `cache_dir` (one folder per mount: it holds the uploads not yet
    /// done). Reports every change to `sink`; a storage that cannot be
    /// reached is tried again with a growing pause. Returns `Err` when
    /// the mount cannot start or ended by itself for a reason waiting
    /// will not fix; the last status sent says the same.
    pub async fn keep_mounted(
        &self,
        spec: &MountSpec,
        cache_dir: &Path,
        sink: MountSink,
        stops: MountStops,
    ) -> Result<(), MountError> {
        let report = |s: &MountStatus| sink(MountEvent::Status(s.clone()));
        let mut status = MountStatus::new(MountState::Starting);
        report(&status);
        let result = self.keep_inner(spec, cache_dir, &sink, &stops, &mut status).await;
        status.state = MountState::Stopped;
        status.location = None;
        status.retry_at_ms = None;
        if let Err(e) = &result {
            status.problem = Some(problem_of(e));
        }
        report(&status);
        result
    }

    async fn keep_inner(
        &self,
        spec: &MountSpec,
        cache_dir: &Path,
        sink: &MountSink,
        stops: &MountStops,
        status: &mut MountStatus,
    ) -> Result<(), MountError> {
        let report = |s: &MountStatus| sink(MountEvent::Status(s.clone()));
        spec.check()?;
        let mut wait = RETRY_FIRST;
        let vfs = loop {
            match self.open_vfs(spec, cache_dir).await {
                Ok(vfs) => break vfs,
                Err(e) if e.is_transient() => {
                    status.state = MountState::Retrying;
                    status.problem = Some(problem_of(&e));
                    status.retry_at_ms = Some(now_ms() + wait.as_millis() as i64);
                    report(status);
                    tokio::select! {
                        _ = stops.stop.cancelled() => return Ok(()),
                        _ = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(RETRY_MAX);
                    status.state = MountState::Starting;
                    status.retry_at_ms = None;
                    report(status);
                }
                Err(e) => return Err(e),
            }
        };
        let mut attached = match attach(&vfs, spec).await {
            Ok(a) => a,
            Err(e) => {
                vfs.stop().await;
                return Err(e);
            }
        };
        if let (Some(login), super::MountLocation::WebDav { url }) = (attached.login(), attached.location()) {
            sink(MountEvent::Login { url, user: login.user().into(), pass: login.pass().into() });
        }
        status.state = MountState::Mounted;
        status.location = Some(attached.location());
        status.problem = None;
        refresh(&vfs, status);
        report(status);
        let mut tick = tokio::time::interval(REFRESH);
        let ended = loop {
            tokio::select! {
                _ = stops.stop.cancelled() => break None,
                why = attached.ended() => break Some(why),
                _ = tick.tick() => {
                    if refresh(&vfs, status) {
                        report(status);
                    }
                }
            }
        };
        status.state = MountState::Stopping;
        status.location = None;
        refresh(&vfs, status);
        report(status);
        if ended.is_none() {
            attached.detach().await;
        }
        self.finish(&vfs, stops, status, &report).await;
        match ended {
            Some(why) => Err(MountError::Ended(why)),
            None => Ok(()),
        }
    }

    /// Opens the filesystem core on the storage folder.
    async fn open_vfs(&self, spec: &MountSpec, cache_dir: &Path) -> Result<Vfs, MountError> {
        let Side::Remote(session, root) = self.resolve(&spec.location())? else {
            return Err(MountError::Invalid(format!("{}: not a storage folder", spec.location())));
        };
        let options = VfsOptions {
            cache_max_size: spec.cache_max_size.unwrap_or(VfsOptions::default().cache_max_size),
            ..VfsOptions::default()
        };
        Vfs::open(session.client.clone(), root, cache_dir, options).await.map_err(|e| match e {
            VfsError::NotFound(p) => MountError::NoSuchFolder(p),
            VfsError::NotFolder(p) => MountError::NotAFolder(p),
            e => MountError::Vfs(e),
        })
    }

    /// Uploads what is pending (unless hurried), saying how many are left,
    /// then stops the core.
    async fn finish(&self, vfs: &Vfs, stops: &MountStops, status: &mut MountStatus, report: &impl Fn(&MountStatus)) {
        if vfs.pending_uploads() > 0 && !stops.hurry.is_cancelled() {
            let uploads = vfs.finish_uploads();
            tokio::pin!(uploads);
            let mut tick = tokio::time::interval(REFRESH);
            loop {
                tokio::select! {
                    done = &mut uploads => {
                        for (path, why) in &done.failed {
                            tracing::warn!("{path}: left for the next start: {why}");
                        }
                        break;
                    }
                    _ = stops.hurry.cancelled() => break,
                    _ = tick.tick() => {
                        if refresh(vfs, status) {
                            report(status);
                        }
                    }
                }
            }
        }
        refresh(vfs, status);
        vfs.stop().await;
    }
}

/// Reads the core's numbers into `status`; true if they changed.
fn refresh(vfs: &Vfs, status: &mut MountStatus) -> bool {
    let before = (status.cached_bytes, status.pending_uploads, status.failed_uploads, status.problem.clone());
    status.cached_bytes = vfs.cache_size();
    status.pending_uploads = u32::try_from(vfs.pending_uploads()).unwrap_or(u32::MAX);
    status.failed_uploads = u32::try_from(vfs.failed_uploads()).unwrap_or(u32::MAX);
    let upload = vfs
        .upload_problem()
        .map(|(path, why)| MountProblem { code: "upload_failed".into(), message: format!("{path}: {why}") });
    // An upload problem shows while it lasts; a start problem is over once mounted.
    if upload.is_some() || status.problem.as_ref().is_some_and(|p| p.code == "upload_failed") {
        status.problem = upload;
    }
    before != (status.cached_bytes, status.pending_uploads, status.failed_uploads, status.problem.clone())
}

/// A mount error as a status's problem.
fn problem_of(e: &MountError) -> MountProblem {
    let code = match e {
        MountError::NoSuchFolder(_) | MountError::NotAFolder(_) => "no_folder",
        MountError::Mountpoint { .. } | MountError::FolderUnsupported => "mountpoint",
        MountError::Vfs(VfsError::QuotaExceeded) => "storage_full",
        e if e.is_transient() => "unreachable",
        MountError::Engine(e) if e.needs_reconnect() => "reconnect",
        _ => "failed",
    };
    MountProblem { code: code.into(), message: e.to_string() }
}
