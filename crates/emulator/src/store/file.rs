//! A file entry: its revisions (the current one, older ones, an upload in
//! progress) and whether it is in the trash.

use serde::{Deserialize, Serialize};

/// Size and MD5 of the empty file, which is always "known" content.
pub const EMPTY_MD5: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// When and in which delete operation an item went to the trash. The batch
/// lets `restore=true` bring back exactly what was trashed together.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Trashed {
    pub at: i64,
    pub batch: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum RevState {
    Completed,
    Incomplete,
    Corrupt,
}

impl RevState {
    pub fn as_str(self) -> &'static str {
        match self {
            RevState::Completed => "COMPLETED",
            RevState::Incomplete => "INCOMPLETE",
            RevState::Corrupt => "CORRUPT",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revision {
    pub number: u32,
    pub state: RevState,
    pub created: i64,
    pub modified: i64,
    pub updated: i64,
    pub mime: String,
    pub size: u64,
    pub md5: String,
    /// The upload feeding a non-completed revision.
    #[serde(default)]
    pub upload_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    pub uuid: String,
    pub deleted: Option<Trashed>,
    /// Oldest first.
    pub revisions: Vec<Revision>,
    pub public_uri: Option<String>,
}

impl File {
    pub(super) fn new(name: &str) -> Self {
        File {
            name: name.to_string(),
            uuid: uuid::Uuid::new_v4().to_string(),
            deleted: None,
            revisions: Vec::new(),
            public_uri: None,
        }
    }

    /// The newest COMPLETED revision: the visible content.
    pub fn current(&self) -> Option<&Revision> {
        self.revisions.iter().rev().find(|r| r.state == RevState::Completed)
    }

    pub(super) fn current_mut(&mut self) -> Option<&mut Revision> {
        self.revisions.iter_mut().rev().find(|r| r.state == RevState::Completed)
    }

    /// A newer, not completed revision (an upload in progress or a corrupt one).
    pub fn latest_pending(&self) -> Option<&Revision> {
        let last = self.revisions.last()?;
        (last.state != RevState::Completed).then_some(last)
    }

    /// Older completed revisions, newest first.
    pub fn history(&self) -> Vec<&Revision> {
        let cur = self.current().map(|r| r.number);
        self.revisions.iter().rev().filter(|r| r.state == RevState::Completed && Some(r.number) != cur).collect()
    }

    pub fn revision(&self, number: u32) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.number == number)
    }

    pub(super) fn next_number(&self) -> u32 {
        self.revisions.last().map_or(1, |r| r.number + 1)
    }

    /// Drop pending revisions (a new revision supersedes unfinished uploads);
    /// returns their upload ids so their partial bytes can be removed.
    pub(super) fn drop_pending(&mut self) -> Vec<String> {
        let mut ids = Vec::new();
        self.revisions.retain(|r| {
            if r.state == RevState::Completed {
                true
            } else {
                ids.extend(r.upload_id.clone());
                false
            }
        });
        ids
    }

    pub fn is_live(&self) -> bool {
        self.deleted.is_none()
    }
}

/// The MIME type a new revision gets, by the name's extension.
pub(super) fn guess_mime(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("txt") => "text/plain",
        Some("html" | "htm") => "text/html",
        Some("pdf") => "application/pdf",
        Some("json") => "application/json",
        Some("zip") => "application/zip",
        Some("mp4") => "video/mp4",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}
