//! Downloads with `mode=bin` (spec 4.7), optional range and revision.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use tokio::io::AsyncWriteExt;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::Req;
use crate::model::FileInfo;
use crate::names::RemotePath;
use crate::retry::Retry;

/// A stream of body chunks.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>;

/// Which part of which revision to fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DownloadOptions {
    /// First byte (inclusive). 0 with `end: None` means the whole file.
    pub start: u64,
    /// Last byte (inclusive), or to the end.
    pub end: Option<u64>,
    /// An older revision number (`revision=N`, modelled in spec 4.7.1).
    pub revision: Option<u32>,
}

impl Client {
    /// Stream a file's content. The request is retried before the body
    /// starts; errors while streaming arrive as stream items.
    pub async fn download(&self, path: &RemotePath, opts: DownloadOptions) -> Result<ByteStream> {
        let mut req = Req::get(self.jfs_url(path).await?).q("mode", "bin");
        if let Some(r) = opts.revision {
            req = req.q("revision", r.to_string());
        }
        let ranged = opts.start > 0 || opts.end.is_some();
        if ranged {
            let range = match opts.end {
                Some(e) if e < opts.start => {
                    return Err(Error::InvalidArgument(format!("empty range {}-{e}", opts.start)));
                }
                Some(e) => format!("bytes={}-{e}", opts.start),
                None => format!("bytes={}-", opts.start),
            };
            req = req.h("Range", range);
        }
        let resp = self.call(req).await?;
        if ranged && resp.status().as_u16() != 206 {
            // A server that ignores Range would give us the wrong bytes.
            return Err(Error::Protocol(format!("asked for a range, got status {}", resp.status().as_u16())));
        }
        let timeouts = self.inner.options.timeouts.clone();
        let (idle, host) = (timeouts.idle, crate::timeouts::host_of(resp.url()));
        Ok(Box::pin(resp.bytes_stream().map_err(move |e| timeouts.error(e, idle).with_host(&host))))
    }

    /// Download to `target` safely: write a temp file in the same folder,
    /// verify size and MD5 against the metadata, fsync, rename atomically.
    /// A cut transfer resumes with a `Range` request (bounded attempts).
    pub async fn download_to_file(&self, path: &RemotePath, target: &Path) -> Result<FileInfo> {
        let info = self.file_info(path).await?;
        self.download_revision_to_file(path, target, None, &info.md5, info.size).await?;
        Ok(info)
    }

    /// Like [`Client::download_to_file`] for a given revision whose md5 and
    /// size the caller knows (from [`Client::revisions`]).
    pub async fn download_revision_to_file(
        &self,
        path: &RemotePath,
        target: &Path,
        revision: Option<u32>,
        md5_hex: &str,
        size: u64,
    ) -> Result<()> {
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        // Not built from the target's name: a name of up to 255 bytes must
        // still leave room for its temporary file.
        let tmp = dir.join(format!(".fjordsync-{:016x}.part", rand::random::<u64>()));
        let res = self.fill_temp(path, &tmp, revision, md5_hex, size).await;
        match res {
            Ok(()) => {
                tokio::fs::rename(&tmp, target).await.inspect_err(|_| {
                    let _ = std::fs::remove_file(&tmp);
                })?;
                Ok(())
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                Err(e)
            }
        }
    }

    async fn fill_temp(
        &self,
        path: &RemotePath,
        tmp: &Path,
        revision: Option<u32>,
        md5_hex: &str,
        size: u64,
    ) -> Result<()> {
        // Chunks arrive in TLS-record sizes; a large buffer turns them into
        // few blocking-pool writes.
        let mut file = tokio::io::BufWriter::with_capacity(
            1 << 20,
            // create_new: never opened through a link someone put at that name.
            tokio::fs::OpenOptions::new().write(true).create_new(true).open(tmp).await?,
        );
        let mut hasher = crate::ContentMd5::new();
        let mut got: u64 = 0;
        // Bounded *consecutive attempts without progress*; any progress
        // resets the count, so a flaky link still finishes a big file.
        let max = self.inner.options.upload_attempts.max(2);
        let mut fruitless = 0u32;
        let mut silent = 0u32;
        let mut first = true;
        let mut delays = self.inner.options.retry.delays();
        while got < size || first {
            first = false;
            let before = got;
            let opts = DownloadOptions { start: got, end: None, revision };
            let outcome = match self.download(path, opts).await {
                Ok(mut stream) => {
                    let mut failed = None;
                    while let Some(chunk) = stream.next().await {
                        match chunk {
                            Ok(b) => {
                                if got + b.len() as u64 > size {
                                    return Err(Error::Protocol(format!(
                                        "{path}: server sent more than the expected {size} bytes"
                                    )));
                                }
                                hasher.update(&b);
                                file.write_all(&b).await?;
                                got += b.len() as u64;
                            }
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    match failed {
                        Some(e) => Err(e),
                        None if got < size => {
                            Err(Error::Protocol(format!("{path}: body ended at {got} of {size} bytes")))
                        }
                        None => Ok(()),
                    }
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => break,
                Err(e) => {
                    // What the request already retried (a busy server) is
                    // final here; a body that broke off resumes. A silent
                    // server: the request already tried again as far as
                    // the timeouts allow; resume only after progress.
                    let no_answer = e.retry() == Retry::Silent;
                    silent = if got > before { 0 } else { silent + u32::from(no_answer) };
                    let resumable = matches!(e.retry(), Retry::Silent | Retry::Interrupted);
                    fruitless = if got > before { 0 } else { fruitless + 1 };
                    if !resumable || fruitless >= max || silent > self.inner.options.timeouts.retries {
                        return Err(e);
                    }
                    tracing::debug!(%path, got, "download interrupted, resuming: {e}");
                    if fruitless > 0
                        && let Some(d) = delays.next()
                    {
                        tokio::time::sleep(d).await;
                    }
                }
            }
        }
        file.flush().await?;
        file.get_ref().sync_all().await?;
        drop(file);
        let actual = hasher.finish_hex();
        if !md5_hex.is_empty() && !actual.eq_ignore_ascii_case(md5_hex) {
            return Err(Error::Md5Mismatch { what: path.to_string(), expected: md5_hex.to_string(), actual });
        }
        Ok(())
    }
}
