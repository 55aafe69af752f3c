//! The storage browser: listing, folders, rename/move, delete to trash,
//! download, share links.
//!
//! Paths are lists of server names below the storage's root, exactly as the
//! listing returned them; names the user types (new folder, rename) are
//! mapped with the service's look-alike rules, as the CLI does.

use std::path::{Path, PathBuf};

use fjordsync_engine::Session;
use fjordsync_engine::backup::detect;
use fjordsync_jottacloud::{Entry, ListMode, RemotePath};

use super::Api;
use super::dto::{AppEvent, EntryDto, ListingDto, ShareDto, display_name, file_entry, time};
use crate::error::{AppError, AppResult};

/// The remote path of server segments below the session's root.
pub(super) fn at(s: &Session, path: &[String]) -> AppResult<RemotePath> {
    let mut p = s.root.clone();
    for seg in path {
        p = p.join(seg)?;
    }
    Ok(p)
}

/// Refuses `folder` when it is an encrypted backup or lies inside one: its
/// files belong to the backup, which the Backup screen manages.
async fn not_into_backup(s: &Session, folder: &RemotePath) -> AppResult<()> {
    match detect::remote_enclosing(&s.client, folder).await? {
        Some(repo) => {
            Err(AppError::new("inside_backup", format!("{} is inside the encrypted backup {}", folder, repo)))
        }
        None => Ok(()),
    }
}

pub(super) fn non_empty(path: &[String]) -> AppResult<()> {
    if path.is_empty() {
        return Err(AppError::invalid("the storage's root folder cannot be changed"));
    }
    Ok(())
}

impl Api {
    /// A folder's visible (not trashed) folders and files.
    pub async fn list_folder(&self, storage: String, path: Vec<String>) -> AppResult<ListingDto> {
        let s = self.session(&storage).await?;
        let listing = s.client.list_folder(&at(&s, &path)?, ListMode::default()).await?;
        let mut entries: Vec<EntryDto> = listing
            .folders
            .iter()
            .filter(|f| f.deleted.is_none())
            .map(|f| EntryDto {
                name: f.name.clone(),
                display_name: display_name(&f.name),
                folder: true,
                size: None,
                md5: None,
                created: None,
                modified: time(f.modified),
                uploaded: None,
                mime: None,
                backup: false,
            })
            .collect();
        mark_backups(&s, &at(&s, &path)?, &mut entries).await?;
        entries.extend(listing.files.iter().filter(|f| !f.is_deleted()).map(file_entry));
        entries.sort_by(|a, b| b.folder.cmp(&a.folder).then_with(|| a.display_name.cmp(&b.display_name)));
        Ok(ListingDto { path, entries })
    }

    /// Creates a folder named `name` (as typed) inside `parent`.
    pub async fn create_folder(&self, storage: String, parent: Vec<String>, name: String) -> AppResult<Vec<String>> {
        let s = self.session(&storage).await?;
        not_into_backup(&s, &at(&s, &parent)?).await?;
        let target = at(&s, &parent)?.join_local(name.trim().as_bytes())?;
        if s.client.stat(&target).await.is_ok_and(|e| !is_trashed(&e)) {
            return Err(AppError::new("already_exists", format!("{name:?} already exists here")));
        }
        s.client.mkdir(&target).await?;
        self.emit(AppEvent::StorageChanged { storage });
        let mut out = parent;
        out.push(target.name().to_string());
        Ok(out)
    }

    /// Renames or moves a file or folder to `to_parent` / `new_name` (as typed).
    pub async fn move_item(
        &self,
        storage: String,
        path: Vec<String>,
        to_parent: Vec<String>,
        new_name: String,
    ) -> AppResult<Vec<String>> {
        non_empty(&path)?;
        let s = self.session(&storage).await?;
        let src = at(&s, &path)?;
        let dst = at(&s, &to_parent)?.join_local(new_name.trim().as_bytes())?;
        if dst == src {
            return Ok(path);
        }
        if src.contains(&dst) {
            return Err(AppError::invalid("a folder cannot be moved into itself"));
        }
        if s.client.stat(&dst).await.is_ok_and(|e| !is_trashed(&e)) {
            return Err(AppError::new("already_exists", format!("{new_name:?} already exists there")));
        }
        // A backup is moved or renamed as a whole; nothing goes into one or
        // comes out of one by hand (its index would no longer match).
        not_into_backup(&s, &at(&s, &to_parent)?).await?;
        if let Some(parent) = src.parent() {
            not_into_backup(&s, &parent).await?;
        }
        match s.client.stat(&src).await? {
            Entry::File(_) => drop(s.client.move_file(&src, &dst).await?),
            _ => s.client.move_folder(&src, &dst).await?,
        }
        self.emit(AppEvent::StorageChanged { storage });
        let mut out = to_parent;
        out.push(dst.name().to_string());
        Ok(out)
    }

    /// Moves a file or folder to the trash (restorable).
    pub async fn delete_item(&self, storage: String, path: Vec<String>) -> AppResult<()> {
        non_empty(&path)?;
        let s = self.session(&storage).await?;
        let p = at(&s, &path)?;
        match s.client.stat(&p).await? {
            Entry::File(_) => s.client.delete_file(&p, false).await?,
            _ => s.client.delete_folder(&p, false).await?,
        }
        self.emit(AppEvent::StorageChanged { storage });
        Ok(())
    }

    /// Downloads a file into `folder`, never overwriting: an existing name
    /// gets " (2)", " (3)", ... Returns the local file written.
    pub async fn download(&self, storage: String, path: Vec<String>, folder: String) -> AppResult<String> {
        let (s, p, folder) = self.download_from(&storage, &path, folder).await?;
        let target = free_name(&folder, &local_file_name(p.name())?);
        s.client.download_to_file(&p, &target).await?;
        Ok(target.display().to_string())
    }

    /// The session, the remote file and the existing local folder of a download.
    pub(super) async fn download_from(
        &self,
        storage: &str,
        path: &[String],
        folder: String,
    ) -> AppResult<(Session, RemotePath, PathBuf)> {
        non_empty(path)?;
        let s = self.session(storage).await?;
        let p = at(&s, path)?;
        let folder = PathBuf::from(folder);
        if !folder.is_dir() {
            return Err(AppError::invalid(format!("{} is not a folder", folder.display())));
        }
        Ok((s, p, folder))
    }

    /// Turns the public link of a file or folder on (returning it) or off.
    pub async fn set_share(&self, storage: String, path: Vec<String>, on: bool) -> AppResult<Option<ShareDto>> {
        non_empty(&path)?;
        let s = self.session(&storage).await?;
        let p = at(&s, &path)?;
        if on {
            let link = s.client.enable_share(&p).await?;
            let url = link.web_url.map(|u| u.to_string()).unwrap_or_else(|| link.direct_url.to_string());
            Ok(Some(ShareDto { url }))
        } else {
            s.client.disable_share(&p).await?;
            Ok(None)
        }
    }
}

/// How many child folders of one listing are looked into to find encrypted
/// backups (one listing each, a few at a time): a folder with more shows
/// the rest as plain folders (the engine still refuses to sync into them).
const BACKUP_PROBES: usize = 200;

/// Sets `backup` on the folders in `entries` (all folders, children of
/// `parent`) that are restic repositories.
async fn mark_backups(s: &Session, parent: &RemotePath, entries: &mut [EntryDto]) -> AppResult<()> {
    use futures_util::{StreamExt, TryStreamExt};
    let paths: Vec<(usize, RemotePath)> = entries
        .iter()
        .take(BACKUP_PROBES)
        .enumerate()
        .map(|(i, e)| Ok((i, parent.join(&e.name)?)))
        .collect::<AppResult<_>>()?;
    let client = &s.client;
    let found: Vec<(usize, bool)> = futures_util::stream::iter(paths)
        .map(|(i, p)| async move { detect::is_remote_repository(client, &p).await.map(|yes| (i, yes)) })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    for (i, yes) in found {
        entries[i].backup = yes;
    }
    Ok(())
}

fn is_trashed(e: &Entry) -> bool {
    match e {
        Entry::File(f) => f.is_deleted(),
        Entry::Folder(l) | Entry::MountPoint(l) => l.deleted,
    }
}

/// The local name for a server name, refusing anything that could leave the
/// chosen folder (ARCHITECTURE.md: server paths never escape their target).
pub(super) fn local_file_name(server: &str) -> AppResult<String> {
    let name = display_name(server);
    let bad = name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']);
    if bad {
        return Err(AppError::invalid(format!("{name:?} cannot be a local file name")));
    }
    Ok(name)
}

pub(super) fn free_name(folder: &Path, name: &str) -> PathBuf {
    let first = folder.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    (2..).map(|i| folder.join(format!("{stem} ({i}){ext}"))).find(|p| !p.exists()).expect("some name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_cannot_escape() {
        assert!(local_file_name("..").is_err());
        assert!(local_file_name("a/b").is_err());
        assert_eq!(local_file_name("a\u{FF1A}b").unwrap(), "a:b");
    }

    /// A repository made through the app is listed as one backup item; its
    /// own folders and an ordinary folder are not.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_backup_repository_is_marked_in_the_listing() {
        let dir = tempfile::tempdir().unwrap();
        let api = crate::backup::tests::demo_api(dir.path()).await;
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("a.txt"), b"hello").unwrap();
        let mut t = crate::backup::tests::task(&[src.to_str().unwrap()], crate::DEMO_STORAGE, "Vault", None);
        t.id = String::new();
        let saved = api.create_backup(t, "pw".into(), true).await.unwrap();
        api.run_backup(saved.id.clone(), Some("pw".into()), std::sync::Arc::new(|_| {})).await.unwrap();
        api.create_folder(crate::DEMO_STORAGE.into(), vec![], "Plain".into()).await.unwrap();

        let top = api.list_folder(crate::DEMO_STORAGE.into(), vec![]).await.unwrap();
        let backup = |name: &str| top.entries.iter().find(|e| e.name == name).map(|e| e.backup);
        assert_eq!(backup("Vault"), Some(true), "{top:?}");
        assert_eq!(backup("Plain"), Some(false), "{top:?}");
        let inside = api.list_folder(crate::DEMO_STORAGE.into(), vec!["Vault".into()]).await.unwrap();
        assert!(inside.entries.iter().any(|e| e.name == "keys"), "{inside:?}");
        assert!(inside.entries.iter().all(|e| !e.backup), "{inside:?}");

        // By hand, nothing goes into a backup or comes out of one; the
        // backup itself still moves and renames as a whole.
        let code = |r: AppResult<Vec<String>>| r.unwrap_err().code;
        let demo = || crate::DEMO_STORAGE.to_string();
        let plain = || vec!["Plain".to_string()];
        assert_eq!(code(api.move_item(demo(), plain(), vec!["Vault".into()], "Plain".into()).await), "inside_backup");
        assert_eq!(
            code(api.move_item(demo(), vec!["Vault".into(), "keys".into()], vec![], "keys".into()).await),
            "inside_backup"
        );
        assert_eq!(
            code(api.create_folder(demo(), vec!["Vault".into(), "data".into()], "x".into()).await),
            "inside_backup"
        );
        let after = api.list_folder(demo(), vec!["Vault".into()]).await.unwrap();
        assert_eq!(after.entries.len(), inside.entries.len(), "nothing changed inside: {after:?}");
        api.move_item(demo(), vec!["Vault".into()], vec!["Plain".into()], "Vault 2".into()).await.unwrap();
        let moved = api.list_folder(demo(), plain()).await.unwrap();
        assert_eq!(moved.entries.iter().find(|e| e.name == "Vault 2").map(|e| e.backup), Some(true), "{moved:?}");
    }

    #[test]
    fn free_name_counts_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        std::fs::write(dir.path().join("a (2).txt"), "x").unwrap();
        assert_eq!(free_name(dir.path(), "a.txt"), dir.path().join("a (3).txt"));
        assert_eq!(free_name(dir.path(), "b"), dir.path().join("b"));
    }
}
