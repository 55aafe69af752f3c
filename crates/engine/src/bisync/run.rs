//! One two-way sync run: list both sides at once, reconcile with the base,
//! preflight and guard (a refused run changes nothing, base included),
//! apply, record. The run is in the run log like any other
//! (`RunKind::Bisync`), with a file row per item that changed.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;

use super::apply::{Applier, KeptBoth};
use super::base::Base;
use super::conflict::CopyNamer;
use super::error::BisyncError;
use super::lock::lock_pair;
use super::reconcile::{Action, reconcile};
use super::snapshot::{self, LocalSide};
use super::{guard, issues, names};
use crate::error::{EngineError, Result};
use crate::events::{Counters, EventSink, PlanTotals, TaskEvent};
use crate::filter::Filter;
use crate::guard::Refusal;
use crate::local::SafeRoot;
use crate::lock::lock;
use crate::plan::{self, Problem};
use crate::runner::{Runner, Side, outcome_of};
use crate::state::{DbOp, FileEvent, NewRun, Outcome, RunResult, Writer};
use crate::task::{Location, TaskOptions};
use crate::transfer::md5_filler::load_cache;
use crate::transfer::{self, Throttle};
use crate::tree::{Skipped, user_path};

/// A two-way sync: which folders, and how (the transfer options: filters,
/// parallel transfers, bandwidth, `max_delete`, `hard_delete`, `dry_run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BisyncSpec {
    /// The local folder (absolute).
    pub local: PathBuf,
    /// The remote's name.
    pub remote: String,
    /// The folder below the remote's mountpoint, as the user typed it.
    pub path: String,
    /// How it runs.
    #[serde(default)]
    pub options: TaskOptions,
}

impl BisyncSpec {
    /// The local side as a task location.
    pub fn local_location(&self) -> Location {
        Location::Local { path: self.local.clone() }
    }

    /// The remote side as a task location.
    pub fn remote_location(&self) -> Location {
        Location::Remote { remote: self.remote.clone(), path: self.path.clone() }
    }
}

/// How a two-way sync run ended.
#[derive(Debug)]
pub struct BisyncReport {
    /// Run id (0 for a dry run: nothing is recorded).
    pub run: i64,
    /// How it ended.
    pub outcome: Outcome,
    /// Counters.
    pub counters: Counters,
    /// The actions it took (or would take, for a dry run), bookkeeping left out.
    pub actions: Vec<Action>,
    /// Conflicts whose both versions were kept.
    pub conflicts: Vec<KeptBoth>,
    /// Why it was refused, if it was.
    pub refusal: Option<Refusal>,
    /// What the preflight found (names the other side cannot hold).
    pub problems: Vec<Problem>,
    /// Left out of the run (temporary files, links, unreadable files).
    pub skipped: Vec<Skipped>,
    /// Items kept aside after earlier errors and not tried this run, with
    /// why (see [`super::issues`]; `fjordsync bisync --issues` lists them).
    pub kept_aside: Vec<Skipped>,
    /// Wall time.
    pub duration: Duration,
}

impl BisyncReport {
    /// True when the shell should exit with failure.
    pub fn is_failure(&self) -> bool {
        self.outcome.is_failure()
    }
}

impl Runner {
    /// Runs a two-way sync once. `task` links the run to a named task.
    pub async fn bisync(
        &self,
        spec: &BisyncSpec,
        task: Option<crate::tasks::TaskId>,
        events: EventSink,
        cancel: CancellationToken,
    ) -> Result<BisyncReport> {
        let started = Instant::now();
        let opts = &spec.options;
        let Side::Local(root) = self.resolve(&spec.local_location())? else {
            return Err(BisyncError::NotLocal(spec.local_location().to_string()).into());
        };
        let Side::Remote(session, remote_root) = self.resolve(&spec.remote_location())? else {
            return Err(BisyncError::NotRemote(spec.remote_location().to_string()).into());
        };
        let filter = Filter::new(&opts.filters).map_err(|e| EngineError::Invalid(e.to_string()))?;
        let db = self.db().clone();
        let root_text = root.display().to_string();
        let pair = if opts.dry_run {
            db.find_bisync_pair(&root_text, &spec.remote, &spec.path)?
        } else {
            Some(db.bisync_pair(&root_text, &spec.remote, &spec.path)?)
        };
        // Held to the end of the run (a dry run changes nothing and takes none).
        let _held = match pair {
            Some(p) if !opts.dry_run => {
                let state_dir = db.path().parent().unwrap_or(Path::new("."));
                Some(lock_pair(state_dir, p, (&root_text, &spec.remote_location().to_string()))?)
            }
            _ => None,
        };
        // The storage's one listing starts first: its round trips overlap
        // the database reads and the walk (dropped with the run if it ends early).
        let remote = {
            let (client, remote_root, filter) = (session.client.clone(), remote_root.clone(), filter.clone());
            AbortOnDropHandle::new(tokio::spawn(
                async move { snapshot::remote_side(&client, &remote_root, &filter).await },
            ))
        };
        let base = match pair {
            Some(p) => db.bisync_base(p)?,
            None => Base::new(),
        };
        let run = if opts.dry_run { 0 } else { db.start_run(&NewRun::bisync(spec)?.task(task))? };
        events(TaskEvent::Started {
            run,
            kind: "bisync".into(),
            source: spec.local_location().to_string(),
            destination: spec.remote_location().to_string(),
        });
        let writer = Writer::start(db.clone());
        let cache = load_cache(&db, Some(&root), writer.handle())?;
        // Both sides at once: the walk (and the MD5s of changed files) on a
        // blocking thread, the remote's one streamed listing here.
        let local = {
            let temps = transfer::temp::recorded_under(&db, &root)?;
            let (root, filter, cache, base) = (root.clone(), filter.clone(), cache.clone(), base.clone());
            let (follow, checkers) = (opts.follow_symlinks, opts.checkers);
            tokio::task::spawn_blocking(move || {
                snapshot::local_side(&root, &filter, follow, &temps, &base, &cache, checkers)
            })
        };
        let remote = remote.await.map_err(|e| EngineError::Invalid(format!("storage listing failed: {e}")))?;
        let local = local.await.map_err(|e| EngineError::Invalid(format!("local walk failed: {e}")))?;
        let (local, remote) = match (local, remote) {
            (Ok(l), Ok(r)) => (l, r),
            (Err(e), _) => {
                let _ = writer.finish();
                self.fail_run(run);
                return Err(EngineError::Io { context: format!("reading {}", root.display()), source: e });
            }
            (_, Err(e)) => {
                let _ = writer.finish();
                self.fail_run(run);
                return Err(e.into());
            }
        };
        let LocalSide { snapshot: local, walk, temporary } = local;
        let mut skipped = walk.skipped.clone();
        skipped.extend(temporary);
        // A name the service refuses is this file's problem, not the
        // pair's: it is kept aside (listed until it is renamed) and the
        // rest goes on.
        let refused: Vec<Skipped> = walk
            .refused
            .iter()
            .map(|(path, reason)| Skipped {
                key: path.clone(),
                reason: format!("name refused by the service: {reason}; rename it to sync it"),
            })
            .collect();
        skipped.extend(refused.iter().cloned());
        // What the walk left out (links, unreadable files, `.fjordsyncignore`)
        // is not "deleted here": it is left alone on both sides.
        let mut remote = remote;
        let mut base = base;
        let mut local = local;
        let protected: HashSet<String> =
            skipped.iter().map(|s| &s.key).chain(&walk.ignored_prefixes).map(|k| names::fold(k)).collect();
        if !protected.is_empty() {
            remote.items.retain(|k, _| !is_protected(k, &protected));
            local.items.retain(|k, _| !is_protected(k, &protected));
            base.retain(|k, _| !is_protected(k, &protected));
        }
        let actions = reconcile(&base, &local, &remote, &CopyNamer::now());
        let problems = preflight(&walk, &local.collisions, &remote.collisions);
        let shown: Vec<Action> = actions.iter().filter(|a| !a.is_bookkeeping()).cloned().collect();
        events(TaskEvent::Planned { run, totals: totals(&shown, &local, &remote) });
        let w = writer.handle();
        let mut counters = Counters::default();
        for s in &skipped {
            counters.skipped += 1;
            events(TaskEvent::FileFailed {
                path: user_path(&s.key),
                action: "skip".into(),
                error: s.reason.clone(),
                skipped: true,
            });
            if run != 0 {
                w.send(DbOp::Event(FileEvent {
                    run,
                    path: user_path(&s.key),
                    key: s.key.clone(),
                    action: "skip".into(),
                    result: "skipped".into(),
                    error: Some(s.reason.clone()),
                    ..Default::default()
                }));
            }
        }
        let mut report = BisyncReport {
            run,
            outcome: Outcome::Ok,
            counters: Counters::default(),
            actions: shown,
            conflicts: Vec::new(),
            refusal: None,
            problems,
            skipped,
            kept_aside: Vec::new(),
            duration: Duration::ZERO,
        };
        let refusal = if report.problems.is_empty() {
            let names = (root_text.as_str(), &*spec.remote_location().to_string());
            guard::check(&base, &local, &remote, &actions, opts.max_delete, names).err()
        } else {
            for p in &report.problems {
                events(TaskEvent::Problem { kind: p.kind.into(), path: p.path.clone(), message: p.message.clone() });
                if run != 0 {
                    w.send(DbOp::Event(FileEvent {
                        run,
                        path: p.path.clone(),
                        action: "preflight".into(),
                        result: "failed".into(),
                        error: Some(p.message.clone()),
                        ..Default::default()
                    }));
                }
            }
            Some(plan::refusal(&report.problems))
        };
        // Items that failed before wait for their backoff or a change (a
        // dry run shows them so too); the list keeps what is still pending.
        let asides = match pair {
            Some(p) if refusal.is_none() => db.bisync_asides(p)?,
            _ => HashMap::new(),
        };
        let mut pending: HashSet<String> =
            actions.iter().filter(|a| !a.is_bookkeeping()).map(|a| names::fold(a.key())).collect();
        pending.extend(refused.iter().map(|r| names::fold(&r.key)));
        let (actions, held) = issues::hold_back(actions, &asides, &local, &remote);
        let held_keys: HashSet<&str> = held.iter().map(|h| h.key.as_str()).collect();
        report.actions.retain(|a| !held_keys.contains(a.key()));
        for h in &held {
            counters.skipped += 1;
            events(TaskEvent::FileFailed {
                path: user_path(&h.key),
                action: "kept-aside".into(),
                error: h.reason.clone(),
                skipped: true,
            });
            if run != 0 {
                w.send(DbOp::Event(FileEvent {
                    run,
                    path: user_path(&h.key),
                    key: h.key.clone(),
                    action: "kept-aside".into(),
                    result: "skipped".into(),
                    error: Some(h.reason.clone()),
                    ..Default::default()
                }));
            }
        }
        report.kept_aside = held;
        let outcome = if let Some(r) = refusal {
            report.refusal = Some(r);
            Outcome::Refused
        } else if opts.dry_run {
            for a in &report.actions {
                events(TaskEvent::PlannedFile { action: dry_word(a).into(), path: user_path(a.key()), bytes: 0 });
            }
            Outcome::DryRun
        } else {
            let pair = pair.expect("a run that is not a dry run has its pair");
            // Names the service refuses are listed once, until renamed.
            for r in refused.iter().filter(|r| !asides.contains_key(&names::fold(&r.key))) {
                let failure = issues::Failure {
                    key: &r.key,
                    side: issues::IssueSide::Storage,
                    action: "upload",
                    kind: issues::IssueKind::NameRefused,
                    message: &r.reason,
                    signature: "refused".into(),
                };
                if let Err(e) = db.bisync_issue_failed(pair, &failure) {
                    tracing::warn!("listing {} as kept aside: {e}", r.key);
                }
            }
            let applier = Arc::new(Applier {
                pair,
                run,
                db: db.clone(),
                writer: w.clone(),
                events: events.clone(),
                cancel: cancel.child_token(),
                client: session.client.clone(),
                remote_root: remote_root.clone(),
                safe: SafeRoot::new(&root),
                cache: cache.clone(),
                local,
                remote,
                hard_delete: opts.hard_delete,
                throttle: opts.bwlimit.map(|b| Arc::new(Throttle::new(b))),
                bytes_done: Arc::new(AtomicU64::new(0)),
                stash_dir: self.stash_root().join(format!("run-{run}")),
                counters: Mutex::new(counters.clone()),
                conflicts: Mutex::default(),
                listed: asides.into_keys().collect(),
            });
            applier.apply_all(&actions, opts.transfers.max(1)).await;
            counters = lock(&applier.counters).clone();
            report.conflicts = lock(&applier.conflicts).clone();
            if !cancel.is_cancelled() {
                // Listed items this run had nothing to do for are in step
                // (or gone from both sides): off the list.
                if let Err(e) = db.bisync_issues_keep_only(pair, &pending) {
                    tracing::warn!("tidying the two-way sync's kept-aside list: {e}");
                }
                // Temp files a killed run left here and this run did not resume.
                if let Err(e) = transfer::temp::sweep(&db, &SafeRoot::new(&root)) {
                    tracing::warn!("cleaning up temporary files: {e}");
                }
            }
            outcome_of(&cancel, &counters)
        };
        drop(w);
        writer.finish()?;
        if run != 0 {
            db.finish_run(run, outcome, RunResult::Counters(counters.clone()))?;
        }
        report.outcome = outcome;
        report.counters = counters.clone();
        report.duration = started.elapsed();
        events(TaskEvent::Finished {
            run,
            outcome: outcome.as_str().into(),
            duration_ms: report.duration.as_millis() as u64,
            counters,
        });
        Ok(report)
    }

    fn fail_run(&self, run: i64) {
        if run != 0 {
            let _ = self.db().finish_run(run, Outcome::Failed, RunResult::CountedFromRows);
        }
    }
}

/// True when `key` or a folder above it is in `set` (all folded).
fn is_protected(key: &str, set: &HashSet<String>) -> bool {
    let mut at = key;
    loop {
        if set.contains(at) {
            return true;
        }
        match at.rfind('/') {
            Some(i) => at = &at[..i],
            None => return false,
        }
    }
}

/// What the other side could not hold, found before anything is sent:
/// the walk's case collisions and refused names, and names that fold to
/// the same form on either side (NFC/NFD).
fn preflight(walk: &crate::local::LocalWalk, local: &[(String, String)], remote: &[(String, String)]) -> Vec<Problem> {
    let mut problems = plan::preflight(&walk.collisions, &[], true);
    let known: HashSet<String> = walk.collisions.iter().flat_map(|(a, b)| [names::fold(a), names::fold(b)]).collect();
    for (side, pairs) in [("this computer", local), ("the storage", remote)] {
        for (a, b) in pairs {
            if known.contains(&names::fold(a)) {
                continue;
            }
            let (a, b) = (user_path(a), user_path(b));
            problems.push(Problem {
                kind: "name-collision",
                path: a.clone(),
                message: format!(
                    "name collision on {side}: {a:?} and {b:?} are the same name written differently (case or \
                     accents); the other side would keep only one; rename one of them"
                ),
            });
        }
    }
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    problems
}

fn totals(
    actions: &[Action],
    local: &snapshot::Snapshot<snapshot::LocalFile>,
    remote: &snapshot::Snapshot<snapshot::RemoteFile>,
) -> PlanTotals {
    let mut t = PlanTotals::default();
    for a in actions {
        let f = names::fold(a.key());
        match a {
            Action::Upload(_) => {
                t.files += 1;
                if let Some(snapshot::Item { node: snapshot::Node::File(l), .. }) = local.items.get(&f) {
                    t.bytes += l.size;
                }
                if remote.items.contains_key(&f) { t.updates += 1 } else { t.creates += 1 }
            }
            Action::Download(_) | Action::Conflict { .. } => {
                t.files += 1;
                if let Some(snapshot::Item { node: snapshot::Node::File(r), .. }) = remote.items.get(&f) {
                    t.bytes += r.size;
                }
                if local.items.contains_key(&f) { t.updates += 1 } else { t.creates += 1 }
            }
            Action::DeleteLocal(_) | Action::DeleteRemote(_) | Action::RmdirLocal(_) | Action::RmdirRemote(_) => {
                t.deletes += 1
            }
            Action::MkdirLocal(_) | Action::MkdirRemote(_) => t.mkdirs += 1,
            _ => {}
        }
    }
    t
}

/// How a dry run names an action.
pub fn dry_word(a: &Action) -> &'static str {
    match a {
        Action::Upload(_) => "upload",
        Action::Download(_) => "download",
        Action::DeleteRemote(_) => "delete-remote",
        Action::DeleteLocal(_) => "delete-local",
        Action::MkdirRemote(_) => "mkdir-remote",
        Action::MkdirLocal(_) => "mkdir-local",
        Action::RmdirRemote(_) => "rmdir-remote",
        Action::RmdirLocal(_) => "rmdir-local",
        Action::Agree(_) => "agree",
        Action::Forget(_) => "forget",
        Action::Conflict { .. } => "conflict",
        Action::Skip { .. } => "skip",
        Action::MoveRemote { .. } => "move-remote",
        Action::MoveLocal { .. } => "move-local",
    }
}
