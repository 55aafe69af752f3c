//! A background thread that writes per-file events and hash-cache entries in
//! batches: one transaction per few hundred files or per 200 ms, whichever
//! comes first, so the hot path never waits on SQLite.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{CachedHash, FileEvent, StateDb, StateError};

/// One write.
#[derive(Debug, Clone)]
pub enum DbOp {
    /// A per-file event.
    Event(FileEvent),
    /// A freshly computed local hash.
    Hash {
        /// Absolute local path.
        path: String,
        /// The hash and what it is valid for.
        hash: CachedHash,
    },
}

enum Msg {
    Op(Box<DbOp>),
    Stop,
}

/// The sending side. [`Writer::finish`] flushes and reports the first
/// error; it does not wait for handles still held elsewhere (those writes
/// are dropped), so a forgotten handle can never hang a run.
pub struct Writer {
    tx: Option<Sender<Msg>>,
    thread: Option<JoinHandle<Result<(), StateError>>>,
}

/// A cheap handle for workers.
#[derive(Clone)]
pub struct WriterHandle(Sender<Msg>);

impl WriterHandle {
    /// Queues a write (dropped silently if the writer already stopped).
    pub fn send(&self, op: DbOp) {
        let _ = self.0.send(Msg::Op(Box::new(op)));
    }
}

impl Writer {
    /// Starts the writer thread.
    pub fn start(db: Arc<StateDb>) -> Writer {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("fjordsync-state".into())
            .spawn(move || write_loop(&db, rx))
            .expect("spawning the state writer thread");
        Writer { tx: Some(tx), thread: Some(thread) }
    }

    /// A handle to send writes from anywhere.
    pub fn handle(&self) -> WriterHandle {
        WriterHandle(self.tx.clone().expect("writer running"))
    }

    /// Flushes everything queued and stops the thread.
    pub fn finish(mut self) -> Result<(), StateError> {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Stop);
        }
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(StateError::Corrupt("the state writer thread panicked".into())),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_loop(db: &StateDb, rx: Receiver<Msg>) -> Result<(), StateError> {
    const MAX_BATCH: usize = 2000;
    const MAX_WAIT: Duration = Duration::from_millis(200);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut first_error = None;
    loop {
        let deadline = Instant::now() + MAX_WAIT;
        let mut closed = false;
        while batch.len() < MAX_BATCH {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Msg::Op(op)) => batch.push(*op),
                Err(RecvTimeoutError::Timeout) => break,
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    closed = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            if let Err(e) = db.apply(&batch) {
                tracing::warn!("writing {} state records failed: {e}", batch.len());
                first_error.get_or_insert(e);
            }
            batch.clear();
        }
        if closed {
            return first_error.map_or(Ok(()), Err);
        }
    }
}
