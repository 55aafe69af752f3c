//! Uploads (spec 5): allocate, then POST the bytes to the returned
//! `upload_url` (followed verbatim), resuming from `resume_pos`.
//!
//! [`Client::upload`] is the one allocate/resume path (the engine, backups
//! and [`Client::upload_file`] all go through it). Neither allocate nor the
//! upload POST is sent again by the transport; instead the upload runs
//! bounded *rounds*: each round allocates (the service answers with the same
//! unfinished upload and how much it already holds) and sends the rest,
//! read from an [`UploadSource`]. Every failure [`crate::Retry`] does not
//! call final starts another round, so a busy service costs at most
//! [`crate::ClientOptions::upload_attempts`] allocates in all. A `COMPLETED`
//! allocate means the content is known (dedup) and no bytes are sent.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use jiff::Timestamp;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::client::Client;
use crate::error::{Error, NoAnswer, Result, Waiting};
use crate::http::{Req, ReqBody, Resend, decode_error};
use crate::model::{Allocation, UploadOutcome, Uploaded};
use crate::names::RemotePath;
use crate::retry::Retry;
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

/// The bytes of an upload as the transport takes them.
pub type UploadBody = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Where an upload's bytes come from. Each round of [`Client::upload`]
/// reads them again from where the service's copy ends, so a source must
/// be readable from any offset. A source may pace or count what it yields
/// (a bandwidth limit, progress): the transport pulls chunks as it sends.
pub trait UploadSource: Send + Sync {
    /// The bytes from `offset` to the end: exactly `size - offset` of them,
    /// where `size` is the one given to allocate. Fewer or more, and the
    /// service refuses the upload as corrupt.
    fn read_from(&self, offset: u64) -> BoxFuture<'_, Result<UploadBody>>;
}

/// A local file of known size as an [`UploadSource`].
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
    size: u64,
}

impl FileSource {
    /// The first `size` bytes of the file at `path`.
    pub fn new(path: impl Into<PathBuf>, size: u64) -> FileSource {
        FileSource { path: path.into(), size }
    }
}

impl UploadSource for FileSource {
    fn read_from(&self, offset: u64) -> BoxFuture<'_, Result<UploadBody>> {
        Box::pin(async move {
            let mut f = tokio::fs::File::open(&self.path).await?;
            f.seek(std::io::SeekFrom::Start(offset)).await?;
            let rest = self.size.saturating_sub(offset);
            Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(f.take(rest), 256 * 1024)) as UploadBody)
        })
    }
}

/// Bytes in memory (a backup's pack, say) as an [`UploadSource`]. Rounds
/// after the first send slices of the same buffers, never a copy.
#[derive(Debug, Clone)]
pub struct BytesSource(Vec<Bytes>);

impl BytesSource {
    /// The concatenation of `chunks`.
    pub fn new(chunks: Vec<Bytes>) -> BytesSource {
        BytesSource(chunks)
    }
}

impl UploadSource for BytesSource {
    fn read_from(&self, offset: u64) -> BoxFuture<'_, Result<UploadBody>> {
        let mut skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let mut rest = Vec::with_capacity(self.0.len());
        for c in &self.0 {
            if skip >= c.len() {
                skip -= c.len();
                continue;
            }
            rest.push(Ok(c.slice(skip..)));
            skip = 0;
        }
        Box::pin(async move { Ok(Box::pin(futures_util::stream::iter(rest)) as UploadBody) })
    }
}

/// Compute the MD5 and size of a local file, streaming (1 MiB buffer).
pub async fn md5_file(path: &Path) -> Result<(String, u64)> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = crate::ContentMd5::new();
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
    Ok((h.finish_hex(), n_total))
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

impl Client {
    /// `POST /files/v1/allocate`. Sent again only when the service
    /// refused it unprocessed (429, 503, no connection).
    pub async fn allocate(&self, a: &AllocateRequest) -> Result<Allocation> {
        self.allocate_as(a, Resend::IfUnprocessed).await
    }

    async fn allocate_as(&self, a: &AllocateRequest, resend: Resend) -> Result<Allocation> {
        let modified = a.modified.unwrap_or_else(Timestamp::now);
        let created = a.created.unwrap_or(modified);
        let body = AllocateJson {
            bytes: a.size,
            created: format_rfc3339_seconds(created),
            md5: &a.md5.to_ascii_lowercase(),
            modified: format_rfc3339_seconds(modified),
            path: a.path.allocate_path(),
        };
        let mut req = Req::post(self.api_url("files/v1/allocate")?).short();
        req.resend = resend;
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

    /// Upload a local file to `remote`: MD5 first (streaming), then
    /// [`Client::upload`]. Never loads the file into memory. If the file
    /// changes meanwhile the service reports a corrupt upload (400) and we
    /// stop.
    pub async fn upload_file(&self, local: &Path, remote: &RemotePath, opts: &UploadOptions) -> Result<UploadOutcome> {
        let meta = tokio::fs::metadata(local).await?;
        if !meta.is_file() {
            return Err(Error::InvalidArgument(format!("{} is not a regular file", local.display())));
        }
        let (md5, size) = md5_file(local).await?;
        let mtime = meta.modified().ok().and_then(|t| Timestamp::try_from(t).ok());
        let modified = opts.modified.or(mtime);
        let areq = AllocateRequest { path: remote.clone(), md5, size, created: opts.created.or(modified), modified };
        let up = self.upload(&areq, &FileSource::new(local, size)).await?;
        let file = self.file_info(remote).await?;
        Ok(UploadOutcome { deduplicated: up.deduplicated, bytes_sent: up.bytes_sent, attempts: up.attempts, file })
    }

    /// Upload the content `req` describes (its MD5 and size known up
    /// front) to `req.path`, reading the bytes from `source`. Bounded
    /// rounds, each an allocate and the rest of the bytes, with backoff
    /// between them (a `Retry-After` wins); a round that fails in a way
    /// [`Retry::Never`] calls final ends the upload. Missing parent folders
    /// are created.
    ///
    /// Dropping the future stops the upload at once: the service keeps what
    /// it got, and the next upload of the same content to the same path
    /// resumes from there.
    pub async fn upload(&self, req: &AllocateRequest, source: &dyn UploadSource) -> Result<Uploaded> {
        let sent = Arc::new(AtomicU64::new(0));
        let max = self.inner.options.upload_attempts.max(1);
        let policy = &self.inner.options.retry;
        let mut delays = policy.delays();
        let mut held_before = None;
        let mut last_err = None;
        let mut silent = 0u32;
        for attempt in 1..=max {
            let before = sent.load(Ordering::SeqCst);
            let round = self.upload_round(req, source, &sent, &mut held_before).await;
            // A silent server ends the upload after the allowed retries,
            // unless the round moved bytes.
            if matches!(&round, Err(e) if e.retry() == Retry::Silent) {
                silent = if sent.load(Ordering::SeqCst) > before { 0 } else { silent + 1 };
            }
            let patient = silent <= self.inner.options.timeouts.retries;
            match round {
                Ok(dedup) => {
                    let bytes_sent = sent.load(Ordering::SeqCst);
                    return Ok(Uploaded {
                        deduplicated: dedup && bytes_sent == 0,
                        bytes_sent,
                        resumed_from: held_before.unwrap_or(0),
                        attempts: attempt,
                    });
                }
                Err(e) if e.retry() != Retry::Never && attempt < max && patient => {
                    tracing::debug!(remote = %req.path, attempt, "upload round failed, re-allocating: {e}");
                    let retry_after = match &e {
                        Error::RateLimited { retry_after, .. } => *retry_after,
                        _ => None,
                    };
                    if let Some(d) = delays.next() {
                        tokio::time::sleep(policy.pick(d, retry_after)).await;
                    }
                    last_err = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::Protocol("upload failed".into())))
    }

    /// One round: allocate (sent once: this loop is the retry), then send
    /// what is missing. Ok(true) = the service already had it.
    /// `held_before` gets what the service held at the first allocate.
    async fn upload_round(
        &self,
        areq: &AllocateRequest,
        source: &dyn UploadSource,
        sent: &Arc<AtomicU64>,
        held_before: &mut Option<u64>,
    ) -> Result<bool> {
        let alloc = match self.allocate_as(areq, Resend::Never).await {
            // Allocate creates missing parents (modelled, spec 10.14); if a
            // server does not, create them and try once more.
            Err(e) if e.is_not_found() && areq.path.parent().is_some_and(|p| !p.is_mountpoint_root()) => {
                if let Some(parent) = areq.path.parent() {
                    self.mkdir(&parent).await?;
                }
                self.allocate_as(areq, Resend::Never).await?
            }
            r => r?,
        };
        held_before.get_or_insert(alloc.resume_pos);
        if alloc.completed {
            return Ok(true);
        }
        let counter = sent.clone();
        let body = source.read_from(alloc.resume_pos).await?.inspect(move |r| {
            if let Ok(b) = r {
                counter.fetch_add(b.len() as u64, Ordering::SeqCst);
            }
        });
        self.upload_body(&alloc, body).await?;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn read(source: &dyn UploadSource, offset: u64) -> Vec<u8> {
        let mut body = source.read_from(offset).await.unwrap();
        let mut out = Vec::new();
        while let Some(c) = body.next().await {
            out.extend_from_slice(&c.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn sources_read_from_any_offset() {
        let chunks = vec![Bytes::from_static(b"abc"), Bytes::from_static(b""), Bytes::from_static(b"defg")];
        let bytes = BytesSource::new(chunks);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abcdefg and more than the size").unwrap();
        let file = FileSource::new(&path, 7);
        for source in [&bytes as &dyn UploadSource, &file] {
            for (offset, want) in [(0, &b"abcdefg"[..]), (2, b"cdefg"), (3, b"defg"), (6, b"g"), (7, b""), (99, b"")] {
                assert_eq!(read(source, offset).await, want, "from {offset}");
            }
        }
    }
}
