//! `fjordsync serve webdav REMOTE:PATH`: the storage folder as a WebDAV
//! share on this machine, through the filesystem core (`fjordsync-vfs`) and
//! the WebDAV server (`fjordsync-webdav`). This file turns flags into those,
//! says where to connect, and on a stop finishes the uploads before exiting.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use fjordsync_webdav::Login;

use crate::args::ServeWebdavArgs;
use crate::commands::folder::{self, FolderOptions};
use crate::context::Context;
use crate::output;

/// How each line this command prints to standard error starts.
const WHO: &str = "fjordsync serve webdav";

/// How long a stop waits for requests still open.
const STOP_GRACE: Duration = Duration::from_secs(10);

pub async fn webdav(ctx: &Context, args: ServeWebdavArgs) -> anyhow::Result<()> {
    let (login, made_up) = login(&args)?;
    let (vfs, cache_dir) =
        folder::open(ctx, FolderOptions { remote: &args.remote, cache: &args.cache, kind: "serve" }).await?;
    let listener = fjordsync_api::web::bind(args.addr).await?;
    let addr = listener.local_addr().context("reading the address the server listens on")?;
    // Listened for before anything is said: whoever reads the address or
    // "finishing" and stops the server at once gets a clean stop.
    let mut stops = crate::signals::Stops::listen();
    announce(&args.remote, addr, &login, made_up, &cache_dir)?;
    let left = vfs.resumed_uploads();
    if left > 0 {
        eprintln!("{WHO}: finishing {left} upload(s) left by the last run");
    }

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(fjordsync_webdav::serve_until(listener, vfs.clone(), login, async {
        let _ = stopped.await;
    }));
    tokio::select! {
        _ = stops.next() => {}
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
        eprintln!("{WHO}: requests still open after {} s; stopping them", STOP_GRACE.as_secs());
    }
    folder::finish(&vfs, WHO, &mut stops).await
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
