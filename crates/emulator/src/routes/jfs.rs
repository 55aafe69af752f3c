//! The JFS XML API under `/jfs/<user>/…` (spec sections 3 and 4): metadata and
//! listings, liststream, downloads with ranges, folder and file mutations,
//! sharing and the trash view.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

use super::{get, query_pairs};
use crate::errors::{Fail, RANGE, jfs_error, xml_response};
use crate::names::{split_decoded, split_path, validate};
use crate::render;
use crate::server::{App, body_with_reset, lock};
use crate::store::{Item, JOTTA, Loc, Revision, Store, TRASH};
use crate::time::parse_jotta;

fn ok_xml(body: String) -> Response {
    xml_response(StatusCode::OK, body)
}

/// Parse `/<user>/<device>/<mp>/<names…>` from a form-decoded query value.
fn target_loc(app: &App, value: &str) -> Result<Loc, Fail> {
    let segs = split_decoded(value);
    for s in &segs {
        validate(s).map_err(|e| Fail::bad(e.0))?;
    }
    if segs.len() < 4 {
        return Err(Fail::bad(format!("target must name an item below a mountpoint: {value}")));
    }
    if !segs[0].eq_ignore_ascii_case(&app.account.username) {
        return Err(Fail::denied("target belongs to another user"));
    }
    Ok(Loc { device: segs[1].clone(), mp: segs[2].clone(), names: segs[3..].to_vec() })
}

pub async fn handle(app: &Arc<App>, req: Request) -> Response {
    let raw = req.uri().path().strip_prefix("/jfs").unwrap_or("").to_string();
    let segs = match split_path(&raw, app.plus_as_space) {
        Ok(s) => s,
        Err(e) => return Fail::bad(e.0).jfs(),
    };
    for s in &segs {
        if let Err(e) = validate(s) {
            return Fail::bad(e.0).jfs();
        }
    }
    let Some(user) = segs.first() else {
        return Fail::not_found("/").jfs();
    };
    if !user.eq_ignore_ascii_case(&app.account.username) {
        return Fail::denied("path belongs to another user").jfs();
    }
    let q = query_pairs(req.uri().query());
    let method = req.method().clone();
    let res = match (segs.len(), method) {
        (1, Method::GET) => {
            Ok(ok_xml(render::user(&lock(&app.store), &app.account.username, super::api::capacity(app), app.now())))
        }
        (2, Method::GET) => device_get(app, &segs[1]),
        (2, Method::POST) => device_post(app, &segs[1], &q),
        (_, Method::GET) if segs.len() >= 3 => {
            let loc = Loc { device: segs[1].clone(), mp: segs[2].clone(), names: segs[3..].to_vec() };
            get_item(app, &loc, &q, req.headers()).await
        }
        (_, Method::POST) if segs.len() >= 3 => {
            let loc = Loc { device: segs[1].clone(), mp: segs[2].clone(), names: segs[3..].to_vec() };
            post_item(app, &loc, &q, req.headers())
        }
        _ => Err(Fail::new(StatusCode::METHOD_NOT_ALLOWED, crate::errors::INVALID_ARGUMENT, "method not allowed")),
    };
    res.unwrap_or_else(|f| f.jfs())
}

fn device_get(app: &App, dev: &str) -> Result<Response, Fail> {
    let s = lock(&app.store);
    let d = s.device(dev).ok_or_else(|| Fail::not_found(format!("no device {dev}")))?;
    Ok(ok_xml(render::device(d, &app.account.username, app.now())))
}

fn device_post(app: &App, dev: &str, q: &[(String, String)]) -> Result<Response, Fail> {
    let dtype = get(q, "type").unwrap_or("WORKSTATION").to_string();
    {
        let mut s = lock(&app.store);
        if s.device(dev).is_none() {
            s.create_device(dev, &dtype, app.now())?;
            app.mark_dirty();
        }
    }
    device_get(app, dev)
}

/// Render whatever `loc` names now (after a read or a mutation).
fn render_item(store: &Store, loc: &Loc, username: &str, history: bool, now: i64) -> Result<String, Fail> {
    let missing = || Fail::not_found(render::abs(username, &[loc.device.clone(), loc.mp.clone()]));
    match store.item(loc).ok_or_else(missing)? {
        Item::Mount(m) => {
            let d = store.device(&loc.device).ok_or_else(missing)?;
            Ok(render::mountpoint(d, m, username, now))
        }
        Item::Folder(f) => {
            let display = store.display(&loc.device, &loc.mp, &loc.names).ok_or_else(missing)?;
            Ok(render::folder(f, &display, username, now))
        }
        Item::File(f) => {
            let parent = store.display(&loc.device, &loc.mp, &loc.parent().names).ok_or_else(missing)?;
            Ok(render::file(f, &parent, username, history, now))
        }
    }
}

fn is_trash_view(loc: &Loc) -> bool {
    loc.device.eq_ignore_ascii_case(JOTTA) && loc.mp.eq_ignore_ascii_case(TRASH)
}

async fn get_item(app: &Arc<App>, loc: &Loc, q: &[(String, String)], headers: &HeaderMap) -> Result<Response, Fail> {
    let user = app.account.username.clone();
    if is_trash_view(loc) && lock(&app.store).mount(&loc.device, &loc.mp).is_none() {
        if !loc.names.is_empty() {
            return Err(Fail::not_found("trash items are listed at the Trash root"));
        }
        return Ok(ok_xml(render::trash(&lock(&app.store), &user, app.now())));
    }
    match get(q, "mode") {
        None | Some("") => {
            let s = lock(&app.store);
            Ok(ok_xml(render_item(&s, loc, &user, true, app.now())?))
        }
        Some("bin") => download(app, loc, q, headers).await,
        Some("liststream") => liststream(app, loc),
        Some("list") => {
            let s = lock(&app.store);
            let f = s
                .folder(&loc.device, &loc.mp, &loc.names)
                .filter(|f| f.deleted.is_none())
                .ok_or_else(|| Fail::not_found("folder does not exist"))?;
            let display =
                s.display(&loc.device, &loc.mp, &loc.names).ok_or_else(|| Fail::not_found("folder does not exist"))?;
            Ok(ok_xml(render::filedirlist(f, &display, &user, app.now())))
        }
        Some(m @ ("enableShare" | "disableShare")) => {
            let mut s = lock(&app.store);
            s.share(loc, m == "enableShare")?;
            app.mark_dirty();
            Ok(ok_xml(render_item(&s, loc, &user, false, app.now())?))
        }
        Some(other) => Err(Fail::bad(format!("unknown mode {other}"))),
    }
}

/// `mode=liststream`: written out batch by batch; the store lock is taken
/// per batch only and the stats are counted from what was actually written.
fn liststream(app: &Arc<App>, loc: &Loc) -> Result<Response, Fail> {
    let mut cursor = lock(&app.store).liststream_start(loc)?;
    let app = app.clone();
    let mut head = Some(render::LISTSTREAM_HEAD.to_string());
    let (mut folders, mut files) = (0usize, 0usize);
    let mut done = false;
    let stream = futures_util::stream::poll_fn(move |_| {
        if done {
            return std::task::Poll::Ready(None);
        }
        let mut buf = head.take().unwrap_or_default();
        let batch = lock(&app.store).liststream_next(&mut cursor, 512);
        if batch.is_empty() {
            buf.push_str(&render::stream_tail(folders, files));
            done = true;
        }
        for e in &batch {
            match e {
                crate::store::StreamEntry::Folder { .. } => folders += 1,
                crate::store::StreamEntry::File { .. } => files += 1,
            }
            render::stream_entry(e, &mut buf);
        }
        std::task::Poll::Ready(Some(Ok::<_, std::io::Error>(bytes::Bytes::from(buf))))
    });
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")], Body::from_stream(stream))
        .into_response())
}

/// Parse a single `Range: bytes=…` against `size`. `Ok(None)` = whole file;
/// `Err(())` = unsatisfiable (416).
fn parse_range(h: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = h.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None); // multi-range: answer with the whole file
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    if size == 0 {
        return Ok(None); // an empty file has nothing to slice; 200 with no body
    }
    if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| ())?;
        if n == 0 {
            return Err(());
        }
        return Ok(Some((size.saturating_sub(n), size - 1)));
    }
    let start: u64 = a.parse().map_err(|_| ())?;
    let end: u64 = if b.is_empty() { size - 1 } else { b.parse::<u64>().map_err(|_| ())?.min(size - 1) };
    if start >= size || start > end {
        return Err(());
    }
    Ok(Some((start, end)))
}

async fn download(app: &Arc<App>, loc: &Loc, q: &[(String, String)], headers: &HeaderMap) -> Result<Response, Fail> {
    let (rev, name): (Revision, String) = {
        let s = lock(&app.store);
        let f = match s.item(loc) {
            Some(Item::File(f)) => f,
            Some(_) => return Err(Fail::bad("not a file")),
            None => return Err(Fail::not_found("no such file")),
        };
        let rev = match get(q, "revision") {
            Some(n) => {
                let n: u32 = n.parse().map_err(|_| Fail::bad("bad revision"))?;
                f.revision(n)
                    .filter(|r| r.state == crate::store::RevState::Completed)
                    .ok_or_else(|| Fail::not_found("no such revision"))?
            }
            None => f.current().ok_or_else(|| Fail::not_found("file has no completed revision"))?,
        };
        (rev.clone(), f.name.clone())
    };
    let size = rev.size;
    let range = match parse_range(headers, size) {
        Ok(r) => r,
        Err(()) => {
            let mut r = jfs_error(StatusCode::RANGE_NOT_SATISFIABLE, RANGE, "range not satisfiable");
            if let Ok(v) = format!("bytes */{size}").parse() {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return Ok(r);
        }
    };
    let (start, len) = match range {
        Some((a, b)) => (a, b - a + 1),
        None => (0, size),
    };
    let body = if len == 0 {
        Body::empty()
    } else {
        let mut file = tokio::fs::File::open(app.content.blob_path(&rev.md5, rev.size))
            .await
            .map_err(|e| Fail::internal(format!("content missing: {e}")))?;
        file.seek(std::io::SeekFrom::Start(start)).await.map_err(|e| Fail::internal(format!("seek failed: {e}")))?;
        let reader = file.take(len);
        let stream = tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024).boxed();
        let cut = app.roll_reset().then_some(len / 2);
        body_with_reset(stream, cut, app.clone(), true)
    };
    let mut b = Response::builder()
        .status(if range.is_some() { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK })
        .header(header::CONTENT_TYPE, rev.mime.as_str())
        .header(header::CONTENT_LENGTH, len)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::ETAG, format!("\"{}\"", rev.md5))
        .header(header::LAST_MODIFIED, crate::time::http_date(rev.modified));
    if range.is_some() {
        b = b.header(header::CONTENT_RANGE, format!("bytes {}-{}/{}", start, start + len - 1, size));
    }
    let _ = name;
    b.body(body).map_err(|e| Fail::internal(format!("response: {e}")))
}

fn has(q: &[(String, String)], key: &str) -> bool {
    q.iter().any(|(k, _)| k == key)
}

fn post_item(app: &Arc<App>, loc: &Loc, q: &[(String, String)], headers: &HeaderMap) -> Result<Response, Fail> {
    let user = app.account.username.clone();
    let t = app.now();
    let mut s = lock(&app.store);
    let result = if has(q, "mkDir") {
        s.mkdir(loc, t).and_then(|()| render_item(&s, loc, &user, false, t))
    } else if let Some(v) = get(q, "cp").or(get(q, "mv")) {
        let dst = target_loc(app, v)?;
        let is_move = get(q, "cp").is_none();
        s.copy_file(loc, &dst, is_move, t).and_then(|()| render_item(&s, &dst, &user, false, t))
    } else if let Some(v) = get(q, "mvDir") {
        let dst = target_loc(app, v)?;
        s.move_dir(loc, &dst, t).and_then(|()| render_item(&s, &dst, &user, false, t))
    } else if has(q, "cphash") {
        let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::trim);
        let md5 = h("jmd5")
            .filter(|m| m.len() == 32 && m.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| Fail::bad("missing or bad JMd5"))?
            .to_ascii_lowercase();
        let size: u64 = h("jsize").and_then(|v| v.parse().ok()).ok_or_else(|| Fail::bad("missing or bad JSize"))?;
        let created = parse_jotta(h("jcreated").unwrap_or("")).map_err(Fail::bad)?;
        let modified = parse_jotta(h("jmodified").unwrap_or("")).map_err(Fail::bad)?;
        if loc.names.is_empty() {
            return Err(Fail::bad("path names a mountpoint"));
        }
        let known = app.content.has(&md5, size);
        match s.cphash(loc, &md5, size, created, modified, known, t) {
            Ok(true) => render_item(&s, loc, &user, false, t),
            Ok(false) => Err(Fail::no_file(format!("no content with md5 {md5} and size {size}"))),
            Err(e) => Err(e),
        }
    } else if has(q, "dl") {
        s.trash_file(loc, t).map(|()| render_item(&s, loc, &user, false, t).unwrap_or_default())
    } else if has(q, "dlDir") {
        s.trash_dir(loc, t).and_then(|()| render_item(&s, loc, &user, false, t))
    } else if has(q, "rm") {
        s.remove_file(loc).map(|()| String::new())
    } else if has(q, "rmDir") {
        s.remove_dir(loc).map(|()| String::new())
    } else if has(q, "restore") {
        s.restore(loc).and_then(|()| render_item(&s, loc, &user, false, t))
    } else if loc.names.is_empty() {
        s.create_mountpoint(&loc.device, &loc.mp, t).and_then(|()| render_item(&s, loc, &user, false, t))
    } else {
        Err(Fail::bad("unknown operation"))
    };
    let garbage = std::mem::take(&mut s.garbage);
    drop(s);
    for id in garbage {
        app.content.remove_part(&id);
    }
    let body = result?;
    app.mark_dirty();
    Ok(ok_xml(body))
}
