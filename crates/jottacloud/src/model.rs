//! Public domain types (not wire shapes). Names are in remote form (see
//! [`crate::names`]).

use jiff::Timestamp;

use crate::names::RemotePath;
use crate::types::xml::{FileXml, FolderXml, RevisionXml};

/// State of a file revision. Anything other than `Completed` is unreadable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevisionState {
    /// Content fully uploaded.
    Completed,
    /// Upload in progress.
    Incomplete,
    /// Upload finished with a wrong MD5.
    Corrupt,
    /// A state this client does not know.
    Other(String),
}

impl RevisionState {
    pub(crate) fn parse(s: Option<&str>) -> Self {
        match s.unwrap_or("") {
            "COMPLETED" => RevisionState::Completed,
            "INCOMPLETE" => RevisionState::Incomplete,
            "CORRUPT" => RevisionState::Corrupt,
            o => RevisionState::Other(o.to_string()),
        }
    }
}

/// A file as the service describes it (its visible, current revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Remote name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex MD5.
    pub md5: String,
    /// Birth time (client-supplied).
    pub created: Option<Timestamp>,
    /// Modification time (client-supplied).
    pub modified: Option<Timestamp>,
    /// Server upload time.
    pub updated: Option<Timestamp>,
    /// State of the revision described.
    pub state: RevisionState,
    /// When it went to the trash, if it is trashed (`Some(None)`: trashed at
    /// an unknown time).
    pub deleted: Option<Option<Timestamp>>,
    /// Server uuid.
    pub uuid: Option<String>,
    /// Revision number.
    pub revision: u32,
    /// MIME type.
    pub mime: Option<String>,
}

impl FileInfo {
    /// True if the file is in the trash.
    pub fn is_deleted(&self) -> bool {
        self.deleted.is_some()
    }

    /// From a `<file>` element: the current revision, or (when there is none)
    /// the latest one if `allow_incomplete`.
    pub(crate) fn from_xml(f: &FileXml, allow_incomplete: bool) -> Option<FileInfo> {
        let rev = match (&f.current, &f.latest) {
            (Some(c), _) => c,
            (None, Some(l)) if allow_incomplete => l,
            _ => return None,
        };
        Some(FileInfo {
            name: f.name.clone(),
            size: rev.size.unwrap_or(0).max(0) as u64,
            md5: rev.md5.clone().unwrap_or_default(),
            created: rev.created,
            modified: rev.modified,
            updated: rev.updated,
            state: RevisionState::parse(rev.state.as_deref()),
            deleted: f.deleted,
            uuid: f.uuid.clone(),
            revision: rev.number.unwrap_or(0).max(0) as u32,
            mime: rev.mime.clone(),
        })
    }
}

/// One revision in a file's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Revision number (1, 2, …).
    pub number: u32,
    /// State.
    pub state: RevisionState,
    /// Size (absent for incomplete revisions).
    pub size: Option<u64>,
    /// MD5.
    pub md5: Option<String>,
    /// Birth time.
    pub created: Option<Timestamp>,
    /// Modification time.
    pub modified: Option<Timestamp>,
    /// Upload time.
    pub updated: Option<Timestamp>,
    /// True for the file's current revision.
    pub current: bool,
}

impl Revision {
    pub(crate) fn from_xml(r: &RevisionXml, current: bool) -> Revision {
        Revision {
            number: r.number.unwrap_or(0).max(0) as u32,
            state: RevisionState::parse(r.state.as_deref()),
            size: r.size.map(|s| s.max(0) as u64),
            md5: r.md5.clone(),
            created: r.created,
            modified: r.modified,
            updated: r.updated,
            current,
        }
    }
}

/// A child folder in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderEntry {
    /// Remote name.
    pub name: String,
    /// Trash time if trashed.
    pub deleted: Option<Option<Timestamp>>,
    /// Modification time when the server gives one.
    pub modified: Option<Timestamp>,
}

/// Which children a folder listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListMode {
    /// Live items only (normal view).
    #[default]
    Live,
    /// Live and trashed items.
    All,
    /// Only trashed items (rclone's "trashed-only" mode).
    TrashedOnly,
}

impl ListMode {
    pub(crate) fn keep(self, deleted: bool) -> bool {
        match self {
            ListMode::Live => !deleted,
            ListMode::All => true,
            ListMode::TrashedOnly => deleted,
        }
    }
}

/// A folder listing (one level).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderListing {
    /// Child folders.
    pub folders: Vec<FolderEntry>,
    /// Child files with a completed current revision.
    pub files: Vec<FileInfo>,
    /// True if the listed folder itself is trashed.
    pub deleted: bool,
}

impl FolderListing {
    pub(crate) fn from_xml(x: &FolderXml, mode: ListMode) -> FolderListing {
        FolderListing {
            folders: x
                .folders
                .iter()
                .filter(|f| mode.keep(f.deleted.is_some()))
                .map(|f| FolderEntry { name: f.name.clone(), deleted: f.deleted, modified: f.modified })
                .collect(),
            files: x
                .files
                .iter()
                .filter(|f| mode.keep(f.deleted.is_some()))
                .filter_map(|f| FileInfo::from_xml(f, false))
                .filter(|f| f.state == RevisionState::Completed)
                .collect(),
            deleted: x.deleted.is_some(),
        }
    }
}

/// What a path names (from its metadata document's root element).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A file with a completed revision.
    File(FileInfo),
    /// A folder (with its live children).
    Folder(FolderListing),
    /// A mountpoint root (with its live children).
    MountPoint(FolderListing),
}

/// One item of a recursive listing (liststream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEntry {
    /// A folder; `path` is relative to the listed folder (never empty).
    Folder {
        /// Remote names from the listed folder down.
        path: Vec<String>,
    },
    /// A file; `path` ends with its name.
    File {
        /// Remote names from the listed folder down, ending with the file name.
        path: Vec<String>,
        /// Size.
        size: u64,
        /// Lower-case hex MD5.
        md5: String,
        /// Birth time (second precision).
        created: Option<Timestamp>,
        /// Modification time (second precision).
        modified: Option<Timestamp>,
        /// Upload time, when sent.
        updated: Option<Timestamp>,
        /// The file's identity (`uuid` attribute, spec 4.5): kept across
        /// new revisions and moves, so a two-way sync can tell a move
        /// from a delete and a new file.
        uuid: Option<String>,
    },
}

impl TreeEntry {
    /// The entry's relative path.
    pub fn path(&self) -> &[String] {
        match self {
            TreeEntry::Folder { path } | TreeEntry::File { path, .. } => path,
        }
    }
}

/// A mountpoint summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPointInfo {
    /// Name.
    pub name: String,
    /// Aggregate size.
    pub size: Option<u64>,
    /// Modification time.
    pub modified: Option<Timestamp>,
}

/// A device and its mountpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Name (e.g. `Jotta`).
    pub name: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Type (`JOTTA`, `WORKSTATION`, …).
    pub kind: Option<String>,
    /// Aggregate size.
    pub size: Option<u64>,
    /// Server id.
    pub sid: Option<String>,
    /// Modification time.
    pub modified: Option<Timestamp>,
    /// Mountpoints (empty in the account document, filled in device documents).
    pub mountpoints: Vec<MountPointInfo>,
}

/// Account/drive information (`GET /jfs/<user>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveInfo {
    /// Internal username.
    pub username: String,
    /// e.g. `free`, `unlimited`.
    pub account_type: Option<String>,
    /// Total quota in bytes; `None` = unlimited (the service sends ≤ 0).
    pub capacity: Option<u64>,
    /// Bytes used.
    pub usage: u64,
    /// Any lock flag.
    pub locked: bool,
    /// Read lock.
    pub read_locked: bool,
    /// Write lock (uploads and changes refused).
    pub write_locked: bool,
    /// Write lock because of quota.
    pub quota_write_locked: bool,
    /// Devices.
    pub devices: Vec<DeviceInfo>,
}

/// `GET /account/v1/customer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Internal username used in JFS paths.
    pub username: String,
    /// E-mail.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Account type.
    pub account_type: Option<String>,
    /// Subscription type.
    pub subscription_type: Option<String>,
    /// Bytes used.
    pub usage: Option<i64>,
    /// Quota; negative = unlimited.
    pub quota: Option<i64>,
    /// Write lock.
    pub write_locked: bool,
    /// Read lock.
    pub read_locked: bool,
}

/// A top-level item of the trash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrashItem {
    /// Remote name.
    pub name: String,
    /// Folder or file.
    pub is_folder: bool,
    /// Trash time.
    pub deleted: Option<Timestamp>,
    /// Where it lived (its original path, built from `<abspath>`), if known.
    pub original_path: Option<RemotePath>,
    /// File details for files.
    pub file: Option<FileInfo>,
}

/// Result of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOutcome {
    /// True if the service already had the content (allocate said
    /// `COMPLETED`) and no bytes were sent.
    pub deduplicated: bool,
    /// Bytes handed to the transport over all attempts (0 when deduplicated).
    pub bytes_sent: u64,
    /// Attempts (allocate rounds) used.
    pub attempts: u32,
    /// The file afterwards (re-read metadata).
    pub file: FileInfo,
}

/// What [`crate::Client::upload`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    /// True if the service already had the content (allocate said
    /// `COMPLETED`) and no bytes were sent.
    pub deduplicated: bool,
    /// Bytes handed to the transport over all rounds (0 when deduplicated).
    pub bytes_sent: u64,
    /// Bytes the service already held from an earlier, interrupted upload
    /// when this one started (its first `resume_pos`).
    pub resumed_from: u64,
    /// Rounds (allocates) used.
    pub attempts: u32,
}

/// A public share link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Opaque `publicURI`.
    pub public_uri: String,
    /// Direct download link `<web>/opin/io/downloadPublic/<user>/<publicURI>`.
    pub direct_url: url::Url,
    /// Web page `<web><publicSharePath>`, when the server gives the path.
    pub web_url: Option<url::Url>,
}

/// Counts removed by emptying the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeResult {
    /// Folders removed.
    pub folders: u64,
    /// Files removed.
    pub files: u64,
}

/// Result of an allocate call (low-level upload API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// `COMPLETED` means nothing needs to be sent.
    pub completed: bool,
    /// Upload id.
    pub upload_id: Option<String>,
    /// Absolute URL for the bytes (followed verbatim).
    pub upload_url: Option<String>,
    /// Bytes the server already holds.
    pub resume_pos: u64,
    /// Total size.
    pub bytes: u64,
}
