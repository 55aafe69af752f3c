//! Uploads (spec 5): allocate, then POST the bytes to the returned
//! `upload_url` (followed verbatim), resuming from `resume_pos`.
//!
//! Neither allocate nor the upload POST is retried blindly by the
//! transport. Instead [`Client::upload_file`] runs bounded *rounds*: each
//! round re-allocates (the service answers with the same unfinished upload
//! and how much it already holds) and sends the rest. A `COMPLETED`
//! allocate means the content is known (dedup) and no bytes are sent.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use jiff::Timestamp;
use md5::Digest;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::client::Client;
use crate::download::hex;
use crate::error::{Error, NoAnswer, Result, Waiting};
use crate::http::{Req, ReqBody, decode_error};
use crate::model::{Allocation, UploadOutcome};
use crate::names::RemotePath;
use crate::time::format_rfc3339_seconds;
use crate::timeouts::{host_of, notice};
use crate::types::json::{AllocateJson, AllocateResponseJson, UploadResponseJson};

/// Content description for allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocateRequest {
    /// Target path.
    pub path: RemotePath,
    /// Lower-case hex MD5 of the whole content.
    pub md5: String,
    /// Size in bytes.
    pub size: u64,
    /// Birth time (defaults to `modified`).
    pub created: Option<Timestamp>,
    /// Modification time (defaults to now).
    pub modified: Option<Timestamp>,
}

/// Options for [`Client::upload_file`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadOptions {
    /// Birth time; defaults to the modification time.
    pub created: Option<Timestamp>,
    /// Modification time; defaults to the local file's mtime.
    pub modified: Option<Timestamp>,
}

/// Compute the MD5 and size of a local file, streaming (1 MiB buffer).
pub async fn md5_file(path: &Path) -> Result<(String, u64)> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex(&h.finalize()), n_total))
}

/// When an upload body last moved (a chunk taken by the connection), and
/// whether all of it was taken.
#[derive(Clone)]
struct Progress {
    start: Instant,
    last_ms: Arc<AtomicU64>,
    taken: Arc<AtomicU64>,
    total: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        Progress { start: Instant::now(), last_ms: Arc::default(), taken: Arc::default(), total }
    }

    fn watch<S>(&self, body: S) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let p = self.clone();
        body.inspect(move |chunk| {
            if let Ok(b) = chunk {
                p.taken.fetch_add(b.len() as u64, Ordering::SeqCst);
            }
            p.last_ms.store(p.start.elapsed().as_millis() as u64, Ordering::SeqCst);
        })
    }

    fn quiet_for(&self) -> Duration {
        self.start.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::SeqCst)))
    }

    fn finished(&self) -> bool {
        self.taken.load(Ordering::SeqCst) >= self.total
    }
}

fn is_retryable_upload(e: &Error) -> bool {
    match e {
        Error::Http(_) | Error::NoAnswer(_) => true,
        Error::Status(a) => matches!(a.status, 420 | 416),
        Error::NotFound(_) | Error::Unauthorized(_) => true, // upload id gone / token refreshed
        e => e.is_transient(),
    }
}

impl Client {
    /// `POST /files/v1/allocate` (never retried blindly).
    pub async fn allocate(&self, a: &AllocateRequest) -> Result<Allocation> {
        let modified = a.modified.unwrap_or_else(Timestamp::now);
        let created = a.created.unwrap_or(modified);
        let body = AllocateJson {
            bytes: a.size,
            created: format_rfc3339_seconds(created),
            md5: &a.md5.to_ascii_lowercase(),
            modified: format_rfc3339_seconds(modified),
            path: a.path.allocate_path(),
        };
        let mut req = Req::post(self.api_url("files/v1/allocate")?).no_retry().short();
        req.body =
            ReqBody::Json(serde_json::to_vec(&body).map_err(|e| Error::Protocol(format!("encode allocate: {e}")))?);
        let r: AllocateResponseJson = self.call_json(req).await?;
        let completed = r.state.as_deref() == Some("COMPLETED");
        if !completed && r.upload_url.as_deref().is_none_or(str::is_empty) {
            return Err(Error::Protocol("allocate: upload needed but no upload_url".into()));
        }
        let resume_pos = r.resume_pos.unwrap_or(0).max(0) as u64;
        if resume_pos > a.size {
            return Err(Error::Protocol(format!("allocate: resume_pos {resume_pos} beyond size {}", a.size)));
        }
        Ok(Allocation {
            completed,
            upload_id: r.upload_id,
            upload_url: r.upload_url,
            resume_pos,
            bytes: r.bytes.map(|b| b.max(0) as u64).unwrap_or(a.size),
        })
    }

    /// POST the bytes from `alloc.resume_pos` to the end. `body` must yield
    /// exactly those bytes. One attempt: on 401 the token is refreshed and
    /// the error returned, so the caller re-allocates and resumes.
    pub async fn upload_body<S>(&self, alloc: &Allocation, body: S) -> Result<()>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    {
        let url =
            alloc.upload_url.as_deref().ok_or_else(|| Error::InvalidArgument("allocation has no upload_url".into()))?;
        let url = url::Url::parse(url).map_err(|e| Error::Protocol(format!("bad upload_url: {e}")))?;
        let len = alloc.bytes - alloc.resume_pos;
        let bearer = self.inner.tokens.access_token().await?;
        let mut rb = self
            .inner
            .upload_http
            .post(url.clone())
            .bearer_auth(&bearer)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, len.to_string());
        if alloc.resume_pos > 0 {
            rb = rb.header("Range", format!("bytes={}-{}", alloc.resume_pos, alloc.bytes.saturating_sub(1)));
        }
        let progress = Progress::new(len);
        let body = progress.watch(body);
        let resp = self.await_upload(rb.body(reqwest::Body::wrap_stream(body)).send(), &url, &progress).await?;
        // This client has no read limit of its own (see `Purpose::Uploads`).
        let idle = self.inner.options.timeouts.idle;
        let stalled =
            || Error::NoAnswer(Box::new(NoAnswer { host: host_of(&url), waiting: Waiting::MoreData, after: idle }));
        if resp.status().is_success() {
            let read = tokio::time::timeout(idle, crate::http::read_limited(resp, 1 << 20, idle));
            let b = read.await.ok().and_then(Result::ok).unwrap_or_default();
            if let Ok(u) = serde_json::from_slice::<UploadResponseJson>(&b) {
                tracing::debug!(md5 = ?u.md5, bytes = ?u.bytes, "upload finished");
            }
            return Ok(());
        }
        let unauthorized = resp.status().as_u16() == 401;
        let e = tokio::time::timeout(idle, decode_error(resp)).await.unwrap_or_else(|_| stalled());
        if unauthorized {
            self.inner.tokens.refresh_from(&bearer).await?;
        }
        Err(e)
    }

    /// Wait for the reply to an upload while its body is sent. The limit is
    /// on silence: it fails when no chunk was taken for [`Timeouts::idle`]
    /// (the server stopped reading), or no reply came that long after the
    /// last one; a slow but moving upload may take as long as it needs.
    async fn await_upload<F>(&self, send: F, url: &url::Url, progress: &Progress) -> Result<reqwest::Response>
    where
        F: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    {
        let t = &self.inner.options.timeouts;
        let host = host_of(url);
        let mut send = std::pin::pin!(send);
        let mut noticed = false;
        loop {
            let quiet = progress.quiet_for();
            if quiet >= t.idle {
                let waiting = if progress.finished() { Waiting::Reply } else { Waiting::UploadProgress };
                return Err(Error::NoAnswer(Box::new(NoAnswer { host, waiting, after: t.idle })));
            }
            if quiet >= t.notice_after && !noticed {
                noticed = true;
                notice(&host, quiet);
            }
            let next_check =
                if noticed { t.idle - quiet } else { t.notice_after.saturating_sub(quiet).min(t.idle - quiet) };
            tokio::select! {
                r = &mut send => return r.map_err(|e| t.error(e, t.idle)),
                _ = tokio::time::sleep(next_check.max(Duration::from_millis(10))) => {}
            }
        }
    }

    /// Upload a local file to `remote`: MD5 first (streaming), then bounded
    /// allocate/send rounds with resume. Never loads the file into memory.
    /// If the file changes meanwhile the service reports a corrupt upload
    /// (400) and we stop.
    pub async fn upload_file(&self, local: &Path, remote: &RemotePath, opts: &UploadOptions) -> Result<UploadOutcome> {
        let meta = tokio::fs::metadata(local).await?;
        if !meta.is_file() {
            return Err(Error::InvalidArgument(format!("{} is not a regular file", local.display())));
        }
        let (md5, size) = md5_file(local).await?;
        let mtime = meta.modified().ok().and_then(|t| Timestamp::try_from(t).ok());
        let modified = opts.modified.or(mtime);
        let areq = AllocateRequest { path: remote.clone(), md5, size, created: opts.created.or(modified), modified };
        let sent = Arc::new(AtomicU64::new(0));
        let max = self.inner.options.upload_attempts.max(1);
        let mut delays = self.inner.options.retry.delays();
        let mut last_err = None;
        let mut silent = 0u32;
        for attempt in 1..=max {
            let before = sent.load(Ordering::SeqCst);
            let round = self.upload_round(local, &areq, &sent).await;
            // A silent server ends the upload after the allowed retries,
            // unless the round moved bytes.
            if matches!(round, Err(Error::NoAnswer(_))) {
                silent = if sent.load(Ordering::SeqCst) > before { 0 } else { silent + 1 };
            }
            let patient = silent <= self.inner.options.timeouts.retries;
            match round {
                Ok(dedup) => {
                    let file = self.file_info(remote).await?;
                    let bytes_sent = sent.load(Ordering::SeqCst);
                    return Ok(UploadOutcome {
                        deduplicated: dedup && bytes_sent == 0,
                        bytes_sent,
                        attempts: attempt,
                        file,
                    });
                }
                Err(e) if is_retryable_upload(&e) && attempt < max && patient => {
                    tracing::debug!(%remote, attempt, "upload round failed, re-allocating: {e}");
                    if let Some(d) = delays.next() {
                        tokio::time::sleep(d).await;
                    }
                    last_err = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::Protocol("upload failed".into())))
    }

    /// One round: allocate, then send what is missing. Ok(true) = dedup.
    async fn upload_round(&self, local: &Path, areq: &AllocateRequest, sent: &Arc<AtomicU64>) -> Result<bool> {
        let alloc = match self.allocate(areq).await {
            // Allocate creates missing parents (modelled, spec 10.14); if a
            // server does not, create them and try once more.
            Err(e) if e.is_not_found() && areq.path.parent().is_some_and(|p| !p.is_mountpoint_root()) => {
                if let Some(parent) = areq.path.parent() {
                    self.mkdir(&parent).await?;
                }
                self.allocate(areq).await?
            }
            r => r?,
        };
        if alloc.completed {
            return Ok(true);
        }
        let mut f = tokio::fs::File::open(local).await?;
        f.seek(std::io::SeekFrom::Start(alloc.resume_pos)).await?;
        let remaining = alloc.bytes - alloc.resume_pos;
        let counter = sent.clone();
        let stream = tokio_util::io::ReaderStream::with_capacity(f.take(remaining), 256 * 1024).map(move |r| {
            if let Ok(b) = &r {
                counter.fetch_add(b.len() as u64, Ordering::SeqCst);
            }
            r
        });
        self.upload_body(&alloc, stream).await?;
        Ok(false)
    }
}
