//! Public links on the web host: `/opin/io/downloadPublic/<user>/<publicURI>`
//! (rclone's "direct link") and `/s/<publicURI>` (the share page; here it also
//! serves the bytes, which is all a script needs).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::Response;

use crate::errors::Fail;
use crate::server::{App, lock};

pub async fn public_download(app: &Arc<App>, req: Request) -> Response {
    let path = req.uri().path();
    let uri = path.rsplit('/').next().unwrap_or("").to_string();
    let found = lock(&app.store).find_shared(&uri);
    let Some((name, rev)) = found else {
        return Fail::not_found("no such public link").jfs();
    };
    let body = if rev.size == 0 {
        Body::empty()
    } else {
        match tokio::fs::File::open(app.content.blob_path(&rev.md5, rev.size)).await {
            Ok(f) => Body::from_stream(tokio_util::io::ReaderStream::with_capacity(f, 256 * 1024)),
            Err(e) => return Fail::internal(format!("content missing: {e}")).jfs(),
        }
    };
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
    );
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, rev.mime.as_str())
        .header(header::CONTENT_LENGTH, rev.size)
        .header(header::CONTENT_DISPOSITION, disposition)
        .body(body)
        .unwrap_or_else(|_| Fail::internal("response").jfs())
}
