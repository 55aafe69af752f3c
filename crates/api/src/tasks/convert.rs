//! The app's task form ([`TaskDto`]) and the engine's named task
//! ([`Task`]), converted in this one place, both ways.
//!
//! The form shows a transfer as one local folder, a direction and a storage
//! folder; the engine keeps a source and a destination. A task made by
//! `fjordsync task add` may carry options the form does not show (parallel
//! transfers, a delete limit, size filters...): saving it from the app
//! changes only what the form shows and keeps the rest ([`job_of`] takes
//! the stored job as its base). Ids cross as strings of the engine's
//! number ("3").

use std::path::PathBuf;

use fjordsync_engine::Location;
use fjordsync_engine::backup::RetentionPolicy;
use fjordsync_engine::bisync::BisyncSpec;
use fjordsync_engine::tasks::{Backup, Job, Task, TaskError, TaskId, Transfer};

use crate::backup::{BackupDto, RetentionDto};
use crate::dto::TaskDto;
use crate::error::{AppError, AppResult};

/// The id the UI uses for a task.
pub(crate) fn dto_id(id: TaskId) -> String {
    id.0.to_string()
}

/// The engine's id from the UI's, or `not_found`.
pub(crate) fn task_id(id: &str) -> AppResult<TaskId> {
    id.trim().parse::<i64>().ok().filter(|n| *n > 0).map(TaskId).ok_or_else(|| not_found(id))
}

pub(crate) fn not_found(id: &str) -> AppError {
    AppError::new("not_found", format!("no task {id:?}"))
}

/// The engine's task errors as the UI's codes.
pub(crate) fn task_err(e: TaskError) -> AppError {
    let code = match &e {
        TaskError::Name(_) | TaskError::Duplicate(_) | TaskError::Schedule(_) | TaskError::Unsupported(_) => "invalid",
        TaskError::NotFound(_) => "not_found",
        TaskError::Busy { .. } => "busy",
        TaskError::Lock { .. } => "lock",
        TaskError::State(_) => "state",
        // Kinds of failure added later read as internal until named here.
        #[allow(unreachable_patterns)]
        _ => "internal",
    };
    AppError::new(code, e.to_string())
}

/// What the form describes, as the engine's job (checked: full paths, a
/// storage, a repository folder...). `base`: the stored job, whose options
/// the form does not show are kept.
pub(crate) fn job_of(t: &TaskDto, base: Option<&Job>) -> AppResult<Job> {
    if t.kind == "backup" {
        return backup_job(t, base);
    }
    if t.kind == "bisync" {
        return bisync_job(t, base);
    }
    let spec = super::spec_of(t, false)?;
    let mut options = match base {
        Some(Job::Copy(b) | Job::Sync(b) | Job::Move(b)) => b.options.clone(),
        _ => Default::default(),
    };
    options.filters.include = spec.options.filters.include;
    options.filters.exclude = spec.options.filters.exclude;
    options.no_versions = spec.options.no_versions;
    options.dry_run = false;
    let transfer = Transfer { source: spec.source, destination: spec.destination, options };
    Job::transfer(spec.kind, transfer).ok_or_else(|| AppError::invalid("a check is not a task"))
}

/// A two-way sync: the form's local folder and storage folder (its
/// direction is "both"), filters from the form, the other options kept.
fn bisync_job(t: &TaskDto, base: Option<&Job>) -> AppResult<Job> {
    let local = PathBuf::from(t.local.trim());
    if !local.is_absolute() {
        return Err(AppError::invalid("the local folder must be a full path"));
    }
    if t.storage.trim().is_empty() {
        return Err(AppError::invalid("choose a storage"));
    }
    let mut options = match base {
        Some(Job::Bisync(b)) => b.options.clone(),
        _ => Default::default(),
    };
    let filters = super::filters_of(t);
    options.filters.include = filters.include;
    options.filters.exclude = filters.exclude;
    options.dry_run = false;
    Ok(Job::Bisync(BisyncSpec {
        local,
        remote: t.storage.trim().to_string(),
        path: t.remote.trim().trim_matches('/').to_string(),
        options,
    }))
}

fn backup_job(t: &TaskDto, base: Option<&Job>) -> AppResult<Job> {
    let spec = crate::backup::spec_of(t)?;
    let b = crate::backup::backup_of(t)?;
    let folders = b.folders.iter().map(|f| f.trim()).filter(|f| !f.is_empty()).map(PathBuf::from).collect();
    Ok(Job::Backup(Backup {
        folders,
        repository: spec.destination,
        filters: crate::backup::options_of(t)?.filters,
        retention: b.retention.policy(),
        remember_password: b.remember_password,
        // The form does not show a password file (`fjordsync task add` sets one).
        password_file: match base {
            Some(Job::Backup(old)) => old.password_file.clone(),
            _ => None,
        },
    }))
}

/// The engine's task as the form shows it (its last run and next run are
/// filled in by the caller).
pub(crate) fn dto_of(task: &Task) -> TaskDto {
    let mut dto = TaskDto {
        id: dto_id(task.id),
        name: task.name.clone(),
        kind: task.job.kind().as_str().to_string(),
        direction: "upload".into(),
        local: String::new(),
        storage: String::new(),
        remote: String::new(),
        include: Vec::new(),
        exclude: Vec::new(),
        last_run: None,
        schedule: task.schedule.clone(),
        schedule_since_ms: task.schedule_since_ms,
        next_run_ms: None,
        backup: None,
        no_versions: false,
        paused: task.paused,
        conflicts: 0,
        kept_aside: 0,
        watch: None,
    };
    match &task.job {
        Job::Copy(x) | Job::Sync(x) | Job::Move(x) => {
            let (local, remote, direction) = match (&x.source, &x.destination) {
                (Location::Local { path }, remote) => (path.display().to_string(), remote, "upload"),
                (remote, Location::Local { path }) => (path.display().to_string(), remote, "download"),
                // Storage to storage (only the CLI makes these): the form
                // has no place for a second storage; it shows the source
                // where a folder goes, and refuses to save it as it is.
                (source, destination) => (source.to_string(), destination, "upload"),
            };
            if let Location::Remote { remote: storage, path } = remote {
                dto.storage = storage.clone();
                dto.remote = path.clone();
            }
            dto.local = local;
            dto.direction = direction.into();
            dto.include = x.options.filters.include.clone();
            dto.exclude = x.options.filters.exclude.clone();
            dto.no_versions = x.options.no_versions;
        }
        Job::Bisync(b) => {
            dto.direction = "both".into();
            dto.local = b.local.display().to_string();
            dto.storage = b.remote.clone();
            dto.remote = b.path.clone();
            dto.include = b.options.filters.include.clone();
            dto.exclude = b.options.filters.exclude.clone();
        }
        // Mounts have their own screen; shown here only if asked for by id.
        Job::Mount(m) => {
            dto.direction = "mount".into();
            dto.storage = m.remote.clone();
            dto.remote = m.path.clone();
        }
        Job::Backup(b) => {
            let repo_local = match &b.repository {
                Location::Local { path } => Some(path.display().to_string()),
                Location::Remote { remote, path } => {
                    dto.storage = remote.clone();
                    dto.remote = path.clone();
                    None
                }
            };
            dto.include = b.filters.include.clone();
            dto.exclude = b.filters.exclude.clone();
            dto.backup = Some(BackupDto {
                folders: b.folders.iter().map(|f| f.display().to_string()).collect(),
                repo_local,
                retention: retention_dto(&b.retention),
                remember_password: b.remember_password,
                min_size: b.filters.min_size,
                max_size: b.filters.max_size,
                min_age_secs: b.filters.min_age_secs,
                max_age_secs: b.filters.max_age_secs,
            });
        }
    }
    dto
}

fn retention_dto(p: &RetentionPolicy) -> RetentionDto {
    RetentionDto {
        keep_last: p.keep_last,
        keep_hourly: p.keep_hourly,
        keep_daily: p.keep_daily,
        keep_weekly: p.keep_weekly,
        keep_monthly: p.keep_monthly,
        keep_yearly: p.keep_yearly,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::ScheduleDto;
    use fjordsync_engine::tasks::Schedule;

    fn task(job: Job) -> Task {
        Task {
            id: TaskId(3),
            name: "Photos".into(),
            job,
            schedule: Some(Schedule::Daily { time: "03:00".into() }),
            schedule_since_ms: Some(5),
            paused: false,
            created_ms: 1,
        }
    }

    /// Every field of the form survives form → engine → form.
    #[test]
    fn the_form_round_trips() {
        let sync = TaskDto {
            id: "3".into(),
            name: "Photos".into(),
            kind: "sync".into(),
            direction: "download".into(),
            local: "/home/me/Photos".into(),
            storage: "demo".into(),
            remote: "Pictures/2026".into(),
            include: vec!["*.jpg".into()],
            exclude: vec!["tmp/".into()],
            last_run: None,
            schedule: Some(ScheduleDto::Daily { time: "03:00".into() }),
            schedule_since_ms: Some(5),
            next_run_ms: None,
            backup: None,
            no_versions: true,
            paused: false,
            conflicts: 0,
            kept_aside: 0,
            watch: None,
        };
        assert_eq!(dto_of(&task(job_of(&sync, None).unwrap())), sync);
        for kind in ["copy", "move"] {
            let t = TaskDto { kind: kind.into(), direction: "upload".into(), ..sync.clone() };
            assert_eq!(dto_of(&task(job_of(&t, None).unwrap())), t);
        }
        let backup = TaskDto {
            kind: "backup".into(),
            direction: "upload".into(),
            local: String::new(),
            remote: "Backup".into(),
            no_versions: false,
            backup: Some(BackupDto {
                folders: vec!["/home/me/Docs".into(), "/home/me/Mail".into()],
                repo_local: None,
                retention: RetentionDto { keep_daily: Some(7), keep_yearly: Some(2), ..Default::default() },
                remember_password: true,
                min_size: Some(1),
                max_size: Some(1000),
                min_age_secs: Some(60),
                max_age_secs: Some(86_400),
            }),
            ..sync.clone()
        };
        assert_eq!(dto_of(&task(job_of(&backup, None).unwrap())), backup);
        let two_way = TaskDto { kind: "bisync".into(), direction: "both".into(), no_versions: false, ..sync.clone() };
        assert_eq!(dto_of(&task(job_of(&two_way, None).unwrap())), two_way);
        // A repository in a local folder has no storage.
        let mut local = backup.clone();
        (local.storage, local.remote) = (String::new(), String::new());
        local.backup.as_mut().unwrap().repo_local = Some("/mnt/repo".into());
        local.backup.as_mut().unwrap().remember_password = false;
        assert_eq!(dto_of(&task(job_of(&local, None).unwrap())), local);
    }

    /// Options only the CLI sets stay when the app saves the task.
    #[test]
    fn options_the_form_does_not_show_are_kept() {
        let mut base = job_of(&crate::tasks::tests::sample("/a"), None).unwrap();
        let Job::Sync(t) = &mut base else { panic!() };
        t.options.transfers = 9;
        t.options.filters.min_size = Some(10);
        let edited = TaskDto { include: vec!["*.png".into()], ..crate::tasks::tests::sample("/a") };
        let Job::Sync(t) = job_of(&edited, Some(&base)).unwrap() else { panic!() };
        assert_eq!((t.options.transfers, t.options.filters.min_size), (9, Some(10)));
        assert_eq!(t.options.filters.include, vec!["*.png".to_string()]);
    }

    #[test]
    fn ids_are_the_engines_numbers() {
        assert_eq!(task_id("3").unwrap(), TaskId(3));
        for bad in ["t3", "", "0", "-1", "x"] {
            assert_eq!(task_id(bad).unwrap_err().code, "not_found", "{bad}");
        }
    }
}
