//! What a mount task stores: which storage folder, and how it is reached.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::task::Location;

/// Smallest read cache a mount may have: a smaller one would evict the
/// file being read.
pub const MIN_CACHE_BYTES: u64 = 64 << 20;

/// A storage folder to keep mounted.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MountSpec {
    /// The remote's name.
    pub remote: String,
    /// The folder on it (`Archive/Photos`; empty for the whole device
    /// root as the remote is set up).
    pub path: String,
    /// How the folder is reached.
    pub access: MountAccess,
    /// The read cache's size limit in bytes (`None`: 1 GiB). Files
    /// waiting for upload are never dropped and do not count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cache_max_size: Option<u64>,
}

/// How a mounted folder is reached.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "camelCase")]
pub enum MountAccess {
    /// A local folder (FUSE; Linux). It must be empty; it is made if it
    /// does not exist and its parent does.
    #[serde(rename_all = "camelCase")]
    Folder {
        /// Where.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        mountpoint: PathBuf,
    },
    /// A WebDAV server on 127.0.0.1 with a login made at each start,
    /// opened with the system's own WebDAV client (Finder, Explorer,
    /// GNOME Files): no kernel extension needed.
    #[serde(rename_all = "camelCase")]
    FileManager {
        /// The port (`None`: any free one at each start).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        port: Option<u16>,
    },
}

impl MountSpec {
    /// The storage folder as a location (for lists and messages).
    pub fn location(&self) -> Location {
        Location::Remote { remote: self.remote.clone(), path: self.path.clone() }
    }

    /// Where it is reached, for lists: the mount point or "file manager".
    pub fn access_label(&self) -> String {
        match &self.access {
            MountAccess::Folder { mountpoint } => mountpoint.display().to_string(),
            MountAccess::FileManager { port: Some(p) } => format!("WebDAV on 127.0.0.1:{p}"),
            MountAccess::FileManager { port: None } => "WebDAV (opened in the file manager)".into(),
        }
    }

    /// Checks what can be checked without touching anything.
    pub fn check(&self) -> Result<(), super::MountError> {
        use super::MountError;
        if self.remote.trim().is_empty() {
            return Err(MountError::Invalid("a mount needs a storage".into()));
        }
        if let Some(size) = self.cache_max_size
            && size < MIN_CACHE_BYTES
        {
            return Err(MountError::CacheTooSmall);
        }
        match &self.access {
            MountAccess::Folder { mountpoint } => {
                if !mountpoint.is_absolute() {
                    return Err(MountError::MountpointNotFull(mountpoint.clone()));
                }
                if !super::attach::FOLDER_MOUNTS {
                    return Err(MountError::FolderUnsupported);
                }
                Ok(())
            }
            MountAccess::FileManager { port: Some(p) } if *p < 1024 => Err(MountError::PortReserved(*p)),
            MountAccess::FileManager { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(access: MountAccess) -> MountSpec {
        MountSpec { remote: "demo".into(), path: "Photos".into(), access, cache_max_size: None }
    }

    #[test]
    fn stored_shape_names_the_way_in() {
        let s = spec(MountAccess::FileManager { port: Some(8080) });
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["access"]["via"], "fileManager");
        assert_eq!(v["access"]["port"], 8080);
        assert_eq!(serde_json::from_value::<MountSpec>(v).unwrap(), s);
        let s = spec(MountAccess::Folder { mountpoint: "/mnt/j".into() });
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["access"]["via"], "folder");
        assert_eq!(v["access"]["mountpoint"], "/mnt/j");
    }

    #[test]
    fn bad_specs_are_refused_with_reasons() {
        let relative = spec(MountAccess::Folder { mountpoint: "Jotta".into() });
        assert!(relative.check().unwrap_err().to_string().contains("full path"));
        let low = spec(MountAccess::FileManager { port: Some(80) });
        assert!(low.check().unwrap_err().to_string().contains("1024"));
        let tiny = MountSpec { cache_max_size: Some(1 << 20), ..spec(MountAccess::FileManager { port: None }) };
        assert!(tiny.check().unwrap_err().to_string().contains("64 MiB"));
        assert!(spec(MountAccess::FileManager { port: None }).check().is_ok());
    }
}
