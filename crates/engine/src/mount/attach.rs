//! The two ways a mount is reached: a local folder (FUSE, Linux) or a
//! WebDAV server on 127.0.0.1 that the system's file manager opens.

use std::io;
use std::path::Path;

use fjordsync_vfs::Vfs;
use fjordsync_webdav::Login;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::error::MountError;
use super::spec::{MountAccess, MountSpec};
use super::status::MountLocation;

/// Whether this build can mount on a folder.
pub(super) const FOLDER_MOUNTS: bool = cfg!(all(target_os = "linux", feature = "fuse"));

/// A mount, attached.
pub(super) enum Attached {
    /// Mounted on a folder.
    #[cfg(all(target_os = "linux", feature = "fuse"))]
    Folder(fjordsync_fuse::Mounted),
    /// Served over WebDAV.
    WebDav {
        /// `http://127.0.0.1:PORT/`.
        url: String,
        /// Made at each start; the shell opens the folder with it.
        login: Login,
        /// The server; it ends when `shutdown` fires.
        server: JoinHandle<io::Result<()>>,
        shutdown: CancellationToken,
    },
}

/// Attaches `vfs` the way `spec` says. `source` names it in the system's
/// mount table (`REMOTE:PATH`).
pub(super) async fn attach(vfs: &Vfs, spec: &MountSpec) -> Result<Attached, MountError> {
    match &spec.access {
        MountAccess::Folder { mountpoint } => folder(vfs, mountpoint, &format!("{}:{}", spec.remote, spec.path)).await,
        MountAccess::FileManager { port } => webdav(vfs, port.unwrap_or(0)).await,
    }
}

#[cfg(all(target_os = "linux", feature = "fuse"))]
async fn folder(vfs: &Vfs, mountpoint: &Path, source: &str) -> Result<Attached, MountError> {
    let point = prepare_mountpoint(mountpoint)?;
    let (vfs, rt, source) = (vfs.clone(), tokio::runtime::Handle::current(), source.to_string());
    let p = point.clone();
    let mounted = tokio::task::spawn_blocking(move || fjordsync_fuse::mount(vfs, rt, &p, &source))
        .await
        .map_err(|e| MountError::Invalid(format!("mounting stopped: {e}")))?
        .map_err(|e| MountError::Mountpoint { path: point, why: e.to_string() })?;
    Ok(Attached::Folder(mounted))
}

#[cfg(not(all(target_os = "linux", feature = "fuse")))]
async fn folder(_vfs: &Vfs, _mountpoint: &Path, _source: &str) -> Result<Attached, MountError> {
    Err(MountError::FolderUnsupported)
}

/// Makes a missing mount point (its parent must exist) and lets go of a
/// dead mount of ours left there by a killed process.
#[cfg(all(target_os = "linux", feature = "fuse"))]
fn prepare_mountpoint(mountpoint: &Path) -> Result<std::path::PathBuf, MountError> {
    let fail = |why: String| MountError::Mountpoint { path: mountpoint.to_path_buf(), why };
    if let Some(found) = fjordsync_fuse::find_mount(mountpoint) {
        if !found.is_ours() {
            return Err(fail("another filesystem is mounted here: choose an empty folder".into()));
        }
        // Ours, from a process that is gone (or a stale one): let it go.
        fjordsync_fuse::unmount(mountpoint, true)
            .map_err(|e| fail(format!("a previous mount is still here and could not be removed: {e}")))?;
    }
    match std::fs::symlink_metadata(mountpoint) {
        Ok(m) if m.file_type().is_symlink() => {
            Err(fail("this is a link: choose the folder itself, or another empty folder".into()))
        }
        Ok(_) => Ok(mountpoint.to_path_buf()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if !mountpoint.parent().is_some_and(Path::is_dir) {
                return Err(fail(
                    "the folder that should hold it does not exist: create it, or choose another place".into(),
                ));
            }
            // `create_dir` makes the last name itself, never through a link.
            std::fs::create_dir(mountpoint).map_err(|e| fail(format!("could not create this folder: {e}")))?;
            Ok(mountpoint.to_path_buf())
        }
        Err(e) => Err(fail(format!("cannot be used: {e}"))),
    }
}

async fn webdav(vfs: &Vfs, port: u16) -> Result<Attached, MountError> {
    let addr = format!("127.0.0.1:{port}");
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| MountError::Listen { addr: addr.clone(), source })?;
    let bound = listener.local_addr().map_err(|source| MountError::Listen { addr: addr.clone(), source })?;
    let login = Login::random();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(fjordsync_webdav::serve_until(
        listener,
        vfs.clone(),
        login.clone(),
        shutdown.clone().cancelled_owned(),
    ));
    Ok(Attached::WebDav { url: format!("http://{bound}/"), login, server, shutdown })
}

impl Attached {
    /// Where it is reached.
    pub(super) fn location(&self) -> MountLocation {
        match self {
            #[cfg(all(target_os = "linux", feature = "fuse"))]
            Attached::Folder(m) => MountLocation::Folder { path: m.point().to_path_buf() },
            Attached::WebDav { url, .. } => MountLocation::WebDav { url: url.clone() },
        }
    }

    /// The WebDAV login, for the shell that opens the folder.
    pub(super) fn login(&self) -> Option<&Login> {
        match self {
            Attached::WebDav { login, .. } => Some(login),
            #[cfg(all(target_os = "linux", feature = "fuse"))]
            Attached::Folder(_) => None,
        }
    }

    /// Completes when it ends by itself (unmounted by another program,
    /// the server failed).
    pub(super) async fn ended(&mut self) -> String {
        match self {
            #[cfg(all(target_os = "linux", feature = "fuse"))]
            Attached::Folder(m) => match m.ended().await {
                Ok(()) => "the folder was unmounted by another program".into(),
                Err(e) => format!("the mount ended: {e}"),
            },
            Attached::WebDav { server, .. } => match server.await {
                Ok(Ok(())) => "the local WebDAV server stopped".into(),
                Ok(Err(e)) => format!("the local WebDAV server failed: {e}"),
                Err(e) => format!("the local WebDAV server stopped: {e}"),
            },
        }
    }

    /// Detaches: unmounts the folder (lazily if a program still has a
    /// file open in it, so the stop never hangs on it) or stops the server.
    pub(super) async fn detach(self) {
        match self {
            #[cfg(all(target_os = "linux", feature = "fuse"))]
            Attached::Folder(mut m) => {
                let busy = m.unmount(false).is_err();
                if busy && let Err(e) = m.unmount(true) {
                    tracing::warn!("{}: unmounting: {e}", m.point().display());
                }
                let _ = tokio::time::timeout(std::time::Duration::from_secs(10), m.ended()).await;
            }
            Attached::WebDav { server, shutdown, .. } => {
                shutdown.cancel();
                let _ = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
            }
        }
    }
}
