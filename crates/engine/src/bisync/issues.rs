//! Files kept aside after an error (issue 14: "errors are per file, kept
//! aside with a backoff and listed; the rest goes on"; Maestral's
//! `sync_errors`, Nextcloud's blacklist).
//!
//! When an item fails, a row in `bisync_issues` says what, where, why and
//! when, with the item's state on both sides as it failed (its
//! signature). Later runs leave it alone while that state is unchanged and
//!
//! - for a failure that may pass (the network, the service, a file in use):
//!   until its backoff has passed (1 minute, doubling, at most 1 hour);
//! - for one that cannot pass by waiting (the storage is full, the disk is
//!   full, a name the other side refuses, a path through a link): until
//!   the file changes on either side, or the user asks for a retry.
//!
//! The row goes when the item settles, or when a run finds nothing to do
//! for it (it is in step, or gone from both sides). Rows are written in
//! their own small transaction as each item fails, like the base, so a
//! run stopped anywhere leaves a list that is true.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::apply::ItemError;
use super::base::PairId;
use super::names::fold;
use super::reconcile::Action;
use super::run::BisyncSpec;
use super::snapshot::{Item, LocalFile, Node, RemoteFile, Snapshot};
use crate::error::Result;
use crate::runner::{Runner, Side};
use crate::state::{StateDb, StateError, now_ms};
use crate::transfer::{Fatal, TransferError};
use crate::tree::Skipped;

/// The first wait after a failure that may pass.
pub const FIRST_RETRY: Duration = Duration::from_secs(60);
/// The longest wait between two tries.
pub const MAX_RETRY: Duration = Duration::from_secs(3600);

/// Why an item is kept aside, which decides when it is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueKind {
    /// A failure that may pass (the network, the service, a file in use):
    /// tried again after a backoff.
    Retry,
    /// The cloud storage is full: tried again when the file changes.
    StorageFull,
    /// This computer's disk is full, over quota or read-only: tried again
    /// when the file changes.
    DiskFull,
    /// A name the other side refuses: tried again when it changes.
    NameRefused,
    /// The local path goes through a link or a mount point, where nothing
    /// is ever written: tried again when the file changes.
    Unsafe,
}

impl IssueKind {
    /// The kind of an item's failure; `None` for what is no failure of
    /// the item (it changed meanwhile, the run was cancelled): the next
    /// run simply takes it up.
    pub fn of(e: &ItemError) -> Option<IssueKind> {
        match e {
            ItemError::ChangedMeanwhile => None,
            ItemError::NotALocalName(_) => Some(IssueKind::NameRefused),
            ItemError::CopyExists(_) => Some(IssueKind::Retry),
            ItemError::Transfer(t) => match t {
                TransferError::Changed | TransferError::Cancelled => None,
                TransferError::UnsafePath(_) => Some(IssueKind::Unsafe),
                TransferError::Api(a) | TransferError::Cut(a) => Some(match (Fatal::of_api(a), a) {
                    (Some(Fatal::StorageFull), _) => IssueKind::StorageFull,
                    (Some(_), _) => IssueKind::DiskFull,
                    (None, fjordsync_jottacloud::Error::InvalidName { .. }) => IssueKind::NameRefused,
                    (None, _) => IssueKind::Retry,
                }),
                TransferError::Io(io) => Some(match Fatal::of_io(io) {
                    Some(Fatal::StorageFull) => IssueKind::StorageFull,
                    Some(_) => IssueKind::DiskFull,
                    None => IssueKind::Retry,
                }),
                _ => Some(IssueKind::Retry),
            },
        }
    }

    /// True when waiting may help (a backoff), false when only a change does.
    pub fn retries(self) -> bool {
        self == IssueKind::Retry
    }

    fn as_str(self) -> &'static str {
        match self {
            IssueKind::Retry => "retry",
            IssueKind::StorageFull => "storage-full",
            IssueKind::DiskFull => "disk-full",
            IssueKind::NameRefused => "name-refused",
            IssueKind::Unsafe => "unsafe",
        }
    }

    fn parse(s: &str) -> std::result::Result<IssueKind, StateError> {
        Ok(match s {
            "retry" => IssueKind::Retry,
            "storage-full" => IssueKind::StorageFull,
            "disk-full" => IssueKind::DiskFull,
            "name-refused" => IssueKind::NameRefused,
            "unsafe" => IssueKind::Unsafe,
            other => return Err(StateError::Corrupt(format!("unknown two-way sync issue kind {other:?}"))),
        })
    }

    /// What the user can do, in their words.
    pub fn hint(self) -> &'static str {
        match self {
            IssueKind::Retry => "tried again by itself after a while",
            IssueKind::StorageFull => {
                "free space in the cloud storage, then change the file or run with --retry-issues"
            }
            IssueKind::DiskFull => "free space on this disk (or make it writable), then run with --retry-issues",
            IssueKind::NameRefused => "rename the file; it is tried again when it changes",
            IssueKind::Unsafe => "the folder goes through a link or a mount point; move the file out of it",
        }
    }
}

/// Which side the failed write was going to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueSide {
    /// This computer's folder.
    Local,
    /// The cloud storage.
    Storage,
    /// Both (a conflict keeps both versions on both sides).
    Both,
}

impl IssueSide {
    /// Where `action` writes.
    pub fn of(action: &Action) -> IssueSide {
        match action {
            Action::Upload(_)
            | Action::DeleteRemote(_)
            | Action::MkdirRemote(_)
            | Action::RmdirRemote(_)
            | Action::MoveRemote { .. } => IssueSide::Storage,
            Action::Conflict { .. } => IssueSide::Both,
            _ => IssueSide::Local,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            IssueSide::Local => "local",
            IssueSide::Storage => "storage",
            IssueSide::Both => "both",
        }
    }

    fn parse(s: &str) -> IssueSide {
        match s {
            "storage" => IssueSide::Storage,
            "both" => IssueSide::Both,
            _ => IssueSide::Local,
        }
    }
}

/// One item kept aside, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The item (remote form).
    pub key: String,
    /// Where the write was going.
    pub side: IssueSide,
    /// What was being done (`upload`, `download`, `delete`, ...).
    pub action: String,
    /// Why, which says when it is tried again.
    pub kind: IssueKind,
    /// The last error, in the user's words.
    pub message: String,
    /// When it first failed (ms since the epoch).
    pub first_ms: i64,
    /// When it last failed.
    pub last_ms: i64,
    /// How many times it failed in a row.
    pub attempts: u32,
    /// When it is tried again (ms); `None`: when the file changes.
    pub next_ms: Option<i64>,
}

/// The wait after the `attempts`-th failure in a row.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    (FIRST_RETRY * 2u32.pow(doublings)).min(MAX_RETRY)
}

/// An item's state on both sides, as listed: a kept-aside item is tried
/// again early when this changes (the file was edited, replaced, renamed).
pub(crate) fn signature(local: Option<&Item<LocalFile>>, remote: Option<&Item<RemoteFile>>) -> String {
    let l = match local.map(|i| &i.node) {
        Some(Node::File(f)) => format!("{}:{}:{}", f.size, f.mtime_ns, f.inode),
        Some(Node::Folder) => "folder".into(),
        None => "-".into(),
    };
    let r = match remote.map(|i| &i.node) {
        Some(Node::File(f)) => format!("{}:{}", f.md5, f.size),
        Some(Node::Folder) => "folder".into(),
        None => "-".into(),
    };
    format!("{l}|{r}")
}

/// What a run needs to know of a kept-aside item.
#[derive(Debug, Clone)]
pub(crate) struct Aside {
    signature: String,
    next_ms: Option<i64>,
    message: String,
    kind: IssueKind,
}

impl Aside {
    /// True while the item is to be left alone: the same state as when it
    /// failed, and its backoff (if it has one) not yet over.
    pub(crate) fn holds(&self, signature: &str, now_ms: i64) -> bool {
        self.signature == signature && self.next_ms.is_none_or(|at| at > now_ms)
    }
}

/// A failure to record.
pub(crate) struct Failure<'a> {
    pub(crate) key: &'a str,
    pub(crate) side: IssueSide,
    pub(crate) action: &'a str,
    pub(crate) kind: IssueKind,
    pub(crate) message: &'a str,
    pub(crate) signature: String,
}

impl StateDb {
    /// A pair's kept-aside items, by path.
    pub fn bisync_issues(&self, pair: PairId) -> std::result::Result<Vec<Issue>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT key, side, action, kind, message, first_ms, last_ms, attempts, next_ms
             FROM bisync_issues WHERE pair = ?1 ORDER BY key",
        )?;
        let rows = st.query_map([pair.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, u32>(7)?,
                r.get::<_, Option<i64>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, side, action, kind, message, first_ms, last_ms, attempts, next_ms) = row?;
            out.push(Issue {
                key,
                side: IssueSide::parse(&side),
                action,
                kind: IssueKind::parse(&kind)?,
                message,
                first_ms,
                last_ms,
                attempts,
                next_ms,
            });
        }
        Ok(out)
    }

    /// Forgets a pair's kept-aside items, so the next run tries them all;
    /// returns how many there were.
    pub fn bisync_clear_issues(&self, pair: PairId) -> std::result::Result<usize, StateError> {
        Ok(self.conn().execute("DELETE FROM bisync_issues WHERE pair = ?1", [pair.0])?)
    }

    /// The kept-aside items by folded key, for a run.
    pub(crate) fn bisync_asides(&self, pair: PairId) -> std::result::Result<HashMap<String, Aside>, StateError> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT folded, signature, next_ms, message, kind FROM bisync_issues WHERE pair = ?1")?;
        let rows = st.query_map([pair.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (folded, signature, next_ms, message, kind) = row?;
            out.insert(folded, Aside { signature, next_ms, message, kind: IssueKind::parse(&kind)? });
        }
        Ok(out)
    }

    /// Records a failure: a new row, or one more attempt with a doubled
    /// backoff. One transaction, so the count is never lost between two.
    pub(crate) fn bisync_issue_failed(&self, pair: PairId, f: &Failure<'_>) -> std::result::Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let folded = fold(f.key);
        let before: Option<u32> = tx
            .query_row(
                "SELECT attempts FROM bisync_issues WHERE pair = ?1 AND folded = ?2",
                params![pair.0, folded],
                |r| r.get(0),
            )
            .optional()?;
        let attempts = before.unwrap_or(0) + 1;
        let now = now_ms();
        let next = f.kind.retries().then(|| now + backoff(attempts).as_millis() as i64);
        tx.execute(
            "INSERT INTO bisync_issues (pair, folded, key, side, action, kind, message, first_ms, last_ms, attempts,
                next_ms, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11)
             ON CONFLICT (pair, folded) DO UPDATE SET key = excluded.key, side = excluded.side,
                action = excluded.action, kind = excluded.kind, message = excluded.message,
                last_ms = excluded.last_ms, attempts = excluded.attempts, next_ms = excluded.next_ms,
                signature = excluded.signature",
            params![
                pair.0,
                folded,
                f.key,
                f.side.as_str(),
                f.action,
                f.kind.as_str(),
                f.message,
                now,
                attempts,
                next,
                f.signature
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The item settled: off the list.
    pub(crate) fn bisync_issue_settled(&self, pair: PairId, key: &str) -> std::result::Result<(), StateError> {
        self.conn().execute("DELETE FROM bisync_issues WHERE pair = ?1 AND folded = ?2", params![pair.0, fold(key)])?;
        Ok(())
    }

    /// Takes off the list every item a whole run found nothing to do for
    /// (in step now, or gone from both sides); `pending` are the folded
    /// keys it had an action for.
    pub(crate) fn bisync_issues_keep_only(
        &self,
        pair: PairId,
        pending: &HashSet<String>,
    ) -> std::result::Result<(), StateError> {
        let listed = self.bisync_asides(pair)?;
        let gone: Vec<&String> = listed.keys().filter(|k| !pending.contains(*k)).collect();
        if gone.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for k in gone {
            tx.execute("DELETE FROM bisync_issues WHERE pair = ?1 AND folded = ?2", params![pair.0, k])?;
        }
        tx.commit()?;
        Ok(())
    }
}

impl Runner {
    /// The files of a two-way sync kept aside after errors, by path (the
    /// app's and the CLI's list); empty for a pair that never ran.
    pub fn bisync_issues(&self, spec: &BisyncSpec) -> Result<Vec<Issue>> {
        match self.bisync_pair_of(spec)? {
            Some(p) => Ok(self.db().bisync_issues(p)?),
            None => Ok(Vec::new()),
        }
    }

    /// Takes every kept-aside file of a two-way sync off the list, so the
    /// next run tries them all at once (after the user made room, say);
    /// returns how many there were.
    pub fn bisync_retry_issues(&self, spec: &BisyncSpec) -> Result<usize> {
        match self.bisync_pair_of(spec)? {
            Some(p) => Ok(self.db().bisync_clear_issues(p)?),
            None => Ok(0),
        }
    }

    /// When the earliest kept-aside file of a two-way sync is due to be
    /// tried again (ms since the epoch), if any is waiting for time rather
    /// than for a change: continuous mode can run then instead of waiting
    /// for the next change or rescan.
    pub fn bisync_next_retry(&self, spec: &BisyncSpec) -> Result<Option<i64>> {
        Ok(self.bisync_issues(spec)?.into_iter().filter_map(|i| i.next_ms).min())
    }

    fn bisync_pair_of(&self, spec: &BisyncSpec) -> Result<Option<PairId>> {
        let Side::Local(root) = self.resolve(&spec.local_location())? else { return Ok(None) };
        Ok(self.db().find_bisync_pair(&root.display().to_string(), &spec.remote, &spec.path)?)
    }
}

/// Splits a run's actions into those it takes and those it holds back:
/// items on the list whose state on both sides is what it was when they
/// failed and whose backoff (if they have one) is not over. Bookkeeping
/// and skips always go through.
pub(crate) fn hold_back(
    actions: Vec<Action>,
    asides: &HashMap<String, Aside>,
    local: &Snapshot<LocalFile>,
    remote: &Snapshot<RemoteFile>,
) -> (Vec<Action>, Vec<Skipped>) {
    if asides.is_empty() {
        return (actions, Vec::new());
    }
    let now = now_ms();
    let (mut take, mut held) = (Vec::with_capacity(actions.len()), Vec::new());
    for a in actions {
        let (folded, sig) = signature_of(a.key(), local, remote);
        match asides.get(&folded) {
            Some(h) if !a.is_bookkeeping() && !matches!(a, Action::Skip { .. }) && h.holds(&sig, now) => {
                let reason = format!("kept aside after an earlier error ({}); {}", h.message, h.kind.hint());
                held.push(Skipped { key: a.key().to_string(), reason });
            }
            _ => take.push(a),
        }
    }
    (take, held)
}

/// An item's folded key, and its signature in this run's listings.
pub(crate) fn signature_of(key: &str, local: &Snapshot<LocalFile>, remote: &Snapshot<RemoteFile>) -> (String, String) {
    let f = fold(key);
    let sig = signature(local.items.get(&f), remote.items.get(&f));
    (f, sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_and_stops_at_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(60));
        assert_eq!(backoff(2), Duration::from_secs(120));
        assert_eq!(backoff(4), Duration::from_secs(480));
        assert_eq!(backoff(7), MAX_RETRY);
        assert_eq!(backoff(u32::MAX), MAX_RETRY);
    }

    #[test]
    fn failures_count_up_and_settling_takes_the_row_off() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.db")).unwrap();
        let pair = db.bisync_pair("/home/a/Docs", "demo", "Docs").unwrap();
        let f = |kind| Failure {
            key: "Sub/Big.bin",
            side: IssueSide::Storage,
            action: "upload",
            kind,
            message: "no room",
            signature: "1:2:3|-".into(),
        };
        db.bisync_issue_failed(pair, &f(IssueKind::Retry)).unwrap();
        db.bisync_issue_failed(pair, &f(IssueKind::Retry)).unwrap();
        let listed = db.bisync_issues(pair).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].attempts, 2);
        let wait = listed[0].next_ms.unwrap() - listed[0].last_ms;
        assert_eq!(wait, backoff(2).as_millis() as i64);
        let aside = &db.bisync_asides(pair).unwrap()["sub/big.bin"];
        assert!(aside.holds("1:2:3|-", listed[0].last_ms), "within its backoff");
        assert!(!aside.holds("1:2:3|-", listed[0].next_ms.unwrap()), "backoff over");
        assert!(!aside.holds("9:2:3|-", listed[0].last_ms), "the file changed");
        // A failure waiting cannot fix has no time to try again.
        db.bisync_issue_failed(pair, &f(IssueKind::StorageFull)).unwrap();
        let aside = &db.bisync_asides(pair).unwrap()["sub/big.bin"];
        assert!(aside.holds("1:2:3|-", i64::MAX));
        db.bisync_issue_settled(pair, "sub/BIG.bin").unwrap();
        assert!(db.bisync_issues(pair).unwrap().is_empty());
        db.bisync_issue_failed(pair, &f(IssueKind::Retry)).unwrap();
        db.bisync_issues_keep_only(pair, &HashSet::new()).unwrap();
        assert!(db.bisync_issues(pair).unwrap().is_empty(), "nothing to do for it any more");
    }
}
