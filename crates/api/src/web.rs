//! The web server: the app's commands over HTTP, for a browser.
//!
//! Two programs serve it: `fjordsync-app --bridge PORT` (browser tests of the
//! desktop app) and `fjordsync daemon` (a headless machine). It serves the
//! built UI ([`UiSource`]) and `POST /api/<command>` (JSON arguments in, JSON
//! result out, errors as `{code, message}` with a 4xx/5xx status) plus a
//! WebSocket at `/api/events` for [`AppEvent`]s. The UI's `web.ts` backend
//! talks to it, so Playwright in a plain headless Chromium drives the real
//! engine against the emulator (GitButler's `but-server` idea).
//!
//! Every API call needs the access token, which only the printed link
//! carries, and the daemon may ask for a login too (`web/access.rs`: `Host`,
//! `Origin`, login and token checks). JSON bodies are required, which a
//! cross-site form cannot send without a (refused) preflight.
//!
//! [`AppEvent`]: crate::dto::AppEvent

mod access;
pub mod token_file;

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use crate::Api;
use crate::dto::{MountFormDto, TaskDto};
use crate::error::AppError;
use crate::mounts::quit::QuitWhen;
use crate::settings::SettingsDto;
pub use access::{Access, AccessToken, BasicLogin, Door};
use access::{Challenge, EVENTS_PROTOCOL};

/// Looks up one file of a UI compiled into the program by its path
/// (`index.html`, `assets/app.js`); `None` if there is no such file.
pub type EmbeddedLookup = fn(&str) -> Option<Cow<'static, [u8]>>;

/// Where the UI's files come from.
#[derive(Clone)]
pub enum UiSource {
    /// A folder, read at each request: the app's `--bridge --ui DIR`.
    Folder(PathBuf),
    /// Files compiled into the program: `fjordsync daemon`, which must work
    /// on a machine that has no copy of the UI.
    Embedded(EmbeddedLookup),
}

impl UiSource {
    /// The file at `rel` (a path already checked to stay inside).
    async fn read(&self, rel: &Path) -> Option<Cow<'static, [u8]>> {
        match self {
            UiSource::Folder(dir) => {
                let file = dir.join(rel);
                if !file.is_file() {
                    return None;
                }
                tokio::fs::read(&file).await.ok().map(Cow::Owned)
            }
            UiSource::Embedded(lookup) => lookup(&rel.to_string_lossy().replace('\\', "/")),
        }
    }

    /// What to do when there is no UI, in the page a browser shows.
    fn missing_hint(&self) -> &'static str {
        match self {
            UiSource::Folder(_) => "the UI is not built: run `npm run build` in ui/",
            UiSource::Embedded(_) => MISSING_EMBEDDED_UI,
        }
    }
}

/// The page of a `fjordsync` built without the UI (the API still works).
const MISSING_EMBEDDED_UI: &str = "<!doctype html><meta charset=utf-8><title>Fjordsync: no web UI</title>\
<h1>This fjordsync was built without its web UI</h1>\
<p>The daemon runs: its schedules run and its API at /api/ answers calls that carry the access token. \
Only the pages are missing, because <code>ui/dist</code> did not exist when this program was built.</p>\
<p>To get them, build the UI first and then fjordsync: <code>bash scripts/setup.sh</code> (or \
<code>npm ci && npm run build</code> in <code>ui/</code>), then <code>cargo build --release -p fjordsync-cli</code>. \
A debug build reads the UI from <code>ui/dist</code> of its source tree at run time instead.</p>";

#[derive(Clone)]
struct Bridge {
    api: Arc<Api>,
    ui: UiSource,
    access: Arc<Access>,
}

/// Serves the bridge on `127.0.0.1:port` (0 picks a free port) until the
/// process ends. Once ready it prints `bridge listening on
/// http://127.0.0.1:PORT` and the link to open, with this start's access
/// token (`http://127.0.0.1:PORT/#token=…`), which tests read.
pub async fn serve(api: Arc<Api>, port: u16, ui_dir: PathBuf) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let port = listener.local_addr()?.port();
    let access = Access::new(port, AccessToken::generate());
    println!("bridge listening on http://127.0.0.1:{port}");
    println!("open this link in a browser on this machine (it changes at every start):");
    println!("{}", access.link());
    let bridge = Bridge { api, ui: UiSource::Folder(ui_dir), access: Arc::new(access) };
    axum::serve(listener, router(bridge)).await?;
    Ok(())
}

/// Why the daemon cannot listen where it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another program uses {0}: choose another address or port with --addr")]
    InUse(SocketAddr),
    #[error("this machine has no address {0}: choose one of its own with --addr (127.0.0.1 for this machine only)")]
    NotHere(SocketAddr),
    #[error("not allowed to listen on {0} (ports below 1024 need privileges): choose a port above 1024 with --addr")]
    NotAllowed(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Other { addr: SocketAddr, source: io::Error },
}

/// Listens on `addr`, saying in the user's words why not.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, BindError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => BindError::InUse(addr),
        io::ErrorKind::AddrNotAvailable => BindError::NotHere(addr),
        io::ErrorKind::PermissionDenied => BindError::NotAllowed(addr),
        _ => BindError::Other { addr, source: e },
    })
}

/// Serves the UI and API on `listener` with `access` until `shutdown`
/// completes; then stops taking connections and lets open requests finish.
pub async fn serve_until(
    api: Arc<Api>,
    listener: tokio::net::TcpListener,
    access: Access,
    ui: UiSource,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let bridge = Bridge { api, ui, access: Arc::new(access) };
    axum::serve(listener, router(bridge)).with_graceful_shutdown(shutdown).await
}

/// The API routes need the token (`route_layer`: only for requests that
/// reach them); the UI's files need the login when there is one; every
/// request must name the server's own host and origin.
fn router(state: Bridge) -> Router {
    let ui = Router::new().fallback(get(static_file)).layer(middleware::from_fn_with_state(state.clone(), check_login));
    Router::new()
        .route("/api/events", get(events))
        .route("/api/{command}", post(command))
        .route_layer(middleware::from_fn_with_state(state.clone(), check_token))
        .merge(ui)
        .layer(middleware::from_fn_with_state(state.clone(), check_host_and_origin))
        .with_state(state)
}

async fn check_host_and_origin(State(b): State<Bridge>, req: Request, next: Next) -> Response {
    match b.access.check_host_and_origin(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => refusal_response(r),
    }
}

async fn check_login(State(b): State<Bridge>, req: Request, next: Next) -> Response {
    match b.access.check_login(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => refusal_response(r),
    }
}

async fn check_token(State(b): State<Bridge>, req: Request, next: Next) -> Response {
    match b.access.check_token(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => refusal_response(r),
    }
}

fn refusal_response(r: access::Refusal) -> Response {
    let mut res = error_response(r.status, r.error);
    let challenge = match r.challenge {
        Some(Challenge::Bearer) => "Bearer realm=\"fjordsync\"",
        Some(Challenge::Basic) => "Basic realm=\"fjordsync\", charset=\"UTF-8\"",
        None => return res,
    };
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    res
}

async fn command(
    State(b): State<Bridge>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let json = headers.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::invalid("send JSON (Content-Type: application/json)"),
        );
    }
    let args: Value = if body.is_empty() {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return error_response(StatusCode::BAD_REQUEST, e.into()),
        }
    };
    match dispatch(&b.api, &name, args).await {
        Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
        Err(e) => {
            let status = match e.code {
                "unknown_command" | "not_found" => StatusCode::NOT_FOUND,
                "internal" => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            error_response(status, e)
        }
    }
}

fn error_response(status: StatusCode, e: AppError) -> Response {
    (status, axum::Json(e)).into_response()
}

/// Calls `api.$method` with the named (camelCase) arguments of the JSON body.
macro_rules! call {
    ($api:expr, $args:expr, $method:ident($($arg:ident: $ty:ty),*)) => {{
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[allow(dead_code)]
        struct Args { $($arg: $ty),* }
        #[allow(unused_variables)]
        let a: Args = serde_json::from_value($args)?;
        Ok(serde_json::to_value($api.$method($(a.$arg),*).await?)?)
    }};
}

/// Like `call!` for a command that streams progress (its last argument):
/// the window passes a channel, the bridge broadcasts `taskProgress` events
/// of the task named by the argument `$task` on its WebSocket.
macro_rules! call_with_progress {
    ($api:expr, $args:expr, $method:ident($($arg:ident: $ty:ty),*), progress of $task:ident) => {{
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Args { $($arg: $ty),* }
        let a: Args = serde_json::from_value($args)?;
        let sink = $api.broadcast_progress(&a.$task);
        Ok(serde_json::to_value($api.$method($(a.$arg),*, sink).await?)?)
    }};
}

/// One match arm per command in [`crate::COMMANDS`], with the same
/// argument names as the Tauri commands.
pub async fn dispatch(api: &Arc<Api>, name: &str, args: Value) -> Result<Value, AppError> {
    type P = Vec<String>;
    match name {
        "app_info" => call!(api, args, app_info()),
        "use_file_store" => call!(api, args, use_file_store()),
        "list_storages" => call!(api, args, list_storages()),
        "list_services" => call!(api, args, list_services()),
        "storage_quota" => call!(api, args, storage_quota(storage: String)),
        "remove_storage" => call!(api, args, remove_storage(storage: String)),
        "start_demo" => call!(api, args, start_demo()),
        "demo_sign_in" => call!(api, args, demo_sign_in()),
        "wizard_login_token" => {
            call!(api, args, wizard_login_token(service: String, login_token: String, endpoint: Option<String>))
        }
        "wizard_legacy" => call!(
            api,
            args,
            wizard_legacy(
                service: String,
                username: String,
                password: String,
                code: Option<String>,
                endpoint: Option<String>
            )
        ),
        "wizard_browser" => call!(api, args, wizard_browser(service: String, endpoint: Option<String>)),
        "wizard_cancel" => call!(api, args, wizard_cancel()),
        "wizard_save" => call!(
            api,
            args,
            wizard_save(pending_id: String, name: String, device: String, mountpoint: String, create: bool)
        ),
        "reconnect_login_token" => call!(api, args, reconnect_login_token(storage: String, login_token: String)),
        "reconnect_browser" => call!(api, args, reconnect_browser(storage: String)),
        "list_folder" => call!(api, args, list_folder(storage: String, path: P)),
        "create_folder" => call!(api, args, create_folder(storage: String, parent: P, name: String)),
        "move_item" => call!(api, args, move_item(storage: String, path: P, to_parent: P, new_name: String)),
        "delete_item" => call!(api, args, delete_item(storage: String, path: P)),
        "download" => call!(api, args, download(storage: String, path: P, folder: String)),
        "set_share" => call!(api, args, set_share(storage: String, path: P, on: bool)),
        "list_revisions" => call!(api, args, list_revisions(storage: String, path: P)),
        "download_revision" => {
            call!(api, args, download_revision(storage: String, path: P, number: u32, folder: String))
        }
        "restore_revision" => call!(api, args, restore_revision(storage: String, path: P, number: u32)),
        "list_trash" => call!(api, args, list_trash(storage: String)),
        "restore_trash_item" => call!(api, args, restore_trash_item(storage: String, path: P)),
        "delete_trash_item" => call!(api, args, delete_trash_item(storage: String, path: P, folder: bool)),
        "empty_trash" => call!(api, args, empty_trash(storage: String)),
        "list_tasks" => call!(api, args, list_tasks()),
        "save_task" => {
            // The task form asks for its local folder to be checked (or made).
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Args {
                task: TaskDto,
                #[serde(default)]
                create_local: Option<bool>,
            }
            let a: Args = serde_json::from_value(args)?;
            Ok(serde_json::to_value(api.save_task_with(a.task, a.create_local).await?)?)
        }
        "delete_task" => call!(api, args, delete_task(id: String)),
        "preview_task" => call!(api, args, preview_task(id: String)),
        "list_conflicts" => call!(api, args, list_conflicts(id: String)),
        "resolve_conflict" => call_with_progress!(
            api,
            args,
            resolve_conflict(id: String, conflict: i64, resolution: fjordsync_engine::bisync::Resolution),
            progress of id
        ),
        "list_kept_aside" => call!(api, args, list_kept_aside(id: String)),
        "retry_kept_aside" => call_with_progress!(api, args, retry_kept_aside(id: String), progress of id),
        "run_task" => {
            // The window gets a channel; the bridge sends progress over the WebSocket.
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Args {
                id: String,
                #[serde(default)]
                allow_deletes: Option<bool>,
            }
            let a: Args = serde_json::from_value(args)?;
            let sink = api.broadcast_progress(&a.id);
            Ok(serde_json::to_value(api.run_task_with(a.id, a.allow_deletes.unwrap_or(false), sink).await?)?)
        }
        "cancel_task" => call!(api, args, cancel_task(id: String)),
        "running_tasks" => call!(api, args, running_tasks()),
        "list_runs" => call!(api, args, list_runs(task: String)),
        "run_files" => call!(api, args, run_files(run: i64, result: Option<String>, text: Option<String>)),
        "undo_run" | "retry_run" => {
            #[derive(Deserialize)]
            struct Args {
                task: String,
                run: i64,
            }
            let a: Args = serde_json::from_value(args)?;
            let sink = api.broadcast_progress(&a.task);
            let r = if name == "undo_run" {
                api.undo_run(a.task, a.run, sink).await?
            } else {
                api.retry_run(a.task, a.run, sink).await?
            };
            Ok(serde_json::to_value(r)?)
        }
        // The window writes the file the save dialog picked; a browser downloads the text.
        "export_run" => call!(api, args, export_run(run: i64, format: String, path: String)),
        "export_run_text" => call!(api, args, export_run_text(run: i64, format: String)),
        "get_settings" => call!(api, args, get_settings()),
        "save_settings" => call!(api, args, save_settings(settings: SettingsDto)),
        "app_status" => call!(api, args, app_status()),
        "pause_all" => call!(api, args, pause_all()),
        "resume_all" => call!(api, args, resume_all()),
        "sync_all_now" => call!(api, args, sync_all_now()),
        "overview" => call!(api, args, overview()),
        "create_backup" => call!(api, args, create_backup(task: TaskDto, password: String, create: bool)),
        "run_backup" => {
            call_with_progress!(api, args, run_backup(id: String, password: Option<String>), progress of id)
        }
        "list_snapshots" => call!(api, args, list_snapshots(task: String, password: Option<String>)),
        "diff_snapshots" => {
            call!(api, args, diff_snapshots(task: String, from: String, to: String, password: Option<String>))
        }
        "snapshot_folder" => call!(
            api,
            args,
            snapshot_folder(task: String, snapshot: String, path: String, password: Option<String>)
        ),
        "restore_snapshot" => call_with_progress!(
            api,
            args,
            restore_snapshot(
                task: String,
                snapshot: String,
                path: String,
                folder: String,
                overwrite: bool,
                password: Option<String>
            ),
            progress of task
        ),
        "check_backup" => call_with_progress!(
            api,
            args,
            check_backup(task: String, read_data_percent: f64, password: Option<String>),
            progress of task
        ),
        "forget_snapshots" => call!(api, args, forget_snapshots(task: String, dry_run: bool, password: Option<String>)),
        "prune_backup" => call!(api, args, prune_backup(task: String, password: Option<String>)),
        "change_backup_password" => call!(
            api,
            args,
            change_backup_password(task: String, password: Option<String>, new_password: String)
        ),
        "backup_size" => call!(api, args, backup_size(task: String, password: Option<String>)),
        "list_mounts" => call!(api, args, list_mounts()),
        "save_mount" => call!(api, args, save_mount(mount: MountFormDto)),
        "delete_mount" => call!(api, args, delete_mount(id: String)),
        "set_mounted" => call!(api, args, set_mounted(id: String, on: bool)),
        "open_mount" => call!(api, args, open_mount(id: String)),
        "pending_mount_uploads" => call!(api, args, pending_mount_uploads()),
        "quit_app" => call!(api, args, quit_app(when: QuitWhen)),
        other => Err(AppError::new("unknown_command", format!("no command {other:?}"))),
    }
}

/// The app's events (including `taskProgress`) on a WebSocket. It answers
/// with [`EVENTS_PROTOCOL`]: a browser that offered subprotocols (the page
/// offers that one and the one carrying the token) refuses an answer
/// without one.
async fn events(State(b): State<Bridge>, ws: WebSocketUpgrade) -> Response {
    ws.protocols([EVENTS_PROTOCOL]).on_upgrade(move |socket| forward_events(b.api, socket))
}

async fn forward_events(api: Arc<Api>, mut socket: WebSocket) {
    let mut rx = api.subscribe();
    // Ends with the Api, so that a graceful stop does not wait for open pages.
    let stopping = api.stopping();
    loop {
        tokio::select! {
            _ = stopping.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    let Ok(text) = serde_json::to_string(&ev) else { continue };
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// The built UI; unknown paths get `index.html` (a single-page app).
///
/// With a login, the page itself (`/`) hands over the token: a browser that
/// gave the user name and password is sent to `/?token=…`, which the page
/// takes out of the address as it does with the printed link's `#token=`.
async fn static_file(State(b): State<Bridge>, uri: axum::http::Uri) -> Response {
    let Some(rel) = safe_relative(uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let has_token = uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("token=")));
    if b.access.has_login() && uri.path() == "/" && !has_token {
        let to = format!("/?token={}", b.access.token().as_str());
        return (StatusCode::SEE_OTHER, [(header::LOCATION, to), (header::CACHE_CONTROL, "no-store".into())])
            .into_response();
    }
    let (bytes, name) = match b.ui.read(&rel).await {
        Some(bytes) if !rel.as_os_str().is_empty() => (Some(bytes), rel),
        _ => (b.ui.read(Path::new("index.html")).await, PathBuf::from("index.html")),
    };
    match bytes {
        Some(bytes) => ([(header::CONTENT_TYPE, content_type(&name))], Body::from(bytes)).into_response(),
        None => match &b.ui {
            UiSource::Embedded(_) => {
                (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], b.ui.missing_hint())
                    .into_response()
            }
            UiSource::Folder(_) => (StatusCode::NOT_FOUND, b.ui.missing_hint()).into_response(),
        },
    }
}

/// The URL path as a relative file path, or `None` if it tries to leave
/// the UI folder.
fn safe_relative(url_path: &str) -> Option<PathBuf> {
    let p = Path::new(url_path.trim_start_matches('/'));
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_paths_stay_inside() {
        assert_eq!(safe_relative("/assets/app.js"), Some(PathBuf::from("assets/app.js")));
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative("/../etc/passwd"), None);
    }

    #[tokio::test]
    async fn every_command_is_dispatched() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Arc::new(Api::new(config, dir.path().join("data")).unwrap());
        // start_demo would really start the demo; it is covered end to end.
        for name in crate::COMMANDS.iter().filter(|n| **n != "start_demo") {
            // Empty arguments: either it runs or it complains about them, never "unknown".
            let r = dispatch(&api, name, serde_json::json!({})).await;
            if let Err(e) = r {
                assert_ne!(e.code, "unknown_command", "{name}");
            }
        }
        assert_eq!(dispatch(&api, "nope", serde_json::json!({})).await.unwrap_err().code, "unknown_command");
    }

    const TOKEN: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    /// A bridge with a known token on a free port of 127.0.0.1, served for
    /// real (the same router `serve` uses), and a one-page UI.
    async fn start_bridge() -> (tempfile::TempDir, Arc<Api>, u16) {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Arc::new(Api::new(config, dir.path().join("data")).unwrap());
        let ui_dir = dir.path().join("ui");
        std::fs::create_dir(&ui_dir).unwrap();
        std::fs::write(ui_dir.join("index.html"), "<!doctype html><title>Fjordsync</title>").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let access = Arc::new(Access::new(port, AccessToken::from_test(TOKEN)));
        let app = router(Bridge { api: api.clone(), ui: UiSource::Folder(ui_dir), access });
        tokio::spawn(async move { axum::serve(listener, app).await });
        (dir, api, port)
    }

    /// POSTs `list_storages` with the given extra headers: status and JSON body.
    async fn list_storages(port: u16, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/api/list_storages"))
            .header("content-type", "application/json")
            .body("{}");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    #[tokio::test]
    async fn api_calls_need_this_starts_token() {
        let (_dir, _api, port) = start_bridge().await;
        let bearer = format!("Bearer {TOKEN}");

        let (status, body) = list_storages(port, &[]).await;
        assert_eq!(status, 401, "no token: {body}");
        assert_eq!(body["code"], "unauthorized");
        assert!(body["message"].as_str().unwrap().contains("open the link"), "{body}");

        let wrong = format!("Bearer {}", TOKEN.replace('0', "1"));
        let (status, body) = list_storages(port, &[("authorization", &wrong)]).await;
        assert_eq!((status, &body["code"]), (401, &Value::from("unauthorized")), "wrong token: {body}");

        let (status, body) = list_storages(port, &[("authorization", &bearer)]).await;
        assert_eq!((status, body), (200, serde_json::json!([])), "the right token works");
        let (status, _) =
            list_storages(port, &[("authorization", &bearer), ("host", &format!("localhost:{port}"))]).await;
        assert_eq!(status, 200, "localhost:PORT is the bridge too");
    }

    #[tokio::test]
    async fn a_foreign_host_or_origin_gets_nothing() {
        let (_dir, _api, port) = start_bridge().await;
        let bearer = format!("Bearer {TOKEN}");
        // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
        for host in ["evil.example", &format!("evil.example:{port}"), "127.0.0.1:1"] {
            let (status, body) = list_storages(port, &[("authorization", &bearer), ("host", host)]).await;
            assert_eq!((status, &body["code"]), (403, &Value::from("forbidden")), "{host}: {body}");
            let page = reqwest::Client::new()
                .get(format!("http://127.0.0.1:{port}/"))
                .header("host", host)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status().as_u16(), 403, "{host}: not even the UI");
        }
        let origin = ("origin", "http://evil.example");
        let (status, body) = list_storages(port, &[("authorization", &bearer), origin]).await;
        assert_eq!((status, &body["code"]), (403, &Value::from("forbidden")), "{body}");
    }

    #[tokio::test]
    async fn without_an_embedded_ui_the_page_says_so_and_the_api_works() {
        let dir = tempfile::tempdir().unwrap();
        let config = fjordsync_engine::ConfigDir::at(dir.path().join("config")).unwrap();
        let api = Arc::new(Api::new(config, dir.path().join("data")).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let access = Access::daemon(addr, AccessToken::from_test(TOKEN), None);
        let ui = UiSource::Embedded(|_| None);
        tokio::spawn(serve_until(api, listener, access, ui, std::future::pending()));
        let page = reqwest::get(format!("http://{addr}/")).await.unwrap();
        assert_eq!(page.status().as_u16(), 404);
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let text = page.text().await.unwrap();
        assert!(text.contains("built without its web UI") && text.contains("scripts/setup.sh"), "{text}");
        let (status, body) = list_storages(addr.port(), &[("authorization", &format!("Bearer {TOKEN}"))]).await;
        assert_eq!((status, body), (200, serde_json::json!([])), "the API still works");
    }

    #[tokio::test]
    async fn the_ui_itself_needs_no_token() {
        let (_dir, _api, port) = start_bridge().await;
        let page = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap();
        assert_eq!(page.status().as_u16(), 200);
        assert!(page.text().await.unwrap().contains("<title>Fjordsync</title>"));
    }

    /// Opens the event WebSocket offering `protocols`; the refusal's status
    /// if it is refused.
    async fn open_events(port: u16, protocols: Option<&str>, host: Option<&str>) -> Result<Socket, u16> {
        use tokio_tungstenite::tungstenite::{Error, client::IntoClientRequest};
        let mut req = format!("ws://127.0.0.1:{port}/api/events").into_client_request().unwrap();
        if let Some(p) = protocols {
            req.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, p.parse().unwrap());
        }
        if let Some(h) = host {
            req.headers_mut().insert(header::HOST, h.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((socket, res)) => {
                let chosen = res.headers().get(header::SEC_WEBSOCKET_PROTOCOL).map(|v| v.to_str().unwrap().to_string());
                assert_eq!(chosen.as_deref(), protocols.map(|_| EVENTS_PROTOCOL), "the token is not echoed back");
                Ok(socket)
            }
            Err(Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("websocket: {e}"),
        }
    }

    type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
    use tokio_tungstenite::tungstenite::Message as WsMessage;

    /// The next message, waiting at most 20 s.
    async fn next_message(socket: &mut Socket) -> WsMessage {
        use futures_util::StreamExt;
        tokio::time::timeout(std::time::Duration::from_secs(20), socket.next())
            .await
            .expect("an answer within 20 s")
            .expect("the socket stays open")
            .unwrap()
    }

    #[tokio::test]
    async fn the_event_socket_needs_the_token() {
        use futures_util::SinkExt;
        let (_dir, api, port) = start_bridge().await;
        let right = format!("fjordsync, fjordsync-token.{TOKEN}");
        assert_eq!(open_events(port, None, None).await.err(), Some(401), "no token");
        assert_eq!(open_events(port, Some("fjordsync"), None).await.err(), Some(401), "no token protocol");
        let wrong = format!("fjordsync, fjordsync-token.{}", TOKEN.replace('a', "b"));
        assert_eq!(open_events(port, Some(&wrong), None).await.err(), Some(401), "wrong token");
        let evil = Some("evil.example");
        assert_eq!(open_events(port, Some(&right), evil).await.err(), Some(403), "foreign host");

        let mut socket = open_events(port, Some(&right), None).await.expect("the right token opens it");
        // It carries the app's events. A pong means the bridge's side is in
        // its loop, so it has subscribed before the event is sent.
        socket.send(WsMessage::Ping(Default::default())).await.unwrap();
        assert!(next_message(&mut socket).await.is_pong());
        api.pause_all().await.unwrap();
        let msg = next_message(&mut socket).await;
        assert!(msg.to_text().unwrap().contains("statusChanged"), "{msg}");
    }
}
