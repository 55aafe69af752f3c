//! `bisync`: a two-way sync of a local folder and a storage folder, one
//! run. A thin layer: the spec from the flags, the engine's run, the result
//! in the user's words.

use std::io::Write;

use fjordsync_engine::bisync::{Action, BisyncReport, BisyncSpec, dry_word};
use fjordsync_engine::tasks::{Task, TaskLock};
use fjordsync_engine::tree::user_path;
use fjordsync_engine::{Location as TaskLocation, MaxDelete, Runner, TaskKind, TaskOptions};

use crate::args::BisyncArgs;
use crate::commands::transfer::{cancel_on_ctrl_c, location, runner, sink};
use crate::context::Context;
use crate::errors::Hinted;
use crate::output;
use crate::render::{self, escape};

pub async fn run(ctx: &Context, a: BisyncArgs) -> anyhow::Result<()> {
    let spec = spec(ctx, &a)?;
    let runner = runner(ctx)?;
    if a.conflicts {
        return list_conflicts(&runner, &spec, a.json);
    }
    if a.issues {
        return list_issues(&runner, &spec, a.json);
    }
    if a.retry_issues {
        let n = runner.bisync_retry_issues(&spec)?;
        if n > 0 && !a.json {
            eprintln!("trying {n} file{} kept aside after errors again", if n == 1 { "" } else { "s" });
        }
    }
    if a.watch {
        return super::watch::run(&runner, &spec, a.poll_interval).await;
    }
    let (events, ui) = sink(a.json, TaskKind::Sync);
    let report = runner.bisync(&spec, None, events, cancel_on_ctrl_c()).await;
    ui.finish();
    let report = report?;
    if a.dry_run && !a.json {
        print_actions(&report)?;
    }
    finish(&report, a.json)
}

/// `task run` of a bisync task: its stored spec, the run linked to the
/// task, the task's lock held for the whole run.
pub async fn run_spec(
    runner: &Runner,
    spec: &BisyncSpec,
    task: Option<&Task>,
    _held: &TaskLock,
    json: bool,
) -> anyhow::Result<()> {
    let (events, ui) = sink(json, TaskKind::Sync);
    let report = runner.bisync(spec, task.map(|t| t.id), events, cancel_on_ctrl_c()).await;
    ui.finish();
    finish(&report?, json)
}

fn spec(ctx: &Context, a: &BisyncArgs) -> anyhow::Result<BisyncSpec> {
    let TaskLocation::Local { path: local } = location(ctx, &a.local)? else {
        return Err(Hinted {
            message: format!("{} is not a local folder", a.local),
            hint: "give the local folder first, then the storage folder: fjordsync bisync ~/Documents demo:Documents"
                .into(),
        }
        .into());
    };
    let TaskLocation::Remote { remote, path } = location(ctx, &a.remote)? else {
        return Err(Hinted {
            message: format!("{} is not a storage folder (REMOTE:PATH)", a.remote),
            hint: "name a configured remote (see `fjordsync remote list`), e.g. demo:Documents".into(),
        }
        .into());
    };
    let max_delete = a.max_delete.as_deref().map(MaxDelete::parse).transpose().map_err(anyhow::Error::msg)?;
    let options = TaskOptions {
        dry_run: a.dry_run,
        transfers: a.transfers.max(1),
        checkers: a.checkers.max(1),
        bwlimit: a.bwlimit,
        filters: a.filter.clone().into(),
        max_delete,
        hard_delete: a.hard_delete,
        follow_symlinks: a.follow_symlinks,
        ..Default::default()
    };
    Ok(BisyncSpec { local, remote, path, options })
}

/// The `--dry-run` actions on standard output, names escaped.
fn print_actions(r: &BisyncReport) -> std::io::Result<()> {
    let mut out = output::stdout();
    for a in &r.actions {
        let path = user_path(a.key());
        let path = escape(&path);
        match a {
            Action::Conflict { copy, .. } => writeln!(out, "would keep both {path} and {}", escape(&user_path(copy)))?,
            Action::Skip { reason, .. } => writeln!(out, "would skip {path}: {}", reason.message())?,
            Action::MoveRemote { from, .. } => {
                writeln!(out, "would move {} to {path} on the storage", escape(&user_path(from)))?
            }
            Action::MoveLocal { from, .. } => writeln!(out, "would move {} to {path} here", escape(&user_path(from)))?,
            a => writeln!(out, "would {} {path}", dry_word(a))?,
        }
    }
    for s in &r.skipped {
        writeln!(out, "would skip {}: {}", escape(&user_path(&s.key)), escape(&s.reason))?;
    }
    for s in &r.kept_aside {
        writeln!(out, "would leave {} aside: {}", escape(&user_path(&s.key)), escape(&s.reason))?;
    }
    for p in &r.problems {
        writeln!(out, "problem: {}", escape(&p.message))?;
    }
    writeln!(out, "plan: {} actions", r.actions.len())?;
    out.flush()
}

fn finish(r: &BisyncReport, json: bool) -> anyhow::Result<()> {
    let c = &r.counters;
    if r.run != 0 {
        say_run(r);
    } else if !json {
        eprintln!("dry run: nothing was changed ({:.1} s)", r.duration.as_secs_f64());
    }
    if let Some(refusal) = &r.refusal {
        return Err(Hinted { message: refusal.message.clone(), hint: refusal.hint.clone() }.into());
    }
    match r.outcome.as_str() {
        "failed" => Err(Hinted {
            message: format!("{} file{} failed", c.failed, if c.failed == 1 { "" } else { "s" }),
            hint: format!(
                "see `fjordsync log {} --failed`; they are kept aside and tried again later (see `--issues`)",
                r.run
            ),
        }
        .into()),
        "cancelled" => Err(Hinted {
            message: "cancelled".into(),
            hint: "run the same command again to finish; nothing is lost and no resync is needed".into(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// A recorded run's line on standard error (`run N: bisync ...`), and one
/// line per conflict whose both versions were kept.
pub(crate) fn say_run(r: &BisyncReport) {
    let c = &r.counters;
    let mut parts = Vec::new();
    for (n, label) in [
        (c.uploaded, "uploaded"),
        (c.downloaded, "downloaded"),
        (c.updated, "updated"),
        (c.deleted, "deleted"),
        (c.moved, "moved"),
        (c.mkdirs, "folders created"),
        (r.conflicts.len() as u64, "conflicts (both versions kept)"),
        (c.skipped - (r.kept_aside.len() as u64).min(c.skipped), "skipped"),
        (r.kept_aside.len() as u64, "kept aside after earlier errors (see --issues)"),
        (c.failed, "failed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    if parts.is_empty() {
        parts.push("in step, nothing to do".into());
    }
    let secs = r.duration.as_secs_f64();
    eprintln!("run {}: bisync {} ({}, {}, {secs:.1} s)", r.run, parts.join(", "), r.outcome, render::size(c.bytes));
    for k in &r.conflicts {
        eprintln!(
            "conflict: {} was changed on both sides; this computer's version is now {}",
            escape(&user_path(&k.key)),
            escape(&user_path(&k.copy))
        );
    }
}

/// `--conflicts`: the pair's recorded conflicts, newest first.
fn list_conflicts(runner: &Runner, spec: &BisyncSpec, json: bool) -> anyhow::Result<()> {
    let db = runner.db();
    let pair = db.find_bisync_pair(&spec.local.display().to_string(), &spec.remote, &spec.path)?;
    let conflicts = match pair {
        Some(p) => db.bisync_conflicts(p)?,
        None => Vec::new(),
    };
    let mut out = output::stdout();
    if conflicts.is_empty() && !json {
        eprintln!("no conflicts recorded for these folders");
    }
    for c in conflicts {
        if json {
            writeln!(out, "{}", serde_json::to_string(&c)?)?;
        } else {
            let when = render::time(fjordsync_jottacloud::Timestamp::from_millisecond(c.found_ms).ok());
            let run = c.run.map(|r| format!(" (run {r})")).unwrap_or_default();
            writeln!(out, "{when}  {}  ->  {}{run}", escape(&user_path(&c.key)), escape(&user_path(&c.copy_key)))?;
        }
    }
    Ok(out.flush()?)
}

/// `--issues`: the files kept aside after errors, by path.
fn list_issues(runner: &Runner, spec: &BisyncSpec, json: bool) -> anyhow::Result<()> {
    let issues = runner.bisync_issues(spec)?;
    let mut out = output::stdout();
    if issues.is_empty() && !json {
        eprintln!("no files kept aside for these folders");
    }
    for i in issues {
        if json {
            writeln!(out, "{}", serde_json::to_string(&i)?)?;
        } else {
            let when = |ms: i64| render::time(fjordsync_jottacloud::Timestamp::from_millisecond(ms).ok());
            let next = match i.next_ms {
                Some(ms) => format!("tried again after {}", when(ms)),
                None => i.kind.hint().to_string(),
            };
            let times = if i.attempts == 1 { "once".to_string() } else { format!("{} times", i.attempts) };
            writeln!(
                out,
                "{}  {} failed {times}, last {}: {}; {next}",
                escape(&user_path(&i.key)),
                i.action,
                when(i.last_ms),
                escape(&i.message)
            )?;
        }
    }
    Ok(out.flush()?)
}
