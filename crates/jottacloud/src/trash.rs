//! Trash (spec 4.12–4.14): listing, restore, empty.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::files::CpHash;
use crate::http::Req;
use crate::model::{Entry, FileInfo, PurgeResult, TrashItem};
use crate::names::RemotePath;
use crate::types::json::PurgeJson;
use crate::types::xml::FolderXml;

impl Client {
    /// Top-level trashed items (`GET /jfs/<user>/Jotta/Trash`; shape modelled).
    pub async fn list_trash(&self) -> Result<Vec<TrashItem>> {
        let trash = RemotePath::new("Jotta", "Trash")?;
        let el = self.call_xml(Req::get(self.jfs_url(&trash).await?)).await?;
        let x = FolderXml::from_el(&el)?;
        let orig = |parent: &Option<String>, name: &str| {
            parent.as_deref().and_then(RemotePath::from_server_abspath).and_then(|p| p.join(name).ok())
        };
        let mut out = Vec::new();
        for f in &x.folders {
            out.push(TrashItem {
                name: f.name.clone(),
                is_folder: true,
                deleted: f.deleted.flatten(),
                original_path: orig(&f.abspath, &f.name),
                file: None,
            });
        }
        for f in &x.files {
            out.push(TrashItem {
                name: f.name.clone(),
                is_folder: false,
                deleted: f.deleted.flatten(),
                original_path: orig(&f.abspath, &f.name),
                file: FileInfo::from_xml(f, true),
            });
        }
        Ok(out)
    }

    /// Bring a trashed item back to its original `path`.
    ///
    /// Files: `cphash` with the file's own md5/size/times, as rclone does
    /// (the server restores a trashed file whose content matches).
    /// Folders: `POST <path>?restore=true`, an **unverified** switch (spec
    /// 10.11) used only because no verified folder restore exists.
    pub async fn restore(&self, path: &RemotePath) -> Result<()> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?)).await?;
        if el.name == "file" {
            let fx = crate::types::xml::FileXml::from_el(&el)?;
            let info = FileInfo::from_xml(&fx, false)
                .ok_or_else(|| Error::InvalidArgument(format!("{path} has no completed revision to restore")))?;
            if !info.is_deleted() {
                return Ok(());
            }
            let restored = self
                .cphash(
                    path,
                    &CpHash { md5: info.md5.clone(), size: info.size, created: info.created, modified: info.modified },
                )
                .await?;
            if restored.is_deleted() {
                return Err(Error::Protocol(format!("{path}: cphash did not restore the file")));
            }
            return Ok(());
        }
        let req = Req::post(self.jfs_url(path).await?).q("restore", "true").short();
        drop(self.call(req).await?);
        match self.stat(path).await? {
            Entry::Folder(l) | Entry::MountPoint(l) if !l.deleted => Ok(()),
            _ => Err(Error::Protocol(format!("{path}: restore=true did not restore the folder"))),
        }
    }

    /// Empty the trash permanently (`POST /files/v1/purge_trash`).
    pub async fn empty_trash(&self) -> Result<PurgeResult> {
        let req = Req::post(self.api_url("files/v1/purge_trash")?);
        let resp = self.call(req).await?;
        let body = crate::http::read_limited(resp, 1 << 20, self.inner.options.timeouts.idle).await?;
        let p: PurgeJson = if body.iter().all(u8::is_ascii_whitespace) {
            PurgeJson { folders: None, files: None }
        } else {
            serde_json::from_slice(&body).map_err(|e| Error::Protocol(format!("bad purge_trash reply: {e}")))?
        };
        Ok(PurgeResult { folders: p.folders.unwrap_or(0).max(0) as u64, files: p.files.unwrap_or(0).max(0) as u64 })
    }
}
