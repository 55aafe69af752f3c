//! A restic repository stored in a Jottacloud folder: rustic's
//! [`WriteBackend`] over our async client.
//!
//! rustic calls its backend synchronously from its own threads (never from a
//! tokio worker: every repository call runs in `spawn_blocking`), so each
//! method drives the client with the captured runtime [`Handle`].
//!
//! Layout (restic's): `config`, `keys/ID`, `snapshots/ID`, `index/ID`,
//! `data/XX/ID`. Uploads go through the client's [`Client::upload`] (its
//! rounds are the retries) and are idempotent: a repeated upload of the same
//! bytes is answered "completed" by allocate (the service already has that
//! MD5 at that path), so a round after a lost reply is a success. Reads and
//! listings are tried again here only when their body broke off
//! ([`crate::transfer::read_again`]); the client retried everything else.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use fjordsync_jottacloud::{
    AllocateRequest, BytesSource, Client, DownloadOptions, Error as ApiError, ListMode, RemotePath,
};
use futures_util::StreamExt;
use rustic_core::{BytesList, ErrorKind, FileType, Id, ReadBackend, RusticError, RusticResult, WriteBackend};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

/// Attempts at a read or listing: the client retries a request until its
/// body starts; a body cut short (a reset, a proxy) is retried here.
const READ_ATTEMPTS: u32 = 5;
/// Reads in flight at once. rustic's restore reads from 20 threads, each a
/// run of blobs of up to a whole pack (32 MiB and more) held in memory, so
/// unbounded it peaked at 1.2 GiB restoring 1.3 GiB; one HTTPS stream
/// already carries well over 100 MiB/s, so a few are enough to fill a line.
const READS_IN_FLIGHT: usize = 4;

/// rustic's backend for a repository folder on a Jottacloud remote.
#[derive(Debug, Clone)]
pub struct JottaBackend {
    client: Client,
    root: RemotePath,
    location: String,
    handle: Handle,
    /// Bounds the reads in flight (shared by the clones rustic makes).
    reads: Arc<Semaphore>,
}

impl JottaBackend {
    /// A backend for the repository in `root`. `location` is what messages
    /// show (`remote:path`). `handle` must belong to a multi-threaded runtime.
    pub fn new(client: Client, root: RemotePath, location: String, handle: Handle) -> JottaBackend {
        JottaBackend { client, root, location, handle, reads: Arc::new(Semaphore::new(READS_IN_FLIGHT)) }
    }

    fn path(&self, tpe: FileType, id: &Id) -> RusticResult<RemotePath> {
        let hex = id.to_hex();
        let p = match tpe {
            FileType::Config => self.root.join("config"),
            FileType::Pack => self.root.join("data").and_then(|d| d.join(&hex[..2])).and_then(|d| d.join(&hex)),
            _ => self.root.join(tpe.dirname()).and_then(|d| d.join(&hex)),
        };
        p.map_err(|e| err("building the remote path", e))
    }

    fn run<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.handle.block_on(f)
    }

    /// Runs `op` until it succeeds, fails for good, or runs out of attempts.
    async fn again<T, F: std::future::Future<Output = Result<T, ApiError>>>(
        &self,
        what: &str,
        op: impl Fn() -> F,
    ) -> Result<T, ApiError> {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(e) if crate::transfer::read_again(&e) && attempt < READ_ATTEMPTS => {
                    tracing::debug!(attempt, "{what} failed, trying again: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt)).await;
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    async fn list_async(&self, tpe: FileType) -> Result<Vec<(Id, u32)>, ApiError> {
        let folder = self.root.join(tpe.dirname())?;
        let size = |s: u64| u32::try_from(s).map_err(|_| ApiError::Protocol(format!("{s} bytes is too large")));
        match tpe {
            FileType::Config => match self.client.file_info(&folder).await {
                Ok(f) => Ok(vec![(Id::default(), size(f.size)?)]),
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(e),
            },
            FileType::Pack => {
                let mut out = Vec::new();
                let mut stream = match self.client.list_tree(&folder).await {
                    Ok(s) => s,
                    Err(e) if e.is_not_found() => return Ok(out),
                    Err(e) => return Err(e),
                };
                while let Some(entry) = stream.next().await {
                    if let fjordsync_jottacloud::TreeEntry::File { path, size: s, .. } = entry?
                        && path.len() == 2
                        && let Ok(id) = path[1].parse::<Id>()
                    {
                        out.push((id, size(s)?));
                    }
                }
                Ok(out)
            }
            _ => match self.client.list_folder(&folder, ListMode::Live).await {
                Ok(listing) => listing
                    .files
                    .iter()
                    .filter(|f| !f.is_deleted())
                    .filter_map(|f| f.name.parse::<Id>().ok().map(|id| size(f.size).map(|s| (id, s))))
                    .collect(),
                Err(e) if e.is_not_found() => Ok(Vec::new()),
                Err(e) => Err(e),
            },
        }
    }

    async fn read_async(
        &self,
        path: &RemotePath,
        opts: DownloadOptions,
        expect: Option<usize>,
    ) -> Result<Bytes, ApiError> {
        // Never closed, so acquiring cannot fail.
        let _permit = self.reads.acquire().await.map_err(|e| ApiError::Protocol(e.to_string()))?;
        let mut stream = self.client.download(path, opts).await?;
        let mut buf = BytesMut::with_capacity(expect.unwrap_or(0));
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk?);
        }
        if let Some(n) = expect
            && buf.len() != n
        {
            return Err(ApiError::Protocol(format!("{path}: got {} bytes, expected {n}", buf.len())));
        }
        Ok(buf.freeze())
    }

    async fn write_async(&self, path: &RemotePath, chunks: Vec<Bytes>) -> Result<(), ApiError> {
        let mut md5 = fjordsync_jottacloud::ContentMd5::new();
        for c in &chunks {
            md5.update(c);
        }
        let md5 = md5.finish_hex();
        let size: u64 = chunks.iter().map(|c| c.len() as u64).sum();
        let req = AllocateRequest { path: path.clone(), md5, size, created: None, modified: None };
        self.client.upload(&req, &BytesSource::new(chunks)).await.map(|_| ())
    }
}

fn err(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Box<RusticError> {
    // Guidance strings are templates: keep braces out of them.
    RusticError::with_source(ErrorKind::Backend, what.replace(['{', '}'], ""), e)
}

impl ReadBackend for JottaBackend {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        self.run(self.again("listing", || self.list_async(tpe)))
            .map_err(|e| err(&format!("listing {} in {}", tpe.dirname(), self.location), e))
    }

    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        let path = self.path(tpe, id)?;
        self.run(self.again("reading", || self.read_async(&path, DownloadOptions::default(), None)))
            .map_err(|e| err(&format!("reading {tpe} {id}"), e))
    }

    fn read_partial(&self, tpe: FileType, id: &Id, _cacheable: bool, offset: u32, length: u32) -> RusticResult<Bytes> {
        if length == 0 {
            return Ok(Bytes::new());
        }
        let path = self.path(tpe, id)?;
        let opts = DownloadOptions {
            start: u64::from(offset),
            end: Some(u64::from(offset) + u64::from(length) - 1),
            revision: None,
        };
        self.run(self.again("reading", || self.read_async(&path, opts, Some(length as usize))))
            .map_err(|e| err(&format!("reading {length} bytes at {offset} of {tpe} {id}"), e))
    }

    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.path(tpe, id).map(|p| p.to_string()).unwrap_or_default()
    }
}

impl WriteBackend for JottaBackend {
    fn create(&self) -> RusticResult<()> {
        self.run(async {
            for dir in ["keys", "snapshots", "index", "data"] {
                self.client.mkdir(&self.root.join(dir)?).await?;
            }
            Ok::<_, ApiError>(())
        })
        .map_err(|e| err(&format!("creating the repository folders in {}", self.location), e))
    }

    fn write_bytes(&self, tpe: FileType, id: &Id, _cacheable: bool, content: BytesList) -> RusticResult<()> {
        let path = self.path(tpe, id)?;
        self.run(self.write_async(&path, content.into_vec())).map_err(|e| err(&format!("uploading {tpe} {id}"), e))
    }

    fn remove(&self, tpe: FileType, id: &Id, _cacheable: bool) -> RusticResult<()> {
        let path = self.path(tpe, id)?;
        // Permanently: prune frees space, and the trash would keep it counted.
        match self.run(self.client.delete_file(&path, true)) {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(err(&format!("removing {tpe} {id}"), e)),
        }
    }
}
