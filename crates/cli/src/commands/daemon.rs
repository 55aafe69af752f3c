//! `fjordsync daemon`: the schedules and the web UI on a machine with no
//! desktop (a home server, a NAS).
//!
//! It is the same door as the desktop app's: one [`Api`] over this CLI's
//! configuration folder and the app's data folder, served by
//! `fjordsync_api::web` with the UI compiled into this binary ([`WebUi`]).
//! Who may call it is decided there (`web/access.rs`); this file only turns
//! the flags into that decision and says it to the user.

use std::borrow::Cow;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use fjordsync_api::Api;
use fjordsync_api::web::{self, Access, BasicLogin, UiSource, token_file};
use fjordsync_engine::tasks::scheduler::Role;

use crate::args::DaemonArgs;
use crate::context::Context;
use crate::output;

/// The environment variable that may carry the `--user` password.
const PASS_ENV: &str = "FJORDSYNC_DAEMON_PASS";

/// The built UI (`ui/dist`). A release build holds the files; a debug build
/// reads them from the source tree at run time. Built without `ui/dist`
/// (`allow_missing`), it holds none and the page says how to get them.
#[derive(rust_embed::Embed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct WebUi;

fn embedded_file(path: &str) -> Option<Cow<'static, [u8]>> {
    WebUi::get(path).map(|f| f.data)
}

pub async fn run(ctx: &Context, args: DaemonArgs) -> anyhow::Result<()> {
    let login = login(&args)?;
    let on_network = !args.addr.ip().is_loopback();
    if on_network && login.is_none() && !args.token_only {
        bail!(
            "listening on {} would let other machines reach fjordsync: give --user NAME with a password \
             (--pass-file FILE or {PASS_ENV}), or --token-only to rely on the access token alone; \
             or keep --addr 127.0.0.1:PORT",
            args.addr
        );
    }
    let token = token_file::load_or_create(&ctx.config.path().join(token_file::TOKEN_FILE))?;
    let listener = web::bind(args.addr).await?;
    let addr = listener.local_addr().context("reading the address the daemon listens on")?;
    let data_dir = fjordsync_api::data_dir_from_env().map_err(|e| anyhow::anyhow!(e.message))?;
    let api = Arc::new(Api::new(ctx.config.clone(), data_dir).map_err(|e| anyhow::anyhow!(e.message))?);
    let access = Access::daemon(addr, token, login);
    announce(addr, &access, on_network)?;

    // The demo storage's emulator comes back with the daemon (its state is on disk).
    if let Err(e) = api.ensure_demo_running().await {
        tracing::warn!("demo storage: {}", e.message);
    }
    let who = format!("fjordsync daemon (pid {}) at http://{addr}", std::process::id());
    let scheduler = api.scheduler(who).map_err(|e| anyhow::anyhow!(e.message))?;
    tokio::spawn(say_who_schedules(scheduler.role()));
    tokio::spawn(api.clone().run_this_scheduler(scheduler));
    let ui = UiSource::Embedded(embedded_file);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(web::serve_until(api.clone(), listener, access, ui, async {
        let _ = stopped.await;
    }));
    tokio::select! {
        _ = crate::signals::stop_requested() => {}
        // It ends by itself only when it fails.
        r = &mut server => {
            api.shutdown().await;
            return server_ended(r);
        }
    }
    eprintln!("fjordsync daemon: stopping (running tasks are cancelled)");
    // First the Api: runs are cancelled and event sockets close, so the
    // requests still open (a run in progress) end and the server can stop.
    api.shutdown().await;
    let _ = stop.send(());
    match tokio::time::timeout(STOP_GRACE, server).await {
        Ok(r) => server_ended(r),
        Err(_) => {
            eprintln!("fjordsync daemon: connections still open after {} s; stopping anyway", STOP_GRACE.as_secs());
            Ok(())
        }
    }
}

/// Tells the person at the terminal whether this daemon runs the schedules
/// or waits for another program (the app) that does; says it again when
/// that changes. Only one process runs the schedules of a configuration.
async fn say_who_schedules(mut role: tokio::sync::watch::Receiver<Role>) {
    while role.changed().await.is_ok() {
        let line = match &*role.borrow_and_update() {
            Role::Active => "fjordsync daemon: this daemon runs the scheduled tasks".to_string(),
            Role::Standby(holder) => {
                let who = holder.as_ref().map_or("another Fjordsync program", |h| h.who.as_str());
                format!("fjordsync daemon: {who} runs the scheduled tasks; this daemon takes over when it stops")
            }
            Role::Starting | Role::Stopped => continue,
        };
        eprintln!("{line}");
    }
}

/// How long a stop waits for open requests.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

fn server_ended(r: Result<std::io::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(anyhow::Error::new(e).context("the web server failed")),
        Err(e) => Err(anyhow::anyhow!("the web server failed: {e}")),
    }
}

/// The `--user` login, with its password from `--pass`, `--pass-file` or the environment.
fn login(args: &DaemonArgs) -> anyhow::Result<Option<BasicLogin>> {
    let Some(user) = &args.user else { return Ok(None) };
    if user.is_empty() || user.contains(':') {
        bail!("--user {user:?}: give a user name without a colon (HTTP Basic cannot carry one)");
    }
    let pass = if let Some(p) = &args.pass {
        p.clone()
    } else if let Some(file) = &args.pass_file {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading the password from {}", file.display()))?;
        text.lines().next().unwrap_or("").to_string()
    } else {
        std::env::var(PASS_ENV).unwrap_or_default()
    };
    if pass.is_empty() {
        bail!("--user {user} needs a password: --pass-file FILE, the environment variable {PASS_ENV}, or --pass");
    }
    Ok(Some(BasicLogin::new(user.clone(), pass)))
}

/// Where it listens, the link to open and, on a network, the warning.
fn announce(addr: SocketAddr, access: &Access, on_network: bool) -> anyhow::Result<()> {
    let mut out = output::stdout();
    writeln!(out, "fjordsync daemon listening on http://{addr}")?;
    writeln!(out, "open this link in a browser (it grants full access: keep it private):")?;
    writeln!(out, "{}", access.link())?;
    out.flush()?;
    if on_network {
        eprintln!(
            "warning: {addr} is reachable from other machines over plain HTTP: anyone on the network can read the \
             password, the token and what the pages show. Use it only on a network you trust, or put a TLS proxy in \
             front of it."
        );
    }
    Ok(())
}
