//! File verbs: about, ls/lsl/md5sum/lsd, mkdir, cat, copyto, delete, link.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use fjordsync_engine::Session;
use fjordsync_engine::transfer;
use fjordsync_jottacloud::{DownloadOptions, Entry, ListMode, TreeEntry, UploadOptions};
use futures_util::StreamExt;
use serde_json::json;

use crate::args::ListArgs;
use crate::context::Context;
use crate::location::Location;
use crate::output;
use crate::render::{self, escape};

pub async fn about(ctx: &Context, remote: &str) -> anyhow::Result<()> {
    let (name, _) = Location::remote(remote)?;
    let s = ctx.open(&name)?;
    let customer = s.client.customer().await.with_context(|| remote.to_string())?;
    let drive = s.client.drive_info().await.with_context(|| remote.to_string())?;
    let mut out = output::stdout();
    let email = customer.email.as_deref().unwrap_or("-");
    writeln!(out, "Account:   {} ({})", escape(email), escape(&drive.username))?;
    if let Some(t) = drive.account_type.as_deref().or(customer.account_type.as_deref()) {
        writeln!(out, "Type:      {}", escape(t))?;
    }
    match drive.capacity {
        Some(cap) => {
            let free = cap.saturating_sub(drive.usage);
            let pct = if cap > 0 { drive.usage as f64 * 100.0 / cap as f64 } else { 0.0 };
            writeln!(out, "Used:      {} of {} ({pct:.1} %)", render::size(drive.usage), render::size(cap))?;
            writeln!(out, "Free:      {}", render::size(free))?;
        }
        None => writeln!(out, "Used:      {} (unlimited)", render::size(drive.usage))?,
    }
    let mut locks = Vec::new();
    if drive.locked {
        locks.push("locked");
    }
    if drive.read_locked {
        locks.push("read-locked");
    }
    if drive.write_locked {
        locks.push("write-locked");
    }
    if drive.quota_write_locked {
        locks.push("write-locked: quota exceeded");
    }
    writeln!(out, "Locks:     {}", if locks.is_empty() { "none".to_string() } else { locks.join(", ") })?;
    writeln!(out, "Devices:")?;
    for d in &drive.devices {
        let kind = escape(d.kind.as_deref().unwrap_or(""));
        writeln!(out, "  {:<20} {:>12}  {kind}", escape(&d.name), render::size(d.size.unwrap_or(0)))?;
    }
    Ok(out.flush()?)
}

#[derive(Clone, Copy)]
pub enum TreeFormat {
    Ls,
    Lsl,
    Md5,
}

/// Recursive listings use one `liststream` request, streamed, so a tree of a
/// million files needs constant memory.
pub async fn list_tree(ctx: &Context, a: &ListArgs, format: TreeFormat) -> anyhow::Result<()> {
    let (name, path) = Location::remote(&a.path)?;
    let s = ctx.open(&name)?;
    let root = s.path(&path)?;
    let mut out = output::stdout();
    if !root.is_mountpoint_root()
        && let Entry::File(f) = s.client.stat(&root).await.with_context(|| a.path.clone())?
    {
        let entry = TreeEntry::File {
            path: vec![f.name.clone()],
            size: f.size,
            md5: f.md5.clone(),
            created: f.created,
            modified: f.modified,
            updated: f.updated,
            uuid: f.uuid.clone(),
        };
        write_tree_entry(&mut out, &entry, format, a.json)?;
        return Ok(out.flush()?);
    }
    let mut stream = s.client.list_tree(&root).await.with_context(|| a.path.clone())?;
    while let Some(entry) = stream.next().await {
        write_tree_entry(&mut out, &entry.with_context(|| a.path.clone())?, format, a.json)?;
    }
    Ok(out.flush()?)
}

fn write_tree_entry(out: &mut impl Write, entry: &TreeEntry, format: TreeFormat, as_json: bool) -> anyhow::Result<()> {
    let TreeEntry::File { path, size, md5, modified, .. } = entry else {
        return Ok(());
    };
    if as_json {
        let exact = render::user_path(path);
        let line = json!({"path": exact, "size": size, "md5": md5, "modified": modified.map(|t| t.to_string())});
        writeln!(out, "{line}")?;
        return Ok(());
    }
    let shown = render::shown_path(path);
    match format {
        TreeFormat::Ls => writeln!(out, "{size:>9} {shown}")?,
        TreeFormat::Lsl => writeln!(out, "{size:>9} {} {shown}", render::time(*modified))?,
        TreeFormat::Md5 => writeln!(out, "{md5}  {shown}")?,
    }
    Ok(())
}

pub async fn lsd(ctx: &Context, a: &ListArgs) -> anyhow::Result<()> {
    let (name, path) = Location::remote(&a.path)?;
    let s = ctx.open(&name)?;
    let listing = s.client.list_folder(&s.path(&path)?, ListMode::Live).await.with_context(|| a.path.clone())?;
    let mut out = output::stdout();
    for folder in &listing.folders {
        if a.json {
            let exact = render::user_name(&folder.name);
            writeln!(out, "{}", json!({"name": exact, "modified": folder.modified.map(|t| t.to_string())}))?;
        } else {
            writeln!(out, "{:>12} {} {}", -1, render::time(folder.modified), render::shown_name(&folder.name))?;
        }
    }
    Ok(out.flush()?)
}

pub async fn mkdir(ctx: &Context, arg: &str) -> anyhow::Result<()> {
    let (name, path) = Location::remote(arg)?;
    let s = ctx.open(&name)?;
    s.client.mkdir(&s.path(&path)?).await.with_context(|| arg.to_string())?;
    Ok(())
}

pub async fn cat(ctx: &Context, arg: &str) -> anyhow::Result<()> {
    let (name, path) = Location::remote(arg)?;
    let s = ctx.open(&name)?;
    let mut stream =
        s.client.download(&s.path(&path)?, DownloadOptions::default()).await.with_context(|| arg.to_string())?;
    let mut out = output::stdout();
    while let Some(chunk) = stream.next().await {
        out.write_all(&chunk.with_context(|| arg.to_string())?)?;
    }
    Ok(out.flush()?)
}

pub async fn copyto(ctx: &Context, src: &str, dst: &str) -> anyhow::Result<()> {
    let known = |name: &str| ctx.is_remote(name);
    match (Location::parse_with(src, known), Location::parse_with(dst, known)) {
        (Location::Local(local), Location::Remote { remote, path }) => {
            let s = ctx.open(&remote)?;
            if path.is_empty() {
                bail!("copyto needs the destination file name: {remote}:NAME");
            }
            let target = s.path(&path)?;
            let outcome = s
                .client
                .upload_file(&local, &target, &UploadOptions::default())
                .await
                .with_context(|| format!("uploading {} to {dst}", local.display()))?;
            let how = if outcome.deduplicated { "already on the service, no bytes sent" } else { "uploaded" };
            let size = render::size(outcome.file.size);
            eprintln!("{} -> {}: {size} ({how})", render::shown_local(&local), escape(dst));
            Ok(())
        }
        (Location::Remote { remote, path }, Location::Local(local)) => {
            let s = ctx.open(&remote)?;
            let source = s.path(&path)?;
            let target = local_target(&local, source.name())?;
            let info = s.client.download_to_file(&source, &target).await.with_context(|| src.to_string())?;
            set_mtime(&target, info.modified);
            let size = render::size(info.size);
            eprintln!("{} -> {}: {size} (MD5 verified)", escape(src), render::shown_local(&target));
            Ok(())
        }
        (Location::Remote { remote: r1, path: p1 }, Location::Remote { remote: r2, path: p2 }) => {
            let from = ctx.open(&r1)?;
            let to = ctx.open(&r2)?;
            if p2.is_empty() {
                bail!("copyto needs the destination file name: {r2}:NAME");
            }
            remote_to_remote(&from, &from.path(&p1)?, &to, &to.path(&p2)?)
                .await
                .with_context(|| format!("copying {src} to {dst}"))?;
            eprintln!("{} -> {}: copied", escape(src), escape(dst));
            Ok(())
        }
        (Location::Local(_), Location::Local(_)) => {
            bail!("both sides are local; one of them must be REMOTE:PATH")
        }
    }
}

/// Same account: a server-side copy, no bytes through us. Different accounts:
/// the engine's relay streams the download into the upload (dedup may skip it).
async fn remote_to_remote(
    from: &Session,
    src: &fjordsync_jottacloud::RemotePath,
    to: &Session,
    dst: &fjordsync_jottacloud::RemotePath,
) -> anyhow::Result<()> {
    if fjordsync_engine::session::same_account(from, to) {
        from.client.copy_file(src, dst).await?;
        return Ok(());
    }
    let info = from.client.file_info(src).await?;
    let source = transfer::Source { md5: info.md5, size: info.size, modified: info.modified };
    transfer::relay(&from.client, src, &to.client, dst, &source, None, Default::default()).await?;
    Ok(())
}

/// A local destination that is an existing folder receives the file under
/// the source's name, mapped back to the user's characters by the engine's
/// `local_path`, which also refuses names that would leave the folder.
fn local_target(local: &Path, remote_name: &str) -> anyhow::Result<PathBuf> {
    if !local.is_dir() {
        return Ok(local.to_path_buf());
    }
    fjordsync_engine::local::local_path(local, remote_name)
        .with_context(|| format!("{remote_name:?} cannot be a local file name; give the full destination path"))
}

/// Gives the download the remote modification time (whole seconds).
fn set_mtime(path: &Path, modified: Option<fjordsync_jottacloud::Timestamp>) {
    if let Some(t) = modified {
        let _ = transfer::set_mtime(path, t.as_second());
    }
}

pub async fn delete(ctx: &Context, arg: &str, hard: bool) -> anyhow::Result<()> {
    let (name, path) = Location::remote(arg)?;
    let s = ctx.open(&name)?;
    let target = s.path(&path)?;
    if target.is_mountpoint_root() {
        bail!("refusing to delete the whole mountpoint {}:", name);
    }
    let deleted = match s.client.stat(&target).await.with_context(|| arg.to_string())? {
        Entry::File(_) => s.client.delete_file(&target, hard).await,
        Entry::Folder(_) => s.client.delete_folder(&target, hard).await,
        Entry::MountPoint(_) => bail!("refusing to delete a mountpoint"),
    };
    deleted.with_context(|| arg.to_string())?;
    eprintln!("{}: {}", escape(arg), if hard { "deleted permanently" } else { "moved to the trash" });
    Ok(())
}

pub async fn link(ctx: &Context, arg: &str, unlink: bool) -> anyhow::Result<()> {
    let (name, path) = Location::remote(arg)?;
    let s = ctx.open(&name)?;
    let target = s.path(&path)?;
    if unlink {
        s.client.disable_share(&target).await.with_context(|| arg.to_string())?;
        eprintln!("{}: public link removed", escape(arg));
    } else {
        let link = s.client.enable_share(&target).await.with_context(|| arg.to_string())?;
        let mut out = output::stdout();
        writeln!(out, "{}", escape(link.direct_url.as_str()))?;
        out.flush()?;
    }
    Ok(())
}
