//! `task`: named tasks kept by the engine in the state database. Thin:
//! parse, call the engine's task store or runner, render.

use std::io::Write;

use anyhow::Context as _;
use fjordsync_engine::TaskKind;
use fjordsync_engine::backup::{RepoOptions, RetentionPolicy};
use fjordsync_engine::tasks::{Backup, Hold, Job, NewTask, Schedule, Task, TaskLock, Transfer};
use serde::Serialize;

use crate::args::{TaskAddArgs, TaskAddKind, TaskCommand};
use crate::context::Context;
use crate::output;
use crate::render::{self, escape};

pub async fn run(ctx: &Context, cmd: TaskCommand) -> anyhow::Result<()> {
    match cmd {
        TaskCommand::Add(a) => add(ctx, *a),
        TaskCommand::List { json } => list(ctx, json),
        TaskCommand::Show { name, json } => show(ctx, &name, json),
        TaskCommand::Run { name, json } => run_now(ctx, &name, json).await,
        TaskCommand::Remove { name } => {
            let t = super::transfer::runner(ctx)?.db().tasks().remove(&name)?;
            eprintln!("removed task {:?} (its runs stay in `fjordsync log`)", t.name);
            Ok(())
        }
        TaskCommand::Pause { name } => pause(ctx, &name, true),
        TaskCommand::Resume { name } => pause(ctx, &name, false),
    }
}

fn add(ctx: &Context, a: TaskAddArgs) -> anyhow::Result<()> {
    let kind = match a.kind {
        TaskAddKind::Copy => TaskKind::Copy,
        TaskAddKind::Sync => TaskKind::Sync,
        TaskAddKind::Move => TaskKind::Move,
        TaskAddKind::Backup => return add_task(ctx, a.name.clone(), backup_job(ctx, &a)?, &a),
        TaskAddKind::Bisync => return add_task(ctx, a.name.clone(), bisync_job(ctx, &a)?, &a),
        TaskAddKind::Mount => return add_task(ctx, a.name.clone(), mount_job(ctx, &a)?, &a),
    };
    if a.backup.repo.is_some()
        || a.backup.password_file.is_some()
        || !RetentionPolicy::from(a.backup.keep.clone()).is_empty()
    {
        anyhow::bail!("--repo, --password-file and --keep-* are for backup tasks, not {} tasks", kind.as_str());
    }
    let [src, dst] = <[String; 2]>::try_from(a.paths.clone())
        .map_err(|p| anyhow::anyhow!("a {} task takes SRC and DST, got {} path(s)", kind.as_str(), p.len()))?;
    let transfer = Transfer {
        source: super::transfer::location(ctx, &src)?,
        destination: super::transfer::location(ctx, &dst)?,
        options: super::transfer::options(a.flags.clone())?,
    };
    if matches!(
        (&transfer.source, &transfer.destination),
        (fjordsync_engine::Location::Local { .. }, fjordsync_engine::Location::Local { .. })
    ) {
        anyhow::bail!("both sides are local; one of them must be REMOTE:PATH");
    }
    let job = Job::transfer(kind, transfer).expect("copy, sync and move are tasks");
    add_task(ctx, a.name.clone(), job, &a)
}

/// `task add NAME bisync LOCAL REMOTE:PATH`: the same spec `fjordsync
/// bisync` makes, from the transfer flags that apply to it.
fn bisync_job(ctx: &Context, a: &TaskAddArgs) -> anyhow::Result<Job> {
    let f = &a.flags;
    if f.checksum || f.no_versions {
        anyhow::bail!(
            "a bisync task compares content itself and keeps the storage's versions: --checksum and --no-versions \
             do not apply"
        );
    }
    if a.backup.repo.is_some() || a.backup.password_file.is_some() {
        anyhow::bail!("--repo and --password-file are for backup tasks, not bisync tasks");
    }
    let [local, remote] = <[String; 2]>::try_from(a.paths.clone())
        .map_err(|p| anyhow::anyhow!("a bisync task takes LOCAL and REMOTE:PATH, got {} path(s)", p.len()))?;
    let fjordsync_engine::Location::Local { path: local } = super::transfer::location(ctx, &local)? else {
        anyhow::bail!("{local} is not a local folder; a bisync task takes LOCAL then REMOTE:PATH");
    };
    let fjordsync_engine::Location::Remote { remote, path } = super::transfer::location(ctx, &remote)? else {
        anyhow::bail!("{remote} is not a storage folder (REMOTE:PATH)");
    };
    let options = super::transfer::options(a.flags.clone())?;
    Ok(Job::Bisync(fjordsync_engine::bisync::BisyncSpec { local, remote, path, options }))
}

/// `task add NAME mount REMOTE:PATH [MOUNTPOINT]`: kept mounted by the
/// app or the daemon; without a mount point, served over WebDAV.
fn mount_job(ctx: &Context, a: &TaskAddArgs) -> anyhow::Result<Job> {
    use fjordsync_engine::mount::{MountAccess, MountSpec};
    if a.every.is_some() || a.daily.is_some() || a.watch {
        anyhow::bail!("a mount task has no schedule: it stays mounted while the app or `fjordsync daemon` runs");
    }
    let (remote, mountpoint) = match a.paths.as_slice() {
        [remote] => (remote, None),
        [remote, point] => (remote, Some(point)),
        p => anyhow::bail!("a mount task takes REMOTE:PATH and an optional MOUNTPOINT, got {} path(s)", p.len()),
    };
    let fjordsync_engine::Location::Remote { remote, path } = super::transfer::location(ctx, remote)? else {
        anyhow::bail!("{remote} is not a storage folder (REMOTE:PATH)");
    };
    let access = match mountpoint {
        Some(p) => MountAccess::Folder {
            mountpoint: std::path::absolute(p).with_context(|| format!("{p:?}: not a usable path"))?,
        },
        None => MountAccess::FileManager { port: None },
    };
    let spec = MountSpec { remote, path, access, cache_max_size: None };
    spec.check()?;
    Ok(Job::Mount(spec))
}

/// `task add NAME backup FOLDER... --repo REPO`: the folders and the
/// password file as full paths (a task runs from anywhere), the filters of
/// the transfer flags, the retention rules.
fn backup_job(ctx: &Context, a: &TaskAddArgs) -> anyhow::Result<Job> {
    let f = &a.flags;
    if f.checksum
        || f.bwlimit.is_some()
        || f.max_delete.is_some()
        || f.hard_delete
        || f.no_versions
        || f.follow_symlinks
    {
        anyhow::bail!(
            "a backup task takes only the filters (--include, --exclude, --min-size, ...) of the transfer flags"
        );
    }
    let repo = a.backup.repo.as_deref().context("a backup task needs its repository: --repo PATH|REMOTE:PATH")?;
    let folders = a
        .paths
        .iter()
        .map(|p| std::path::absolute(p).with_context(|| format!("{p:?}: not a usable path")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let password_file = match &a.backup.password_file {
        Some(f) => {
            // Read once now, so a wrong path is found today, not at 3 a.m.
            fjordsync_engine::backup::read_password_file(f)?;
            Some(std::path::absolute(f).with_context(|| format!("{}: not a usable path", f.display()))?)
        }
        None => None,
    };
    Ok(Job::Backup(Backup {
        folders,
        repository: super::transfer::location(ctx, repo)?,
        filters: a.flags.filter.clone().into(),
        retention: a.backup.keep.clone().into(),
        remember_password: password_file.is_none(),
        password_file,
    }))
}

fn add_task(ctx: &Context, name: String, job: Job, a: &TaskAddArgs) -> anyhow::Result<()> {
    let schedule = match (a.every.as_deref(), a.daily.as_deref()) {
        (Some(every), _) => Some(Schedule::every(every)?),
        (None, Some(daily)) => Some(Schedule::daily(daily)?),
        (None, None) if a.watch => {
            let poll_seconds = u32::try_from(a.poll_interval.as_secs()).unwrap_or(u32::MAX);
            Some(Schedule::Continuous { poll_seconds })
        }
        (None, None) => None,
    };
    let task = super::transfer::runner(ctx)?.db().tasks().add(NewTask { name, job, schedule })?;
    eprintln!("added task {:?} (id {}); run it with `fjordsync task run {}`", task.name, task.id, task.name);
    if task.schedule.as_ref().is_some_and(|s| s.is_continuous()) {
        eprintln!("it is kept in step continuously while the Fjordsync app or `fjordsync daemon` runs");
    }
    if let Job::Backup(b) = &task.job
        && b.password_file.is_none()
    {
        eprintln!(
            "its runs read the repository password from the secret store under {:?}",
            fjordsync_engine::backup::password_key(task.id)
        );
    }
    Ok(())
}

fn pause(ctx: &Context, name: &str, paused: bool) -> anyhow::Result<()> {
    let t = super::transfer::runner(ctx)?.db().tasks().set_paused(name, paused)?;
    match (paused, &t.schedule) {
        (true, _) => eprintln!("paused task {:?}: its schedule starts nothing until `task resume`", t.name),
        (false, Some(_)) => eprintln!("resumed task {:?}", t.name),
        (false, None) => eprintln!("resumed task {:?} (it has no schedule; run it with `task run`)", t.name),
    }
    Ok(())
}

/// A task as `list --json` and `show --json` print it.
#[derive(Serialize)]
struct TaskView {
    id: i64,
    name: String,
    kind: String,
    source: String,
    destination: String,
    schedule: Option<Schedule>,
    next_due_ms: Option<i64>,
    paused: bool,
    created_ms: i64,
    last_run: Option<LastRun>,
    job: Job,
}

#[derive(Serialize)]
struct LastRun {
    id: i64,
    outcome: fjordsync_engine::state::Outcome,
    started_ms: i64,
}

fn view(db: &fjordsync_engine::StateDb, t: Task) -> anyhow::Result<TaskView> {
    let tz = jiff::tz::TimeZone::system();
    let store = db.tasks();
    let next_due_ms = store.next_due_ms(&t, &tz)?;
    let last_run = store.last_run(t.id)?.map(|r| LastRun { id: r.id, outcome: r.outcome, started_ms: r.started_ms });
    Ok(TaskView {
        id: t.id.0,
        kind: t.job.kind().as_str().into(),
        source: t.job.source_label(),
        destination: t.job.destination_label(),
        name: t.name,
        schedule: t.schedule,
        next_due_ms,
        paused: t.paused,
        created_ms: t.created_ms,
        last_run,
        job: t.job,
    })
}

fn time(ms: Option<i64>) -> String {
    render::time(ms.and_then(|ms| fjordsync_jottacloud::Timestamp::from_millisecond(ms).ok()))
}

fn schedule_text(v: &TaskView) -> String {
    match &v.schedule {
        None => "no schedule".into(),
        Some(s) if v.paused => format!("{s} (paused)"),
        Some(s) if s.is_continuous() => format!("{s}, while the app or `fjordsync daemon` runs"),
        Some(s) => format!("{s}, next {}", time(v.next_due_ms)),
    }
}

fn last_text(v: &TaskView) -> String {
    match &v.last_run {
        None => "never run".into(),
        Some(r) => format!("last {} (run {}, {})", r.outcome, r.id, time(Some(r.started_ms))),
    }
}

fn list(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let runner = super::transfer::runner(ctx)?;
    let db = runner.db();
    let mut out = output::stdout();
    let tasks = db.tasks().list()?;
    if tasks.is_empty() && !json {
        eprintln!("no tasks yet; add one with `fjordsync task add NAME sync SRC DST`");
    }
    for t in tasks {
        let v = view(db, t)?;
        if json {
            writeln!(out, "{}", serde_json::to_string(&v)?)?;
        } else {
            writeln!(
                out,
                "{}  {}  {} -> {}  {}  {}",
                escape(&v.name),
                v.kind,
                escape(&v.source),
                escape(&v.destination),
                schedule_text(&v),
                last_text(&v)
            )?;
        }
    }
    Ok(out.flush()?)
}

fn show(ctx: &Context, name: &str, json: bool) -> anyhow::Result<()> {
    let runner = super::transfer::runner(ctx)?;
    let db = runner.db();
    let v = view(db, db.tasks().get(name)?)?;
    let mut out = output::stdout();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(out.flush()?);
    }
    writeln!(out, "name:         {}", escape(&v.name))?;
    writeln!(out, "id:           {}", v.id)?;
    writeln!(out, "kind:         {}", v.kind)?;
    writeln!(out, "source:       {}", escape(&v.source))?;
    writeln!(out, "destination:  {}", escape(&v.destination))?;
    writeln!(out, "schedule:     {}", schedule_text(&v))?;
    writeln!(out, "paused:       {}", if v.paused { "yes" } else { "no" })?;
    writeln!(out, "created:      {}", time(Some(v.created_ms)))?;
    writeln!(out, "last run:     {}", last_text(&v))?;
    if let Some(spec) = v.job.spec() {
        writeln!(out, "options:      {}", serde_json::to_string(&spec.options)?)?;
    }
    if let Job::Bisync(b) = &v.job {
        writeln!(out, "options:      {}", serde_json::to_string(&b.options)?)?;
    }
    if let Job::Backup(b) = &v.job {
        let password = match &b.password_file {
            Some(f) => format!("from the file {}", render::shown_local(f)),
            None => format!("from the secret store ({:?})", fjordsync_engine::backup::password_key(v.id)),
        };
        writeln!(out, "password:     {password}")?;
        writeln!(out, "retention:    {}", serde_json::to_string(&b.retention)?)?;
        writeln!(out, "filters:      {}", serde_json::to_string(&b.filters)?)?;
    }
    Ok(out.flush()?)
}

/// Runs the task now, holding its lock for the whole run, and prints as
/// `fjordsync sync` (or `fjordsync backup run`) does.
async fn run_now(ctx: &Context, name: &str, json: bool) -> anyhow::Result<()> {
    let runner = super::transfer::runner(ctx)?;
    let task = runner.db().tasks().get(name)?;
    if matches!(task.job, Job::Mount(_)) {
        anyhow::bail!(
            "{:?} is a mount: the app or `fjordsync daemon` keeps it mounted (`fjordsync task pause` unmounts it); \
             `fjordsync mount` mounts a folder from here",
            task.name
        );
    }
    let held = TaskLock::acquire_by(&ctx.config, &task, Hold::Run, Some("the fjordsync command"))?;
    if matches!(task.job, Job::Backup(_)) {
        return run_backup(ctx, &runner, &task, &held, json).await;
    }
    if let Job::Bisync(spec) = &task.job {
        return super::bisync::run_spec(&runner, spec, Some(&task), &held, json).await;
    }
    let kind = task.job.spec().map_or(TaskKind::Copy, |s| s.kind);
    let (sink, ui) = super::transfer::sink(json, kind);
    let report = runner.run_task(&task, &held, sink, super::transfer::cancel_on_ctrl_c()).await;
    ui.finish();
    super::transfer::finish(task.job.kind().as_str(), &report?, json)
}

/// A backup task's run: its password (password file, else the secret
/// store), the backup recorded under the task, its retention.
async fn run_backup(
    ctx: &Context,
    runner: &fjordsync_engine::Runner,
    task: &Task,
    held: &TaskLock,
    json: bool,
) -> anyhow::Result<()> {
    let password = task.backup_password(&*ctx.secrets)?;
    let repo_opts = RepoOptions {
        cache_dir: std::env::var_os("FJORDSYNC_BACKUP_CACHE").filter(|v| !v.is_empty()).map(Into::into),
        no_cache: false,
    };
    let (sink, bar) = super::backup::progress(json);
    let cancel = super::transfer::cancel_on_ctrl_c();
    let report = runner.run_backup_task(task, held, &password, &repo_opts, sink, cancel).await;
    super::backup::finish(bar);
    let report = report?;
    if let Some(w) = &report.retention_error {
        eprintln!("warning: {}", escape(w));
    }
    if let Some(e) = report.error {
        return Err(anyhow::Error::from(e).context(format!("backup task {:?} (run {})", task.name, report.run)));
    }
    let mut out = output::stdout();
    let s = report.summary.context("the backup saved no snapshot")?;
    super::backup::print_summary(&mut out, &s, Some(report.run), json, false)?;
    Ok(out.flush()?)
}
