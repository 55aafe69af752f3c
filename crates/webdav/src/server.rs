//! HTTP: every request needs the login; then dav-server answers it.

use std::future::Future;
use std::io;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use dav_server::DavHandler;
use dav_server::davpath::DavPath;
use dav_server::ls::DavLockSystem;
use dav_server::memls::MemLs;
use fjordsync_vfs::Vfs;
use http::StatusCode;

use crate::fs::{DavVfs, vfs_path};
use crate::login::Login;

/// The realm browsers and file managers show when they ask for the login.
const CHALLENGE: &str = "Basic realm=\"Fjordsync\", charset=\"UTF-8\"";

/// What each request needs.
#[derive(Clone)]
struct Served {
    dav: DavHandler,
    locks: Box<dyn DavLockSystem>,
    vfs: Vfs,
    login: Login,
}

/// Bytes a GET reads from the core at a time. dav-server's default (16
/// KiB) makes a 1 GiB download 65,536 trips through the read cache; a block
/// of the cache at a time is 1,024.
const READ_PIECE: usize = fjordsync_vfs::read_cache::BLOCK as usize;

/// A dav-server handler over `vfs` with real locks (class 2).
pub fn handler(vfs: Vfs) -> (DavHandler, Box<dyn DavLockSystem>) {
    let locks: Box<dyn DavLockSystem> = MemLs::new();
    let dav = DavHandler::builder()
        .filesystem(Box::new(DavVfs::new(vfs)))
        .locksystem(locks.clone())
        .autoindex(false)
        .read_buf_size(READ_PIECE)
        .build_handler();
    (dav, locks)
}

/// Serves `vfs` on `listener` to the holder of `login` until `shutdown`
/// completes; then takes no new connections and lets open requests end.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    vfs: Vfs,
    login: Login,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (dav, locks) = handler(vfs.clone());
    let served = Served { dav, locks, vfs, login };
    let app = Router::new().fallback(move |req: Request| handle(served.clone(), req));
    // dav-server writes a reply's head and body separately: without
    // TCP_NODELAY, Nagle's algorithm and the client's delayed ACK hold each
    // reply on a kept-alive connection for 40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

async fn handle(s: Served, req: Request) -> Response {
    if !s.login.accepts(req.headers()) {
        return (StatusCode::UNAUTHORIZED, [(http::header::WWW_AUTHENTICATE, CHALLENGE)], "login required\n")
            .into_response();
    }
    let depth_infinity = req.headers().get("depth").is_none_or(|d| d.as_bytes().eq_ignore_ascii_case(b"infinity"));
    let plain_delete = req.method() == http::Method::DELETE && depth_infinity && !req.headers().contains_key("if");
    if plain_delete && let Some(done) = delete_folder_at_once(&s, req.uri().clone()).await {
        return done;
    }
    s.dav.handle(req).await.map(Body::new)
}

/// A DELETE of an unlocked folder is one move of the folder to the trash
/// (dav-server would delete each file in it one by one, leaving the trash
/// full of loose files). Anything conditional or locked goes the long way.
async fn delete_folder_at_once(s: &Served, uri: http::Uri) -> Option<Response> {
    let dav_path = DavPath::from_uri(&uri).ok()?;
    let path = vfs_path(&dav_path).ok()?;
    if path.is_root() || !s.vfs.stat(&path).await.ok()?.is_folder() {
        return None;
    }
    s.locks.check(&dav_path, None, false, true, &[]).await.ok()?;
    let status = match s.vfs.remove(&path).await {
        Ok(()) => {
            let _ = s.locks.delete(&dav_path).await;
            StatusCode::NO_CONTENT
        }
        Err(e) => {
            tracing::info!("webdav: {e}");
            match crate::fs::fs_error(&e) {
                dav_server::fs::FsError::NotFound => StatusCode::NOT_FOUND,
                dav_server::fs::FsError::Forbidden => StatusCode::FORBIDDEN,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    };
    Some(status.into_response())
}
