//! Uploads (spec 5): `POST /files/v1/allocate` and `POST /files/v1/upload/<id>`.
//!
//! The body streams straight to a part file on a blocking thread that also
//! feeds the MD5, so nothing big is buffered and no store lock is held while
//! bytes flow. Whatever arrived before a dropped connection stays in the part
//! file; the next allocate reports it as `resume_pos`.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt as _;
use md5::{Digest as _, Md5};
use serde::Deserialize;

use super::small_body;
use crate::errors::{Fail, api_error, json_response};
use crate::names::{split_decoded, validate};
use crate::server::{App, external_base, lock, reset_response};
use crate::store::{Allocation, Loc};
use crate::time::parse_rfc3339;

#[derive(Deserialize)]
struct AllocateReq {
    bytes: i64,
    md5: String,
    path: String,
    #[serde(default)]
    created: Option<serde_json::Value>,
    #[serde(default)]
    modified: Option<serde_json::Value>,
}

fn time_field(v: &Option<serde_json::Value>) -> Result<Option<i64>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => parse_rfc3339(s).map(Some),
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().map(|ms| Some(ms.div_euclid(1000))).ok_or_else(|| "bad time".to_string())
        }
        Some(_) => Err("bad time".into()),
    }
}

/// Parse the allocate `path`: `/jfs/<device>/<mp>/<names…>`, plain UTF-8.
fn allocate_loc(path: &str) -> Result<Loc, Fail> {
    let rest = path.strip_prefix("/jfs/").ok_or_else(|| Fail::bad(format!("path must start with /jfs/: {path}")))?;
    let segs = split_decoded(rest);
    if segs.len() < 3 {
        return Err(Fail::bad("path must name a file below a mountpoint"));
    }
    for s in &segs {
        validate(s).map_err(|e| Fail::bad(e.0))?;
    }
    Ok(Loc { device: segs[0].clone(), mp: segs[1].clone(), names: segs[2..].to_vec() })
}

fn valid_md5(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn allocate(app: &Arc<App>, req: Request) -> Response {
    let base = external_base(req.headers());
    let Ok(body) = small_body(req.into_body()).await else {
        return Fail::bad("unreadable body").api();
    };
    let a: AllocateReq = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => return Fail::bad(format!("bad allocate request: {e}")).api(),
    };
    let loc = match allocate_loc(&a.path) {
        Ok(l) => l,
        Err(f) => return f.api(),
    };
    let md5 = a.md5.to_ascii_lowercase();
    if !valid_md5(&md5) || a.bytes < 0 {
        return Fail::bad("bad md5 or size").api();
    }
    let size = a.bytes as u64;
    let (created, modified) = match (time_field(&a.created), time_field(&a.modified)) {
        (Ok(c), Ok(m)) => (c, m),
        _ => return Fail::bad("bad created/modified time").api(),
    };
    let t = app.now();
    let modified = modified.unwrap_or(t);
    let created = created.unwrap_or(modified);
    let known = app.content.has(&md5, size);
    let capacity = app.runtime().quota;
    let (res, garbage) = {
        let mut s = lock(&app.store);
        let r = s.allocate(&loc, &md5, size, created, modified, known, capacity, t);
        (r, std::mem::take(&mut s.garbage))
    };
    for id in garbage {
        app.content.remove_part(&id);
    }
    let user = &app.account.username;
    let full_path = format!("/{user}/{}/{}/{}", loc.device, loc.mp, loc.names.join("/"));
    let name = loc.leaf().unwrap_or("").to_string();
    match res {
        Err(f) => f.api(),
        Ok(Allocation::Completed) => {
            app.mark_dirty();
            json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "name": name, "path": full_path, "state": "COMPLETED",
                    "upload_id": "", "upload_url": "", "bytes": size, "resume_pos": size,
                }),
            )
        }
        Ok(Allocation::Pending { upload, fresh }) => {
            app.mark_dirty();
            if fresh {
                app.stat(|s| s.uploads_started += 1);
            }
            let held = app.content.held(&upload.id).min(size);
            json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "name": name, "path": full_path, "state": "INCOMPLETE",
                    "upload_id": upload.id,
                    "upload_url": format!("{base}/files/v1/upload/{}", upload.id),
                    "bytes": size, "resume_pos": held,
                }),
            )
        }
    }
}

/// Start offset from `Range: bytes=a-b` or `Content-Range: bytes a-b/n`.
fn start_offset(h: &HeaderMap) -> Result<u64, ()> {
    if let Some(v) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        let spec = v.trim().strip_prefix("bytes=").ok_or(())?;
        let (a, _) = spec.split_once('-').ok_or(())?;
        return a.trim().parse().map_err(|_| ());
    }
    if let Some(v) = h.get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok()) {
        let spec = v.trim().strip_prefix("bytes ").ok_or(())?;
        if spec.starts_with('*') {
            return Ok(0);
        }
        let (a, _) = spec.split_once('-').ok_or(())?;
        return a.trim().parse().map_err(|_| ());
    }
    Ok(0)
}

fn err(status: StatusCode, id: &str, msg: &str) -> Response {
    api_error(status, id, msg)
}

/// Blocking writer: append chunks from the channel at `start` (dropping
/// anything held beyond it); returns the part file's new length.
fn write_part(
    path: std::path::PathBuf,
    start: u64,
    mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
) -> std::io::Result<u64> {
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&path)?;
    f.set_len(start)?;
    f.seek(SeekFrom::Start(start))?;
    let mut total = start;
    while let Some(chunk) = rx.blocking_recv() {
        f.write_all(&chunk)?;
        total += chunk.len() as u64;
    }
    f.flush()?;
    Ok(total)
}

/// Blocking hasher, in parallel with the writer (MD5 is the slowest stage):
/// first the `start` bytes already held, then every chunk from the channel.
fn hash_part(
    path: std::path::PathBuf,
    start: u64,
    mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
) -> std::io::Result<String> {
    let mut hasher = Md5::new();
    if start > 0 {
        let mut f = std::fs::File::open(&path)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut left = start;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            let n = f.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            left -= n as u64;
        }
    }
    while let Some(chunk) = rx.blocking_recv() {
        hasher.update(&chunk);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// Batch size handed to the writer and hasher threads.
const BATCH: usize = 1 << 20;

pub async fn upload(app: &Arc<App>, req: Request, id: &str) -> Response {
    let up = {
        let s = lock(&app.store);
        if s.write_locked {
            return Fail::denied("account is write-locked").api();
        }
        s.uploads.get(id).cloned()
    };
    let Some(up) = up else {
        return err(StatusCode::NOT_FOUND, "NoSuchUploadException", "no such upload");
    };
    // One writer per upload at a time; a retry waits for a dying connection.
    let ulock = lock(&app.upload_locks).entry(id.to_string()).or_default().clone();
    let Ok(_guard) = tokio::time::timeout(Duration::from_secs(30), ulock.lock_owned()).await else {
        return err(StatusCode::CONFLICT, "UploadInProgressException", "upload busy");
    };
    let (parts, body) = req.into_parts();
    let Ok(start) = start_offset(&parts.headers) else {
        return err(StatusCode::BAD_REQUEST, "InvalidArgumentException", "bad Range header");
    };
    let held = app.content.held(id);
    if start > held || start > up.size {
        return err(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "RequestedRangeNotSatisfiedException",
            &format!("resume offset {start} beyond {held} bytes held"),
        );
    }
    let cut_after = app.roll_reset().then(|| (up.size - start) / 2);
    let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
    let (htx, hrx) = tokio::sync::mpsc::channel::<bytes::Bytes>(8);
    let path = app.content.part_path(id);
    // The hasher reads the held prefix before the writer may append to it;
    // both only touch bytes below `start` (hasher) or from it (writer).
    let hasher = tokio::task::spawn_blocking({
        let path = path.clone();
        move || hash_part(path, start, hrx)
    });
    let writer = tokio::task::spawn_blocking(move || write_part(path, start, rx));
    let mut received: u64 = 0;
    let mut overflow = false;
    let mut reset = false;
    let mut stream = body.into_data_stream();
    let mut pending = bytes::BytesMut::new();
    let mut pipe_ok = true;
    loop {
        let next = stream.next().await;
        let mut chunk = match next {
            Some(Ok(c)) => c,
            // End of body, or the connection dropped: keep what arrived.
            Some(Err(_)) | None => break,
        };
        if let Some(limit) = cut_after
            && received + chunk.len() as u64 > limit
        {
            chunk.truncate((limit - received) as usize);
            reset = true;
        }
        if start + received + chunk.len() as u64 > up.size {
            overflow = true;
            break;
        }
        received += chunk.len() as u64;
        pending.extend_from_slice(&chunk);
        if pending.len() >= BATCH || reset {
            let b = pending.split().freeze();
            app.stat(|s| s.bytes_uploaded += b.len() as u64);
            pipe_ok = htx.send(b.clone()).await.is_ok() && tx.send(b).await.is_ok();
        }
        if !pipe_ok || reset {
            break;
        }
    }
    if !pending.is_empty() && pipe_ok && !overflow {
        let b = pending.split().freeze();
        app.stat(|s| s.bytes_uploaded += b.len() as u64);
        let _ = htx.send(b.clone()).await;
        let _ = tx.send(b).await;
    }
    drop(tx);
    drop(htx);
    let (total, md5) = match (writer.await, hasher.await) {
        (Ok(Ok(t)), Ok(Ok(m))) => (t, m),
        (Ok(Err(e)), _) | (_, Ok(Err(e))) => return Fail::internal(format!("write failed: {e}")).api(),
        _ => return Fail::internal("upload worker failed").api(),
    };
    if reset {
        return reset_response();
    }
    if overflow {
        let _ = std::fs::OpenOptions::new().write(true).open(app.content.part_path(id)).and_then(|f| f.set_len(start));
        return err(StatusCode::BAD_REQUEST, "InvalidArgumentException", &format!("more than {} bytes sent", up.size));
    }
    if total < up.size {
        return err(
            StatusCode::from_u16(420).unwrap_or(StatusCode::BAD_REQUEST),
            "IncompleteUploadOpenApiException",
            &format!("Incomplete upload, {} of {} bytes", total, up.size),
        );
    }
    if md5 != up.md5 {
        lock(&app.store).corrupt_upload(id);
        app.content.remove_part(id);
        lock(&app.upload_locks).remove(id);
        app.mark_dirty();
        return err(
            StatusCode::BAD_REQUEST,
            "CorruptUploadOpenApiException",
            &format!("md5 mismatch: expected {}, got {}", up.md5, md5),
        );
    }
    if let Err(e) = app.content.commit_part(id, &up.md5, up.size) {
        return Fail::internal(format!("storing content failed: {e}")).api();
    }
    let res = {
        let mut s = lock(&app.store);
        let r = s.complete_upload(id, app.now());
        (r, std::mem::take(&mut s.garbage))
    };
    for g in res.1 {
        app.content.remove_part(&g);
    }
    lock(&app.upload_locks).remove(id);
    app.mark_dirty();
    match res.0 {
        Ok(up) => {
            app.stat(|s| s.uploads_completed += 1);
            let user = &app.account.username;
            json_response(
                StatusCode::OK,
                &serde_json::json!({
                    "path": format!("/{user}/{}/{}/{}", up.loc.device, up.loc.mp, up.loc.names.join("/")),
                    "content_id": format!("{}-{}", up.md5, up.size),
                    "bytes": up.size,
                    "md5": up.md5,
                    "modified": up.modified.saturating_mul(1000),
                }),
            )
        }
        Err(f) => f.api(),
    }
}
