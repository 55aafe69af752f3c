//! Mounting a served folder with the operating system's own WebDAV client,
//! so macOS and Windows need no kernel extension or driver of ours.
//!
//! `fjordsync serve webdav` (or the engine) serves a storage folder on
//! `http://127.0.0.1:PORT/` behind a Basic login; [`mount`] hands that
//! address to the system:
//!
//! | system | client | where the files appear |
//! | --- | --- | --- |
//! | macOS | `mount_webdav` (Apple's webdavfs, part of macOS) | a folder in `/Volumes`, or in `~/Volumes` when `/Volumes` is not writable |
//! | Windows | `net use` (the WebClient service) | a drive letter Windows picks |
//! | Linux and other Unix | `gio mount` (GVfs) | a `dav://` location, and its path under `$XDG_RUNTIME_DIR/gvfs` |
//!
//! The password never appears on a command line on macOS (a nameless file
//! on standard input) or Linux (standard input); on Windows `net use` only
//! takes it as an argument, visible to the user's own programs for the
//! second `net` runs. It never goes into an error or a log.
//!
//! Order of use: serve first, then [`mount`]; keep serving while mounted;
//! [`unmount`] before the server stops. The clients send a written file
//! after it is closed (Windows' WebClient and gvfs-fuse a moment later), so
//! stopping the server first can cut the last copy short.
//!
//! Each system's file holds pure functions (command lines, output parsing),
//! compiled and unit-tested on every system, and a short runner; the
//! runner for this system is picked by [`OsClient::this_system`]. Every
//! command runs with a time limit ([`command`]).

mod command;
mod error;
mod linux;
mod macos;
mod request;
mod windows;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use error::OsMountError;
pub use request::OsMountRequest;

/// How long mounting may take (WebClient's first connection can be slow).
const MOUNT_LIMIT: Duration = Duration::from_secs(90);
/// How long unmounting may take.
const UNMOUNT_LIMIT: Duration = Duration::from_secs(30);
/// How long a question to the system (a setting, a service, a path) or
/// opening a file manager may take.
const QUERY_LIMIT: Duration = Duration::from_secs(15);

/// The system's WebDAV client that [`mount`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OsClient {
    /// macOS: `mount_webdav`.
    MountWebdav,
    /// Windows: `net use` through the WebClient service.
    NetUse,
    /// Linux and other Unix desktops: `gio mount` (GVfs).
    Gio,
}

impl OsClient {
    /// The client this system uses, if it has one we know.
    pub fn this_system() -> Option<OsClient> {
        if cfg!(target_os = "macos") {
            Some(OsClient::MountWebdav)
        } else if cfg!(windows) {
            Some(OsClient::NetUse)
        } else if cfg!(unix) {
            Some(OsClient::Gio)
        } else {
            None
        }
    }

    /// The command's name, as users know it.
    pub fn program(self) -> &'static str {
        match self {
            OsClient::MountWebdav => "mount_webdav",
            OsClient::NetUse => "net use",
            OsClient::Gio => "gio mount",
        }
    }
}

impl std::fmt::Display for OsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.program())
    }
}

/// A folder mounted by [`mount`]: what [`unmount`] and
/// [`open_in_file_manager`] need, serialisable so the app can remember it
/// across a restart (and clear a mount it left behind). One variant per
/// client, so a stored mount cannot pair a client with another's location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "client", rename_all = "snake_case")]
pub enum OsMount {
    /// macOS: mounted on `folder`.
    MountWebdav {
        /// The mount point.
        folder: PathBuf,
        /// True if [`mount`] made the folder (unmounting then removes it).
        made_folder: bool,
    },
    /// Windows: mounted as a drive.
    NetUse {
        /// The drive letter Windows picked (`'Z'` for `Z:`).
        drive: char,
        /// The largest file, in bytes, Windows copies to or from the drive
        /// (the WebClient setting `FileSizeLimitInBytes`, 50,000,000 unless
        /// changed): worth telling the user.
        file_size_limit: u64,
    },
    /// Linux: a GVfs mount.
    Gio {
        /// The location, `dav://USER@127.0.0.1:PORT/`: what file managers
        /// and `gio` open.
        uri: String,
        /// The same files as a path for any program (gvfs-fuse,
        /// `$XDG_RUNTIME_DIR/gvfs/dav:host=…`), when gvfs-fuse runs.
        local_path: Option<PathBuf>,
    },
}

impl OsMount {
    /// The client that made it.
    pub fn client(&self) -> OsClient {
        match self {
            OsMount::MountWebdav { .. } => OsClient::MountWebdav,
            OsMount::NetUse { .. } => OsClient::NetUse,
            OsMount::Gio { .. } => OsClient::Gio,
        }
    }

    /// Where programs find the files: the mount point, `Z:\`, or the GVfs
    /// path (`None` when gvfs-fuse does not run: use the location then).
    pub fn path(&self) -> Option<PathBuf> {
        match self {
            OsMount::MountWebdav { folder, .. } => Some(folder.clone()),
            OsMount::NetUse { drive, .. } => Some(PathBuf::from(format!("{drive}:\\"))),
            OsMount::Gio { local_path, .. } => local_path.clone(),
        }
    }

    /// Where it is, in words for the user: a folder, `Z:`, or the location.
    pub fn location(&self) -> String {
        match self {
            OsMount::MountWebdav { folder, .. } => folder.display().to_string(),
            OsMount::NetUse { drive, .. } => format!("{drive}:"),
            OsMount::Gio { uri, local_path } => match local_path {
                Some(p) => p.display().to_string(),
                None => uri.clone(),
            },
        }
    }
}

/// Mounts the served folder `req` with this system's WebDAV client and says
/// where it is. Checks the request first (an `http://` address on this
/// computer, a user and password the client can carry).
pub async fn mount(req: &OsMountRequest) -> Result<OsMount, OsMountError> {
    let served = request::check(req)?;
    match OsClient::this_system() {
        Some(OsClient::MountWebdav) => macos::mount(&served).await,
        Some(OsClient::NetUse) => windows::mount(&served).await,
        Some(OsClient::Gio) => linux::mount(&served).await,
        None => Err(OsMountError::Unsupported),
    }
}

/// Unmounts what [`mount`] mounted. A mount that is already gone is no
/// error. macOS and Linux refuse while a program uses it
/// ([`OsMountError::Busy`]); Windows closes what is still open on the drive
/// (`net use /delete /y`).
pub async fn unmount(mount: &OsMount) -> Result<(), OsMountError> {
    made_here(mount)?;
    match mount {
        OsMount::MountWebdav { folder, made_folder } => macos::unmount(folder, *made_folder).await,
        OsMount::NetUse { drive, .. } => windows::unmount(*drive).await,
        OsMount::Gio { uri, .. } => linux::unmount(uri).await,
    }
}

/// Opens the mounted folder in the file manager (Finder, Explorer, the
/// desktop's own).
pub async fn open_in_file_manager(mount: &OsMount) -> Result<(), OsMountError> {
    made_here(mount)?;
    match mount {
        OsMount::MountWebdav { folder, .. } => macos::open(folder).await,
        OsMount::NetUse { drive, .. } => windows::open(*drive).await,
        OsMount::Gio { uri, .. } => linux::open(uri).await,
    }
}

/// Refuses a mount remembered from another system (a copied settings file).
fn made_here(mount: &OsMount) -> Result<(), OsMountError> {
    if OsClient::this_system() == Some(mount.client()) {
        Ok(())
    } else {
        Err(OsMountError::OtherSystem { client: mount.client() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_survives_json_as_the_app_stores_it() {
        let mounts = [
            OsMount::MountWebdav { folder: "/Volumes/Photos".into(), made_folder: true },
            OsMount::NetUse { drive: 'Z', file_size_limit: 50_000_000 },
            OsMount::Gio {
                uri: "dav://fjordsync@127.0.0.1:8080/".into(),
                local_path: Some("/run/user/1000/gvfs/dav:host=127.0.0.1,port=8080,ssl=false,user=fjordsync".into()),
            },
        ];
        for m in mounts {
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<OsMount>(&json).unwrap(), m, "{json}");
        }
        let json = serde_json::to_value(OsMount::NetUse { drive: 'Z', file_size_limit: 1 }).unwrap();
        assert_eq!(json, serde_json::json!({"client": "net_use", "drive": "Z", "file_size_limit": 1}));
    }

    #[test]
    fn paths_and_locations_in_the_users_words() {
        let drive = OsMount::NetUse { drive: 'Y', file_size_limit: 1 };
        assert_eq!(drive.path(), Some(PathBuf::from("Y:\\")));
        assert_eq!(drive.location(), "Y:");
        let gio = OsMount::Gio { uri: "dav://u@127.0.0.1:1/".into(), local_path: None };
        assert_eq!(gio.path(), None);
        assert_eq!(gio.location(), "dav://u@127.0.0.1:1/");
        assert_eq!(gio.client(), OsClient::Gio);
    }

    #[tokio::test]
    async fn a_mount_from_another_system_is_refused_not_guessed_at() {
        let other = if cfg!(windows) {
            OsMount::Gio { uri: "dav://u@127.0.0.1:1/".into(), local_path: None }
        } else {
            OsMount::NetUse { drive: 'Z', file_size_limit: 1 }
        };
        let err = unmount(&other).await.unwrap_err();
        assert!(matches!(err, OsMountError::OtherSystem { .. }), "{err}");
        assert!(err.to_string().contains("another system"), "{err}");
    }
}
