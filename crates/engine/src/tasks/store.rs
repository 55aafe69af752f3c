//! Named tasks in the state database: one row each in `named_tasks`, the
//! job as JSON. Runs point at their task through `runs.named_task`.

use rusqlite::{OptionalExtension, params};

use super::error::TaskError;
use super::model::{Job, NewTask, Task, TaskId, check_name};
use super::schedule::{self, Schedule};
use crate::state::{RunRecord, StateDb, StateError};

/// The named tasks of one state database (see [`StateDb::tasks`]).
pub struct TaskStore<'a> {
    db: &'a StateDb,
}

impl StateDb {
    /// The named tasks kept in this database.
    pub fn tasks(&self) -> TaskStore<'_> {
        TaskStore { db: self }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StateError> {
    serde_json::to_string(v).map_err(|e| StateError::Corrupt(e.to_string()))
}

const COLUMNS: &str = "id, name, job, schedule, schedule_since_ms, paused, created_ms";

fn task_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Task, StateError>> {
    let (job, schedule): (String, Option<String>) = (r.get(2)?, r.get(3)?);
    let id: i64 = r.get(0)?;
    let corrupt = |e: serde_json::Error| StateError::Corrupt(format!("task {id}: {e}"));
    let job = match serde_json::from_str::<Job>(&job) {
        Ok(j) => j,
        Err(e) => return Ok(Err(corrupt(e))),
    };
    let schedule = match schedule.map(|s| serde_json::from_str::<Schedule>(&s)).transpose() {
        Ok(s) => s,
        Err(e) => return Ok(Err(corrupt(e))),
    };
    Ok(Ok(Task {
        id: TaskId(id),
        name: r.get(1)?,
        job,
        schedule,
        schedule_since_ms: r.get(4)?,
        paused: r.get(5)?,
        created_ms: r.get(6)?,
    }))
}

impl TaskStore<'_> {
    /// Adds a task. Refuses a bad name, a name already used (ignoring
    /// case) and a bad schedule, changing nothing.
    pub fn add(&self, new: NewTask) -> Result<Task, TaskError> {
        check_name(&new.name)?;
        if let Some(s) = &new.schedule {
            s.validate()?;
        }
        let conn = self.db.conn();
        let taken: Option<String> = conn
            .query_row("SELECT name FROM named_tasks WHERE name = ?1", [&new.name], |r| r.get(0))
            .optional()
            .map_err(StateError::from)?;
        if let Some(existing) = taken {
            return Err(TaskError::Duplicate(existing));
        }
        let created = now_ms();
        let since = new.schedule.as_ref().map(|_| created);
        conn.execute(
            "INSERT INTO named_tasks (name, job, schedule, schedule_since_ms, paused, created_ms)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![new.name, to_json(&new.job)?, new.schedule.as_ref().map(to_json).transpose()?, since, created],
        )
        .map_err(StateError::from)?;
        Ok(Task {
            id: TaskId(conn.last_insert_rowid()),
            name: new.name,
            job: new.job,
            schedule: new.schedule,
            schedule_since_ms: since,
            paused: false,
            created_ms: created,
        })
    }

    /// Every task, by name.
    pub fn list(&self) -> Result<Vec<Task>, TaskError> {
        let conn = self.db.conn();
        let mut st = conn
            .prepare(&format!("SELECT {COLUMNS} FROM named_tasks ORDER BY name COLLATE NOCASE"))
            .map_err(StateError::from)?;
        let rows = st.query_map([], task_from_row).map_err(StateError::from)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(StateError::from)??);
        }
        Ok(out)
    }

    /// A task by its name (ignoring case) or, for a number, its id.
    pub fn get(&self, name_or_id: &str) -> Result<Task, TaskError> {
        let conn = self.db.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM named_tasks WHERE name = ?1 OR (?2 IS NOT NULL AND id = ?2)
             ORDER BY name = ?1 DESC LIMIT 1"
        );
        let id = name_or_id.parse::<i64>().ok();
        let found =
            conn.query_row(&sql, params![name_or_id, id], task_from_row).optional().map_err(StateError::from)?;
        match found {
            Some(t) => Ok(t?),
            None => Err(TaskError::NotFound(name_or_id.to_string())),
        }
    }

    /// Removes a task. Its runs stay in the log, without a task.
    pub fn remove(&self, name_or_id: &str) -> Result<Task, TaskError> {
        let task = self.get(name_or_id)?;
        self.db.conn().execute("DELETE FROM named_tasks WHERE id = ?1", [task.id.0]).map_err(StateError::from)?;
        Ok(task)
    }

    /// Pauses (`true`) or resumes a task's schedule.
    pub fn set_paused(&self, name_or_id: &str, paused: bool) -> Result<Task, TaskError> {
        let mut task = self.get(name_or_id)?;
        self.db
            .conn()
            .execute("UPDATE named_tasks SET paused = ?2 WHERE id = ?1", params![task.id.0, paused])
            .map_err(StateError::from)?;
        task.paused = paused;
        Ok(task)
    }

    /// The task's newest run, if it ran.
    pub fn last_run(&self, task: TaskId) -> Result<Option<RunRecord>, TaskError> {
        Ok(self.db.runs_of(1, Some(task))?.into_iter().next())
    }

    /// When the schedule next wants the task (Unix ms), counted from its
    /// last start or, before any, from when the schedule was set. `None`
    /// without a schedule; paused tasks still have one (shown, not run).
    pub fn next_due_ms(&self, task: &Task, tz: &jiff::tz::TimeZone) -> Result<Option<i64>, TaskError> {
        let Some(s) = &task.schedule else { return Ok(None) };
        let anchor = match self.last_run(task.id)? {
            Some(run) => Some(run.started_ms),
            None => task.schedule_since_ms.or(Some(task.created_ms)),
        };
        Ok(anchor.and_then(|a| schedule::next_run_ms(s, a, tz)))
    }
}
