//! `copy`, `sync`, `move`, `check`, `undo` and `retry`: build a task, hand
//! it to the engine's runner, render its events.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::plan::Action;
use fjordsync_engine::tree::user_path;
use fjordsync_engine::{Location as TaskLocation, MaxDelete, RunReport, Runner, TaskKind, TaskOptions, TaskSpec};
use tokio_util::sync::CancellationToken;

use crate::args::{TransferArgs, TransferFlags};
use crate::context::Context;
use crate::errors::Hinted;
use crate::location::Location;
use crate::output;
use crate::render::{self, escape};

/// The runner over `<config>/state.db` (or `FJORDSYNC_STATE_DB`), opening remotes through the context.
pub fn runner(ctx: &Context) -> anyhow::Result<Runner> {
    let db_path = fjordsync_engine::state::default_path(ctx.config.path());
    let (config, secrets) = (ctx.config.clone(), ctx.secrets.clone());
    let opener: fjordsync_engine::Opener =
        Arc::new(move |name: &str| fjordsync_engine::session::open(&config, secrets.clone(), name));
    fjordsync_engine::undo::runner_for(&db_path, opener)
        .with_context(|| format!("opening the state database {}", db_path.display()))
}

pub(crate) fn location(ctx: &Context, arg: &str) -> anyhow::Result<TaskLocation> {
    Ok(match Location::parse_with(arg, |n| ctx.is_remote(n)) {
        Location::Local(p) => {
            let abs = if p.is_absolute() { p } else { std::env::current_dir()?.join(p) };
            TaskLocation::Local { path: abs }
        }
        Location::Remote { remote, path } => TaskLocation::Remote { remote, path },
    })
}

/// The one conversion of the transfer flags, shared by the transfer verbs
/// and `task add`.
pub(crate) fn options(f: TransferFlags) -> anyhow::Result<TaskOptions> {
    let max_delete = f.max_delete.as_deref().map(MaxDelete::parse).transpose().map_err(anyhow::Error::msg)?;
    Ok(TaskOptions {
        checksum: f.checksum,
        transfers: f.transfers.max(1),
        checkers: f.checkers.max(1),
        bwlimit: f.bwlimit,
        filters: f.filter.into(),
        max_delete,
        hard_delete: f.hard_delete,
        no_versions: f.no_versions,
        follow_symlinks: f.follow_symlinks,
        ..Default::default()
    })
}

pub async fn run(ctx: &Context, kind: TaskKind, a: TransferArgs) -> anyhow::Result<()> {
    let spec = TaskSpec {
        kind,
        source: location(ctx, &a.src)?,
        destination: location(ctx, &a.dst)?,
        options: TaskOptions { dry_run: a.dry_run, ..options(a.flags)? },
    };
    let runner = runner(ctx)?;
    let (sink, ui) = sink(a.json, kind);
    let cancel = cancel_on_ctrl_c();
    let report = runner.run(&spec, None, sink, cancel).await;
    ui.finish();
    let report = report?;
    if a.dry_run && !a.json {
        print_plan(&report)?;
    }
    finish(kind.as_str(), &report, a.json)
}

pub async fn undo(ctx: &Context, run: i64, json: bool) -> anyhow::Result<()> {
    let runner = runner(ctx)?;
    let (sink, ui) = sink(json, TaskKind::Copy);
    let report = runner.undo(run, sink, cancel_on_ctrl_c()).await;
    ui.finish();
    finish("undo", &report?, json)
}

pub async fn retry(ctx: &Context, run: i64, json: bool) -> anyhow::Result<()> {
    let runner = runner(ctx)?;
    let (sink, ui) = sink(json, TaskKind::Copy);
    let report = runner.retry(run, sink, cancel_on_ctrl_c()).await;
    ui.finish();
    finish("retry", &report?, json)
}

pub(crate) fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("fjordsync: cancelling (press Ctrl-C again to stop at once)");
            c.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    cancel
}

/// The progress bar, when stderr is a terminal and output is not JSON.
pub(crate) struct Ui {
    bar: Option<indicatif::ProgressBar>,
}

impl Ui {
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

pub(crate) fn sink(json: bool, kind: TaskKind) -> (EventSink, Ui) {
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let ui = Ui { bar: bar.clone() };
    let out = Mutex::new(std::io::stdout());
    // Nothing may follow `finished` (a progress tick could race it).
    let done = std::sync::atomic::AtomicBool::new(false);
    let sink: EventSink = Arc::new(move |e: TaskEvent| {
        if done.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        if matches!(e, TaskEvent::Finished { .. }) {
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        if json {
            if let Ok(line) = serde_json::to_string(&e) {
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(o, "{line}");
            }
            return;
        }
        let say = |line: String| match &bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        };
        match e {
            TaskEvent::Progress { bytes_done, bytes_total, files_done, files_total, .. } => {
                if let Some(b) = &bar {
                    b.set_length(bytes_total);
                    b.set_position(bytes_done);
                    b.set_message(format!("{files_done}/{files_total} files"));
                }
            }
            TaskEvent::FileFinished { path, action, bytes } => {
                let past = past_tense(&action);
                let path = escape(&path);
                if bytes > 0 {
                    say(format!("{past} {path} ({})", render::size(bytes)));
                } else {
                    say(format!("{past} {path}"));
                }
            }
            TaskEvent::FileFailed { path, action, error, skipped } => {
                let (path, error) = (escape(&path), escape(&error));
                if skipped {
                    say(format!("skipped {path}: {error}"));
                } else {
                    say(format!("FAILED {action} {path}: {error}"));
                }
            }
            TaskEvent::Difference { kind: k, path } if kind == TaskKind::Check => {
                let mut o = out.lock().unwrap_or_else(|p| p.into_inner());
                let _ = writeln!(o, "{k} {}", escape(&path));
            }
            _ => {}
        }
    });
    (sink, Ui { bar: ui.bar })
}

fn past_tense(action: &str) -> String {
    match action {
        "upload" => "uploaded".into(),
        "download" => "downloaded".into(),
        "update" => "updated".into(),
        "retime" => "set time of".into(),
        "delete" => "deleted".into(),
        "mkdir" => "created folder".into(),
        "rmdir" => "removed folder".into(),
        "copy" => "copied".into(),
        "conflict" => "kept both versions of".into(),
        "move" => "moved".into(),
        other => other.to_string(),
    }
}

/// The `--dry-run` plan on standard output, names escaped.
fn print_plan(r: &RunReport) -> std::io::Result<()> {
    let p = &r.plan;
    let mut out = output::stdout();
    for s in &p.steps {
        let size = s.src.as_ref().map(|f| f.size).unwrap_or(0);
        let what = match s.action {
            Action::Create => "would create",
            Action::Update => "would update",
            Action::Retime => "would set time of",
            Action::Delete => "would delete",
            Action::Mkdir => "would create folder",
            Action::Rmdir => "would remove folder",
            Action::Unchanged => "would remove source",
        };
        let path = user_path(&s.key);
        match s.action {
            Action::Create | Action::Update => writeln!(out, "{what} {} ({})", escape(&path), render::size(size))?,
            _ => writeln!(out, "{what} {}", escape(&path))?,
        };
    }
    for s in &p.skipped {
        writeln!(out, "would skip {}: {}", escape(&user_path(&s.key)), escape(&s.reason))?;
    }
    for n in &p.notes {
        writeln!(out, "note: {}", escape(n))?;
    }
    for pr in &p.problems {
        writeln!(out, "problem: {}", escape(&pr.message))?;
    }
    let t = &p.totals;
    writeln!(
        out,
        "plan: {} to create, {} to update, {} to set time, {} to delete, {} folders to create, {} unchanged, {} to transfer",
        t.creates,
        t.updates,
        t.retimes,
        t.deletes,
        t.mkdirs,
        t.unchanged,
        render::size(t.bytes)
    )?;
    if let Some((need, Some(free))) = p.quota {
        writeln!(out, "quota: needs up to {}, {} free", render::size(need), render::size(free))?;
    }
    out.flush()
}

pub(crate) fn finish(verb: &str, r: &RunReport, json: bool) -> anyhow::Result<()> {
    let c = &r.counters;
    let mut parts = Vec::new();
    for (n, label) in [
        (c.uploaded, "uploaded"),
        (c.downloaded, "downloaded"),
        (c.copied, "copied"),
        (c.updated, "updated"),
        (c.retimed, "retimed"),
        (c.deleted, "deleted"),
        (c.moved, "moved"),
        (c.mkdirs, "folders created"),
        (c.unchanged, "unchanged"),
        (c.skipped, "skipped"),
        (c.failed, "failed"),
        (c.missing_on_dst, "missing on destination"),
        (c.extra_on_dst, "extra on destination"),
        (c.different, "different"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    if c.deduplicated > 0 {
        parts.push(format!("{} deduplicated", c.deduplicated));
    }
    if c.resumed_bytes > 0 {
        parts.push(format!("{} resumed, not transferred again", render::size(c.resumed_bytes)));
    }
    if parts.is_empty() {
        parts.push("nothing to do".into());
    }
    let secs = r.duration.as_secs_f64();
    let summary = format!("{} ({}, {}, {secs:.1} s)", parts.join(", "), r.outcome, render::size(c.bytes));
    if r.run != 0 {
        eprintln!("run {}: {verb} {summary}", r.run);
    } else if !json {
        eprintln!("dry run: nothing was changed ({:.1} s)", r.duration.as_secs_f64());
    }
    if let Some(refusal) = &r.refusal {
        return Err(Hinted { message: refusal.message.clone(), hint: refusal.hint.clone() }.into());
    }
    if let Some(stop) = &r.stopped {
        // One message for a full disk or storage, not one per file.
        return Err(Hinted { message: stop.message(), hint: stop.hint().into() }.into());
    }
    match r.outcome.as_str() {
        "failed" => Err(Hinted {
            message: format!("{} file{} failed", c.failed, if c.failed == 1 { "" } else { "s" }),
            hint: format!("see `fjordsync log {} --failed`, then `fjordsync retry {}`", r.run, r.run),
        }
        .into()),
        "differences" => Err(Hinted {
            message: format!("{} difference{} found", c.missing_on_dst + c.extra_on_dst + c.different, {
                if c.missing_on_dst + c.extra_on_dst + c.different == 1 { "" } else { "s" }
            }),
            hint: "run `fjordsync sync SRC DST --dry-run` to see how a sync would fix them".into(),
        }
        .into()),
        "cancelled" => Err(Hinted {
            message: "cancelled".into(),
            hint: "run the same command again to finish; interrupted uploads resume".into(),
        }
        .into()),
        _ => Ok(()),
    }
}
