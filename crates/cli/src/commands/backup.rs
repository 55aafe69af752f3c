//! `fjordsync backup ...`: a thin shell over the engine's `backup::Repo`.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use fjordsync_engine::backup::{
    BackupEvent, BackupOptions, BackupSummary, Change, EntryKind, InitOptions, LoggedBackup, ProgressSink, Repo,
    RepoLocation, RepoOptions, RestoreOptions, RetentionPolicy, no_progress,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{BackupArgs, BackupCommand};
use crate::context::Context;
use crate::location::Location;
use crate::output;
use crate::render::{self, escape};

pub async fn run(ctx: &Context, a: BackupArgs) -> anyhow::Result<()> {
    let repo_arg = a.repo.clone().context("no repository: give --repo PATH|REMOTE:PATH or set RESTIC_REPOSITORY")?;
    let location = match Location::parse_with(&repo_arg, |n| ctx.is_remote(n)) {
        Location::Local(p) => RepoLocation::Local(p),
        Location::Remote { remote, path } => RepoLocation::Remote { session: Box::new(ctx.open(&remote)?), path },
    };
    let opts = RepoOptions {
        cache_dir: a.cache_dir.clone(),
        no_cache: a.no_cache || matches!(location, RepoLocation::Local(_)),
    };
    let json = a.json;
    let mut out = output::stdout();
    if let BackupCommand::Init { pack_size } = a.command {
        let password = password(&a, true)?;
        let init = InitOptions { data_pack_size: pack_size.map(|m| m << 20) };
        let repo = Repo::init_with(&location, &password, &opts, &init).await?;
        if json {
            writeln!(out, "{}", serde_json::json!({"created": repo.location(), "id": repo.id()}))?;
        } else {
            writeln!(out, "created backup repository {} at {}", short(&repo.id()), escape(repo.location()))?;
        }
        return Ok(out.flush()?);
    }
    let password = password(&a, false)?;
    let repo = Repo::open(&location, &password, &opts).await?;
    match a.command {
        BackupCommand::Init { .. } => unreachable!("handled above"),
        BackupCommand::Run { paths, tags, host, filter, force, dry_run } => {
            let filters: fjordsync_engine::FilterOptions = filter.into();
            let opts = BackupOptions { tags, host, filters: filters.clone(), force, dry_run };
            let (sink, bar) = progress(json);
            let cancel = super::transfer::cancel_on_ctrl_c();
            if dry_run {
                // A dry run writes nothing, so it is not a run in the log.
                let result = repo.backup(&paths, &opts, sink, cancel).await;
                finish(bar);
                print_summary(&mut out, &result?, None, json, true)?;
                return Ok(out.flush()?);
            }
            // Recorded in the run log like every run (`fjordsync log`).
            let runner = super::transfer::runner(ctx)?;
            let job = fjordsync_engine::tasks::Backup {
                folders: paths,
                repository: super::transfer::location(ctx, &repo_arg)?,
                filters,
                retention: RetentionPolicy::default(),
                remember_password: false,
                password_file: a.password_file.clone(),
            };
            let report = LoggedBackup::start(runner.db(), &job, None)?.run(&repo, &opts, sink, cancel).await;
            finish(bar);
            let report = report?;
            if let Some(e) = report.error {
                return Err(e.into());
            }
            let s = report.summary.context("the backup saved no snapshot")?;
            print_summary(&mut out, &s, Some(report.run), json, false)?;
        }
        BackupCommand::Snapshots => {
            let list = repo.snapshots().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&list)?)?;
            } else {
                writeln!(
                    out,
                    "{:<8}  {:<20}  {:<16}  {:>7}  {:>10}  {:<12}  paths",
                    "ID", "time", "host", "files", "size", "tags"
                )?;
                for s in &list {
                    let time = when(&s.time);
                    writeln!(
                        out,
                        "{:<8}  {:<20}  {:<16}  {:>7}  {:>10}  {:<12}  {}",
                        s.short_id,
                        time,
                        escape(&s.host),
                        s.files.map_or("-".into(), |f| f.to_string()),
                        s.size.map_or("-".into(), render::size),
                        escape(&s.tags.join(",")),
                        escape(&s.paths.join(" "))
                    )?;
                }
                writeln!(out, "{} snapshot(s)", list.len())?;
            }
        }
        BackupCommand::Ls { snapshot, path, no_recursive } => {
            for item in repo.ls(&snapshot, &path, !no_recursive).await? {
                if json {
                    writeln!(out, "{}", serde_json::to_string(&item)?)?;
                } else {
                    let kind = match item.kind {
                        EntryKind::Dir => "d",
                        EntryKind::File => "-",
                        EntryKind::Symlink => "l",
                        EntryKind::Other => "?",
                    };
                    let mtime = item.mtime.as_deref().map(when);
                    writeln!(
                        out,
                        "{kind} {:>10}  {:<19}  {}",
                        item.size,
                        mtime.unwrap_or_else(|| "-".into()),
                        escape(&item.path)
                    )?;
                }
            }
        }
        BackupCommand::Diff { a, b } => {
            for d in repo.diff(&a, &b).await? {
                if json {
                    writeln!(out, "{}", serde_json::to_string(&d)?)?;
                } else {
                    let sign = match d.change {
                        Change::Added => "+",
                        Change::Removed => "-",
                        Change::Modified => "M",
                    };
                    let slash = if d.kind == EntryKind::Dir { "/" } else { "" };
                    writeln!(out, "{sign}    {}{slash}", escape(&d.path))?;
                }
            }
        }
        BackupCommand::Restore { snapshot, target, include, overwrite, verify, dry_run } => {
            // Like restic's --include: the path keeps its place below the target.
            let target = match &include {
                Some(p) if !p.trim_matches('/').is_empty() => target.join(p.trim_start_matches('/')),
                _ => target,
            };
            let opts = RestoreOptions { path: include, overwrite, verify_existing: verify, dry_run };
            let (sink, bar) = progress(json);
            let result = repo.restore(&snapshot, &target, &opts, sink, super::transfer::cancel_on_ctrl_c()).await;
            finish(bar);
            let s = result?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&s)?)?;
            } else {
                let verb = if dry_run { "would restore" } else { "restored" };
                writeln!(
                    out,
                    "{verb} snapshot {} to {}: {} files ({}), {} already there, {} replaced, {} folders, {} files verified",
                    s.snapshot,
                    render::shown_local(&target),
                    s.files_restored,
                    render::size(s.bytes),
                    s.files_unchanged,
                    s.files_replaced,
                    s.dirs_restored,
                    s.files_verified
                )?;
            }
        }
        BackupCommand::Forget { keep, prune, dry_run } => {
            let policy = RetentionPolicy::from(keep);
            let r = repo.forget(&policy, prune, dry_run).await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&r)?)?;
            } else {
                for (s, why) in &r.kept {
                    writeln!(out, "keep    {}  {}  ({})", s.short_id, when(&s.time), why.join(", "))?;
                }
                let verb = if dry_run { "would remove" } else { "remove" };
                for s in &r.removed {
                    writeln!(out, "{verb}  {}  {}", s.short_id, when(&s.time))?;
                }
                writeln!(out, "{} kept, {} removed", r.kept.len(), r.removed.len())?;
                if let Some(p) = &r.prune {
                    print_prune(&mut out, p)?;
                }
            }
        }
        BackupCommand::Prune => {
            let p = repo.prune().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&p)?)?;
            } else {
                print_prune(&mut out, &p)?;
            }
        }
        BackupCommand::Check { read_data, read_data_subset } => {
            let share = if read_data { 100.0 } else { read_data_subset.unwrap_or(0.0) };
            let (sink, bar) = progress(json);
            let result = repo.check(share, sink, super::transfer::cancel_on_ctrl_c()).await;
            finish(bar);
            let r = result?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&r)?)?;
            } else {
                for w in &r.warnings {
                    eprintln!("warning: {}", escape(w));
                }
                writeln!(out, "no errors were found")?;
            }
        }
        BackupCommand::Size => {
            let s = repo.size().await?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&s)?)?;
            } else {
                writeln!(
                    out,
                    "{} in {} files ({} of data in {} packs)",
                    render::size(s.bytes),
                    s.files,
                    render::size(s.pack_bytes),
                    s.pack_files
                )?;
            }
        }
        BackupCommand::Passwd { new_password_file } => {
            let new = match new_password_file {
                Some(f) => read_password_file(&f)?,
                None => prompt_new()?,
            };
            repo.change_password(&new).await?;
            writeln!(out, "password changed")?;
        }
    }
    Ok(out.flush()?)
}

/// What a backup did, as `backup run` and `task run` print it.
pub(crate) fn print_summary(
    out: &mut impl Write,
    s: &BackupSummary,
    run: Option<i64>,
    json: bool,
    dry_run: bool,
) -> anyhow::Result<()> {
    if json {
        let mut v = serde_json::to_value(s)?;
        if let Some(run) = run {
            v["run"] = run.into();
        }
        writeln!(out, "{v}")?;
        return Ok(());
    }
    writeln!(
        out,
        "Files: {} new, {} changed, {} unmodified\nDirs:  {} new, {} changed, {} unmodified\nAdded: {} ({} stored)",
        s.files_new,
        s.files_changed,
        s.files_unmodified,
        s.dirs_new,
        s.dirs_changed,
        s.dirs_unmodified,
        render::size(s.data_added),
        render::size(s.data_added_packed)
    )?;
    if dry_run {
        writeln!(out, "dry run: nothing was written")?;
    } else {
        writeln!(
            out,
            "snapshot {} saved ({} files, {})",
            short(&s.snapshot),
            s.total_files,
            render::size(s.total_bytes)
        )?;
    }
    if let Some(run) = run {
        writeln!(out, "run {run} in `fjordsync log`")?;
    }
    Ok(())
}

fn print_prune(out: &mut impl Write, p: &fjordsync_engine::backup::PruneReport) -> std::io::Result<()> {
    writeln!(
        out,
        "prune: {} packs removed ({}), {} repacked, {} kept",
        p.packs_removed,
        render::size(p.bytes_removed),
        p.packs_repacked,
        p.packs_kept
    )
}

/// `2024-03-01 10:15:00` from an RFC 3339 time (UTC as the engine gives it).
fn when(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").chars().take(19).collect()
}

pub(crate) fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// The password as restic takes it: --password-file / RESTIC_PASSWORD_FILE,
/// RESTIC_PASSWORD, or a prompt on a terminal (twice for a new repository).
fn password(a: &BackupArgs, new: bool) -> anyhow::Result<String> {
    if let Some(f) = &a.password_file {
        return read_password_file(f);
    }
    if let Ok(p) = std::env::var("RESTIC_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no password: give --password-file FILE or set RESTIC_PASSWORD or RESTIC_PASSWORD_FILE");
    }
    if new { prompt_new() } else { Ok(rpassword::prompt_password("repository password: ")?) }
}

fn prompt_new() -> anyhow::Result<String> {
    let p = rpassword::prompt_password("new repository password: ")?;
    if p.is_empty() {
        anyhow::bail!("an empty password is not allowed");
    }
    if rpassword::prompt_password("again: ")? != p {
        anyhow::bail!("the passwords do not match");
    }
    Ok(p)
}

fn read_password_file(f: &Path) -> anyhow::Result<String> {
    Ok(fjordsync_engine::backup::read_password_file(f)?)
}

/// JSON lines on stdout with --json, a bar on a terminal, else nothing.
pub(crate) fn progress(json: bool) -> (ProgressSink, Option<ProgressBar>) {
    if json {
        let sink: ProgressSink = Arc::new(|e: BackupEvent| {
            if matches!(e, BackupEvent::Phase { .. } | BackupEvent::PhaseDone { .. }) {
                eprintln!("{}", serde_json::to_string(&e).unwrap_or_default());
            }
        });
        return (sink, None);
    }
    if !std::io::stderr().is_terminal() {
        return (no_progress(), None);
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} {wide_bar} {binary_bytes}/{binary_total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let b = bar.clone();
    let sink: ProgressSink = Arc::new(move |e| match e {
        BackupEvent::Phase { title, .. } => {
            b.set_message(title);
            b.set_position(0);
            b.set_length(0);
        }
        BackupEvent::Progress { done, total, .. } => {
            b.set_length(total.unwrap_or(done));
            b.set_position(done);
        }
        BackupEvent::PhaseDone { .. } => {}
    });
    (sink, Some(bar))
}

pub(crate) fn finish(bar: Option<ProgressBar>) {
    if let Some(b) = bar {
        b.finish_and_clear();
    }
}
