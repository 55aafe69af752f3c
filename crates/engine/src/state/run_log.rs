//! The run log: the one way a run is recorded, whoever runs it (the
//! runner, undo, a backup from the CLI, the app or a schedule).
//!
//! A run is opened with [`StateDb::start_run`] from a [`NewRun`] (kind,
//! sides, spec, parent run, named task) and closed once with
//! [`StateDb::finish_run`], an [`Outcome`] and a [`RunResult`]: transfer
//! counters, counters counted from the file rows (a run that failed before
//! its end), or a backup's own result. Reading the log gives
//! [`RunRecord`]s.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{StateDb, StateError, now_ms};
use crate::events::Counters;
use crate::state::outcome::{Outcome, RunKind};
use crate::task::TaskSpec;
use crate::tasks::TaskId;

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewRun {
    kind: RunKind,
    source: String,
    destination: String,
    spec_json: String,
    parent: Option<i64>,
    task: Option<TaskId>,
}

impl NewRun {
    /// A run of a transfer task (its kind is the spec's).
    pub fn transfer(spec: &TaskSpec) -> Result<NewRun, StateError> {
        Ok(NewRun {
            kind: spec.kind.into(),
            source: spec.source.to_string(),
            destination: spec.destination.to_string(),
            spec_json: to_json(spec)?,
            parent: None,
            task: None,
        })
    }

    /// A backup run: its spec is the backup job, its sides the folders and
    /// the repository.
    pub fn backup(job: &crate::tasks::Backup) -> Result<NewRun, StateError> {
        let job = crate::tasks::Job::Backup(job.clone());
        Ok(NewRun {
            kind: RunKind::Backup,
            source: job.source_label(),
            destination: job.destination_label(),
            spec_json: to_json(&job)?,
            parent: None,
            task: None,
        })
    }

    /// A two-way sync run: its spec is the [`crate::bisync::BisyncSpec`].
    pub fn bisync(spec: &crate::bisync::BisyncSpec) -> Result<NewRun, StateError> {
        Ok(NewRun {
            kind: RunKind::Bisync,
            source: spec.local_location().to_string(),
            destination: spec.remote_location().to_string(),
            spec_json: to_json(spec)?,
            parent: None,
            task: None,
        })
    }

    /// Recorded as another kind (an undo keeps its original spec).
    pub fn kind(mut self, kind: RunKind) -> NewRun {
        self.kind = kind;
        self
    }

    /// The run this one retries or undoes.
    pub fn parent(mut self, parent: Option<i64>) -> NewRun {
        self.parent = parent;
        self
    }

    /// The named task it runs for.
    pub fn task(mut self, task: Option<TaskId>) -> NewRun {
        self.task = task;
        self
    }
}

/// What a finished run leaves besides its outcome.
#[derive(Debug, Clone)]
pub enum RunResult {
    /// A transfer's (or undo's) counters.
    Counters(Counters),
    /// Counters counted from the run's file rows: for a run that failed
    /// before its end, so the log matches the rows.
    CountedFromRows,
    /// A backup's result (`None`: it failed or was cancelled before a snapshot).
    Backup(Option<BackupResult>),
}

/// What a backup run added, as the log keeps it (its own counters, not a
/// transfer's: files are new, changed or unmodified, bytes are added).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupResult {
    /// The snapshot it saved (full id).
    pub snapshot: String,
    /// Files not in the parent snapshot.
    pub files_new: u64,
    /// Files changed since the parent (read again).
    pub files_changed: u64,
    /// Files the parent vouched for (not read).
    pub files_unmodified: u64,
    /// New data before compression.
    pub bytes_added: u64,
    /// New data as stored (compressed, encrypted): roughly what was uploaded.
    pub bytes_stored: u64,
    /// Files in the snapshot.
    pub total_files: u64,
    /// Bytes in the snapshot's files.
    pub total_bytes: u64,
}

/// One run as the log lists it. Serialised as `fjordsync log --json`
/// prints it (kind and outcome as their lowercase words).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunRecord {
    /// Run id (what `log`, `undo` and `retry` take).
    pub id: i64,
    /// What it did.
    pub kind: RunKind,
    /// Source as typed (for a backup: its folders).
    pub source: String,
    /// Destination as typed (for a backup: its repository).
    pub destination: String,
    /// Unix milliseconds.
    pub started_ms: i64,
    /// Unix milliseconds; `None` while running (or after a crash).
    pub ended_ms: Option<i64>,
    /// How it ended.
    pub outcome: Outcome,
    /// Counters at the end (zero for a backup: see `backup`).
    pub counters: Counters,
    /// A backup run's result, when it saved a snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupResult>,
    /// The run this one retried or undid, if any.
    pub parent: Option<i64>,
    /// The named task it ran for, if any (its name today).
    pub task: Option<String>,
    /// The full task spec (JSON), so a run can be repeated.
    #[serde(skip)]
    pub spec_json: String,
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StateError> {
    serde_json::to_string(v).map_err(|e| StateError::Corrupt(e.to_string()))
}

impl StateDb {
    /// Records (or finds) the spec's row in `tasks` and opens a run row,
    /// `running`, owned by this process.
    pub fn start_run(&self, new: &NewRun) -> Result<i64, StateError> {
        let conn = self.conn();
        let task: Option<i64> =
            conn.query_row("SELECT id FROM tasks WHERE spec = ?1", [&new.spec_json], |r| r.get(0)).optional()?;
        let task = match task {
            Some(t) => t,
            None => {
                conn.execute("INSERT INTO tasks (spec, created_ms) VALUES (?1, ?2)", params![new.spec_json, now_ms()])?;
                conn.last_insert_rowid()
            }
        };
        conn.execute(
            "INSERT INTO runs (task, kind, source, destination, spec, started_ms, outcome, parent, pid, named_task)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                task,
                new.kind,
                new.source,
                new.destination,
                new.spec_json,
                now_ms(),
                Outcome::Running,
                new.parent,
                std::process::id(),
                new.task.map(|t| t.0)
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// Closes a run with its outcome and result, in one transaction.
    pub fn finish_run(&self, run: i64, outcome: Outcome, result: RunResult) -> Result<(), StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let counters = match &result {
            RunResult::Counters(c) => c.clone(),
            RunResult::CountedFromRows => counters_from_rows(&tx, run)?,
            RunResult::Backup(_) => Counters::default(),
        };
        tx.execute(
            "UPDATE runs SET ended_ms = ?2, outcome = ?3, counters = ?4 WHERE id = ?1",
            params![run, now_ms(), outcome, to_json(&counters)?],
        )?;
        if let RunResult::Backup(Some(b)) = &result {
            tx.execute(
                "INSERT OR REPLACE INTO backup_runs (run, snapshot, files_new, files_changed, files_unmodified,
                    bytes_added, bytes_stored, total_files, total_bytes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run,
                    b.snapshot,
                    b.files_new as i64,
                    b.files_changed as i64,
                    b.files_unmodified as i64,
                    b.bytes_added as i64,
                    b.bytes_stored as i64,
                    b.total_files as i64,
                    b.total_bytes as i64
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The most recent runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError> {
        self.runs_of(limit, None)
    }

    /// The most recent runs of one named task (all runs for `None`), newest first.
    pub fn runs_of(&self, limit: usize, task: Option<TaskId>) -> Result<Vec<RunRecord>, StateError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM {RUN_TABLES}
             WHERE ?2 IS NULL OR runs.named_task = ?2 ORDER BY runs.id DESC LIMIT ?1"
        ))?;
        let rows = st.query_map(params![limit as i64, task.map(|t| t.0)], run_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// One run.
    pub fn run(&self, id: i64) -> Result<Option<RunRecord>, StateError> {
        let conn = self.conn();
        Ok(conn
            .query_row(&format!("SELECT {RUN_COLUMNS} FROM {RUN_TABLES} WHERE runs.id = ?1"), [id], run_from_row)
            .optional()?)
    }

    /// Deletes finished runs that started before `before_ms` (Unix ms) with
    /// their file events (and backup results, by cascade), in one
    /// transaction; returns how many runs went. Runs still marked `running`
    /// are kept. (Log retention.)
    pub fn prune_runs_before(&self, before_ms: i64) -> Result<usize, StateError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let old = "SELECT id FROM runs WHERE started_ms < ?1 AND outcome != 'running'";
        tx.execute(&format!("DELETE FROM file_events WHERE run IN ({old})"), [before_ms])?;
        let n = tx.execute(&format!("DELETE FROM runs WHERE id IN ({old})"), [before_ms])?;
        tx.commit()?;
        Ok(n)
    }
}

/// A run still marked `running` whose process is gone was killed (crash,
/// `kill -9`, power loss): it becomes `interrupted` so the log tells the
/// truth, with counters counted from the file rows it recorded (its own
/// counters are written only at the end). Runs marked `interrupted` before
/// counters were counted get them too.
pub(super) fn mark_interrupted(conn: &Connection) -> Result<(), StateError> {
    let mut st = conn.prepare(
        "SELECT id, pid, outcome FROM runs WHERE outcome = 'running' OR (outcome = 'interrupted' AND counters IS NULL)",
    )?;
    let rows: Vec<(i64, Option<i64>, Outcome)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
    for (id, pid, outcome) in rows {
        if outcome == Outcome::Interrupted || pid.is_some_and(|p| !u32::try_from(p).is_ok_and(crate::process::alive)) {
            let counters = to_json(&counters_from_rows(conn, id)?)?;
            conn.execute(
                "UPDATE runs SET outcome = ?3, counters = ?2 WHERE id = ?1",
                params![id, counters, Outcome::Interrupted],
            )?;
        }
    }
    Ok(())
}

/// A run's counters as its file rows tell them. What rows do not record
/// (unchanged files, deduplicated uploads, resumed bytes) stays 0.
fn counters_from_rows(conn: &Connection, run: i64) -> Result<Counters, StateError> {
    let mut c = Counters::default();
    let mut st = conn.prepare_cached(
        "SELECT action, result, count(*), coalesce(sum(bytes), 0) FROM file_events WHERE run = ?1
         GROUP BY action, result",
    )?;
    let rows = st.query_map([run], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64))
    })?;
    for row in rows {
        let (action, result, n, bytes) = row?;
        match (result.as_str(), action.as_str()) {
            // `check` records its differences as failed rows of their kind.
            (_, "missing-on-dst") => c.missing_on_dst += n,
            (_, "extra-on-dst") => c.extra_on_dst += n,
            (_, "different") => c.different += n,
            ("failed", _) => c.failed += n,
            ("skipped", _) => c.skipped += n,
            ("completed", action) => {
                c.bytes += bytes;
                match action {
                    "upload" => c.uploaded += n,
                    "download" => c.downloaded += n,
                    "copy" => c.copied += n,
                    "update" => c.updated += n,
                    "retime" => c.retimed += n,
                    "delete" => c.deleted += n,
                    "mkdir" => c.mkdirs += n,
                    "delete-source" => c.moved += n,
                    a if a.starts_with("undo-") => c.updated += n,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

/// Where [`RUN_COLUMNS`] come from: a run, its named task, its backup result.
const RUN_TABLES: &str = "runs LEFT JOIN named_tasks n ON n.id = runs.named_task
    LEFT JOIN backup_runs b ON b.run = runs.id";

/// What [`run_from_row`] reads.
const RUN_COLUMNS: &str = "runs.id, runs.kind, runs.source, runs.destination, runs.started_ms, runs.ended_ms,
    runs.outcome, runs.counters, runs.parent, runs.spec, n.name,
    b.snapshot, b.files_new, b.files_changed, b.files_unmodified, b.bytes_added, b.bytes_stored,
    b.total_files, b.total_bytes";

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let counters: Option<String> = r.get(7)?;
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
    let backup = match r.get::<_, Option<String>>(11)? {
        Some(snapshot) => Some(BackupResult {
            snapshot,
            files_new: n(12)?,
            files_changed: n(13)?,
            files_unmodified: n(14)?,
            bytes_added: n(15)?,
            bytes_stored: n(16)?,
            total_files: n(17)?,
            total_bytes: n(18)?,
        }),
        None => None,
    };
    Ok(RunRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        source: r.get(2)?,
        destination: r.get(3)?,
        started_ms: r.get(4)?,
        ended_ms: r.get(5)?,
        outcome: r.get(6)?,
        counters: counters.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
        backup,
        parent: r.get(8)?,
        spec_json: r.get(9)?,
        task: r.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::schema::MIGRATIONS;

    /// A database from before backup results (and before enums) opens:
    /// every run it holds reads back with its kind and outcome, including
    /// the app's old `crashed`, and new backup results can be added.
    #[test]
    fn an_old_database_lists_its_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            let before = &MIGRATIONS[..MIGRATIONS.len() - 1];
            rusqlite_migration::Migrations::from_slice(before).to_latest(&mut conn).unwrap();
            conn.execute("INSERT INTO tasks (id, spec, created_ms) VALUES (1, '{}', 5)", []).unwrap();
            for (id, kind, outcome) in [
                (1, "sync", "ok"),
                (2, "undo", "failed"),
                (3, "backup", "ok"),
                (4, "copy", "crashed"),
                (5, "check", "differences"),
            ] {
                conn.execute(
                    "INSERT INTO runs (id, task, kind, source, destination, spec, started_ms, ended_ms, outcome, counters)
                     VALUES (?1, 1, ?2, '/a', 'demo:x', '{}', 10, 20, ?3, '{\"uploaded\":3}')",
                    params![id, kind, outcome],
                )
                .unwrap();
            }
        }
        let db = StateDb::open(&path).unwrap();
        let runs = db.runs(10).unwrap();
        let got: Vec<_> = runs.iter().map(|r| (r.id, r.kind, r.outcome, r.counters.uploaded)).collect();
        assert_eq!(
            got,
            vec![
                (5, RunKind::Check, Outcome::Differences, 3),
                (4, RunKind::Copy, Outcome::Interrupted, 3),
                (3, RunKind::Backup, Outcome::Ok, 3),
                (2, RunKind::Undo, Outcome::Failed, 3),
                (1, RunKind::Sync, Outcome::Ok, 3),
            ]
        );
        // The JSON the shells print keeps its words; no `backup` key for old rows.
        let v = serde_json::to_value(&runs[2]).unwrap();
        assert_eq!((v["kind"].as_str(), v["outcome"].as_str(), v.get("backup")), (Some("backup"), Some("ok"), None));
        // A new backup run on the migrated database.
        let job = crate::tasks::Backup {
            folders: vec!["/a".into()],
            repository: crate::task::Location::Local { path: "/r".into() },
            filters: Default::default(),
            retention: Default::default(),
            remember_password: false,
            password_file: None,
        };
        let run = db.start_run(&NewRun::backup(&job).unwrap()).unwrap();
        let result = BackupResult { snapshot: "ab".repeat(32), files_new: 4, bytes_added: 9, ..Default::default() };
        db.finish_run(run, Outcome::Ok, RunResult::Backup(Some(result.clone()))).unwrap();
        assert_eq!(db.run(run).unwrap().unwrap().backup, Some(result));
        // Log retention takes a backup result with its run.
        assert_eq!(db.prune_runs_before(i64::MAX).unwrap(), 6);
        let left: i64 = db.conn().query_row("SELECT count(*) FROM backup_runs", [], |r| r.get(0)).unwrap();
        assert_eq!(left, 0);
    }
}
