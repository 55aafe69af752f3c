//! The app's side of keeping a mount (`Shell::keep` for `Job::Mount`):
//! runs the engine's `Runner::keep_mounted` with the mount's cache folder,
//! keeps what each mount is doing for the Mount screen and the tray
//! (announced with `AppEvent::MountChanged`), and the WebDAV login each
//! start makes, which only this process knows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fjordsync_engine::mount::keep::MountEvent;
use fjordsync_engine::mount::{MountState, MountStatus, MountStops};
use fjordsync_engine::tasks::{Job, Task};
use fjordsync_webdav::os_mount::{self, OsMount, OsMountError, OsMountRequest};
use tokio_util::sync::CancellationToken;

use crate::Api;
use crate::dto::{AppEvent, WebDavLoginDto};
use crate::error::AppError;
use crate::tasks::convert::dto_id;

/// What the mounts of this process are doing.
#[derive(Default)]
pub(crate) struct Mounts {
    statuses: Mutex<HashMap<String, MountStatus>>,
    logins: Mutex<HashMap<String, WebDavLoginDto>>,
    /// Cancelled by "quit now": stops leave pending uploads for the next start.
    pub(crate) hurry: CancellationToken,
    /// How the program ends (see [`super::quit`]).
    pub(crate) quit: std::sync::RwLock<Option<super::quit::QuitHook>>,
    /// WebDAV mounts opened with the system's own client ("Open"), undone
    /// before their server stops.
    os_mounts: tokio::sync::Mutex<HashMap<String, OsMount>>,
}

impl Mounts {
    pub(crate) fn status_of(&self, id: &str) -> Option<MountStatus> {
        self.statuses.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    pub(crate) fn login_of(&self, id: &str) -> Option<WebDavLoginDto> {
        self.logins.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    /// Records what mount `id` is doing.
    pub(crate) fn set_status(&self, id: &str, status: MountStatus) {
        self.statuses.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), status);
    }

    /// Pending uploads over every mount of this process.
    pub(crate) fn pending_uploads(&self) -> u32 {
        self.statuses.lock().unwrap_or_else(|p| p.into_inner()).values().map(|s| s.pending_uploads).sum()
    }

    /// Pending uploads that may still go up now (not failed for good).
    pub(crate) fn uploadable(&self) -> u32 {
        let statuses = self.statuses.lock().unwrap_or_else(|p| p.into_inner());
        statuses.values().map(|s| s.pending_uploads.saturating_sub(s.failed_uploads)).sum()
    }
}

impl Api {
    /// Keeps a mount task mounted until `stop` fires (the app's
    /// `Shell::keep` for it). Ends by itself when the mount cannot start or
    /// was unmounted by another program: the scheduler starts it again
    /// later, and its card says why.
    pub(crate) async fn keep_mount(self: Arc<Self>, task: Task, stop: CancellationToken) {
        let Job::Mount(spec) = &task.job else { return };
        let id = dto_id(task.id);
        let cache_dir = self.mount_cache_dir(&task);
        let sink = self.mount_sink(&id);
        let runner = match self.runner(std::slice::from_ref(&spec.remote)).await {
            Ok(r) => r,
            Err(e) => {
                let mut status = MountStatus::new(MountState::Stopped);
                status.problem =
                    Some(fjordsync_engine::mount::MountProblem { code: e.code.into(), message: e.message });
                sink(MountEvent::Status(status));
                return;
            }
        };
        // The engine stops when `inner` fires; a stop from the scheduler
        // first lets go of the system's mount of the WebDAV server, which
        // sends what it still holds while the server is there.
        let inner = CancellationToken::new();
        let stops = MountStops { stop: inner.clone(), hurry: self.mounts.hurry.clone() };
        let keeping = runner.keep_mounted(spec, &cache_dir, sink, stops);
        tokio::pin!(keeping);
        let result = tokio::select! {
            r = &mut keeping => r,
            _ = stop.cancelled() => {
                self.os_unmount(&id).await;
                inner.cancel();
                keeping.await
            }
        };
        if let Err(e) = result {
            tracing::warn!("mount {id}: {e}");
        }
        // Ended by itself: the system's mount points at a server that is gone.
        self.os_unmount(&id).await;
        self.mounts.logins.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        self.forget_removed_mount(&task, &id).await;
    }

    /// A removed mount leaves nothing behind once its uploads are done:
    /// its status goes, and so does its cache folder.
    pub(crate) async fn forget_removed_mount(&self, task: &Task, id: &str) {
        let key = task.id.to_string();
        let still_there = self.with_db(move |db| Ok(db.tasks().get(&key).is_ok())).await.unwrap_or(true);
        let pending = self.mounts.status_of(id).map_or(0, |s| s.pending_uploads);
        if still_there || pending > 0 {
            return;
        }
        self.mounts.statuses.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        self.emit(AppEvent::MountChanged { mount: id.to_string(), status: None });
        let dir = self.mount_cache_dir(task);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("{}: removing the cache of a removed mount: {e}", dir.display());
        }
    }

    fn mount_sink(self: &Arc<Self>, id: &str) -> fjordsync_engine::mount::MountSink {
        let (api, id) = (self.clone(), id.to_string());
        Arc::new(move |e: MountEvent| match e {
            MountEvent::Status(status) => {
                api.mounts.set_status(&id, status.clone());
                api.emit(AppEvent::MountChanged { mount: id.clone(), status: Some(status) });
            }
            MountEvent::Login { url, user, pass } => {
                api.mounts
                    .logins
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(id.clone(), WebDavLoginDto { url, user, pass });
            }
        })
    }

    /// "Quit now": mounts stop without uploading what is pending (it stays
    /// in their cache and is uploaded at the next start).
    pub fn hurry_mounts(&self) {
        self.mounts.hurry.cancel();
    }

    /// Opens a WebDAV mount in the file manager: mounted first with the
    /// system's own WebDAV client (Finder's `mount_webdav`, Windows' `net
    /// use`, GNOME's `gio mount`), once per start of the server.
    pub(crate) async fn open_webdav(&self, id: &str, name: &str) -> Result<(), AppError> {
        let Some(login) = self.mounts.login_of(id) else {
            return Err(AppError::new("not_mounted", "this folder is not mounted now: mount it first"));
        };
        let mut opened = self.mounts.os_mounts.lock().await;
        let os = match opened.get(id) {
            Some(m) => m.clone(),
            None => {
                let req = OsMountRequest { url: login.url, user: login.user, pass: login.pass, name: name.to_string() };
                let m = os_mount::mount(&req).await.map_err(os_error)?;
                opened.insert(id.to_string(), m.clone());
                m
            }
        };
        drop(opened);
        os_mount::open_in_file_manager(&os).await.map_err(os_error)
    }

    /// Undoes the system's mount of a WebDAV mount, if "Open" made one.
    async fn os_unmount(&self, id: &str) {
        let Some(m) = self.mounts.os_mounts.lock().await.remove(id) else { return };
        if let Err(e) = os_mount::unmount(&m).await {
            tracing::warn!("mount {id}: {} stays mounted: {e}", m.location());
        }
    }
}

/// The system's WebDAV client failed: what it said, worded by the client module.
fn os_error(e: OsMountError) -> AppError {
    let code = match e {
        OsMountError::Unsupported | OsMountError::NoDesktopSession | OsMountError::ClientMissing { .. } => {
            "unsupported"
        }
        _ => "open_failed",
    };
    AppError::new(code, e.to_string())
}
