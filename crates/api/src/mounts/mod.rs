//! Mounts: storage folders kept available as a local folder (Linux) or
//! through the system's file manager (WebDAV). A mount is an engine task
//! of kind `mount` (`Job::Mount`), so the engine's scheduler keeps it in
//! the app and in `fjordsync daemon` alike ([`keeping`]); "Unmount" pauses
//! the task and "Mount" resumes it. The Mount screen lists them apart from
//! the sync and backup tasks (`list_tasks` leaves them out).

pub(crate) mod keeping;
pub mod quit;

use std::path::PathBuf;

use fjordsync_engine::mount::{MountError, MountLocation, MountSpec, MountState};
use fjordsync_engine::tasks::{Job, NewTask, Task};

use crate::Api;
use crate::dto::{MountDto, MountFormDto};
use crate::error::{AppError, AppResult};
use crate::tasks::convert::{dto_id, task_err};

/// A form the engine refuses, with a code per field so the form can put
/// the reason where it belongs.
fn refusal(e: MountError) -> AppError {
    let code = match &e {
        MountError::MountpointNotFull(_) | MountError::FolderUnsupported => "invalid_mountpoint",
        MountError::PortReserved(_) => "invalid_port",
        MountError::CacheTooSmall => "invalid_cache",
        _ => "invalid",
    };
    AppError::new(code, e.to_string())
}

impl Api {
    /// The mounts, in the order they were made, with what each is doing.
    pub async fn list_mounts(&self) -> AppResult<Vec<MountDto>> {
        let mut all = self.with_db(|db| db.tasks().list().map_err(task_err)).await?;
        all.retain(|t| matches!(t.job, Job::Mount(_)));
        all.sort_by_key(|t| t.id);
        Ok(all.iter().filter_map(|t| self.mount_dto(t)).collect())
    }

    /// Adds a mount (empty `id`) or changes one; a mount starts mounted.
    /// The storage folder must exist (`no_folder`); a mount point must be a
    /// full path (it is made when missing, and must be empty). Refusals
    /// name their field: `invalid_name`, `invalid_mountpoint`,
    /// `invalid_port`, `invalid_cache`.
    pub async fn save_mount(&self, form: MountFormDto) -> AppResult<MountDto> {
        let name = form.name.trim().to_string();
        if name.is_empty() {
            return Err(AppError::new("invalid_name", "give the mount a name"));
        }
        let spec = MountSpec {
            remote: form.storage.trim().to_string(),
            path: form.folder.trim().trim_matches('/').to_string(),
            access: form.access.clone(),
            cache_max_size: form.cache_max_size,
        };
        spec.check().map_err(refusal)?;
        // The folder must be there now: a typo would otherwise only show as a failed mount.
        let session = self.session(&spec.remote).await?;
        let root = session.path(&spec.path).map_err(AppError::from)?;
        match session.client.list_folder(&root, fjordsync_jottacloud::ListMode::Live).await {
            Ok(_) => {}
            Err(fjordsync_jottacloud::Error::NotFound(_)) => {
                return Err(AppError::new("no_folder", format!("{}: no such folder on the storage", spec.location())));
            }
            Err(e) => return Err(e.into()),
        }
        let saved = if form.id.is_empty() {
            let new = NewTask { name, job: Job::Mount(spec), schedule: None };
            self.with_db(move |db| db.tasks().add(new).map_err(task_err)).await?
        } else {
            let mut task = self.mount_task(&form.id).await?;
            task.name = name;
            task.job = Job::Mount(spec);
            self.with_db(move |db| db.tasks().update(&task).map_err(task_err)).await?
        };
        self.poke_scheduler();
        self.mount_dto(&saved).ok_or_else(|| AppError::new("internal", "the saved mount is not a mount"))
    }

    /// Removes a mount: it is unmounted and its pending uploads finish
    /// first (the card shows them until they are done).
    pub async fn delete_mount(&self, id: String) -> AppResult<()> {
        let task = self.mount_task(&id).await?;
        let key = task.id.to_string();
        self.with_db(move |db| db.tasks().remove(&key).map(|_| ()).map_err(task_err)).await?;
        self.poke_scheduler();
        // Not mounted by this process now: nothing will end and clean up
        // after it, so its cache goes now (if its uploads are done; a
        // mount kept by another program is cleaned up by that program).
        let stopped = self.mounts.status_of(&id).is_some_and(|s| s.state == MountState::Stopped);
        if stopped {
            self.forget_removed_mount(&task, &id).await;
        }
        Ok(())
    }

    /// Mounts (`on`) or unmounts a mount; unmounting finishes the pending
    /// uploads first. Kept across restarts of the app.
    pub async fn set_mounted(&self, id: String, on: bool) -> AppResult<MountDto> {
        let task = self.mount_task(&id).await?;
        let key = task.id.to_string();
        let task = self.with_db(move |db| db.tasks().set_paused(&key, !on).map_err(task_err)).await?;
        self.poke_scheduler();
        self.mount_dto(&task).ok_or_else(|| AppError::new("internal", "not a mount"))
    }

    /// Opens a mounted folder in the file manager.
    pub async fn open_mount(&self, id: String) -> AppResult<()> {
        let task = self.mount_task(&id).await?;
        let dto_id = dto_id(task.id);
        let status = self.mounts.status_of(&dto_id);
        match status.and_then(|s| s.location) {
            Some(MountLocation::Folder { path }) => self.open_path(&path),
            Some(MountLocation::WebDav { .. }) => self.open_webdav(&dto_id, &task.name).await,
            None => Err(AppError::new("not_mounted", "this folder is not mounted now: mount it first")),
        }
    }

    /// Files written into mounted folders and not yet uploaded, over all
    /// mounts of this process: what quitting the app would leave for later.
    pub async fn pending_mount_uploads(&self) -> AppResult<u32> {
        Ok(self.mounts.pending_uploads())
    }

    /// The engine task behind a mount id (refused if it is another kind).
    async fn mount_task(&self, id: &str) -> AppResult<Task> {
        let task = self.engine_task(id).await?;
        match task.job {
            Job::Mount(_) => Ok(task),
            _ => Err(AppError::new("not_found", format!("no mount with id {id}"))),
        }
    }

    fn mount_dto(&self, task: &Task) -> Option<MountDto> {
        let Job::Mount(spec) = &task.job else { return None };
        let id = dto_id(task.id);
        Some(MountDto {
            status: self.mounts.status_of(&id),
            webdav: self.mounts.login_of(&id),
            form: MountFormDto {
                id,
                name: task.name.clone(),
                storage: spec.remote.clone(),
                folder: spec.path.clone(),
                access: spec.access.clone(),
                cache_max_size: spec.cache_max_size,
            },
            mounted: !task.paused,
        })
    }

    fn open_path(&self, path: &std::path::Path) -> AppResult<()> {
        let opener = self.opener().ok_or_else(|| AppError::new("unsupported", "this program cannot open folders"))?;
        let url = url::Url::from_directory_path(path)
            .map_err(|()| AppError::invalid(format!("{}: not a full path", path.display())))?;
        opener(url.as_str()).map_err(|e| AppError::new("open_failed", format!("could not open the folder: {e}")))
    }

    /// Where a mount keeps its cache and pending uploads:
    /// `<data>/mounts/task-<id>`. In the data folder, not a cache folder: a
    /// cache cleaner must not delete files that are not uploaded yet.
    pub(crate) fn mount_cache_dir(&self, task: &Task) -> PathBuf {
        self.data_dir().join("mounts").join(format!("task-{}", task.id))
    }
}
