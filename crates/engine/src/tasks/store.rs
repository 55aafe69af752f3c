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
            s.validate_for(new.job.kind())?;
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

    /// Replaces a task's name, job, schedule, schedule start and paused
    /// flag (its id and creation time stay). Refuses a bad or taken name
    /// and a bad schedule, changing nothing.
    pub fn update(&self, task: &Task) -> Result<Task, TaskError> {
        check_name(&task.name)?;
        if let Some(s) = &task.schedule {
            s.validate_for(task.job.kind())?;
        }
        let conn = self.db.conn();
        let taken: Option<String> = conn
            .query_row(
                "SELECT name FROM named_tasks WHERE name = ?1 AND id != ?2",
                params![task.name, task.id.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(StateError::from)?;
        if let Some(existing) = taken {
            return Err(TaskError::Duplicate(existing));
        }
        let n = conn
            .execute(
                "UPDATE named_tasks SET name = ?2, job = ?3, schedule = ?4, schedule_since_ms = ?5, paused = ?6
                 WHERE id = ?1",
                params![
                    task.id.0,
                    task.name,
                    to_json(&task.job)?,
                    task.schedule.as_ref().map(to_json).transpose()?,
                    task.schedule_since_ms,
                    task.paused
                ],
            )
            .map_err(StateError::from)?;
        if n == 0 {
            return Err(TaskError::NotFound(task.id.to_string()));
        }
        drop(conn);
        self.get(&task.id.to_string())
    }

    /// Takes in a task from another list (the app's old `tasks.json`), in
    /// one transaction: it keeps its id when that id is free and above 0
    /// (else gets a new one), gets `name (2)`... when its name is taken, and `runs`
    /// (those not linked to a task yet) are linked to it. Importing the
    /// same task again (same id, name and job) changes nothing, so an
    /// import that stopped half-way can simply run again.
    pub fn import(&self, task: &Task, runs: &[i64]) -> Result<Task, TaskError> {
        check_name(&task.name)?;
        if let Some(s) = &task.schedule {
            s.validate_for(task.job.kind())?;
        }
        let job = to_json(&task.job)?;
        let schedule = task.schedule.as_ref().map(to_json).transpose()?;
        let id = {
            let mut conn = self.db.conn();
            let tx = conn.transaction().map_err(StateError::from)?;
            let same: Option<(String, String)> = tx
                .query_row("SELECT name, job FROM named_tasks WHERE id = ?1", [task.id.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(StateError::from)?;
            let id = match same {
                Some((name, j)) if name == task.name && j == job => task.id.0,
                taken => {
                    let name = free_name(&tx, &task.name)?;
                    let id = (taken.is_none() && task.id.0 > 0).then_some(task.id.0);
                    tx.execute(
                        "INSERT INTO named_tasks (id, name, job, schedule, schedule_since_ms, paused, created_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![id, name, job, schedule, task.schedule_since_ms, task.paused, task.created_ms],
                    )
                    .map_err(StateError::from)?;
                    tx.last_insert_rowid()
                }
            };
            for run in runs {
                tx.execute("UPDATE runs SET named_task = ?2 WHERE id = ?1 AND named_task IS NULL", params![run, id])
                    .map_err(StateError::from)?;
            }
            tx.commit().map_err(StateError::from)?;
            id
        };
        self.get(&id.to_string())
    }

    /// Links a run to a task: for runs a shell records itself, and for an
    /// undo or a retry of one of the task's runs.
    pub fn link_run(&self, run: i64, task: TaskId) -> Result<(), TaskError> {
        self.db
            .conn()
            .execute("UPDATE runs SET named_task = ?2 WHERE id = ?1", params![run, task.0])
            .map_err(StateError::from)?;
        Ok(())
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
        Ok(self.anchor_ms(task)?.and_then(|a| schedule::next_run_ms(s, a, tz)))
    }

    /// Where the task's schedule counts from: its last start, else when
    /// the schedule was set (a schedule set after the last run counts from
    /// then, so a changed schedule never fires at once).
    pub fn anchor_ms(&self, task: &Task) -> Result<Option<i64>, TaskError> {
        let since = task.schedule_since_ms.or(Some(task.created_ms));
        let last = self.last_run(task.id)?.map(|r| r.started_ms);
        Ok(since.max(last))
    }

    /// The tasks whose schedule wants a run at `now_ms`, with the anchor
    /// each was found due from. Paused tasks are left out.
    pub fn due(&self, now_ms: i64, tz: &jiff::tz::TimeZone) -> Result<Vec<(Task, i64)>, TaskError> {
        let mut out = Vec::new();
        for task in self.list()? {
            let (Some(s), false) = (&task.schedule, task.paused) else { continue };
            if let Some(anchor) = self.anchor_ms(&task)?
                && schedule::is_due(s, anchor, now_ms, tz)
            {
                out.push((task, anchor));
            }
        }
        Ok(out)
    }
}

/// `name`, or `name (2)`, `name (3)`... whichever is free.
fn free_name(conn: &rusqlite::Connection, name: &str) -> Result<String, StateError> {
    let taken = |n: &str| -> Result<bool, StateError> {
        Ok(conn.query_row("SELECT 1 FROM named_tasks WHERE name = ?1", [n], |_| Ok(())).optional()?.is_some())
    };
    if !taken(name)? {
        return Ok(name.to_string());
    }
    for i in 2..10_000 {
        let candidate = format!("{} ({i})", name.chars().take(56).collect::<String>());
        if !taken(&candidate)? {
            return Ok(candidate);
        }
    }
    Err(StateError::Corrupt(format!("no free name like {name:?}")))
}
