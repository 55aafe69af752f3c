//! `fjordsync mount REMOTE:PATH MOUNTPOINT` and `fjordsync unmount
//! MOUNTPOINT` (Linux, FUSE): the storage folder as a local folder, through
//! the filesystem core (`fjordsync-vfs`) and its FUSE frontend
//! (`fjordsync-fuse`). This file turns flags into those, says where it is
//! mounted, and on a stop (a signal, or an unmount from elsewhere) unmounts
//! and finishes the pending uploads before exiting.

use std::io::Write;

use anyhow::anyhow;

use crate::args::{MountArgs, UnmountArgs};
use crate::commands::folder::{self, FolderOptions};
use crate::context::Context;
use crate::output;

/// How each line this command prints to standard error starts.
const WHO: &str = "fjordsync mount";

pub async fn mount(ctx: &Context, args: MountArgs) -> anyhow::Result<()> {
    // Checked before anything is opened, so a wrong folder costs nothing.
    if let Some(entry) = fjordsync_fuse::find_mount(&args.mountpoint)
        && entry.is_ours()
    {
        return Err(anyhow!(
            "{}: a fjordsync mount is already there (of {}); unmount it with `fjordsync unmount {}` (add --lazy if its program has stopped)",
            args.mountpoint.display(),
            entry.source.trim_start_matches("fjordsync:"),
            args.mountpoint.display()
        ));
    }
    let (vfs, cache_dir) =
        folder::open(ctx, FolderOptions { remote: &args.remote, cache: &args.cache, kind: "mount" }).await?;
    let rt = tokio::runtime::Handle::current();
    let (v, point, source) = (vfs.clone(), args.mountpoint.clone(), args.remote.clone());
    let mounted = tokio::task::spawn_blocking(move || fjordsync_fuse::mount(v, rt, &point, &source))
        .await
        .map_err(|e| anyhow!("mounting failed: {e}"))?;
    let mut mounted = match mounted {
        Ok(m) => m,
        Err(e) => {
            vfs.stop().await;
            return Err(e.into());
        }
    };
    // Listened for before anything is said: whoever reads "is mounted" or
    // "finishing" and stops the mount at once gets a clean stop.
    let mut stops = crate::signals::Stops::listen();
    let mut out = output::stdout();
    writeln!(out, "{WHO}: {} is mounted at {}", args.remote, mounted.point().display())?;
    writeln!(out, "cache: {}", cache_dir.display())?;
    out.flush()?;
    let left = vfs.resumed_uploads();
    if left > 0 {
        eprintln!("{WHO}: finishing {left} upload(s) left by the last run");
    }

    tokio::select! {
        r = mounted.ended() => {
            if let Err(e) = r {
                eprintln!("{WHO}: the mount ended with an error: {e}");
            }
            eprintln!("{WHO}: {} was unmounted", mounted.point().display());
        }
        _ = stops.next() => {
            unmount_at_stop(&mounted);
            tokio::select! {
                _ = mounted.ended() => {}
                _ = stops.next() => {
                    let left = vfs.pending_uploads();
                    vfs.stop().await;
                    eprintln!("{WHO}: stopped; {left} file(s) wait in the cache and are uploaded at the next start");
                    return Ok(());
                }
            }
        }
    }
    folder::finish(&vfs, WHO, &mut stops).await
}

/// Unmounts after a signal: detached if a program still uses it (it goes
/// once the last open file there is closed).
fn unmount_at_stop(mounted: &fjordsync_fuse::Mounted) {
    let point = mounted.point().display();
    match mounted.unmount(false) {
        Ok(()) => eprintln!("{WHO}: unmounted {point}"),
        Err(fjordsync_fuse::UnmountError::Busy(_)) => {
            eprintln!(
                "{WHO}: {point} is still in use; detached: it goes once programs close their files there (Ctrl-C again to stop now)"
            );
            if let Err(e) = mounted.unmount(true) {
                eprintln!("{WHO}: {e}");
            }
        }
        Err(e) => eprintln!("{WHO}: {e}"),
    }
}

pub fn unmount(args: UnmountArgs) -> anyhow::Result<()> {
    fjordsync_fuse::unmount(&args.mountpoint, args.lazy)?;
    let mut out = output::stdout();
    writeln!(out, "unmounted {}", args.mountpoint.display())?;
    Ok(())
}
