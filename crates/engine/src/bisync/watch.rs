//! Continuous two-way sync: one full run at start, then a run whenever
//! the folder changes (file events, [`super::local_watch`]) or the storage
//! does (a poll, [`super::poll`]), a full run now and then whatever the
//! events said, and after a sleep. Failures back off and retry, so a lost
//! connection catches up by itself.
//!
//! Every decision of *what* to sync stays with [`Runner::bisync`]: events
//! and polls only decide *when*. So a missed event delays a change until
//! the next rescan, and never loses it. *How* a run happens is the
//! shell's ([`PairRuns`]): `fjordsync bisync --watch` runs the pair
//! directly ([`DirectRuns`]); the app and the daemon go through their task
//! door, so a watched run is claimed, shows progress and lands in the log
//! like a click on "Run now".
//!
//! The loop prints nothing: it tells the shell what happens through
//! [`WatchEvent`]s (the CLI prints a line per run, the app will show a
//! status), and stops when `cancel` fires, after the files in flight settle.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::base::Base;
use super::local_watch::{Inbox, LocalChanges, LocalWatcher, WatchError, all_as_recorded};
use super::poll;
use super::run::{BisyncReport, BisyncSpec};
use crate::error::{EngineError, Result};
use crate::events::EventSink;
use crate::filter::Filter;
use crate::runner::{Runner, Side};

/// How often to look, and how long to let changes settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Between two polls of the storage (`--poll-interval`).
    pub poll_interval: Duration,
    /// Between two full runs whatever the events said (Nextcloud and
    /// Syncthing rescan hourly): the net under missed events.
    pub rescan_every: Duration,
    /// How long file events settle before they count: an editor's save
    /// (temp file, rename over) and a burst of files become one run.
    pub debounce: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll_interval: Duration::from_secs(30),
            rescan_every: Duration::from_secs(3600),
            debounce: Duration::from_secs(1),
        }
    }
}

/// Why a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The first, full run.
    Start,
    /// Files changed in the folder.
    Local,
    /// The storage's listing changed.
    Remote,
    /// The periodic full run.
    Rescan,
    /// The computer woke from sleep (the wall clock jumped ahead).
    Wake,
    /// An earlier run failed or left files failed; trying again.
    Retry,
}

impl Trigger {
    /// A word for the shell.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Start => "start",
            Trigger::Local => "local change",
            Trigger::Remote => "storage change",
            Trigger::Rescan => "rescan",
            Trigger::Wake => "wake",
            Trigger::Retry => "retry",
        }
    }
}

/// Said once: the watcher cannot see every change by events, so it
/// looks at everything instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The OS dropped file events (queue overflow): a full run follows.
    Overflow,
    /// The OS limit on watched folders is reached: every poll is a full run.
    WatchLimit,
    /// The folder could not be watched (the message says why): every poll is a full run.
    WatchFailed(String),
}

/// What the watch loop tells its shell.
#[derive(Debug)]
pub enum WatchEvent {
    /// Nothing to do until something changes.
    Idle,
    /// A run starts.
    Syncing {
        /// Why.
        trigger: Trigger,
    },
    /// A run ended; its report says how (in step, changed, refused, failed files).
    Ran {
        /// Why it ran.
        trigger: Trigger,
        /// How it went (boxed: it is large, the other events are small).
        report: Box<BisyncReport>,
    },
    /// A run or a poll failed as a whole (offline, service down); it is
    /// tried again after `retry_in`.
    Error {
        /// What failed (the shell words it).
        error: EngineError,
        /// When the next try is.
        retry_in: Duration,
    },
    /// The watcher runs degraded (said once).
    Notice(Notice),
}

/// Where the watch loop sends its [`WatchEvent`]s.
pub type WatchSink = Arc<dyn Fn(WatchEvent) + Send + Sync>;

/// How each run of the watch loop happens (see the module documentation).
pub trait PairRuns: Send + Sync {
    /// Runs the pair once; `cancel` fires when the watch stops.
    fn run(&self, cancel: CancellationToken) -> impl Future<Output = Result<BisyncReport>> + Send;
}

/// Runs straight through [`Runner::bisync`] (the command line's `--watch`).
pub struct DirectRuns<'a> {
    /// The runner.
    pub runner: &'a Runner,
    /// The pair.
    pub spec: &'a BisyncSpec,
    /// The task the runs belong to, if any (for the log).
    pub task: Option<crate::tasks::TaskId>,
    /// Where the progress goes.
    pub events: EventSink,
}

impl PairRuns for DirectRuns<'_> {
    fn run(&self, cancel: CancellationToken) -> impl Future<Output = Result<BisyncReport>> + Send {
        self.runner.bisync(self.spec, self.task, self.events.clone(), cancel)
    }
}

/// Failed runs and polls wait this long first, doubling up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// The wall clock ran this much further than the monotonic one during a
/// wait: the computer slept.
const SLEPT: Duration = Duration::from_secs(30);

impl Runner {
    /// Keeps `spec`'s two folders in step until `cancel` fires, each run
    /// made by `runs`; then returns `Ok(())` once the run in progress has
    /// stopped. An error is returned only when the first run cannot start
    /// for a reason waiting will not fix (no such remote, not a folder).
    pub async fn bisync_watch<R: PairRuns>(
        &self,
        spec: &BisyncSpec,
        opts: WatchOptions,
        runs: &R,
        status: WatchSink,
        cancel: CancellationToken,
    ) -> Result<()> {
        let filter = Filter::new(&spec.options.filters).map_err(|e| EngineError::Invalid(e.to_string()))?;
        let Side::Local(root) = self.resolve(&spec.local_location())? else {
            return Err(super::BisyncError::NotLocal(spec.local_location().to_string()).into());
        };
        let Side::Remote(session, remote_root) = self.resolve(&spec.remote_location())? else {
            return Err(super::BisyncError::NotRemote(spec.remote_location().to_string()).into());
        };
        let inbox = Arc::new(Inbox::default());
        // Started before the first run, so what changes during it is seen.
        let watcher = match LocalWatcher::start(&root, opts.debounce, inbox.clone()) {
            Ok(w) => Some(w),
            Err(WatchError::Limit) => {
                status(WatchEvent::Notice(Notice::WatchLimit));
                None
            }
            Err(WatchError::Other(m)) => {
                status(WatchEvent::Notice(Notice::WatchFailed(m)));
                None
            }
        };
        let mut w = Loop {
            runner: self,
            spec,
            runs,
            status: status.clone(),
            cancel: cancel.clone(),
            base: Base::new(),
            kept: HashSet::new(),
            kept_next_ms: None,
            backoff: FIRST_BACKOFF,
        };
        match w.run(Trigger::Start).await {
            Err(e) if !is_transient(&e) => return Err(e),
            Err(e) => w.failed(e),
            Ok(()) => {}
        }
        let mut pending: Option<(Trigger, Instant)> = if w.retrying() {
            Some((Trigger::Retry, Instant::now() + w.backoff))
        } else {
            w.kept_retry().map(|at| (Trigger::Retry, at))
        };
        release_freed_memory();
        let mut local = LocalChanges::default();
        let mut local_first: Option<Instant> = None;
        let mut local_due: Option<Instant> = None;
        let mut last_fingerprint: Option<Option<[u8; 16]>> = None;
        let mut next_poll = Instant::now() + opts.poll_interval;
        let mut next_rescan = Instant::now() + opts.rescan_every;
        let mut said_overflow = false;
        let mut said_error = false;
        let mut idle_said = false;
        // Quiet time after the last batch of events before a run; a steady
        // stream of changes still runs every `max_wait`.
        let settle = opts.debounce / 2;
        let max_wait = opts.debounce * 10;
        while !cancel.is_cancelled() {
            let now = Instant::now();
            let trigger = if let Some((t, at)) = pending.filter(|(_, at)| now >= *at) {
                let _ = at;
                pending = None;
                Some(t)
            } else if local_due.is_some_and(|t| now >= t) {
                local_due = None;
                local_first = None;
                let ch = std::mem::take(&mut local);
                if ch.overflowed && !said_overflow {
                    said_overflow = true;
                    status(WatchEvent::Notice(Notice::Overflow));
                }
                if let Some(m) = ch.error.clone().filter(|_| !said_error) {
                    said_error = true;
                    status(WatchEvent::Notice(Notice::WatchFailed(m)));
                }
                let ours = !ch.everything && all_as_recorded(&root, &ch.paths, &w.base);
                (!ours).then_some(Trigger::Local)
            } else if now >= next_rescan {
                next_rescan = now + opts.rescan_every;
                Some(Trigger::Rescan)
            } else {
                None
            };
            if let Some(t) = trigger {
                idle_said = false;
                match w.run(t).await {
                    Ok(()) if w.retrying() => pending = Some((Trigger::Retry, Instant::now() + w.backoff)),
                    // Files kept aside after an error are tried again at their time.
                    Ok(()) => pending = w.kept_retry().map(|at| (Trigger::Retry, at)),
                    Err(e) => {
                        w.failed(e);
                        pending = Some((t, Instant::now() + w.backoff));
                    }
                }
                release_freed_memory();
                continue;
            }
            if now >= next_poll {
                next_poll = now + opts.poll_interval;
                let polled =
                    self.poll_once(&session.client, &remote_root, &filter, &w.base, &w.kept, last_fingerprint).await;
                release_freed_memory();
                match polled {
                    Ok((fingerprint, differs)) => {
                        last_fingerprint = Some(fingerprint);
                        if differs {
                            pending = Some((Trigger::Remote, now));
                        } else if watcher.is_none() {
                            // Without file events, every poll looks at both sides.
                            pending = Some((Trigger::Rescan, now));
                        }
                    }
                    Err(e) => {
                        w.failed(EngineError::from(e));
                        next_poll = now + w.backoff.max(opts.poll_interval);
                    }
                }
                continue;
            }
            if !idle_said && pending.is_none() && local_due.is_none() {
                idle_said = true;
                status(WatchEvent::Idle);
            }
            let mut wake_at = next_poll.min(next_rescan);
            for t in [local_due, pending.map(|p| p.1)].into_iter().flatten() {
                wake_at = wake_at.min(t);
            }
            let (wall, mono) = (SystemTime::now(), Instant::now());
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = inbox.wake.notified() => {
                    let ch = inbox.take();
                    if !ch.is_empty() {
                        merge(&mut local, ch);
                        let now = Instant::now();
                        let first = *local_first.get_or_insert(now);
                        local_due = Some((now + settle).min(first + max_wait));
                    }
                }
                _ = tokio::time::sleep_until(wake_at.into()) => {}
            }
            // A monotonic clock stops while the computer sleeps; the wall clock does not.
            let slept = wall.elapsed().unwrap_or_default().saturating_sub(mono.elapsed());
            if slept > SLEPT {
                pending = Some((Trigger::Wake, Instant::now()));
                next_poll = Instant::now() + opts.poll_interval;
            }
        }
        drop(watcher);
        Ok(())
    }
}

impl Runner {
    /// One poll: the listing's fingerprint, and whether a run would find
    /// something on the storage's side (looked at only when the
    /// fingerprint moved; `kept`: files kept aside, tried at their own time).
    async fn poll_once(
        &self,
        client: &fjordsync_jottacloud::Client,
        root: &fjordsync_jottacloud::RemotePath,
        filter: &Filter,
        base: &Base,
        kept: &HashSet<String>,
        last: Option<Option<[u8; 16]>>,
    ) -> std::result::Result<(Option<[u8; 16]>, bool), fjordsync_jottacloud::Error> {
        let fingerprint = client.list_tree_fingerprint(root).await?;
        if last == Some(fingerprint) {
            return Ok((fingerprint, false));
        }
        Ok((fingerprint, poll::differs_from_base(client, root, filter, base, kept).await?))
    }
}

/// The loop's run-and-retry state.
struct Loop<'a, R> {
    runner: &'a Runner,
    spec: &'a BisyncSpec,
    runs: &'a R,
    status: WatchSink,
    cancel: CancellationToken,
    /// The pair's base as the last run left it: what polls and events are
    /// compared with, so our own writes start no run.
    base: Base,
    /// Folded keys of the files kept aside after an error: polls ignore them.
    kept: HashSet<String>,
    /// When the first of them is tried again (ms since the epoch).
    kept_next_ms: Option<i64>,
    backoff: Duration,
}

impl<R: PairRuns> Loop<'_, R> {
    async fn run(&mut self, trigger: Trigger) -> Result<()> {
        (self.status)(WatchEvent::Syncing { trigger });
        let report = self.runs.run(self.cancel.child_token()).await?;
        let failed = report.counters.failed > 0;
        (self.status)(WatchEvent::Ran { trigger, report: Box::new(report) });
        self.base = self.load_base()?;
        let issues = self.runner.bisync_issues(self.spec)?;
        self.kept = issues.iter().map(|i| super::names::fold(&i.key)).collect();
        self.kept_next_ms = issues.iter().filter_map(|i| i.next_ms).min();
        if failed {
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        } else {
            self.backoff = FIRST_BACKOFF;
        }
        Ok(())
    }

    /// True after a run whose files partly failed: they are tried again after the backoff.
    fn retrying(&self) -> bool {
        self.backoff > FIRST_BACKOFF
    }

    /// When a run should try the kept-aside files again (a moment after the
    /// first one's time), if any waits for time rather than for a change.
    fn kept_retry(&self) -> Option<Instant> {
        let wait_ms = self.kept_next_ms?.saturating_sub(crate::state::now_ms()).max(0) as u64;
        Some(Instant::now() + Duration::from_millis(wait_ms) + Duration::from_secs(1))
    }

    fn failed(&mut self, e: EngineError) {
        (self.status)(WatchEvent::Error { error: e, retry_in: self.backoff });
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
    }

    fn load_base(&self) -> Result<Base> {
        let db = self.runner.db();
        let root = match self.runner.resolve(&self.spec.local_location())? {
            Side::Local(p) => p.display().to_string(),
            Side::Remote(..) => return Ok(Base::new()),
        };
        Ok(match db.find_bisync_pair(&root, &self.spec.remote, &self.spec.path)? {
            Some(p) => db.bisync_base(p)?,
            None => Base::new(),
        })
    }
}

/// Gives the memory a run or a parsed listing freed back to the system:
/// the C allocator keeps freed memory for reuse, so a watcher of a big
/// tree would otherwise hold its largest run's peak for good while idle.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system; it
    // touches no memory in use and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn merge(into: &mut LocalChanges, from: LocalChanges) {
    into.everything |= from.everything;
    into.overflowed |= from.overflowed;
    if from.error.is_some() {
        into.error = from.error;
    }
    if into.everything {
        into.paths.clear();
    } else {
        into.paths.extend(from.paths);
        if into.paths.len() > super::local_watch::MAX_PATHS {
            into.everything = true;
            into.paths.clear();
        }
    }
}

/// Errors that waiting can fix: the network, the service, a local read,
/// the pair or its task busy with another run (a click on "Run now").
fn is_transient(e: &EngineError) -> bool {
    use fjordsync_jottacloud::Error as A;
    match e {
        EngineError::Bisync(super::BisyncError::Busy { .. }) => true,
        EngineError::Task(crate::tasks::TaskError::Busy { .. }) => true,
        EngineError::Api(a) => matches!(
            a,
            A::Timeout(_)
                | A::NoAnswer(_)
                | A::Io(_)
                | A::Http(_)
                | A::Server(_)
                | A::RateLimited { .. }
                | A::Protocol(_)
        ),
        EngineError::Io { .. } => true,
        _ => false,
    }
}
