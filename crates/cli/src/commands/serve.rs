//! `fjordsync serve webdav REMOTE:PATH`: the storage folder as a WebDAV
//! share on this machine, through the filesystem core (`fjordsync-vfs`) and
//! the WebDAV server (`fjordsync-webdav`). This file turns flags into those,
//! says where to connect, and on a stop finishes the uploads before exiting.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use fjordsync_vfs::{Vfs, VfsError, VfsOptions};
use fjordsync_webdav::Login;
use md5::Digest;

use crate::args::ServeWebdavArgs;
use crate::context::Context;
use crate::location::Location;
use crate::output;

/// How long a stop waits for requests still open.
const STOP_GRACE: Duration = Duration::from_secs(10);

pub async fn webdav(ctx: &Context, args: ServeWebdavArgs) -> anyhow::Result<()> {
    let (name, path) = Location::remote(&args.remote)?;
    let (login, made_up) = login(&args)?;
    let session = ctx.open(&name)?;
    let root = session.path(&path)?;
    let cache_dir = match &args.cache_dir {
        Some(d) => d.clone(),
        None => default_cache_dir(&name, &path)?,
    };
    let options = VfsOptions {
        cache_max_size: args.cache_max_size,
        upload_delay: Duration::from_secs(args.write_back),
        ..VfsOptions::default()
    };
    let vfs = Vfs::open(session.client.clone(), root, &cache_dir, options).await.map_err(|e| match e {
        VfsError::NotFound(_) => anyhow!(
            "{}: no such folder on the storage: create it with `fjordsync mkdir {}`, or serve another one",
            args.remote,
            args.remote
        ),
        VfsError::NotFolder(_) => anyhow!("{} is a file: serve the folder that holds it", args.remote),
        e => anyhow::Error::new(e).context(format!("opening {}", args.remote)),
    })?;
    let listener = fjordsync_api::web::bind(args.addr).await?;
    let addr = listener.local_addr().context("reading the address the server listens on")?;
    announce(&args.remote, addr, &login, made_up, &cache_dir)?;
    let left = vfs.resumed_uploads();
    if left > 0 {
        eprintln!("fjordsync serve webdav: finishing {left} upload(s) left by the last run");
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(fjordsync_webdav::serve_until(listener, vfs.clone(), login, async {
        let _ = stopped.await;
    }));
    tokio::select! {
        _ = crate::signals::stop_requested() => {}
        r = &mut server => {
            vfs.stop().await;
            return match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(anyhow::Error::new(e).context("the WebDAV server failed")),
                Err(e) => Err(anyhow!("the WebDAV server failed: {e}")),
            };
        }
    }
    let _ = stop.send(());
    if tokio::time::timeout(STOP_GRACE, server).await.is_err() {
        eprintln!("fjordsync serve webdav: requests still open after {} s; stopping them", STOP_GRACE.as_secs());
    }
    finish(&vfs).await
}

/// Uploads what is pending, saying how many; a second Ctrl-C stops at once.
async fn finish(vfs: &Vfs) -> anyhow::Result<()> {
    let pending = vfs.pending_uploads();
    if pending == 0 {
        eprintln!("fjordsync serve webdav: stopped; nothing was waiting for upload");
        vfs.stop().await;
        return Ok(());
    }
    eprintln!(
        "fjordsync serve webdav: stopping; uploading {pending} pending file(s) first (Ctrl-C again to leave them for the next start)"
    );
    let done = tokio::select! {
        done = vfs.finish_uploads() => done,
        _ = crate::signals::stop_requested() => {
            let left = vfs.pending_uploads();
            vfs.stop().await;
            eprintln!("fjordsync serve webdav: stopped; {left} file(s) wait in the cache and are uploaded at the next start");
            return Ok(());
        }
    };
    vfs.stop().await;
    if done.failed.is_empty() {
        eprintln!("fjordsync serve webdav: stopped; {} upload(s) finished", done.uploaded);
        return Ok(());
    }
    for (path, why) in &done.failed {
        eprintln!("  {path}: {why}");
    }
    bail!(
        "{} upload(s) finished, {} could not be uploaded: they stay in the cache folder and are uploaded at the next start",
        done.uploaded,
        done.failed.len()
    )
}

/// The login from `--user`/`--pass`, or a new random one (`true`).
fn login(args: &ServeWebdavArgs) -> anyhow::Result<(Login, bool)> {
    match (&args.user, &args.pass) {
        (Some(user), Some(pass)) => {
            if user.is_empty() || user.contains(':') {
                bail!("--user {user:?}: give a user name without a colon (HTTP Basic cannot carry one)");
            }
            if pass.is_empty() {
                bail!("--pass: give a password that is not empty");
            }
            Ok((Login::new(user.clone(), pass.clone()), false))
        }
        _ => Ok((Login::random(), true)),
    }
}

/// `<cache>/fjordsync/serve/<remote>-<hash of REMOTE:PATH>`: one folder per
/// served folder, so two servers never share their pending uploads.
fn default_cache_dir(remote: &str, path: &str) -> anyhow::Result<PathBuf> {
    let base = dirs::cache_dir().ok_or_else(|| anyhow!("this system has no cache folder: give --cache-dir DIR"))?;
    let digest = md5::Md5::digest(format!("{remote}:{path}").as_bytes());
    let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Ok(base.join("fjordsync").join("serve").join(format!("{remote}-{hash}")))
}

/// Where to connect and with what, said once.
fn announce(
    remote: &str,
    addr: std::net::SocketAddr,
    login: &Login,
    made_up: bool,
    cache: &std::path::Path,
) -> anyhow::Result<()> {
    let mut out = output::stdout();
    writeln!(out, "fjordsync serve webdav: serving {remote} at http://{addr}/")?;
    writeln!(out, "user: {}", login.user())?;
    if made_up {
        writeln!(out, "password: {} (made for this run; shown only now)", login.pass())?;
    }
    writeln!(out, "cache: {}", cache.display())?;
    out.flush()?;
    if !addr.ip().is_loopback() {
        eprintln!(
            "warning: {addr} is reachable from other machines over plain HTTP: anyone on the network can read the \
             password and the files. Use it only on a network you trust, or put a TLS proxy in front of it."
        );
    }
    Ok(())
}
