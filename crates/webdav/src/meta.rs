//! Metadata as dav-server reads it.

use std::time::SystemTime;

use dav_server::fs::{DavDirEntry, DavMetaData, FsError, FsFuture, FsResult};
use fjordsync_vfs::{DirEntry, Meta};

/// [`Meta`] for dav-server.
#[derive(Debug, Clone)]
pub struct DavMeta(pub Meta);

impl DavMetaData for DavMeta {
    fn len(&self) -> u64 {
        self.0.size
    }

    fn modified(&self) -> FsResult<SystemTime> {
        // Jottacloud keeps no times for folders.
        self.0.modified.map(SystemTime::from).ok_or(FsError::NotImplemented)
    }

    fn is_dir(&self) -> bool {
        self.0.is_folder()
    }

    /// MD5 + revision: changes exactly when the content does, so clients
    /// never re-download what they have (dav-server's default is size+time).
    fn etag(&self) -> Option<String> {
        self.0.etag()
    }

    fn created(&self) -> FsResult<SystemTime> {
        self.0.created.map(SystemTime::from).ok_or(FsError::NotImplemented)
    }
}

/// A folder's child for dav-server.
#[derive(Debug, Clone)]
pub struct DavEntry(pub DirEntry);

impl DavDirEntry for DavEntry {
    fn name(&self) -> Vec<u8> {
        self.0.name.as_bytes().to_vec()
    }

    fn metadata(&self) -> FsFuture<'_, Box<dyn DavMetaData>> {
        let meta = DavMeta(self.0.meta.clone());
        Box::pin(async move { Ok(Box::new(meta) as Box<dyn DavMetaData>) })
    }
}
