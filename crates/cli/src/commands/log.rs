//! `log`: recent runs, or one run's files, from the state database.

use std::io::Write;

use fjordsync_engine::state::{EventFilter, RunKind, RunRecord};

use crate::args::LogArgs;
use crate::context::Context;
use crate::output;
use crate::render::escape;

pub fn run(ctx: &Context, a: LogArgs) -> anyhow::Result<()> {
    let runner = super::transfer::runner(ctx)?;
    let db = runner.db();
    let mut out = output::stdout();
    let Some(run) = a.run else {
        let task = match &a.task {
            Some(name) => Some(db.tasks().get(name)?.id),
            None => None,
        };
        let runs = db.runs_of(a.limit, task)?;
        if a.json {
            for r in &runs {
                writeln!(out, "{}", serde_json::to_string(r)?)?;
            }
            return Ok(out.flush()?);
        }
        if runs.is_empty() {
            eprintln!("no runs yet");
        }
        for r in runs {
            let start = fjordsync_jottacloud::Timestamp::from_millisecond(r.started_ms).ok();
            let duration = r.ended_ms.map(|e| format!("{:.1}s", (e - r.started_ms) as f64 / 1000.0));
            writeln!(
                out,
                "{:>5}  {:<6} {}  {:>7}  {:<11} {}  {} -> {}{}",
                r.id,
                r.kind,
                crate::render::time(start),
                duration.as_deref().unwrap_or("-"),
                r.outcome,
                result_text(&r),
                escape(&r.source),
                escape(&r.destination),
                r.task.as_deref().map(|t| format!("  [task {}]", escape(t))).unwrap_or_default()
            )?;
        }
        return Ok(out.flush()?);
    };
    if db.run(run)?.is_none() {
        anyhow::bail!("there is no run {run} (see `fjordsync log`)");
    }
    let result = if a.failed {
        Some("failed".to_string())
    } else if a.skipped {
        Some("skipped".to_string())
    } else {
        None
    };
    let events = db.events(run, &EventFilter { result, grep: a.grep })?;
    for e in events {
        if a.json {
            writeln!(out, "{}", serde_json::to_string(&e)?)?;
        } else {
            match &e.error {
                Some(err) => writeln!(out, "{:<9} {:<13} {}: {}", e.result, e.action, escape(&e.path), escape(err))?,
                None => writeln!(out, "{:<9} {:<13} {}", e.result, e.action, escape(&e.path))?,
            }
        }
    }
    Ok(out.flush()?)
}

/// A run's result in a few words: a backup's own counters ("3 new, 1
/// changed, 120 unmodified, 4.2 MB added, snapshot 1a2b3c4d"), a transfer's
/// file counts.
fn result_text(r: &RunRecord) -> String {
    if r.kind == RunKind::Backup {
        return match &r.backup {
            Some(b) => format!(
                "{} new, {} changed, {} unmodified, {} added, snapshot {}",
                b.files_new,
                b.files_changed,
                b.files_unmodified,
                crate::render::size(b.bytes_added),
                super::backup::short(&b.snapshot)
            ),
            None => "no snapshot".into(),
        };
    }
    let c = &r.counters;
    format!(
        "up {} down {} upd {} del {} skip {} fail {}",
        c.uploaded + c.copied,
        c.downloaded,
        c.updated,
        c.deleted,
        c.skipped,
        c.failed
    )
}
