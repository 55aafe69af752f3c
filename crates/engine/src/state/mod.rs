//! The state database: one SQLite file (WAL) holding tasks, runs, per-file
//! events, the local hash cache and resumable uploads.
//!
//! Every write that happens per file goes through [`crate::state::Writer`] so
//! that thousands of events cost a handful of transactions, not one each.

mod outcome;
mod run_log;
pub(crate) mod schema;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

pub use outcome::{Outcome, RunKind, UnknownWord};
pub use run_log::{BackupResult, NewRun, RunRecord, RunResult};
pub use writer::{DbOp, Writer, WriterHandle};

use crate::lock::lock;

/// A state database failure.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// SQLite refused an operation.
    #[error("state database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("state database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A stored value could not be read back.
    #[error("state database: {0}")]
    Corrupt(String),
    /// The folder for the database, or the lock file beside it, could not be created.
    #[error("creating {path}: {source}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where the state database lives: `FJORDSYNC_STATE_DB`, or `state.db` in the
/// configuration directory.
pub fn default_path(config_dir: &Path) -> PathBuf {
    match std::env::var_os("FJORDSYNC_STATE_DB") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => config_dir.join("state.db"),
    }
}

/// The open database. Cheap to share behind an `Arc`; calls are short and
/// serialised by a mutex (SQLite connections are not `Sync`).
pub struct StateDb {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// A download's temporary file as recorded: what it will become and which
/// remote content its bytes are from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadTemp {
    /// The temporary file (see `local::path_key`).
    pub temp_path: String,
    /// The file it is renamed to when complete.
    pub target_path: String,
    /// The remote file's MD5 when the temporary file was started.
    pub md5: String,
    /// The remote file's size then.
    pub size: u64,
    /// The run that wrote it.
    pub run: i64,
}

/// One per-file event. `Default` leaves the undo fields empty, for rows
/// that record a decision rather than a transfer.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FileEvent {
    /// Run id.
    pub run: i64,
    /// Relative path as the user sees it.
    pub path: String,
    /// Relative path in remote form (the plan's key).
    pub key: String,
    /// What was done: `upload`, `update`, `retime`, `download`, `delete`, `mkdir`, `rmdir`, `copy`, `delete-source`, `skip`, ...
    pub action: String,
    /// Bytes moved (0 for dedup, retime, delete).
    pub bytes: u64,
    /// `completed`, `skipped` or `failed`.
    pub result: String,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// Where the change happened: a remote path (`Jotta/Archive/a`) or a local path.
    pub target: String,
    /// MD5 of what the destination held before (for undo of overwrites).
    pub prev_md5: Option<String>,
    /// Size of what the destination held before.
    pub prev_size: Option<u64>,
    /// Modification time (Unix seconds) of what the destination held before.
    pub prev_mtime: Option<i64>,
    /// MD5 of what the run wrote.
    pub new_md5: Option<String>,
    /// True when the old content went to a trash (remote trash, or the local stash).
    pub trashed: bool,
    /// Where a local file was stashed instead of being deleted.
    pub stash: Option<String>,
    /// A two-way run's side of the change (`None` for one-way runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<EventSide>,
}

/// The side of a two-way sync a file event changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventSide {
    /// The local folder.
    Local,
    /// The storage folder.
    Remote,
}

impl EventSide {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            EventSide::Local => "local",
            EventSide::Remote => "remote",
        }
    }

    fn parse(s: Option<String>) -> Option<EventSide> {
        match s.as_deref() {
            Some("local") => Some(EventSide::Local),
            Some("remote") => Some(EventSide::Remote),
            _ => None,
        }
    }
}

/// A filter for [`StateDb::events`].
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only this result (`completed`, `skipped`, `failed`).
    pub result: Option<String>,
    /// Only paths containing this text (case-insensitive).
    pub grep: Option<String>,
}

/// A cached local hash: valid while path, size, mtime and inode are unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedHash {
    /// Size when hashed.
    pub size: u64,
    /// Modification time (ns since the epoch) when hashed.
    pub mtime_ns: i64,
    /// Inode / file id when hashed.
    pub inode: u64,
    /// Lower-case hex MD5.
    pub md5: String,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl StateDb {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<StateDb, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StateError::Io { path: dir.to_path_buf(), source })?;
        }
        let mut conn = Connection::open(path)?;
        {
            let _migrating = migration_lock(path)?;
            schema::prepare(&mut conn)?;
        }
        run_log::mark_interrupted(&conn)?;
        Ok(StateDb { conn: Mutex::new(conn), path: path.to_path_buf() })
    }

    /// The file this database lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// A run's per-file events, in the order they happened.
    pub fn events(&self, run: i64, filter: &EventFilter) -> Result<Vec<FileEvent>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT run, path, key, action, bytes, result, error, target, prev_md5, prev_size, prev_mtime,
                    new_md5, trashed, stash, side
             FROM file_events
             WHERE run = ?1 AND (?2 IS NULL OR result = ?2) AND (?3 IS NULL OR instr(lower(path), lower(?3)) > 0)
             ORDER BY id",
        )?;
        let rows = st.query_map(params![run, filter.result, filter.grep], |r| {
            Ok(FileEvent {
                run: r.get(0)?,
                path: r.get(1)?,
                key: r.get(2)?,
                action: r.get(3)?,
                bytes: r.get::<_, i64>(4)? as u64,
                result: r.get(5)?,
                error: r.get(6)?,
                target: r.get(7)?,
                prev_md5: r.get(8)?,
                prev_size: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
                prev_mtime: r.get(10)?,
                new_md5: r.get(11)?,
                trashed: r.get(12)?,
                stash: r.get(13)?,
                side: EventSide::parse(r.get(14)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// All cached hashes for files below `prefix` (an absolute local folder),
    /// loaded at once so that planning 100k files costs one query.
    pub fn hashes_under(&self, prefix: &str) -> Result<HashMap<String, CachedHash>, StateError> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT path, size, mtime_ns, inode, md5 FROM hash_cache WHERE path >= ?1 AND path < ?2")?;
        let upper = format!("{prefix}\u{10FFFF}");
        let rows = st.query_map(params![prefix, upper], |r| {
            Ok((
                r.get::<_, String>(0)?,
                CachedHash {
                    size: r.get::<_, i64>(1)? as u64,
                    mtime_ns: r.get(2)?,
                    inode: r.get::<_, i64>(3)? as u64,
                    md5: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
    }

    /// An upload left unfinished by an earlier run (crash or cancel) for this remote path.
    pub fn pending_upload(&self, remote_path: &str) -> Result<Option<(String, u64, i64)>, StateError> {
        let conn = self.conn();
        Ok(conn
            .query_row("SELECT md5, size, mtime FROM uploads WHERE remote_path = ?1", [remote_path], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get(2)?))
            })
            .optional()?)
    }

    /// Remembers an upload before its bytes are sent, so that a crash leaves a
    /// trace the next run can resume from.
    pub fn begin_upload(
        &self,
        remote_path: &str,
        local: &str,
        md5: &str,
        size: u64,
        mtime: i64,
    ) -> Result<(), StateError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO uploads (remote_path, local_path, md5, size, mtime, started_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![remote_path, local, md5, size as i64, mtime, now_ms()],
        )?;
        Ok(())
    }

    /// Forgets a finished (or abandoned) upload.
    pub fn end_upload(&self, remote_path: &str) -> Result<(), StateError> {
        self.conn().execute("DELETE FROM uploads WHERE remote_path = ?1", [remote_path])?;
        Ok(())
    }

    /// Uploads still recorded as in progress (remote path, size).
    pub fn pending_uploads(&self) -> Result<Vec<(String, u64)>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT remote_path, size FROM uploads ORDER BY remote_path")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records a download's temporary file before anything is written to it.
    pub fn begin_download_temp(&self, t: &DownloadTemp) -> Result<(), StateError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO download_temps (temp_path, target_path, md5, size, run, started_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t.temp_path, t.target_path, t.md5, t.size as i64, t.run, now_ms()],
        )?;
        Ok(())
    }

    /// Forgets a temporary file (renamed into place, or removed).
    pub fn end_download_temp(&self, temp_path: &str) -> Result<(), StateError> {
        self.conn().execute("DELETE FROM download_temps WHERE temp_path = ?1", [temp_path])?;
        Ok(())
    }

    /// The temporary files recorded for one target (normally at most one).
    pub fn download_temps_for(&self, target_path: &str) -> Result<Vec<DownloadTemp>, StateError> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT temp_path, target_path, md5, size, run FROM download_temps WHERE target_path = ?1")?;
        let rows = st.query_map([target_path], download_temp_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The temporary files recorded below a folder (`prefix` ends with a separator).
    pub fn download_temps_under(&self, prefix: &str) -> Result<Vec<DownloadTemp>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT temp_path, target_path, md5, size, run FROM download_temps
             WHERE temp_path >= ?1 AND temp_path < ?2 ORDER BY temp_path",
        )?;
        let upper = format!("{prefix}\u{10FFFF}");
        let rows = st.query_map(params![prefix, upper], download_temp_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Whether a run is still going in a live process (its temporary files
    /// are then not ours to remove).
    pub fn run_is_live(&self, run: i64) -> Result<bool, StateError> {
        let conn = self.conn();
        let row: Option<(String, Option<i64>)> = conn
            .query_row("SELECT outcome, pid FROM runs WHERE id = ?1", [run], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(
            matches!(row, Some((outcome, pid)) if outcome == "running" && pid.is_some_and(|p| u32::try_from(p).is_ok_and(crate::process::alive))),
        )
    }

    /// Writes a batch of operations in one transaction.
    pub fn apply(&self, ops: &[DbOp]) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut ev = tx.prepare_cached(
                "INSERT INTO file_events (run, path, key, action, bytes, result, error, target, prev_md5, prev_size,
                    prev_mtime, new_md5, trashed, stash, at_ms, side)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?;
            let mut hc = tx.prepare_cached(
                "INSERT OR REPLACE INTO hash_cache (path, size, mtime_ns, inode, md5) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let at = now_ms();
            for op in ops {
                match op {
                    DbOp::Event(e) => {
                        ev.execute(params![
                            e.run,
                            e.path,
                            e.key,
                            e.action,
                            e.bytes as i64,
                            e.result,
                            e.error,
                            e.target,
                            e.prev_md5,
                            e.prev_size.map(|v| v as i64),
                            e.prev_mtime,
                            e.new_md5,
                            e.trashed,
                            e.stash,
                            at,
                            e.side.map(EventSide::as_str)
                        ])?;
                    }
                    DbOp::Hash { path, hash } => {
                        hc.execute(params![path, hash.size as i64, hash.mtime_ns, hash.inode as i64, hash.md5])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }
}

fn download_temp_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DownloadTemp> {
    Ok(DownloadTemp {
        temp_path: r.get(0)?,
        target_path: r.get(1)?,
        md5: r.get(2)?,
        size: r.get::<_, i64>(3)? as u64,
        run: r.get(4)?,
    })
}

/// Two processes opening a new (or older) database at the same moment would
/// both read its old schema version and both run the same migration; the
/// second then fails with "table ... already exists" (the app or daemon
/// starting while `fjordsync task add` runs). Migrations therefore run under
/// an OS lock on `<database>-lock` beside it: the second process waits, then
/// finds the schema up to date. A killed holder releases the lock.
fn migration_lock(db: &Path) -> Result<std::fs::File, StateError> {
    let mut name = db.as_os_str().to_owned();
    name.push("-lock");
    let path = PathBuf::from(name);
    let io = |source| StateError::Io { path: path.clone(), source };
    let file = crate::tasks::lock::open_no_follow(&path).map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Location, TaskKind, TaskOptions, TaskSpec};

    fn start(db: &StateDb, spec: &TaskSpec, parent: Option<i64>) -> i64 {
        db.start_run(&NewRun::transfer(spec).unwrap().parent(parent)).unwrap()
    }

    /// Several programs opening a new database at the same moment all get
    /// it, migrated once (without the migration lock some failed with
    /// "table tasks already exists").
    #[test]
    fn a_new_database_opened_at_once_by_many_is_migrated_once() {
        for round in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("state.db");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
            let openers: Vec<_> = (0..8)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        StateDb::open(&path).map(|_| ()).map_err(|e| e.to_string())
                    })
                })
                .collect();
            for o in openers {
                assert_eq!(o.join().unwrap(), Ok(()), "round {round}");
            }
        }
    }

    #[test]
    fn runs_events_and_hashes_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.db")).unwrap();
        let spec = TaskSpec {
            kind: TaskKind::Sync,
            source: Location::Local { path: "/tmp/a".into() },
            destination: Location::Remote { remote: "demo".into(), path: "x".into() },
            options: TaskOptions::default(),
        };
        let run = start(&db, &spec, None);
        let ev = FileEvent {
            run,
            path: "a b.txt".into(),
            key: "a b.txt".into(),
            action: "upload".into(),
            bytes: 3,
            result: "completed".into(),
            error: None,
            target: "Jotta/Archive/x/a b.txt".into(),
            prev_md5: None,
            prev_size: None,
            prev_mtime: None,
            new_md5: Some("abc".into()),
            trashed: false,
            stash: None,
            side: Some(EventSide::Remote),
        };
        let hash = CachedHash { size: 3, mtime_ns: 5, inode: 7, md5: "abc".into() };
        db.apply(&[DbOp::Event(ev.clone()), DbOp::Hash { path: "/tmp/a/a b.txt".into(), hash: hash.clone() }]).unwrap();
        db.finish_run(run, Outcome::Ok, RunResult::Counters(Default::default())).unwrap();
        assert_eq!(db.events(run, &EventFilter::default()).unwrap(), vec![ev]);
        let f = EventFilter { grep: Some("B.TXT".into()), ..Default::default() };
        assert_eq!(db.events(run, &f).unwrap().len(), 1);
        let f = EventFilter { result: Some("failed".into()), ..Default::default() };
        assert!(db.events(run, &f).unwrap().is_empty());
        assert_eq!(db.hashes_under("/tmp/a/").unwrap().get("/tmp/a/a b.txt"), Some(&hash));
        assert!(db.hashes_under("/tmp/b/").unwrap().is_empty());
        let r = db.run(run).unwrap().unwrap();
        assert_eq!(r.outcome, "ok");
        // Same spec: same task row.
        let run2 = start(&db, &spec, Some(run));
        assert_eq!(db.runs(10).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![run2, run]);
    }

    /// A run killed after it recorded files (its process is gone) shows
    /// those files in its counters, not zeros.
    #[cfg(unix)]
    #[test]
    fn an_interrupted_run_counts_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let spec = TaskSpec {
            kind: TaskKind::Sync,
            source: Location::Remote { remote: "demo".into(), path: "x".into() },
            destination: Location::Local { path: "/tmp/a".into() },
            options: TaskOptions::default(),
        };
        let run = {
            let db = StateDb::open(&path).unwrap();
            let run = start(&db, &spec, None);
            let row = |key: &str, action: &str, result: &str, bytes: u64| {
                DbOp::Event(FileEvent {
                    run,
                    path: key.into(),
                    key: key.into(),
                    action: action.into(),
                    bytes,
                    result: result.into(),
                    target: format!("/tmp/a/{key}"),
                    ..Default::default()
                })
            };
            db.apply(&[
                row("a", "download", "completed", 10),
                row("b", "download", "completed", 5),
                row("c", "update", "completed", 7),
                row("d", "download", "failed", 0),
                row("e", "skip", "skipped", 0),
                row("f", "delete", "completed", 0),
            ])
            .unwrap();
            // The process that ran it is gone (no such pid).
            db.conn().execute("UPDATE runs SET pid = 2147483647 WHERE id = ?1", [run]).unwrap();
            run
        };
        let db = StateDb::open(&path).unwrap();
        let r = db.run(run).unwrap().unwrap();
        assert_eq!(r.outcome, "interrupted");
        let want = crate::events::Counters {
            downloaded: 2,
            updated: 1,
            deleted: 1,
            failed: 1,
            skipped: 1,
            bytes: 22,
            ..Default::default()
        };
        assert_eq!(r.counters, want);
        // A run that failed before its end is counted the same way.
        let failed = start(&db, &spec, None);
        let ev = FileEvent {
            run: failed,
            action: "download".into(),
            result: "completed".into(),
            bytes: 3,
            ..Default::default()
        };
        db.apply(&[DbOp::Event(ev)]).unwrap();
        db.finish_run(failed, Outcome::Failed, RunResult::CountedFromRows).unwrap();
        let want = crate::events::Counters { downloaded: 1, bytes: 3, ..Default::default() };
        assert_eq!(db.run(failed).unwrap().unwrap().counters, want);
    }

    #[test]
    fn prune_removes_old_finished_runs_and_their_events() {
        let dir = tempfile::tempdir().unwrap();
        let db = StateDb::open(&dir.path().join("s.db")).unwrap();
        let spec = TaskSpec {
            kind: TaskKind::Copy,
            source: Location::Local { path: "/tmp/a".into() },
            destination: Location::Remote { remote: "demo".into(), path: "x".into() },
            options: TaskOptions::default(),
        };
        let old = start(&db, &spec, None);
        let ev = FileEvent {
            run: old,
            path: "a".into(),
            key: "a".into(),
            action: "upload".into(),
            bytes: 1,
            result: "completed".into(),
            error: None,
            target: "t".into(),
            ..Default::default()
        };
        db.apply(&[DbOp::Event(ev)]).unwrap();
        db.finish_run(old, Outcome::Ok, RunResult::Counters(Default::default())).unwrap();
        let running = start(&db, &spec, None);
        db.conn().execute("UPDATE runs SET started_ms = 1000 WHERE id IN (?1, ?2)", [old, running]).unwrap();
        let recent = start(&db, &spec, None);
        db.finish_run(recent, Outcome::Failed, RunResult::Counters(Default::default())).unwrap();
        assert_eq!(db.prune_runs_before(5000).unwrap(), 1);
        assert_eq!(db.runs(10).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), vec![recent, running]);
        assert!(db.events(old, &EventFilter::default()).unwrap().is_empty());
        assert_eq!(db.prune_runs_before(5000).unwrap(), 0);
    }
}
