//! Progress events from rustic's progress bars, and cancellation.
//!
//! rustic reports progress through [`ProgressBars`]: each phase ("scanning
//! source", "backing up", "restoring file contents", "reading pack data")
//! gets a bar with a length and increments. We forward them as
//! [`BackupEvent`]s, at most about ten a second per phase.
//!
//! rustic has no cancel hook. A cancelled operation is stopped at the
//! storage: the `Gated` backend refuses every write once the token fires,
//! so rustic unwinds with an error and never writes a snapshot that points at
//! missing data. Packs written before that stay; `Repo::backup` then indexes
//! them (so `check` is clean and the next run reuses them).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rustic_core::{
    BytesList, ErrorKind, FileType, Id, Progress, ProgressBars, ProgressType, ReadBackend, RusticError, RusticProgress,
    RusticResult, WriteBackend,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::lock::lock;

/// Progress of a repository operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum BackupEvent {
    /// A phase began (`title` as rustic names it, e.g. "backing up...").
    Phase {
        /// The phase's title.
        title: String,
        /// True when `done`/`total` count bytes, false for items.
        bytes: bool,
    },
    /// How far the current phase is.
    Progress {
        /// The phase's title.
        title: String,
        /// Done so far.
        done: u64,
        /// The total, when known.
        total: Option<u64>,
        /// True when counting bytes.
        bytes: bool,
    },
    /// The phase ended.
    PhaseDone {
        /// The phase's title.
        title: String,
        /// Done in total.
        done: u64,
    },
}

/// Where progress goes. Called from rustic's threads: keep it quick.
pub type ProgressSink = Arc<dyn Fn(BackupEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn no_progress() -> ProgressSink {
    Arc::new(|_| {})
}

/// rustic's [`ProgressBars`] over a [`ProgressSink`] that can be swapped per operation.
#[derive(Clone)]
pub(crate) struct Bars {
    sink: Arc<RwLock<ProgressSink>>,
}

impl std::fmt::Debug for Bars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bars")
    }
}

impl Bars {
    pub(crate) fn new() -> Bars {
        Bars { sink: Arc::new(RwLock::new(no_progress())) }
    }

    /// Sends progress to `sink` until the guard is dropped.
    pub(crate) fn attach(&self, sink: ProgressSink) -> impl Drop + use<> {
        *self.sink.write().unwrap_or_else(|e| e.into_inner()) = sink;
        Detach(self.sink.clone())
    }
}

struct Detach(Arc<RwLock<ProgressSink>>);
impl Drop for Detach {
    fn drop(&mut self) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = no_progress();
    }
}

impl ProgressBars for Bars {
    fn progress(&self, progress_type: ProgressType, prefix: &str) -> Progress {
        let sink = self.sink.read().unwrap_or_else(|e| e.into_inner()).clone();
        let bytes = matches!(progress_type, ProgressType::Bytes);
        let hidden = prefix.is_empty();
        if !hidden {
            sink(BackupEvent::Phase { title: prefix.to_string(), bytes });
        }
        Progress::new(Bar {
            sink,
            title: Mutex::new(prefix.to_string()),
            bytes,
            hidden,
            state: Mutex::new(BarState { done: 0, total: None, last: None }),
        })
    }
}

struct Bar {
    sink: ProgressSink,
    title: Mutex<String>,
    bytes: bool,
    hidden: bool,
    state: Mutex<BarState>,
}

struct BarState {
    done: u64,
    total: Option<u64>,
    last: Option<Instant>,
}

impl std::fmt::Debug for Bar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bar")
    }
}

impl Bar {
    fn title(&self) -> String {
        lock(&self.title).clone()
    }
}

impl RusticProgress for Bar {
    fn is_hidden(&self) -> bool {
        self.hidden
    }

    fn set_length(&self, len: u64) {
        lock(&self.state).total = Some(len);
    }

    fn set_title(&self, title: &str) {
        *lock(&self.title) = title.to_string();
    }

    fn inc(&self, inc: u64) {
        let event = {
            let mut s = lock(&self.state);
            s.done += inc;
            let due = s.last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
            if !due || self.hidden {
                return;
            }
            s.last = Some(Instant::now());
            BackupEvent::Progress { title: String::new(), done: s.done, total: s.total, bytes: self.bytes }
        };
        if let BackupEvent::Progress { done, total, bytes, .. } = event {
            (self.sink)(BackupEvent::Progress { title: self.title(), done, total, bytes });
        }
    }

    fn finish(&self) {
        if !self.hidden {
            let done = lock(&self.state).done;
            (self.sink)(BackupEvent::PhaseDone { title: self.title(), done });
        }
    }
}

/// A backend wrapper that refuses writes (and, for read-only operations,
/// reads) once the current operation's token is cancelled.
#[derive(Debug)]
pub(crate) struct Gated {
    inner: Arc<dyn WriteBackend>,
    state: Arc<RwLock<Option<Closing>>>,
    writing: Arc<AtomicUsize>,
}

/// What the gate closes when its token fires.
#[derive(Debug, Clone)]
struct Closing {
    token: CancellationToken,
    reads: bool,
}

/// The switch of a [`Gated`] backend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Gate {
    state: Arc<RwLock<Option<Closing>>>,
    /// Writes under way (let through before the gate closed).
    writing: Arc<AtomicUsize>,
}

impl Gate {
    /// Wraps `inner` so that it obeys this gate.
    pub(crate) fn wrap(&self, inner: Arc<dyn WriteBackend>) -> Arc<dyn WriteBackend> {
        Arc::new(Gated { inner, state: self.state.clone(), writing: self.writing.clone() })
    }

    /// Refuse writes once `token` fires, until [`Gate::clear`].
    pub(crate) fn set(&self, token: CancellationToken) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Some(Closing { token, reads: false });
    }

    /// Refuse reads and writes once `token` fires, until [`Gate::clear`]:
    /// for operations that only read (a check), which a closed write gate
    /// would not stop.
    pub(crate) fn set_all(&self, token: CancellationToken) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = Some(Closing { token, reads: true });
    }

    /// Accept writes again. A cancelled backup leaves the gate closed to
    /// the rustic threads that outlive it, so every operation that writes
    /// opens it first (or sets its own token).
    pub(crate) fn clear(&self) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Waits (at most `limit`) until no write let through before the gate
    /// closed is still under way. rustic can return a cancelled backup's
    /// error while another of its threads still uploads a pack; indexing
    /// the packs before that upload ends would miss it.
    pub(crate) fn settle(&self, limit: Duration) -> bool {
        let start = Instant::now();
        while self.writing.load(Ordering::Acquire) > 0 {
            if start.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }
}

/// Counts one write under way until dropped.
struct Writing<'a>(&'a AtomicUsize);

impl<'a> Writing<'a> {
    fn start(counter: &'a AtomicUsize) -> Writing<'a> {
        counter.fetch_add(1, Ordering::AcqRel);
        Writing(counter)
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gated {
    fn check(&self, read: bool) -> RusticResult<()> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let closed = state.as_ref().is_some_and(|c| c.token.is_cancelled() && (c.reads || !read));
        if closed { Err(RusticError::new(ErrorKind::Backend, "cancelled")) } else { Ok(()) }
    }
}

impl ReadBackend for Gated {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn list_with_size(&self, tpe: FileType) -> RusticResult<Vec<(Id, u32)>> {
        self.check(true)?;
        self.inner.list_with_size(tpe)
    }
    fn read_full(&self, tpe: FileType, id: &Id) -> RusticResult<Bytes> {
        self.check(true)?;
        self.inner.read_full(tpe, id)
    }
    fn read_partial(&self, tpe: FileType, id: &Id, cacheable: bool, offset: u32, length: u32) -> RusticResult<Bytes> {
        self.check(true)?;
        self.inner.read_partial(tpe, id, cacheable, offset, length)
    }
    fn warmup_path(&self, tpe: FileType, id: &Id) -> String {
        self.inner.warmup_path(tpe, id)
    }
}

impl WriteBackend for Gated {
    fn create(&self) -> RusticResult<()> {
        self.inner.create()
    }
    fn write_bytes(&self, tpe: FileType, id: &Id, cacheable: bool, content: BytesList) -> RusticResult<()> {
        let _writing = Writing::start(&self.writing);
        self.check(false)?;
        self.inner.write_bytes(tpe, id, cacheable, content)
    }
    fn remove(&self, tpe: FileType, id: &Id, cacheable: bool) -> RusticResult<()> {
        let _writing = Writing::start(&self.writing);
        self.check(false)?;
        self.inner.remove(tpe, id, cacheable)
    }
}
