//! What `stat` and `list` answer.

use jiff::Timestamp;

/// File or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A file.
    File,
    /// A folder.
    Folder,
}

/// Where a file's current content is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// On Jottacloud (folders too).
    Stored,
    /// Written here, waiting for (or in) its upload.
    Pending,
    /// A Finder/Explorer habit file, kept in the cache only.
    LocalOnly,
}

/// Metadata of a file or folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// File or folder.
    pub kind: Kind,
    /// Size in bytes (0 for folders).
    pub size: u64,
    /// Modification time, when known (Jottacloud folders carry none).
    pub modified: Option<Timestamp>,
    /// Birth time, when known.
    pub created: Option<Timestamp>,
    /// MD5 of the content (lower-case hex), for files.
    pub md5: Option<String>,
    /// The storage's revision number of a stored file.
    pub revision: Option<u32>,
    /// Where the content is.
    pub state: FileState,
}

impl Meta {
    pub(crate) fn folder(modified: Option<Timestamp>) -> Meta {
        Meta {
            kind: Kind::Folder,
            size: 0,
            modified,
            created: None,
            md5: None,
            revision: None,
            state: FileState::Stored,
        }
    }

    /// True for a folder.
    pub fn is_folder(&self) -> bool {
        self.kind == Kind::Folder
    }

    /// An entity tag that changes whenever the content does: the MD5 plus
    /// the revision (a new upload of the same bytes is a new revision), or
    /// the MD5 and the state while the file waits for its upload.
    pub fn etag(&self) -> Option<String> {
        let md5 = self.md5.as_deref()?;
        Some(match (self.state, self.revision) {
            (FileState::Stored, Some(r)) => format!("{md5}-{r}"),
            (FileState::Stored, None) => md5.to_string(),
            (FileState::Pending, _) => format!("{md5}-pending"),
            (FileState::LocalOnly, _) => format!("{md5}-local"),
        })
    }
}

/// One child of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name as the user sees it.
    pub name: String,
    /// Its metadata.
    pub meta: Meta,
}
