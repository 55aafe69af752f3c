//! [`Vfs`]: the operations both frontends call.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fjordsync_jottacloud::{Client, CpHash, Error as ApiError, ListMode, RemotePath, names};
use jiff::Timestamp;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::cache_dir::{self, CacheDir};
use crate::error::{Result, VfsError};
use crate::junk::is_local_only;
use crate::listings::{Listing, Listings};
use crate::meta::{DirEntry, FileState, Meta};
use crate::options::VfsOptions;
use crate::path::VfsPath;
use crate::poll::{self, Polled};
use crate::positioned::blocking;
use crate::read_cache::{Content, ReadCache};
use crate::reader::Reader;
use crate::staged::{Overlay, Staged};
use crate::state::StateFile;
use crate::uploader::{self, Finished};
use crate::writer::Writer;

/// What a [`Vfs`] shares with its handles and its upload task.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) root: RemotePath,
    pub(crate) dir: CacheDir,
    pub(crate) options: VfsOptions,
    pub(crate) state: StateFile,
    pub(crate) listings: Listings,
    pub(crate) reads: ReadCache,
    /// The downloads running past the read cache (a few at most).
    pub(crate) passing: crate::pass_through::Passing,
    overlay: Mutex<Overlay>,
    /// The content files uploads are reading now (not to be deleted).
    pub(crate) uploading: Mutex<HashSet<String>>,
    /// Read-held by every upload in flight (several run at once), write-held
    /// by changes that must not race them (remove, rename, copy), so those
    /// wait for the uploads running and see a settled state.
    pub(crate) gate: Arc<tokio::sync::RwLock<()>>,
    /// Wakes the upload task when something was staged.
    pub(crate) wake: Notify,
    pub(crate) stop: CancellationToken,
    /// The upload task and the poller, awaited by [`Vfs::stop`].
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The fingerprint of the served folder's tree at the last poll.
    pub(crate) baseline: poll::Baseline,
    /// The account's space, asked for at most once per [`SPACE_TTL`].
    space: Mutex<Option<(Instant, Space)>>,
    /// Uploads the last run left pending, found at open.
    resumed: usize,
}

impl Inner {
    pub(crate) fn overlay(&self) -> MutexGuard<'_, Overlay> {
        self.overlay.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Deletes a content file unless the overlay or an upload still uses it.
    pub(crate) fn discard(&self, file: &str) {
        let uploading = self.uploading.lock().unwrap_or_else(|p| p.into_inner()).contains(file);
        if !uploading {
            cache_dir::remove(&self.dir.staged(file));
        }
    }

    /// Records `staged` at `path` (state file first, then the overlay) and
    /// wakes the upload task.
    pub(crate) fn commit(&self, path: &VfsPath, staged: Staged) -> Result<()> {
        self.state.put_staged(&staged.row(path))?;
        let old = self.overlay().insert(path.clone(), staged);
        if let Some(old) = old {
            self.discard(&old.file);
        }
        self.wake.notify_one();
        Ok(())
    }

    pub(crate) fn due(&self) -> Instant {
        Instant::now() + self.options.upload_delay
    }
}

/// How long the account's space is trusted: file managers ask with every
/// listing, and a copy in progress changes it.
const SPACE_TTL: Duration = Duration::from_secs(5);

/// The account's storage space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Bytes used.
    pub used: u64,
    /// Bytes in all; `None` for an unlimited account.
    pub total: Option<u64>,
}

/// A Jottacloud folder as a filesystem. Cheap to clone; all clones share
/// the caches and the upload queue.
#[derive(Debug, Clone)]
pub struct Vfs {
    pub(crate) inner: Arc<Inner>,
}

impl Vfs {
    /// Serves the storage folder `root` through `client`, caching in
    /// `cache_dir`. Checks that `root` is a folder, resumes the uploads a
    /// previous run left pending, removes what it left half-made, and starts
    /// the upload task and the poller (on the current tokio runtime).
    pub async fn open(client: Client, root: RemotePath, cache_dir: &Path, options: VfsOptions) -> Result<Vfs> {
        match client.list_folder(&root, ListMode::Live).await {
            Ok(_) => {}
            Err(ApiError::InvalidArgument(_)) => return Err(VfsError::NotFolder(root.to_string())),
            Err(e) => return Err(VfsError::remote(&root, e)),
        }
        let dir = CacheDir::open(cache_dir)?;
        let state = StateFile::open(&dir.state_file())?;
        let mut overlay = Overlay::default();
        let mut known = std::collections::HashSet::new();
        for row in state.staged()? {
            if cache_dir::open_read(&dir.staged(&row.file)).is_err() {
                tracing::warn!("{}: its staged content is gone; it cannot be uploaded", row.path);
                state.remove_staged(&row.path, &row.file)?;
                continue;
            }
            known.insert(row.file.clone());
            overlay.insert(row.path.clone(), Staged::from_row(&row, Instant::now()));
        }
        for entry in std::fs::read_dir(dir.staged_dir())? {
            let entry = entry?;
            if !known.contains(entry.file_name().to_string_lossy().as_ref()) {
                cache_dir::remove(&entry.path());
            }
        }
        let resumed = overlay.pending().count();
        let stop = CancellationToken::new();
        let inner = Arc::new(Inner {
            resumed,
            reads: ReadCache::new(dir.read_dir(), options.cache_max_size, stop.clone()),
            passing: Default::default(),
            listings: Listings::new(options.listing_ttl),
            client,
            root,
            dir,
            options,
            state,
            overlay: Mutex::new(overlay),
            uploading: Mutex::new(HashSet::new()),
            gate: Arc::new(tokio::sync::RwLock::new(())),
            wake: Notify::new(),
            stop,
            tasks: Mutex::new(Vec::new()),
            baseline: poll::Baseline::default(),
            space: Mutex::new(None),
        });
        let mut tasks = vec![tokio::spawn(uploader::run(inner.clone()))];
        if let Some(every) = inner.options.poll_interval {
            tasks.push(tokio::spawn(poll::run(inner.clone(), every)));
        }
        *inner.tasks.lock().unwrap_or_else(|p| p.into_inner()) = tasks;
        Ok(Vfs { inner })
    }

    /// The storage folder served.
    pub fn root(&self) -> &RemotePath {
        &self.inner.root
    }

    /// Uploads a previous run left pending, found at open (they are being
    /// finished now).
    pub fn resumed_uploads(&self) -> usize {
        self.inner.resumed
    }

    /// Files waiting for their upload (including failed ones).
    pub fn pending_uploads(&self) -> usize {
        self.inner.overlay().pending().count()
    }

    /// A pending upload that failed and waits for the next start (a full
    /// storage, a refused name), with why: what a status shows as the last
    /// problem. Failures another try may fix are retried quietly.
    pub fn upload_problem(&self) -> Option<(VfsPath, String)> {
        self.inner.overlay().pending().find_map(|(p, s)| s.failed.clone().map(|why| (p.clone(), why)))
    }

    /// Pending uploads that failed for good and wait for the next start.
    pub fn failed_uploads(&self) -> usize {
        self.inner.overlay().pending().filter(|(_, s)| s.failed.is_some()).count()
    }

    /// Bytes held by the read cache.
    pub fn cache_size(&self) -> u64 {
        self.inner.reads.size()
    }

    /// Uploads everything pending now, without the delay (before a stop).
    pub async fn finish_uploads(&self) -> Finished {
        uploader::finish(&self.inner).await
    }

    /// Stops the upload task (an upload in progress is cut; the storage
    /// keeps what it got and the next start resumes it) and the poller, and
    /// releases the cache folder. What is still pending stays recorded and
    /// is uploaded at the next start.
    pub async fn stop(&self) {
        self.inner.stop.cancel();
        let tasks = std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        self.inner.dir.release();
    }

    /// Looks for changes made elsewhere now (the poller does it every
    /// [`VfsOptions::poll_interval`]): folder listings they touched are
    /// dropped, so the next look shows the change. Waits for a poll in
    /// progress rather than running two at once.
    pub async fn poll_now(&self) -> Result<Polled> {
        poll::poll(&self.inner).await
    }

    /// The account's used and total space (`None`: unlimited).
    pub async fn space(&self) -> Result<Space> {
        let cached = *self.inner.space.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, space)) = cached
            && at.elapsed() < SPACE_TTL
        {
            return Ok(space);
        }
        let info = self.inner.client.drive_info().await.map_err(|e| VfsError::remote(&self.inner.root, e))?;
        let space = Space { used: info.usage, total: info.capacity };
        *self.inner.space.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), space));
        Ok(space)
    }

    /// Metadata of `path`.
    pub async fn stat(&self, path: &VfsPath) -> Result<Meta> {
        if path.is_root() {
            return Ok(Meta::folder(None));
        }
        let staged = self.inner.overlay().get(path).map(|s| s.meta());
        if let Some(meta) = staged {
            return Ok(meta);
        }
        let (parent, name) = split(path)?;
        if is_local_only(name) {
            // Finder's probes: never stored, so no need to ask.
            return Err(VfsError::NotFound(path.to_string()));
        }
        match self.stored_listing(&parent).await {
            Ok(l) => l.get(name).cloned().ok_or_else(|| VfsError::NotFound(path.to_string())),
            Err(VfsError::NotFound(_) | VfsError::NotFolder(_)) => Err(VfsError::NotFound(path.to_string())),
            Err(e) => Err(e),
        }
    }

    /// The children of the folder `path`, sorted by name.
    pub async fn list(&self, path: &VfsPath) -> Result<Vec<DirEntry>> {
        if !path.is_root() && !self.stat(path).await?.is_folder() {
            return Err(VfsError::NotFolder(path.to_string()));
        }
        // The overlay before the listing: an upload that finishes in
        // between puts its file into the listing before it leaves the
        // overlay, so the file is seen in one or the other.
        let staged: Vec<(String, Meta)> =
            self.inner.overlay().children(path).map(|(name, s)| (name.to_string(), s.meta())).collect();
        let stored = self.stored_listing(path).await?;
        let mut all: HashMap<String, Meta> = (*stored).clone();
        all.extend(staged);
        let mut out: Vec<DirEntry> = all.into_iter().map(|(name, meta)| DirEntry { name, meta }).collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// `len` bytes of the file `path` from `offset` (fewer at its end).
    pub async fn read(&self, path: &VfsPath, offset: u64, len: usize) -> Result<bytes::Bytes> {
        let mut r = self.open_read(path).await?;
        r.read_at(offset, len).await
    }

    /// Opens the file `path` for reading. While open, its cached blocks stay.
    pub async fn open_read(&self, path: &VfsPath) -> Result<Reader> {
        let staged = self.inner.overlay().get(path).cloned();
        if let Some(s) = staged {
            let file = cache_dir::open_read(&self.inner.dir.staged(&s.file))?;
            return Ok(Reader::staged(file, s.meta()));
        }
        let meta = self.stat(path).await?;
        if meta.is_folder() {
            return Err(VfsError::IsFolder(path.to_string()));
        }
        let content = Content { md5: meta.md5.clone().unwrap_or_default(), size: meta.size };
        let remote = path.remote(&self.inner.root)?;
        Ok(Reader::stored(self.inner.clone(), remote, content, meta))
    }

    /// Opens `path` for writing, creating it if needed: empty with
    /// `truncate`, else starting from its current content. Nothing changes
    /// on the storage until [`Writer::close`].
    pub async fn open_write(&self, path: &VfsPath, truncate: bool) -> Result<Writer> {
        let (parent, name) = split(path)?;
        self.need_folder(&parent).await?;
        let current = match self.stat(path).await {
            Ok(m) if m.is_folder() => return Err(VfsError::IsFolder(path.to_string())),
            Ok(m) => Some(m),
            Err(VfsError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let file_name = cache_dir::new_name();
        let staged_path = self.inner.dir.staged(&file_name);
        let (file, modified) = match current {
            Some(m) if !truncate => {
                self.fill(path, &m, &staged_path).await?;
                (cache_dir::open_rw(&staged_path)?, m.modified)
            }
            _ => (cache_dir::create_new(&staged_path)?, None),
        };
        let len = file.metadata()?.len();
        Ok(Writer::new(self.inner.clone(), path.clone(), file, file_name, is_local_only(name), modified, len))
    }

    /// Creates `target` (a new content file) with the current content of
    /// the file `path` (`meta`): copied from the cache, or downloaded with
    /// its size and MD5 checked (resumed if cut), never half.
    async fn fill(&self, path: &VfsPath, meta: &Meta, target: &Path) -> Result<()> {
        let staged = self.inner.overlay().get(path).cloned();
        if let Some(s) = staged {
            let mut src = cache_dir::open_read(&self.inner.dir.staged(&s.file))?;
            let mut out = cache_dir::create_new(target)?;
            // `std::io::copy` between files copies inside the kernel where it
            // can (copy_file_range on Linux): no pass through our memory.
            let copied = blocking(move || {
                std::io::copy(&mut src, &mut out)?;
                out.sync_all()
            })
            .await;
            if let Err(e) = copied {
                cache_dir::remove(target);
                return Err(e.into());
            }
            return Ok(());
        }
        let remote = path.remote(&self.inner.root)?;
        let md5 = meta.md5.as_deref().unwrap_or_default();
        self.inner
            .client
            .download_revision_to_file(&remote, target, None, md5, meta.size)
            .await
            .map_err(|e| VfsError::remote(path, e))
    }

    /// Creates the folder `path` (its parent must exist).
    pub async fn mkdir(&self, path: &VfsPath) -> Result<()> {
        let (parent, _) = split(path)?;
        self.need_folder(&parent).await?;
        if self.stat(path).await.is_ok() {
            return Err(VfsError::Exists(path.to_string()));
        }
        let remote = path.remote(&self.inner.root)?;
        self.inner.client.mkdir(&remote).await.map_err(|e| VfsError::remote(path, e))?;
        self.inner.listings.forget(&parent);
        Ok(())
    }

    /// Moves the file or folder `path` to the Jottacloud trash (never a hard
    /// delete, so it can be restored). A file written here and not uploaded
    /// yet is dropped before it is uploaded.
    pub async fn remove(&self, path: &VfsPath) -> Result<()> {
        if path.is_root() {
            return Err(VfsError::NotSupported { path: path.to_string(), what: "the served folder cannot be removed" });
        }
        let _gate = self.inner.gate.write().await;
        self.remove_settled(path).await
    }

    /// [`Vfs::remove`] with the gate held.
    async fn remove_settled(&self, path: &VfsPath) -> Result<()> {
        let meta = self.stat(path).await?;
        let remote = path.remote(&self.inner.root)?;
        let stored = self.is_stored(path).await?;
        for file in self.inner.state.take_staged_under(path)? {
            self.inner.discard(&file);
        }
        self.inner.overlay().remove_under(path);
        if stored {
            let r = if meta.is_folder() {
                self.inner.client.delete_folder(&remote, false).await
            } else {
                self.inner.client.delete_file(&remote, false).await
            };
            r.map_err(|e| VfsError::remote(path, e))?;
        }
        self.inner.state.remove_props_under(path)?;
        self.inner.listings.forget_around(path);
        Ok(())
    }

    /// Renames or moves `from` to `to` with a server-side move (the file
    /// keeps its identity and versions). A file at `to` goes to the trash
    /// first; a folder there is an error.
    pub async fn rename(&self, from: &VfsPath, to: &VfsPath) -> Result<()> {
        if from == to {
            return Ok(());
        }
        if from.is_root() || to.is_root() {
            return Err(VfsError::NotSupported { path: from.to_string(), what: "the served folder cannot be moved" });
        }
        if to.starts_with(from) {
            return Err(VfsError::NotSupported { path: to.to_string(), what: "a folder cannot move into itself" });
        }
        let (to_parent, to_name) = split(to)?;
        let _gate = self.inner.gate.write().await;
        let meta = self.stat(from).await?;
        self.need_folder(&to_parent).await?;
        let from_stored = self.is_stored(from).await?;
        match self.stat(to).await {
            Ok(t) if t.is_folder() || meta.is_folder() => return Err(VfsError::Exists(to.to_string())),
            // Saved through a temporary file (editors, Office): the new
            // content becomes the next version of the file it replaces.
            Ok(_) if !from_stored && self.is_stored(to).await? => {}
            Ok(_) => self.remove_settled(to).await?,
            Err(VfsError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        if from_stored {
            if !meta.is_folder() && is_local_only(to_name) {
                return Err(VfsError::NotSupported {
                    path: to.to_string(),
                    what: "a stored file cannot take a name that is kept only in the cache",
                });
            }
            let (rf, rt) = (from.remote(&self.inner.root)?, to.remote(&self.inner.root)?);
            let r = if meta.is_folder() {
                self.inner.client.move_folder(&rf, &rt).await
            } else {
                self.inner.client.move_file(&rf, &rt).await.map(|_| ())
            };
            r.map_err(|e| VfsError::remote(from, e))?;
        }
        self.inner.state.move_under(from, to)?;
        let renamed = {
            let mut overlay = self.inner.overlay();
            for old in overlay.move_under(from, to) {
                self.inner.discard(&old.file);
            }
            // A file renamed from or to a Finder/Explorer name changes whether it uploads.
            overlay.get_mut(to).map(|s| {
                s.local_only = is_local_only(to_name);
                s.due = self.inner.due();
                s.row(to)
            })
        };
        if let Some(row) = renamed {
            self.inner.state.put_staged(&row)?;
            self.inner.wake.notify_one();
        }
        self.inner.listings.forget_around(from);
        self.inner.listings.forget_around(to);
        Ok(())
    }

    /// Copies the file `from` to `to`: server-side for stored files (no
    /// bytes travel), in the cache for files not uploaded yet.
    pub async fn copy(&self, from: &VfsPath, to: &VfsPath) -> Result<()> {
        let (to_parent, to_name) = split(to)?;
        let _gate = self.inner.gate.write().await;
        let meta = self.stat(from).await?;
        if meta.is_folder() {
            return Err(VfsError::IsFolder(from.to_string()));
        }
        self.need_folder(&to_parent).await?;
        if let Ok(t) = self.stat(to).await
            && t.is_folder()
        {
            return Err(VfsError::Exists(to.to_string()));
        }
        if meta.state != FileState::Stored || is_local_only(to_name) {
            let name = cache_dir::new_name();
            self.fill(from, &meta, &self.inner.dir.staged(&name)).await?;
            let staged = Staged {
                file: name,
                md5: meta.md5.clone().unwrap_or_default(),
                size: meta.size,
                modified: meta.modified,
                local_only: is_local_only(to_name),
                due: self.inner.due(),
                attempts: 0,
                failed: None,
            };
            self.inner.commit(to, staged)?;
        } else {
            for file in self.inner.state.take_staged_under(to)? {
                self.inner.discard(&file);
            }
            self.inner.overlay().remove_under(to);
            let (rf, rt) = (from.remote(&self.inner.root)?, to.remote(&self.inner.root)?);
            self.inner.client.copy_file(&rf, &rt).await.map_err(|e| VfsError::remote(from, e))?;
        }
        self.inner.state.copy_props(from, to)?;
        self.inner.listings.forget(&to_parent);
        Ok(())
    }

    /// Sets the modification time of the file `path` (on the storage with
    /// `cphash`, which keeps the content and adds no version).
    pub async fn set_modified(&self, path: &VfsPath, modified: Timestamp) -> Result<()> {
        let staged = {
            let mut overlay = self.inner.overlay();
            overlay.get_mut(path).map(|s| {
                s.modified = Some(modified);
                s.row(path)
            })
        };
        if let Some(row) = staged {
            return self.inner.state.put_staged(&row);
        }
        let meta = self.stat(path).await?;
        if meta.is_folder() {
            return Err(VfsError::NotSupported {
                path: path.to_string(),
                what: "Jottacloud keeps no times for folders",
            });
        }
        let remote = path.remote(&self.inner.root)?;
        let h = CpHash {
            md5: meta.md5.unwrap_or_default(),
            size: meta.size,
            created: meta.created,
            modified: Some(modified),
        };
        self.inner.client.cphash(&remote, &h).await.map_err(|e| VfsError::remote(path, e))?;
        if let Some(parent) = path.parent() {
            self.inner.listings.forget(&parent);
        }
        Ok(())
    }

    /// The properties clients set on `path` (kept in the cache folder's
    /// state file, not on the storage).
    pub async fn props(&self, path: &VfsPath) -> Result<Vec<(String, Vec<u8>)>> {
        self.stat(path).await?;
        self.inner.state.props(path)
    }

    /// One property of `path`.
    pub async fn prop(&self, path: &VfsPath, name: &str) -> Result<Option<Vec<u8>>> {
        self.stat(path).await?;
        self.inner.state.prop(path, name)
    }

    /// Sets (`Some`) and removes (`None`) properties of `path` at once.
    pub async fn patch_props(&self, path: &VfsPath, changes: &[(String, Option<Vec<u8>>)]) -> Result<()> {
        self.stat(path).await?;
        self.inner.state.patch_props(path, changes)
    }

    /// The storage's listing of `folder` (without staged files), cached.
    async fn stored_listing(&self, folder: &VfsPath) -> Result<Listing> {
        if let Some(l) = self.inner.listings.get(folder) {
            return Ok(l);
        }
        let remote = folder.remote(&self.inner.root)?;
        let ticket = self.inner.listings.ticket();
        let listing = match self.inner.client.list_folder(&remote, ListMode::Live).await {
            Ok(l) => l,
            Err(ApiError::InvalidArgument(_)) => return Err(VfsError::NotFolder(folder.to_string())),
            Err(e) => return Err(VfsError::remote(folder, e)),
        };
        let mut map = HashMap::with_capacity(listing.folders.len() + listing.files.len());
        for f in &listing.folders {
            map.insert(user_name(&f.name), Meta::folder(f.modified));
        }
        for f in &listing.files {
            map.insert(
                user_name(&f.name),
                Meta {
                    kind: crate::meta::Kind::File,
                    size: f.size,
                    modified: f.modified,
                    created: f.created,
                    md5: Some(f.md5.clone()),
                    revision: Some(f.revision),
                    state: FileState::Stored,
                },
            );
        }
        let listing = Arc::new(map);
        self.inner.listings.put(folder.clone(), listing.clone(), ticket);
        Ok(listing)
    }

    /// True if `path` is on the storage (folders always are).
    async fn is_stored(&self, path: &VfsPath) -> Result<bool> {
        let Some((parent, name)) = path.parent().zip(path.name()) else { return Ok(true) };
        match self.stored_listing(&parent).await {
            Ok(l) => Ok(l.contains_key(name)),
            Err(VfsError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Errors unless `path` is a folder.
    async fn need_folder(&self, path: &VfsPath) -> Result<()> {
        match self.stat(path).await {
            Ok(m) if m.is_folder() => Ok(()),
            Ok(_) => Err(VfsError::NotFolder(path.to_string())),
            Err(e) => Err(e),
        }
    }
}

/// The parent and the name of a path that is not the root.
fn split(path: &VfsPath) -> Result<(VfsPath, &str)> {
    match (path.parent(), path.name()) {
        (Some(p), Some(n)) => Ok((p, n)),
        _ => Err(VfsError::NotSupported { path: path.to_string(), what: "not possible on the served folder itself" }),
    }
}

/// A storage name as the user sees it (the look-alike mapping undone).
fn user_name(remote: &str) -> String {
    String::from_utf8_lossy(&names::decode_name(remote)).into_owned()
}
