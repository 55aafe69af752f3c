//! What `serve webdav` and `mount` share: opening the filesystem core on a
//! storage folder, its default cache folder, and finishing the pending
//! uploads at a stop.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{anyhow, bail};
use fjordsync_vfs::{Vfs, VfsError, VfsOptions};
use md5::Digest;

use crate::args::FolderCacheArgs;
use crate::context::Context;
use crate::location::Location;

/// How often a stop that waits for uploads says how many are left.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The flags both commands take.
pub struct FolderOptions<'a> {
    /// REMOTE:PATH as typed.
    pub remote: &'a str,
    /// `--cache-dir`, `--cache-max-size`, `--write-back`, `--poll-interval`.
    pub cache: &'a FolderCacheArgs,
    /// `serve` or `mount`: a subfolder of the cache, so a server and a mount
    /// of the same folder never share one cache folder; also the verb of
    /// "... serve another one".
    pub kind: &'static str,
}

/// Opens the core on the storage folder; returns it and the cache folder.
pub async fn open(ctx: &Context, o: FolderOptions<'_>) -> anyhow::Result<(Vfs, PathBuf)> {
    let (name, path) = Location::remote(o.remote)?;
    let session = ctx.open(&name)?;
    let root = session.path(&path)?;
    let cache_dir = match &o.cache.cache_dir {
        Some(d) => d.clone(),
        None => default_cache_dir(o.kind, &name, &path)?,
    };
    let options = VfsOptions {
        cache_max_size: o.cache.cache_max_size,
        upload_delay: Duration::from_secs(o.cache.write_back),
        poll_interval: Some(o.cache.poll_interval),
        ..VfsOptions::default()
    };
    let remote = o.remote;
    let vfs = Vfs::open(session.client.clone(), root, &cache_dir, options).await.map_err(|e| match e {
        VfsError::NotFound(_) => anyhow!(
            "{remote}: no such folder on the storage: create it with `fjordsync mkdir {remote}`, or {} another one",
            o.kind
        ),
        VfsError::NotFolder(_) => anyhow!("{remote} is a file: {} the folder that holds it", o.kind),
        e => anyhow::Error::new(e).context(format!("opening {remote}")),
    })?;
    Ok((vfs, cache_dir))
}

/// `<cache>/fjordsync/<kind>/<remote>-<hash of REMOTE:PATH>`: one folder per
/// served folder, so two servers never share their pending uploads.
fn default_cache_dir(kind: &str, remote: &str, path: &str) -> anyhow::Result<PathBuf> {
    let base = dirs::cache_dir().ok_or_else(|| anyhow!("this system has no cache folder: give --cache-dir DIR"))?;
    let digest = md5::Md5::digest(format!("{remote}:{path}").as_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Ok(base.join("fjordsync").join(kind).join(format!("{remote}-{hash}")))
}

/// Uploads what is pending, saying how many and, while it takes, how many
/// are left; a second Ctrl-C (or SIGTERM) on `stops` stops at once. `who`
/// starts each line (`fjordsync serve webdav`).
pub async fn finish(vfs: &Vfs, who: &str, stops: &mut crate::signals::Stops) -> anyhow::Result<()> {
    let pending = vfs.pending_uploads();
    if pending == 0 {
        eprintln!("{who}: stopped; nothing was waiting for upload");
        vfs.stop().await;
        return Ok(());
    }
    eprintln!(
        "{who}: stopping; uploading {pending} pending file(s) first (Ctrl-C again to leave them for the next start)"
    );
    let uploads = vfs.finish_uploads();
    tokio::pin!(uploads);
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    tick.tick().await;
    let done = loop {
        tokio::select! {
            done = &mut uploads => break done,
            _ = tick.tick() => eprintln!("{who}: {} upload(s) left", vfs.pending_uploads()),
            _ = stops.next() => {
                let left = vfs.pending_uploads();
                vfs.stop().await;
                eprintln!("{who}: stopped; {left} file(s) wait in the cache and are uploaded at the next start");
                return Ok(());
            }
        }
    };
    vfs.stop().await;
    if done.failed.is_empty() {
        eprintln!("{who}: stopped; {} upload(s) finished", done.uploaded);
        return Ok(());
    }
    for (path, why) in &done.failed {
        eprintln!("  {path}: {why}");
    }
    bail!(
        "{} upload(s) finished, {} could not be uploaded: they stay in the cache folder and are uploaded at the next start",
        done.uploaded,
        done.failed.len()
    )
}
