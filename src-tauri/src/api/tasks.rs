//! Tasks: saved copy / sync / move tasks between a local folder and a
//! storage folder, their plan preview (a dry run), runs with live progress,
//! cancel, the run log with per-file rows, undo and "retry failed only".
//!
//! Task definitions live in `tasks.json` in the app's data folder (written
//! atomically: temp file, fsync, rename). The engine's state database has a
//! `tasks` table, but it is keyed by the full spec and the engine offers no
//! public API to name or list tasks, so the app keeps its own list; runs,
//! file events, undo and retry are the engine's, in its state database.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::state::{EventFilter, StateDb};
use fjordsync_engine::{Location, MaxDelete, RunReport, Runner, TaskKind, TaskOptions, TaskSpec, session};
use tokio_util::sync::CancellationToken;

use super::Api;
use super::dto::{
    AppEvent, FileRowDto, PREVIEW_STEPS, PreviewDto, ProblemDto, RefusalDto, RunDto, StepDto, TaskDto, TaskProgressDto,
};
use crate::error::{AppError, AppResult};

/// Where live progress goes (a Tauri channel, or the bridge's WebSocket).
pub type ProgressSink = Arc<dyn Fn(TaskProgressDto) + Send + Sync>;

/// How many runs the log reads at most.
const RUNS_LIMIT: usize = 500;
/// Files in flight shown with the progress.
const CURRENT_SHOWN: usize = 8;

/// The task list, the state database and the runs in progress.
#[derive(Default)]
pub(crate) struct Tasks {
    /// Serialises read-modify-write of `tasks.json`.
    file: tokio::sync::Mutex<()>,
    db: OnceLock<Arc<StateDb>>,
    running: Mutex<HashMap<String, CancellationToken>>,
}

fn state_err(e: fjordsync_engine::state::StateError) -> AppError {
    AppError::new("state", e.to_string())
}

fn tasks_path(data_dir: &Path) -> PathBuf {
    data_dir.join("tasks.json")
}

fn read_tasks(path: &Path) -> AppResult<Vec<TaskDto>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| AppError::new("config", format!("{} is damaged: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// Temp file in the same folder, fsync, rename: a crash leaves the old or the new list.
fn write_tasks(path: &Path, tasks: &[TaskDto]) -> AppResult<()> {
    use std::io::Write;
    let dir = path.parent().ok_or_else(|| AppError::new("config", "no folder for tasks.json"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tasks.json.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec_pretty(tasks).map_err(|e| AppError::new("internal", e.to_string()))?)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Checks a task from the UI and makes its engine spec.
pub(crate) fn spec_of(t: &TaskDto, dry_run: bool) -> AppResult<TaskSpec> {
    let kind = match t.kind.as_str() {
        "copy" => TaskKind::Copy,
        "sync" => TaskKind::Sync,
        "move" => TaskKind::Move,
        other => return Err(AppError::invalid(format!("unknown task kind {other:?}"))),
    };
    let local = PathBuf::from(t.local.trim());
    if !local.is_absolute() {
        return Err(AppError::invalid("the local folder must be a full path"));
    }
    if t.storage.trim().is_empty() {
        return Err(AppError::invalid("choose a storage"));
    }
    let local = Location::Local { path: local };
    let remote = Location::Remote { remote: t.storage.clone(), path: t.remote.trim().trim_matches('/').to_string() };
    let (source, destination) = match t.direction.as_str() {
        "upload" => (local, remote),
        "download" => (remote, local),
        other => return Err(AppError::invalid(format!("unknown direction {other:?}"))),
    };
    let clean = |v: &[String]| v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    Ok(TaskSpec {
        kind,
        source,
        destination,
        options: TaskOptions { dry_run, include: clean(&t.include), exclude: clean(&t.exclude), ..Default::default() },
    })
}

/// True when a recorded run belongs to this task (same sides).
fn run_matches(spec: &TaskSpec, spec_json: &str) -> bool {
    serde_json::from_str::<TaskSpec>(spec_json)
        .is_ok_and(|s| s.source == spec.source && s.destination == spec.destination)
}

/// The refusal with the numbers the warning shows, and whether lifting the
/// delete guard's limit would let the run go ahead.
fn refusal_of(r: &RunReport) -> Option<RefusalDto> {
    let f = r.refusal.as_ref()?;
    let deletes = r.plan.totals.deletes;
    Some(RefusalDto {
        message: f.message.clone(),
        hint: f.hint.clone(),
        deletes,
        destination_files: r.plan.destination_files,
        overridable: r.plan.problems.is_empty() && r.plan.source_exists && deletes > 0,
    })
}

fn preview_of(r: &RunReport) -> PreviewDto {
    let t = &r.plan.totals;
    // Reads only the steps it shows: a big plan's steps may be on disk.
    let (shown, more) = r.plan.steps.preview(PREVIEW_STEPS);
    let steps: Vec<StepDto> = shown
        .into_iter()
        .map(|s| StepDto {
            action: s.action.as_str().to_string(),
            path: fjordsync_engine::tree::user_path(&s.key),
            bytes: s.src.as_ref().map_or(0, |f| f.size),
        })
        .collect();
    let more = more as u64;
    PreviewDto {
        creates: t.creates,
        updates: t.updates,
        retimes: t.retimes,
        deletes: t.deletes,
        mkdirs: t.mkdirs,
        unchanged: t.unchanged,
        bytes: t.bytes,
        files: t.files,
        quota_bytes: r.plan.quota.map(|q| q.0),
        quota_free: r.plan.quota.and_then(|q| q.1),
        problems: r
            .plan
            .problems
            .iter()
            .map(|p| ProblemDto { kind: p.kind.to_string(), path: p.path.clone(), message: p.message.clone() })
            .collect(),
        refusal: refusal_of(r),
        steps,
        more_steps: more,
        notes: r.plan.notes.clone(),
    }
}

/// Turns the engine's per-file stream into coalesced progress: files in
/// flight are tracked here and sent with each (throttled) progress tick.
fn coalescing_sink(out: ProgressSink) -> EventSink {
    let current: Mutex<(Vec<String>, u64)> = Mutex::new((Vec::new(), 0));
    Arc::new(move |e: TaskEvent| match e {
        TaskEvent::Started { run, .. } => out(TaskProgressDto::Started { run }),
        TaskEvent::FileStarted { path, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            c.0.push(path);
        }
        TaskEvent::FileFinished { path, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = c.0.iter().position(|p| *p == path) {
                c.0.remove(i);
            }
        }
        TaskEvent::FileFailed { path, skipped, .. } => {
            let mut c = current.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = c.0.iter().position(|p| *p == path) {
                c.0.remove(i);
            }
            if !skipped {
                c.1 += 1;
            }
        }
        TaskEvent::Progress { bytes_done, bytes_total, files_done, files_total, rate, eta } => {
            let (current, failed) = {
                let c = current.lock().unwrap_or_else(|p| p.into_inner());
                (c.0.iter().take(CURRENT_SHOWN).cloned().collect(), c.1)
            };
            out(TaskProgressDto::Progress {
                bytes_done,
                bytes_total,
                files_done,
                files_total,
                rate,
                eta,
                current,
                failed,
            })
        }
        TaskEvent::Finished { run, outcome, duration_ms, counters } => {
            out(TaskProgressDto::Finished { run, outcome, duration_ms, counters: (&counters).into() })
        }
        _ => {}
    })
}

impl Api {
    pub(super) fn state_db(&self) -> AppResult<Arc<StateDb>> {
        if let Some(db) = self.tasks.db.get() {
            return Ok(db.clone());
        }
        let path = fjordsync_engine::state::default_path(self.config().path());
        let db = Arc::new(StateDb::open(&path).map_err(state_err)?);
        Ok(self.tasks.db.get_or_init(|| db).clone())
    }

    /// A runner whose opener reuses the app's open sessions (the demo
    /// emulator must be running first, which `session` ensures).
    async fn runner(&self, storages: &[&str]) -> AppResult<Runner> {
        let mut open = HashMap::new();
        for s in storages {
            open.insert(s.to_string(), self.session(s).await?);
        }
        let (config, secrets) = (self.config().clone(), self.secrets());
        let opener: fjordsync_engine::Opener = Arc::new(move |name: &str| match open.get(name) {
            Some(s) => Ok(s.clone()),
            None => session::open(&config, secrets.clone(), name),
        });
        Ok(Runner::new(self.state_db()?, opener))
    }

    async fn task(&self, id: &str) -> AppResult<TaskDto> {
        read_tasks(&tasks_path(self.data_dir()))?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or_else(|| AppError::new("not_found", format!("no task {id:?}")))
    }

    /// Saved tasks, in the order they were made.
    pub async fn list_tasks(&self) -> AppResult<Vec<TaskDto>> {
        let _g = self.tasks.file.lock().await;
        read_tasks(&tasks_path(self.data_dir()))
    }

    /// Creates (empty id) or replaces a task; returns it with its id.
    pub async fn save_task(&self, task: TaskDto) -> AppResult<TaskDto> {
        spec_of(&task, false)?;
        if task.name.trim().is_empty() {
            return Err(AppError::invalid("give the task a name"));
        }
        let _g = self.tasks.file.lock().await;
        let path = tasks_path(self.data_dir());
        let mut all = read_tasks(&path)?;
        let mut task = task;
        task.name = task.name.trim().to_string();
        if task.id.is_empty() {
            let next = all.iter().filter_map(|t| t.id.strip_prefix('t')?.parse::<u64>().ok()).max().unwrap_or(0) + 1;
            task.id = format!("t{next}");
            task.last_run = None;
            all.push(task.clone());
        } else {
            let slot = all
                .iter_mut()
                .find(|t| t.id == task.id)
                .ok_or_else(|| AppError::new("not_found", format!("no task {:?}", task.id)))?;
            task.last_run = slot.last_run.clone();
            *slot = task.clone();
        }
        write_tasks(&path, &all)?;
        Ok(task)
    }

    /// Forgets a task (its runs stay in the log).
    pub async fn delete_task(&self, id: String) -> AppResult<()> {
        let _g = self.tasks.file.lock().await;
        let path = tasks_path(self.data_dir());
        let mut all = read_tasks(&path)?;
        let before = all.len();
        all.retain(|t| t.id != id);
        if all.len() == before {
            return Err(AppError::new("not_found", format!("no task {id:?}")));
        }
        write_tasks(&path, &all)
    }

    /// What the task would do now: a dry run (records nothing).
    pub async fn preview_task(&self, id: String) -> AppResult<PreviewDto> {
        let t = self.task(&id).await?;
        let spec = spec_of(&t, true)?;
        let runner = self.runner(&[t.storage.as_str()]).await?;
        let report = runner.run(&spec, None, fjordsync_engine::events::discard(), CancellationToken::new()).await?;
        Ok(preview_of(&report))
    }

    /// Runs the task, streaming coalesced progress to `progress`; returns the
    /// recorded run. One run per task at a time.
    pub async fn run_task(&self, id: String, progress: ProgressSink) -> AppResult<RunDto> {
        self.run_task_with(id, false, progress).await
    }

    /// [`Api::run_task`], optionally with the delete guard's limit lifted
    /// (`allow_deletes`: the user saw the refusal and chose "delete anyway").
    /// A missing source is still refused.
    pub async fn run_task_with(&self, id: String, allow_deletes: bool, progress: ProgressSink) -> AppResult<RunDto> {
        let t = self.task(&id).await?;
        let mut spec = spec_of(&t, false)?;
        if allow_deletes {
            spec.options.max_delete = Some(MaxDelete::Percent(100.0));
        }
        let runner = self.runner(&[t.storage.as_str()]).await?;
        let cancel = CancellationToken::new();
        {
            let mut running = self.tasks.running.lock().expect("running lock");
            if running.contains_key(&id) {
                return Err(AppError::new("busy", "this task is already running"));
            }
            running.insert(id.clone(), cancel.clone());
        }
        let report = runner.run(&spec, None, coalescing_sink(progress), cancel).await;
        self.tasks.running.lock().expect("running lock").remove(&id);
        let report = report?;
        let mut dto = self.finish_run(&id, &t.storage, &runner, report.run).await?;
        dto.refusal = refusal_of(&report);
        Ok(dto)
    }

    /// Records the run as the task's last result.
    async fn finish_run(&self, id: &str, storage: &str, runner: &Runner, run: i64) -> AppResult<RunDto> {
        let rec = runner
            .db()
            .run(run)
            .map_err(state_err)?
            .ok_or_else(|| AppError::new("internal", format!("run {run} was not recorded")))?;
        let dto = RunDto::from(&rec);
        {
            let _g = self.tasks.file.lock().await;
            let path = tasks_path(self.data_dir());
            let mut all = read_tasks(&path)?;
            if let Some(t) = all.iter_mut().find(|t| t.id == id) {
                t.last_run = Some(dto.clone());
                write_tasks(&path, &all)?;
            }
        }
        self.emit(AppEvent::StorageChanged { storage: storage.to_string() });
        Ok(dto)
    }

    /// Asks a running task to stop; false when it was not running.
    pub async fn cancel_task(&self, id: String) -> AppResult<bool> {
        Ok(match self.tasks.running.lock().expect("running lock").get(&id) {
            Some(c) => {
                c.cancel();
                true
            }
            None => false,
        })
    }

    /// Ids of the tasks running now.
    pub async fn running_tasks(&self) -> AppResult<Vec<String>> {
        Ok(self.tasks.running.lock().expect("running lock").keys().cloned().collect())
    }

    /// The task's runs (including its undos and retries), newest first.
    pub async fn list_runs(&self, task: String) -> AppResult<Vec<RunDto>> {
        let t = self.task(&task).await?;
        let spec = spec_of(&t, false)?;
        let db = self.state_db()?;
        let runs = tokio::task::spawn_blocking(move || db.runs(RUNS_LIMIT))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))?
            .map_err(state_err)?;
        Ok(runs.iter().filter(|r| run_matches(&spec, &r.spec_json)).map(RunDto::from).collect())
    }

    /// A run's file rows, filtered by result (`completed`, `skipped`,
    /// `failed`) and by path text.
    pub async fn run_files(
        &self,
        run: i64,
        result: Option<String>,
        text: Option<String>,
    ) -> AppResult<Vec<FileRowDto>> {
        let filter =
            EventFilter { result: result.filter(|r| !r.is_empty()), grep: text.filter(|t| !t.trim().is_empty()) };
        let db = self.state_db()?;
        let rows = tokio::task::spawn_blocking(move || db.events(run, &filter))
            .await
            .map_err(|e| AppError::new("internal", e.to_string()))?
            .map_err(state_err)?;
        Ok(rows
            .into_iter()
            .map(|e| FileRowDto { path: e.path, action: e.action, bytes: e.bytes, result: e.result, error: e.error })
            .collect())
    }

    /// Undoes a run of the task (puts back what it changed); a new run.
    /// Progress: started, then finished with the counters.
    pub async fn undo_run(&self, task: String, run: i64, progress: ProgressSink) -> AppResult<RunDto> {
        self.repeat_run(task, run, true, progress).await
    }

    /// Runs the failed files of a run again; a new run, with progress like
    /// [`Api::run_task`].
    pub async fn retry_run(&self, task: String, run: i64, progress: ProgressSink) -> AppResult<RunDto> {
        self.repeat_run(task, run, false, progress).await
    }

    async fn repeat_run(&self, task: String, run: i64, undo: bool, progress: ProgressSink) -> AppResult<RunDto> {
        let t = self.task(&task).await?;
        let runner = self.runner(&[t.storage.as_str()]).await?;
        let cancel = CancellationToken::new();
        {
            let mut running = self.tasks.running.lock().expect("running lock");
            if running.contains_key(&task) {
                return Err(AppError::new("busy", "this task is already running"));
            }
            running.insert(task.clone(), cancel.clone());
        }
        let sink = coalescing_sink(progress);
        let report = if undo { runner.undo(run, sink, cancel).await } else { runner.retry(run, sink, cancel).await };
        self.tasks.running.lock().expect("running lock").remove(&task);
        let report = report?;
        self.finish_run(&task, &t.storage, &runner, report.run).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn ids(v: &[TaskDto]) -> HashSet<String> {
        v.iter().map(|t| t.id.clone()).collect()
    }

    fn sample(local: &str) -> TaskDto {
        TaskDto {
            id: String::new(),
            name: "Photos".into(),
            kind: "sync".into(),
            direction: "upload".into(),
            local: local.into(),
            storage: "demo".into(),
            remote: "/Photos/".into(),
            include: vec![" *.jpg ".into(), "".into()],
            exclude: vec![],
            last_run: None,
        }
    }

    fn api(dir: &Path) -> Api {
        let config = fjordsync_engine::ConfigDir::at(dir.join("config")).unwrap();
        Api::new(config, dir.join("data")).unwrap()
    }

    #[test]
    fn spec_follows_direction_and_cleans_filters() {
        let t = sample("/home/me/Photos");
        let s = spec_of(&t, true).unwrap();
        assert_eq!(s.kind, TaskKind::Sync);
        assert_eq!(s.source, Location::Local { path: "/home/me/Photos".into() });
        assert_eq!(s.destination, Location::Remote { remote: "demo".into(), path: "Photos".into() });
        assert_eq!(s.options.include, vec!["*.jpg".to_string()]);
        assert!(s.options.dry_run);
        let d = spec_of(&TaskDto { direction: "download".into(), ..t.clone() }, false).unwrap();
        assert!(matches!(d.source, Location::Remote { .. }));
        assert_eq!(spec_of(&TaskDto { kind: "check".into(), ..t.clone() }, false).unwrap_err().code, "invalid");
        assert_eq!(spec_of(&TaskDto { local: "rel/path".into(), ..t }, false).unwrap_err().code, "invalid");
    }

    #[tokio::test]
    async fn tasks_are_saved_updated_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let api = api(dir.path());
        assert!(api.list_tasks().await.unwrap().is_empty());
        let a = api.save_task(sample("/a")).await.unwrap();
        let b = api.save_task(sample("/b")).await.unwrap();
        assert_eq!((a.id.as_str(), b.id.as_str()), ("t1", "t2"));
        api.save_task(TaskDto { name: "Renamed".into(), ..a.clone() }).await.unwrap();
        let all = api.list_tasks().await.unwrap();
        assert_eq!(ids(&all), ["t1".to_string(), "t2".to_string()].into());
        assert_eq!(all[0].name, "Renamed");
        // Written atomically: no temp file left behind.
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("data")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("tasks.json")]);
        api.delete_task("t1".into()).await.unwrap();
        assert_eq!(api.list_tasks().await.unwrap().len(), 1);
        assert_eq!(api.delete_task("t1".into()).await.unwrap_err().code, "not_found");
        assert_eq!(api.save_task(TaskDto { name: " ".into(), ..sample("/c") }).await.unwrap_err().code, "invalid");
        assert!(!api.cancel_task("t2".into()).await.unwrap());
    }

    #[test]
    fn progress_is_coalesced_with_files_in_flight() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sink = coalescing_sink(Arc::new(move |p| g.lock().unwrap().push(p)));
        sink(TaskEvent::FileStarted { path: "a".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileStarted { path: "b".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileFinished { path: "a".into(), action: "upload".into(), bytes: 1 });
        sink(TaskEvent::FileFailed { path: "c".into(), action: "upload".into(), error: "x".into(), skipped: false });
        sink(TaskEvent::Progress {
            bytes_done: 1,
            bytes_total: 2,
            files_done: 1,
            files_total: 3,
            rate: 5,
            eta: Some(1),
        });
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1, "per-file events are not forwarded one by one");
        match &got[0] {
            TaskProgressDto::Progress { current, failed, .. } => {
                assert_eq!(current, &vec!["b".to_string()]);
                assert_eq!(*failed, 1);
            }
            other => panic!("{other:?}"),
        }
    }
}
