//! Folder listings, metadata and JFS mutations (spec 4.2–4.12).

use jiff::Timestamp;

use crate::client::Client;
use crate::error::{ApiError, Error, Result};
use crate::http::Req;
use crate::model::{Entry, FileInfo, FolderListing, ListMode, Revision, RevisionState};
use crate::names::RemotePath;
use crate::time::{format_jotta_time, zero_jotta_time};
use crate::types::xml::{Element, FileXml, FolderXml};

pub(crate) fn not_found(what: &str) -> Error {
    Error::NotFound(Box::new(ApiError { status: 404, message: Some(what.to_string()), ..Default::default() }))
}

/// Times and content for `cphash` (spec 4.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpHash {
    /// MD5 of the content (lower-case hex).
    pub md5: String,
    /// Size in bytes.
    pub size: u64,
    /// Birth time; `None` sends the zero time like rclone.
    pub created: Option<Timestamp>,
    /// Modification time; `None` sends the zero time like rclone.
    pub modified: Option<Timestamp>,
}

impl Client {
    /// One-level listing of a folder or mountpoint. In `Live` mode a trashed
    /// folder is "not found" (as rclone treats it).
    pub async fn list_folder(&self, path: &RemotePath, mode: ListMode) -> Result<FolderListing> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?)).await?;
        match el.name.as_str() {
            "folder" | "mountPoint" => {}
            "file" => {
                return Err(Error::InvalidArgument(format!("{path} is a file, not a folder")));
            }
            other => return Err(Error::Protocol(format!("unexpected listing root <{other}>"))),
        }
        let x = FolderXml::from_el(&el)?;
        if x.deleted.is_some() && mode == ListMode::Live {
            return Err(not_found(&format!("{path} is in the trash")));
        }
        Ok(FolderListing::from_xml(&x, mode))
    }

    /// Metadata of any path; the reply's root element decides the kind.
    /// A file without a completed revision is "not found" (rclone's rule);
    /// a trashed file is returned with `deleted` set.
    pub async fn stat(&self, path: &RemotePath) -> Result<Entry> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?)).await?;
        entry_from(&el, path)
    }

    /// Metadata of a file (error if the path is a folder).
    pub async fn file_info(&self, path: &RemotePath) -> Result<FileInfo> {
        match self.stat(path).await? {
            Entry::File(f) => Ok(f),
            _ => Err(not_found(&format!("{path} is a folder, not a file"))),
        }
    }

    /// A file's revisions: the current one first, then older ones as listed
    /// (newest first, modelled), then an unfinished latest one if any.
    pub async fn revisions(&self, path: &RemotePath) -> Result<Vec<Revision>> {
        let el = self.call_xml(Req::get(self.jfs_url(path).await?)).await?;
        if el.name != "file" {
            return Err(not_found(&format!("{path} is not a file")));
        }
        let f = FileXml::from_el(&el)?;
        let mut out = Vec::new();
        if let Some(c) = &f.current {
            out.push(Revision::from_xml(c, true));
        }
        for r in &f.revisions {
            if out.iter().all(|o: &Revision| o.number != r.number.unwrap_or(-1).max(0) as u32) {
                out.push(Revision::from_xml(r, false));
            }
        }
        if let Some(l) = &f.latest {
            out.push(Revision::from_xml(l, false));
        }
        Ok(out)
    }

    /// `mkDir=true`: create the folder and any missing parents (idempotent).
    pub async fn mkdir(&self, path: &RemotePath) -> Result<()> {
        if path.is_mountpoint_root() {
            return Ok(());
        }
        let req = Req::post(self.jfs_url(path).await?).q("mkDir", "true").short();
        let el = self.call_xml(req).await?;
        if el.name != "folder" && el.name != "mountPoint" {
            return Err(Error::Protocol(format!("mkDir answered <{}>", el.name)));
        }
        Ok(())
    }

    /// Delete a file: to the trash (`dl`), or permanently (`rm`) if `hard`.
    /// `dl` on a missing path succeeds on the service (spec 4.12).
    pub async fn delete_file(&self, path: &RemotePath, hard: bool) -> Result<()> {
        let sw = if hard { "rm" } else { "dl" };
        self.delete_call(Req::post(self.jfs_url(path).await?).q(sw, "true").short()).await
    }

    /// Delete a folder and its contents: to the trash (`dlDir`) or
    /// permanently (`rmDir`).
    pub async fn delete_folder(&self, path: &RemotePath, hard: bool) -> Result<()> {
        if path.is_mountpoint_root() {
            return Err(Error::InvalidArgument("refusing to delete a mountpoint".into()));
        }
        let sw = if hard { "rmDir" } else { "dlDir" };
        self.delete_call(Req::post(self.jfs_url(path).await?).q(sw, "true")).await
    }

    /// A delete whose retry answers 404 after an earlier attempt may have
    /// been applied (reply lost) counts as done.
    async fn delete_call(&self, req: Req) -> Result<()> {
        match self.call_tracked(req).await {
            (Ok(_), _) => Ok(()),
            (Err(e), true) if e.is_not_found() => {
                tracing::debug!("delete retried after a lost reply; 404 means it was applied");
                Ok(())
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Server-side copy of a file (`cp=`). Creates the target's parent
    /// first. If the target was trashed, the service leaves the copy in the
    /// trash (a known service bug); we then restore it with `cphash`.
    ///
    /// Not retried automatically: a repeated copy would add a revision.
    pub async fn copy_file(&self, src: &RemotePath, dst: &RemotePath) -> Result<FileInfo> {
        self.copy_or_move(src, dst, "cp").await
    }

    /// Server-side move/rename of a file (`mv=`); keeps its identity.
    pub async fn move_file(&self, src: &RemotePath, dst: &RemotePath) -> Result<FileInfo> {
        self.copy_or_move(src, dst, "mv").await
    }

    async fn copy_or_move(&self, src: &RemotePath, dst: &RemotePath, sw: &'static str) -> Result<FileInfo> {
        if let Some(parent) = dst.parent() {
            self.mkdir(&parent).await?;
        }
        let user = self.username().await?;
        let req = Req::post(self.jfs_url(src).await?).q(sw, dst.absolute(&user)).no_retry();
        let el = self.call_xml(req).await?;
        if el.name != "file" {
            return Err(Error::Protocol(format!("{sw} answered <{}>", el.name)));
        }
        let fx = FileXml::from_el(&el)?;
        let info =
            FileInfo::from_xml(&fx, true).ok_or_else(|| Error::Protocol(format!("{sw} reply without a revision")))?;
        if info.is_deleted() && info.state == RevisionState::Completed {
            tracing::debug!(%dst, "copy landed in the trash; restoring with cphash");
            return self
                .cphash(
                    dst,
                    &CpHash { md5: info.md5.clone(), size: info.size, created: info.created, modified: info.modified },
                )
                .await;
        }
        Ok(info)
    }

    /// Move/rename a folder (`mvDir=`). The source is escaped like any path
    /// (rclone sends it raw, which breaks `+` and `#`) and carries the
    /// trailing slash seen in real traffic. Fails with
    /// `Conflict` if the target exists.
    pub async fn move_folder(&self, src: &RemotePath, dst: &RemotePath) -> Result<()> {
        if src.is_mountpoint_root() {
            return Err(Error::InvalidArgument("cannot move a mountpoint".into()));
        }
        if src.contains(dst) {
            return Err(Error::InvalidArgument(format!("cannot move {src} into itself")));
        }
        let user = self.username().await?;
        // Trailing slash on the source as in the observed rclone request.
        let mut url = self.jfs_url(src).await?;
        url.set_path(&format!("{}/", url.path().trim_end_matches('/')));
        let req = Req::post(url).q("mvDir", dst.absolute(&user)).no_retry();
        let el = self.call_xml(req).await?;
        if el.name != "folder" && el.name != "mountPoint" {
            return Err(Error::Protocol(format!("mvDir answered <{}>", el.name)));
        }
        Ok(())
    }

    /// `cphash=true`: set times when the content matches, create the file
    /// from known content (dedup), or restore a trashed file. 404 means the
    /// content is unknown and must be uploaded.
    pub async fn cphash(&self, path: &RemotePath, h: &CpHash) -> Result<FileInfo> {
        let t = |x: Option<Timestamp>| x.map(format_jotta_time).unwrap_or_else(|| zero_jotta_time().into());
        let req = Req::post(self.jfs_url(path).await?)
            .q("cphash", "true")
            .short()
            .h("JMd5", h.md5.to_ascii_lowercase())
            .h("JSize", h.size.to_string())
            .h("JCreated", t(h.created))
            .h("JModified", t(h.modified));
        let el = self.call_xml(req).await?;
        if el.name != "file" {
            return Err(Error::Protocol(format!("cphash answered <{}>", el.name)));
        }
        let fx = FileXml::from_el(&el)?;
        FileInfo::from_xml(&fx, true).ok_or_else(|| Error::Protocol("cphash reply without a revision".into()))
    }
}

pub(crate) fn entry_from(el: &Element, path: &RemotePath) -> Result<Entry> {
    match el.name.as_str() {
        "file" => {
            let fx = FileXml::from_el(el)?;
            match FileInfo::from_xml(&fx, false) {
                Some(f) if f.state == RevisionState::Completed => Ok(Entry::File(f)),
                _ => Err(not_found(&format!("{path} has no completed revision"))),
            }
        }
        "folder" => Ok(Entry::Folder(FolderListing::from_xml(&FolderXml::from_el(el)?, ListMode::Live))),
        "mountPoint" => Ok(Entry::MountPoint(FolderListing::from_xml(&FolderXml::from_el(el)?, ListMode::Live))),
        other => Err(Error::Protocol(format!("unexpected metadata root <{other}>"))),
    }
}
