//! fuser's `Filesystem` callbacks over a [`Vfs`].
//!
//! fuser calls these on its own threads (several at once); each callback
//! runs its core call to the end with `Handle::block_on` and replies. A slow
//! call (a download) holds one thread, not the whole mount.
//!
//! Files open for writing are one [`Writing`] per inode, shared by all its
//! handles: the core's [`Writer`] stages the bytes in the cache folder. A
//! `flush` (each `close(2)`) hands the staged file to the core, which
//! uploads it shortly; a later write on the same handle starts a new staged
//! copy from there. Until then, `getattr`, `lookup` and reads see the bytes
//! written so far.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use fjordsync_vfs::{Meta, Reader, Vfs, VfsError, VfsPath, Writer};
use fuser::{
    Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags, KernelConfig,
    LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
    WriteFlags,
};
use tokio::runtime::Handle;

use crate::attr::{BLOCK, Owner, TTL};
use crate::errno::errno;
use crate::inodes::{Inodes, ROOT};

type Result<T, E = Errno> = std::result::Result<T, E>;

/// A file open for writing (all its handles).
#[derive(Debug)]
struct Writing {
    /// `None` after a flush handed the content to the core.
    writer: tokio::sync::Mutex<Option<Writer>>,
    /// Its size so far (kept here: the staged file's length lags behind
    /// writes still on their way to it).
    size: AtomicU64,
    /// Open handles; the last release closes the writer.
    handles: AtomicU64,
}

/// What a file handle is.
#[derive(Debug, Clone)]
enum Open {
    Read(Arc<tokio::sync::Mutex<Reader>>),
    Write(Arc<Writing>),
    /// A folder's entries when it was opened (so offsets stay valid).
    Dir(Arc<Vec<Entry>>),
}

#[derive(Debug)]
struct Entry {
    ino: u64,
    name: String,
    attr: FileAttr,
}

/// The mounted folder.
#[derive(Debug)]
pub(crate) struct Fs {
    vfs: Vfs,
    rt: Handle,
    owner: Owner,
    inodes: Mutex<Inodes>,
    handles: Mutex<HashMap<u64, Open>>,
    next_fh: AtomicU64,
    /// Files open for writing, by inode.
    writing: Mutex<HashMap<u64, Arc<Writing>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn vfs_err(e: VfsError) -> Errno {
    errno(&e)
}

impl Fs {
    pub(crate) fn new(vfs: Vfs, rt: Handle) -> Fs {
        Fs {
            vfs,
            rt,
            owner: Owner::current(),
            inodes: Mutex::new(Inodes::new()),
            handles: Mutex::new(HashMap::new()),
            next_fh: AtomicU64::new(1),
            writing: Mutex::new(HashMap::new()),
        }
    }

    fn block<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    fn path(&self, ino: INodeNo) -> Result<VfsPath> {
        lock(&self.inodes).path(ino.0).ok_or(Errno::ENOENT)
    }

    fn child(&self, parent: INodeNo, name: &OsStr) -> Result<VfsPath> {
        let name = name.to_str().ok_or(Errno::EINVAL)?;
        self.path(parent)?.join(name).map_err(vfs_err)
    }

    fn ino(&self, path: &VfsPath) -> u64 {
        lock(&self.inodes).ino(path)
    }

    fn add_handle(&self, open: Open) -> FileHandle {
        let fh = self.next_fh.fetch_add(1, Ordering::Relaxed);
        lock(&self.handles).insert(fh, open);
        FileHandle(fh)
    }

    fn handle(&self, fh: FileHandle) -> Result<Open> {
        lock(&self.handles).get(&fh.0).cloned().ok_or(Errno::EBADF)
    }

    fn writing_of(&self, ino: u64) -> Option<Arc<Writing>> {
        lock(&self.writing).get(&ino).cloned()
    }

    /// Attributes of `path` (number `ino`): a file being written shows what
    /// was written so far.
    async fn attr_of(&self, ino: u64, path: &VfsPath) -> Result<FileAttr> {
        if let Some(w) = self.writing_of(ino)
            && w.writer.lock().await.is_some()
        {
            return Ok(self.owner.writing(ino, w.size.load(Ordering::Relaxed)));
        }
        let meta = self.vfs.stat(path).await.map_err(vfs_err)?;
        Ok(self.owner.attr(ino, &meta))
    }

    /// Makes sure `w` has a writer (a write after a flush continues from the
    /// content handed over) and runs `f` on it.
    async fn with_writer<T>(
        &self,
        ino: u64,
        w: &Writing,
        f: impl AsyncFnOnce(&mut Writer) -> fjordsync_vfs::Result<T>,
    ) -> Result<T> {
        let mut slot = w.writer.lock().await;
        if slot.is_none() {
            let path = lock(&self.inodes).path(ino).ok_or(Errno::ENOENT)?;
            let writer = self.vfs.open_write(&path, false).await.map_err(vfs_err)?;
            w.size.store(writer.size(), Ordering::Relaxed);
            *slot = Some(writer);
        }
        let writer = slot.as_mut().expect("set above");
        f(writer).await.map_err(vfs_err)
    }

    /// Hands the content written so far to the core (it uploads it soon).
    async fn commit(&self, w: &Writing) -> Result<()> {
        let writer = w.writer.lock().await.take();
        if let Some(writer) = writer {
            writer.close().await.map_err(vfs_err)?;
        }
        Ok(())
    }

    /// Commits every file open for writing at or below `path` (before a
    /// rename, so the content lands under the name it was written as and
    /// then moves along).
    async fn commit_under(&self, path: &VfsPath) -> Result<()> {
        let open: Vec<(u64, Arc<Writing>)> = lock(&self.writing).iter().map(|(i, w)| (*i, w.clone())).collect();
        for (ino, w) in open {
            let under = lock(&self.inodes).path(ino).is_some_and(|p| p.starts_with(path));
            if under {
                self.commit(&w).await?;
            }
        }
        Ok(())
    }

    async fn lookup_inner(&self, parent: INodeNo, name: &OsStr) -> Result<FileAttr> {
        let path = self.child(parent, name).map_err(|_| Errno::ENOENT)?;
        let known = lock(&self.inodes).known(&path);
        if let Some(ino) = known
            && let Ok(attr) = self.attr_of(ino, &path).await
        {
            return Ok(attr);
        }
        let meta = self.vfs.stat(&path).await.map_err(vfs_err)?;
        Ok(self.owner.attr(self.ino(&path), &meta))
    }

    async fn list(&self, ino: INodeNo) -> Result<Vec<Entry>> {
        let path = self.path(ino)?;
        let dir_attr = self.attr_of(ino.0, &path).await?;
        if dir_attr.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let parent_ino = path.parent().map(|p| self.ino(&p)).unwrap_or(ROOT);
        let mut parent_attr = dir_attr;
        parent_attr.ino = INodeNo(parent_ino);
        let mut out = vec![
            Entry { ino: ino.0, name: ".".into(), attr: dir_attr },
            Entry { ino: parent_ino, name: "..".into(), attr: parent_attr },
        ];
        let listed = self.vfs.list(&path).await.map_err(vfs_err)?;
        let mut names = std::collections::HashSet::new();
        for e in listed {
            let child = path.join(&e.name).map_err(vfs_err)?;
            let child_ino = self.ino(&child);
            let attr = match self.writing_of(child_ino) {
                Some(w) if w.writer.lock().await.is_some() => {
                    self.owner.writing(child_ino, w.size.load(Ordering::Relaxed))
                }
                _ => self.owner.attr(child_ino, &e.meta),
            };
            names.insert(e.name.clone());
            out.push(Entry { ino: child_ino, name: e.name, attr });
        }
        // Files created here and not closed yet: the core knows them at close.
        let open: Vec<(u64, Arc<Writing>)> = lock(&self.writing).iter().map(|(i, w)| (*i, w.clone())).collect();
        for (child_ino, w) in open {
            let Some(p) = lock(&self.inodes).path(child_ino) else { continue };
            let Some(name) = p.name().filter(|_| p.parent().as_ref() == Some(&path)) else { continue };
            if !names.contains(name) && w.writer.lock().await.is_some() {
                let attr = self.owner.writing(child_ino, w.size.load(Ordering::Relaxed));
                out.push(Entry { ino: child_ino, name: name.to_string(), attr });
            }
        }
        Ok(out)
    }

    async fn open_inner(&self, ino: INodeNo, flags: OpenFlags) -> Result<FileHandle> {
        let path = self.path(ino)?;
        let truncate = flags.0 & libc::O_TRUNC != 0;
        if flags.acc_mode() == OpenAccMode::O_RDONLY {
            if let Some(w) = self.writing_of(ino.0) {
                w.handles.fetch_add(1, Ordering::Relaxed);
                return Ok(self.add_handle(Open::Write(w)));
            }
            let reader = self.vfs.open_read(&path).await.map_err(vfs_err)?;
            return Ok(self.add_handle(Open::Read(Arc::new(tokio::sync::Mutex::new(reader)))));
        }
        let existing = self.writing_of(ino.0);
        let w = match existing {
            Some(w) => {
                if truncate {
                    self.with_writer(ino.0, &w, async |wr| wr.truncate(0).await).await?;
                    w.size.store(0, Ordering::Relaxed);
                }
                w
            }
            None => {
                let writer = self.vfs.open_write(&path, truncate).await.map_err(vfs_err)?;
                let size = writer.size();
                let w = Arc::new(Writing {
                    writer: tokio::sync::Mutex::new(Some(writer)),
                    size: AtomicU64::new(size),
                    handles: AtomicU64::new(0),
                });
                lock(&self.writing).entry(ino.0).or_insert(w).clone()
            }
        };
        w.handles.fetch_add(1, Ordering::Relaxed);
        Ok(self.add_handle(Open::Write(w)))
    }

    async fn read_inner(&self, ino: INodeNo, fh: FileHandle, offset: u64, size: u32) -> Result<bytes::Bytes> {
        let len = size as usize;
        match self.handle(fh)? {
            Open::Read(r) => {
                // Written through another handle meanwhile: read what was written.
                if let Some(w) = self.writing_of(ino.0) {
                    let mut slot = w.writer.lock().await;
                    if let Some(writer) = slot.as_mut() {
                        return writer.read_at(offset, len).await.map_err(vfs_err);
                    }
                }
                r.lock().await.read_at(offset, len).await.map_err(vfs_err)
            }
            Open::Write(w) => {
                let mut slot = w.writer.lock().await;
                if let Some(writer) = slot.as_mut() {
                    return writer.read_at(offset, len).await.map_err(vfs_err);
                }
                drop(slot);
                let path = self.path(ino)?;
                self.vfs.read(&path, offset, len).await.map_err(vfs_err)
            }
            Open::Dir(_) => Err(Errno::EISDIR),
        }
    }

    async fn setattr_inner(&self, ino: INodeNo, size: Option<u64>, mtime: Option<TimeOrNow>) -> Result<FileAttr> {
        let path = self.path(ino)?;
        if let Some(size) = size {
            match self.writing_of(ino.0) {
                Some(w) => {
                    self.with_writer(ino.0, &w, async |wr| wr.truncate(size).await).await?;
                    w.size.store(size, Ordering::Relaxed);
                }
                None => {
                    let mut wr = self.vfs.open_write(&path, size == 0).await.map_err(vfs_err)?;
                    if size > 0 {
                        wr.truncate(size).await.map_err(vfs_err)?;
                    }
                    wr.close().await.map_err(vfs_err)?;
                }
            }
        }
        if let Some(t) = mtime {
            let t = match t {
                TimeOrNow::SpecificTime(t) => t,
                TimeOrNow::Now => SystemTime::now(),
            };
            let t = jiff::Timestamp::try_from(t).map_err(|_| Errno::EINVAL)?;
            let mut done = false;
            if let Some(w) = self.writing_of(ino.0) {
                let mut slot = w.writer.lock().await;
                if let Some(writer) = slot.as_mut() {
                    writer.set_modified(t);
                    done = true;
                }
            }
            if !done {
                match self.vfs.set_modified(&path, t).await {
                    // Jottacloud keeps no times for folders: nothing to keep.
                    Ok(()) | Err(VfsError::NotSupported { .. }) => {}
                    Err(e) => return Err(vfs_err(e)),
                }
            }
        }
        self.attr_of(ino.0, &path).await
    }

    async fn create_inner(&self, parent: INodeNo, name: &OsStr) -> Result<(FileAttr, FileHandle)> {
        let path = self.child(parent, name)?;
        let writer = self.vfs.open_write(&path, true).await.map_err(vfs_err)?;
        let ino = self.ino(&path);
        let w = Arc::new(Writing {
            writer: tokio::sync::Mutex::new(Some(writer)),
            size: AtomicU64::new(0),
            handles: AtomicU64::new(1),
        });
        let old = lock(&self.writing).insert(ino, w.clone());
        if let Some(old) = old {
            // Created again while open elsewhere: that content is replaced.
            old.writer.lock().await.take();
        }
        Ok((self.owner.writing(ino, 0), self.add_handle(Open::Write(w))))
    }

    async fn unlink_inner(&self, parent: INodeNo, name: &OsStr) -> Result<()> {
        let path = self.child(parent, name)?;
        let ino = lock(&self.inodes).known(&path);
        // Open for writing: what was not handed over yet is dropped.
        let dropped = match ino.and_then(|i| lock(&self.writing).remove(&i)) {
            Some(w) => w.writer.lock().await.take().is_some(),
            None => false,
        };
        match self.vfs.stat(&path).await {
            Ok(m) if m.is_folder() => return Err(Errno::EISDIR),
            Ok(_) => self.vfs.remove(&path).await.map_err(vfs_err)?,
            Err(VfsError::NotFound(_)) if dropped => {}
            Err(e) => return Err(vfs_err(e)),
        }
        lock(&self.inodes).removed(&path);
        Ok(())
    }

    async fn rmdir_inner(&self, parent: INodeNo, name: &OsStr) -> Result<()> {
        let path = self.child(parent, name)?;
        if !self.vfs.stat(&path).await.map_err(vfs_err)?.is_folder() {
            return Err(Errno::ENOTDIR);
        }
        if !self.vfs.list(&path).await.map_err(vfs_err)?.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        self.vfs.remove(&path).await.map_err(vfs_err)?;
        lock(&self.inodes).removed(&path);
        Ok(())
    }

    async fn rename_inner(
        &self,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Result<()> {
        if flags.contains(RenameFlags::RENAME_EXCHANGE) || flags.contains(RenameFlags::RENAME_WHITEOUT) {
            return Err(Errno::EINVAL);
        }
        let from = self.child(parent, name)?;
        let to = self.child(newparent, newname)?;
        self.commit_under(&from).await?;
        let meta = self.vfs.stat(&from).await.map_err(vfs_err)?;
        match self.vfs.stat(&to).await {
            Ok(_) if flags.contains(RenameFlags::RENAME_NOREPLACE) => return Err(Errno::EEXIST),
            Ok(t) if t.is_folder() != meta.is_folder() => {
                return Err(if t.is_folder() { Errno::EISDIR } else { Errno::ENOTDIR });
            }
            // A folder may replace an empty folder (POSIX); the core keeps
            // folders apart, so the empty one goes to the trash first.
            Ok(t) if t.is_folder() => {
                if !self.vfs.list(&to).await.map_err(vfs_err)?.is_empty() {
                    return Err(Errno::ENOTEMPTY);
                }
                self.vfs.remove(&to).await.map_err(vfs_err)?;
            }
            _ => {}
        }
        self.commit_under(&to).await?;
        self.vfs.rename(&from, &to).await.map_err(vfs_err)?;
        lock(&self.inodes).renamed(&from, &to);
        Ok(())
    }

    async fn statfs_inner(&self) -> Result<(u64, u64)> {
        let space = self.vfs.space().await.map_err(vfs_err)?;
        // Unlimited accounts: show plenty free (1 PiB more than used).
        let total = space.total.unwrap_or(space.used.saturating_add(1 << 50));
        Ok((total, total.saturating_sub(space.used)))
    }

    /// Closes every writer still open (at unmount: nothing written is lost).
    pub(crate) fn commit_all(&self) {
        let open: Vec<Arc<Writing>> = lock(&self.writing).drain().map(|(_, w)| w).collect();
        for w in open {
            if let Err(e) = self.block(self.commit(&w)) {
                tracing::warn!("a file open at unmount could not be kept: {e:?}");
            }
        }
    }
}

impl Filesystem for Fs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Attributes with the listing (one request per folder for `ls -l`),
        // and bigger writes (fewer round trips for big files).
        let _ = config.add_capabilities(InitFlags::FUSE_DO_READDIRPLUS);
        let _ = config.set_max_write(1 << 20);
        Ok(())
    }

    fn destroy(&mut self) {
        self.commit_all();
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        match self.block(self.lookup_inner(parent, name)) {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let r = self.path(ino).and_then(|p| self.block(self.attr_of(ino.0, &p)));
        match r {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        // Modes and owners are not kept (Jottacloud has none): accepted and
        // ignored, so `cp -a` and `rsync -a` work.
        match self.block(self.setattr_inner(ino, size, mtime)) {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, _mode: u32, _umask: u32, reply: ReplyEntry) {
        let r = self.child(parent, name).and_then(|path| {
            self.block(async {
                self.vfs.mkdir(&path).await.map_err(vfs_err)?;
                let meta: Meta = self.vfs.stat(&path).await.map_err(vfs_err)?;
                Ok(self.owner.attr(self.ino(&path), &meta))
            })
        });
        match r {
            Ok(attr) => reply.entry(&TTL, &attr, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.block(self.unlink_inner(parent, name)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match self.block(self.rmdir_inner(parent, name)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        match self.block(self.rename_inner(parent, name, newparent, newname, flags)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        match self.block(self.open_inner(ino, flags)) {
            Ok(fh) => reply.opened(fh, FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match self.block(self.read_inner(ino, fh, offset, size)) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        let r = self.handle(fh).and_then(|open| match open {
            Open::Write(w) => self.block(async {
                self.with_writer(ino.0, &w, async |wr| wr.write_at(offset, data).await).await?;
                w.size.fetch_max(offset + data.len() as u64, Ordering::Relaxed);
                Ok(())
            }),
            _ => Err(Errno::EBADF),
        });
        match r {
            Ok(()) => reply.written(data.len() as u32),
            Err(e) => reply.error(e),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        // Each close(2): what was written is handed to the core, so a
        // program that closed a file finds it written (errors reach close).
        let r = match self.handle(fh) {
            Ok(Open::Write(w)) => self.block(self.commit(&w)),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        };
        match r {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let open = lock(&self.handles).remove(&fh.0);
        let mut r = Ok(());
        if let Some(Open::Write(w)) = open
            && w.handles.fetch_sub(1, Ordering::Relaxed) == 1
        {
            {
                let mut writing = lock(&self.writing);
                if writing.get(&ino.0).is_some_and(|cur| Arc::ptr_eq(cur, &w)) {
                    writing.remove(&ino.0);
                }
            }
            r = self.block(self.commit(&w));
        }
        match r {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsync(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        // The content is made durable in the cache folder at each close.
        reply.ok();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.block(self.list(ino)) {
            Ok(entries) => reply.opened(self.add_handle(Open::Dir(Arc::new(entries))), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let Ok(Open::Dir(entries)) = self.handle(fh) else { return reply.error(Errno::EBADF) };
        for (i, e) in entries.iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(e.ino), (i + 1) as u64, e.attr.kind, &e.name) {
                break;
            }
        }
        reply.ok();
    }

    fn readdirplus(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, offset: u64, mut reply: ReplyDirectoryPlus) {
        let Ok(Open::Dir(entries)) = self.handle(fh) else { return reply.error(Errno::EBADF) };
        for (i, e) in entries.iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(e.ino), (i + 1) as u64, &e.name, &TTL, &e.attr, Generation(0)) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(&self, _req: &Request, _ino: INodeNo, fh: FileHandle, _flags: OpenFlags, reply: ReplyEmpty) {
        lock(&self.handles).remove(&fh.0);
        reply.ok();
    }

    // No extended attributes (Jottacloud keeps none): "none here", not
    // "not implemented", so the kernel's per-write capability check is quiet.
    fn getxattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, _size: u32, reply: ReplyXattr) {
        reply.error(Errno::ENODATA);
    }

    fn listxattr(&self, _req: &Request, _ino: INodeNo, size: u32, reply: ReplyXattr) {
        if size == 0 { reply.size(0) } else { reply.data(&[]) }
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::ENOTSUP);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::ENODATA);
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        match self.block(self.statfs_inner()) {
            Ok((total, free)) => {
                let b = u64::from(BLOCK);
                reply.statfs(total / b, free / b, free / b, 0, 0, BLOCK, 255, BLOCK)
            }
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        match self.block(self.create_inner(parent, name)) {
            Ok((attr, fh)) => reply.created(&TTL, &attr, Generation(0), fh, FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }
}
