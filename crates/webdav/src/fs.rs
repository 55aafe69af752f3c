//! `DavFileSystem` over the core: every method is one call into
//! [`fjordsync_vfs::Vfs`]; paths arrive decoded and normalised by
//! dav-server and are checked again by [`VfsPath`].

use std::time::SystemTime;

use dav_server::davpath::DavPath;
use dav_server::fs::{
    DavDirEntry, DavFile, DavFileSystem, DavMetaData, DavProp, FsError, FsFuture, FsResult, FsStream, OpenOptions,
    ReadDirMeta,
};
use fjordsync_vfs::{Vfs, VfsError, VfsPath};
use futures_util::FutureExt;
use http::StatusCode;

use crate::file::DavVfsFile;
use crate::meta::{DavEntry, DavMeta};
use crate::props;

/// The core as a dav-server filesystem.
#[derive(Debug, Clone)]
pub struct DavVfs {
    vfs: Vfs,
}

impl DavVfs {
    /// Serves `vfs`.
    pub fn new(vfs: Vfs) -> DavVfs {
        DavVfs { vfs }
    }
}

/// The core's error as dav-server's (which picks the HTTP status).
pub(crate) fn fs_error(e: &VfsError) -> FsError {
    match e {
        VfsError::NotFound(_) => FsError::NotFound,
        VfsError::Exists(_) => FsError::Exists,
        VfsError::IsFolder(_) | VfsError::NotFolder(_) | VfsError::Forbidden(_) => FsError::Forbidden,
        VfsError::InvalidName { .. } | VfsError::NotSupported { .. } => FsError::Forbidden,
        VfsError::QuotaExceeded => FsError::InsufficientStorage,
        other => {
            tracing::warn!("{other}");
            FsError::GeneralFailure
        }
    }
}

fn logged(e: VfsError) -> FsError {
    let fe = fs_error(&e);
    if fe != FsError::NotFound {
        tracing::info!("webdav: {e}");
    }
    fe
}

/// dav-server's path as ours; a name that is not UTF-8 cannot exist here.
pub(crate) fn vfs_path(path: &DavPath) -> FsResult<VfsPath> {
    let s = std::str::from_utf8(path.as_bytes()).map_err(|_| FsError::NotFound)?;
    VfsPath::parse(s).map_err(|_| FsError::Forbidden)
}

impl DavFileSystem for DavVfs {
    fn open<'a>(&'a self, path: &'a DavPath, options: OpenOptions) -> FsFuture<'a, Box<dyn DavFile>> {
        async move {
            let p = vfs_path(path)?;
            if !options.write {
                let r = self.vfs.open_read(&p).await.map_err(logged)?;
                return Ok(Box::new(DavVfsFile::reader(r)) as Box<dyn DavFile>);
            }
            let exists = match self.vfs.stat(&p).await {
                Ok(m) if m.is_folder() => return Err(FsError::Forbidden),
                Ok(_) => true,
                Err(VfsError::NotFound(_)) => false,
                Err(e) => return Err(logged(e)),
            };
            if exists && options.create_new {
                return Err(FsError::Exists);
            }
            if !exists && !options.create && !options.create_new {
                return Err(FsError::NotFound);
            }
            if !exists && !options.truncate {
                // A LOCK of an unmapped URL makes an empty file (RFC 4918
                // 9.10.4; Office and Finder rely on it), as does a ranged PUT.
                let empty = self.vfs.open_write(&p, true).await.map_err(logged)?;
                empty.close().await.map_err(logged)?;
            }
            let w = self.vfs.open_write(&p, options.truncate).await.map_err(logged)?;
            let size = w.size();
            Ok(Box::new(DavVfsFile::writer(w, size)) as Box<dyn DavFile>)
        }
        .boxed()
    }

    fn read_dir<'a>(&'a self, path: &'a DavPath, _meta: ReadDirMeta) -> FsFuture<'a, FsStream<Box<dyn DavDirEntry>>> {
        async move {
            let entries = self.vfs.list(&vfs_path(path)?).await.map_err(logged)?;
            let items: Vec<FsResult<Box<dyn DavDirEntry>>> =
                entries.into_iter().map(|e| Ok(Box::new(DavEntry(e)) as Box<dyn DavDirEntry>)).collect();
            Ok(Box::pin(futures_util::stream::iter(items)) as FsStream<Box<dyn DavDirEntry>>)
        }
        .boxed()
    }

    fn metadata<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, Box<dyn DavMetaData>> {
        async move {
            let meta = self.vfs.stat(&vfs_path(path)?).await.map_err(logged)?;
            Ok(Box::new(DavMeta(meta)) as Box<dyn DavMetaData>)
        }
        .boxed()
    }

    fn create_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move { self.vfs.mkdir(&vfs_path(path)?).await.map_err(logged) }.boxed()
    }

    fn remove_dir<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move { self.vfs.remove(&vfs_path(path)?).await.map_err(logged) }.boxed()
    }

    fn remove_file<'a>(&'a self, path: &'a DavPath) -> FsFuture<'a, ()> {
        async move { self.vfs.remove(&vfs_path(path)?).await.map_err(logged) }.boxed()
    }

    fn rename<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        async move { self.vfs.rename(&vfs_path(from)?, &vfs_path(to)?).await.map_err(logged) }.boxed()
    }

    fn copy<'a>(&'a self, from: &'a DavPath, to: &'a DavPath) -> FsFuture<'a, ()> {
        async move { self.vfs.copy(&vfs_path(from)?, &vfs_path(to)?).await.map_err(logged) }.boxed()
    }

    fn set_modified<'a>(&'a self, path: &'a DavPath, tm: SystemTime) -> FsFuture<'a, ()> {
        async move {
            let t = jiff::Timestamp::try_from(tm).map_err(|_| FsError::GeneralFailure)?;
            self.vfs.set_modified(&vfs_path(path)?, t).await.map_err(logged)
        }
        .boxed()
    }

    /// Used and free space for Finder's and Explorer's gauges.
    fn get_quota(&self) -> FsFuture<'_, (u64, Option<u64>)> {
        async move {
            let space = self.vfs.space().await.map_err(logged)?;
            Ok((space.used, space.total))
        }
        .boxed()
    }

    fn have_props<'a>(&'a self, _path: &'a DavPath) -> std::pin::Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(std::future::ready(true))
    }

    fn patch_props<'a>(
        &'a self,
        path: &'a DavPath,
        patch: Vec<(bool, DavProp)>,
    ) -> FsFuture<'a, Vec<(StatusCode, DavProp)>> {
        async move {
            let p = vfs_path(path)?;
            let changes: Vec<(String, Option<Vec<u8>>)> =
                patch.iter().map(|(set, prop)| (props::key(prop), set.then(|| props::value(prop)))).collect();
            self.vfs.patch_props(&p, &changes).await.map_err(logged)?;
            Ok(patch.into_iter().map(|(_, prop)| (StatusCode::OK, DavProp { xml: None, ..prop })).collect())
        }
        .boxed()
    }

    fn get_props<'a>(&'a self, path: &'a DavPath, do_content: bool) -> FsFuture<'a, Vec<DavProp>> {
        async move {
            let stored = self.vfs.props(&vfs_path(path)?).await.map_err(logged)?;
            Ok(stored.iter().filter_map(|(k, v)| props::decode(k, v, do_content)).collect())
        }
        .boxed()
    }

    fn get_prop<'a>(&'a self, path: &'a DavPath, prop: DavProp) -> FsFuture<'a, Vec<u8>> {
        async move {
            let key = props::key(&prop);
            let value = self.vfs.prop(&vfs_path(path)?, &key).await.map_err(logged)?.ok_or(FsError::NotFound)?;
            props::decode(&key, &value, true).and_then(|p| p.xml).ok_or(FsError::NotFound)
        }
        .boxed()
    }
}
