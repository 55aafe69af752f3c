//! The trash: list, restore, delete permanently, empty.
//!
//! The trash belongs to the account, not to one device or mountpoint, so
//! items carry their full original path (device, mountpoint, folders, name).

use fjordsync_jottacloud::RemotePath;

use super::Api;
use super::dto::{AppEvent, PurgeDto, TrashItemDto, display_name, full_path, place, time};
use crate::error::{AppError, AppResult};

/// A full path (device, mountpoint, names) as a remote path.
fn full(path: &[String]) -> AppResult<RemotePath> {
    let [device, mountpoint, rest @ ..] = path else {
        return Err(AppError::invalid("a trash path starts with a device and a mountpoint"));
    };
    let mut p = RemotePath::new(device, mountpoint)?;
    for seg in rest {
        p = p.join(seg)?;
    }
    if p.segments().is_empty() {
        return Err(AppError::invalid("a whole mountpoint cannot be restored or deleted here"));
    }
    Ok(p)
}

impl Api {
    /// Top-level trashed items of the storage's account, newest first.
    pub async fn list_trash(&self, storage: String) -> AppResult<Vec<TrashItemDto>> {
        let s = self.session(&storage).await?;
        let mut items: Vec<TrashItemDto> = s
            .client
            .list_trash()
            .await?
            .into_iter()
            .map(|t| TrashItemDto {
                path: t.original_path.as_ref().map(full_path),
                place: t.original_path.as_ref().map(|p| place(&full_path(p))),
                display_name: display_name(&t.name),
                folder: t.is_folder,
                size: t.file.as_ref().map(|f| f.size),
                deleted: time(t.deleted),
            })
            .collect();
        items.sort_by(|a, b| b.deleted.cmp(&a.deleted).then_with(|| a.display_name.cmp(&b.display_name)));
        Ok(items)
    }

    /// Puts a trashed item back where it was.
    pub async fn restore_trash_item(&self, storage: String, path: Vec<String>) -> AppResult<()> {
        let s = self.session(&storage).await?;
        s.client.restore(&full(&path)?).await?;
        self.emit(AppEvent::StorageChanged { storage });
        Ok(())
    }

    /// Deletes one trashed item for good.
    pub async fn delete_trash_item(&self, storage: String, path: Vec<String>, folder: bool) -> AppResult<()> {
        let s = self.session(&storage).await?;
        let p = full(&path)?;
        if folder {
            s.client.delete_folder(&p, true).await?;
        } else {
            s.client.delete_file(&p, true).await?;
        }
        self.emit(AppEvent::StorageChanged { storage });
        Ok(())
    }

    /// Empties the account's trash for good.
    pub async fn empty_trash(&self, storage: String) -> AppResult<PurgeDto> {
        let s = self.session(&storage).await?;
        let r = s.client.empty_trash().await?;
        self.emit(AppEvent::StorageChanged { storage });
        Ok(PurgeDto { folders: r.folders, files: r.files })
    }
}
