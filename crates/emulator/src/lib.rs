//! A local emulator of the Jottacloud service for tests, demos and CI.
//!
//! One plain-HTTP listener serves every role of the real service by path:
//! JFS XML (`/jfs/…`), the JSON API (`/account/v1/…`, `/files/v1/…`), the
//! Keycloak identity endpoints (`/auth/realms/<realm>/…`), the legacy token
//! endpoint (`/auth/v1/…`), public links (`/opin/…`, `/s/…`) and our own control
//! endpoints (`/emulator/…`). Behaviour follows `docs/jottacloud-api.md` closely
//! enough that real rclone works against it (through a TLS proxy that adds
//! `X-Forwarded-*`; every absolute URL the emulator hands out honours them).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let emu = fjordsync_emulator::Emulator::start(Default::default()).await?;
//! println!("{} {}", emu.base_url(), emu.login_token());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The emulator deliberately has its own wire types and does not use the
//! fjordsync API client, so a misunderstanding of the protocol cannot hide by
//! being made identically on both sides.

mod config;
pub mod demo;
mod errors;
mod names;
mod render;
mod routes;
mod server;
mod store;
mod time;
mod tokens;
mod xml;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{Args, Config};
pub use server::Stats;

use server::{App, lock};
use store::Store;
use store::content::ContentStore;
use store::persist::{self, Account};
use tokens::{Tokens, random_id};

/// A running emulator. Dropping it (or [`Emulator::shutdown`]) stops it.
pub struct Emulator {
    app: Arc<App>,
    addr: SocketAddr,
    login_token: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    saver: Option<JoinHandle<()>>,
}

fn new_account(cfg: &Config, saved: Option<Account>) -> Account {
    let mut a = saved.unwrap_or_else(|| Account {
        username: random_id(24),
        email: "demo@fjordsync.test".into(),
        password: random_id(12),
        name: "Demo User".into(),
    });
    if let Some(u) = &cfg.username {
        a.username = u.clone();
    }
    if let Some(p) = &cfg.password {
        a.password = p.clone();
    }
    a
}

impl Emulator {
    /// Bind, load state (with `state_dir`), and start serving in the background.
    pub async fn start(config: Config) -> anyhow::Result<Emulator> {
        if let Some(d) = &config.state_dir {
            std::fs::create_dir_all(d).with_context(|| format!("creating state dir {}", d.display()))?;
        }
        let snap = match &config.state_dir {
            Some(d) => persist::load(d).context("reading the state snapshot")?,
            None => None,
        };
        let (account, store, tokens) = match snap {
            Some(s) => (new_account(&config, Some(s.account)), s.store, s.tokens),
            None => (new_account(&config, None), Store::new(time::now() + config.clock_offset), Tokens::default()),
        };
        let content = ContentStore::open(config.state_dir.as_deref()).context("opening the content store")?;
        let app = Arc::new(App::new(&config, account, store, tokens, content)?);
        let listener = tokio::net::TcpListener::bind((config.bind, config.port))
            .await
            .with_context(|| format!("binding {}:{}", config.bind, config.port))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{}", fmt_addr(addr));
        let login_token = routes::control::issue_login_token(&app, &base);
        app.save_now()?;

        let (stop, stopped) = oneshot::channel::<()>();
        let router = server::router(app.clone());
        // Small responses (metadata after each upload, small downloads) must not
        // wait for Nagle's algorithm: clients pay ~40 ms per request otherwise.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        let saver = app.state_dir.as_ref().map(|_| {
            let app = app.clone();
            tokio::spawn(async move {
                loop {
                    app.dirty.notified().await;
                    // Debounce: one write for a burst of changes.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let a = app.clone();
                    let started = std::time::Instant::now();
                    let _ = tokio::task::spawn_blocking(move || a.save_now()).await;
                    // A big tree makes every snapshot slow: pause four times
                    // as long as it took, so saving stays under a fifth of the
                    // time and requests are not stuck behind the store's lock.
                    tokio::time::sleep(started.elapsed() * 4).await;
                }
            })
        });
        Ok(Emulator { app, addr, login_token, stop: Some(stop), task: Some(task), saver })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", fmt_addr(self.addr))
    }

    pub fn username(&self) -> String {
        self.app.account.username.clone()
    }

    pub fn email(&self) -> String {
        self.app.account.email.clone()
    }

    pub fn password(&self) -> String {
        self.app.account.password.clone()
    }

    /// The token printed in the banner (reusable unless `single_use_tokens`).
    pub fn login_token(&self) -> String {
        self.login_token.clone()
    }

    /// A fresh personal login token pointing at [`Emulator::base_url`].
    pub fn issue_login_token(&self) -> String {
        routes::control::issue_login_token(&self.app, &self.base_url())
    }

    pub fn stats(&self) -> Stats {
        lock(&self.app.stats).clone()
    }

    /// Make every outstanding access token expired (clients must refresh).
    pub fn expire_access_tokens(&self) {
        lock(&self.app.tokens).expire_all_access();
    }

    pub fn set_write_locked(&self, on: bool) {
        routes::control::set_write_locked(&self.app, on);
    }

    pub fn set_quota(&self, q: Option<i64>) {
        routes::control::set_quota(&self.app, q);
    }

    /// Moves the server's clock: `secs` added to the real time from now on
    /// (a service whose clock is off; see [`Config::clock_offset`]).
    pub fn set_clock_offset(&self, secs: i64) {
        lock(&self.app.runtime).clock_offset = secs;
    }

    pub fn set_faults(&self, fail_rate: f64, reset_rate: f64, latency: Duration) {
        let mut rt = lock(&self.app.runtime);
        rt.fail_rate = fail_rate.clamp(0.0, 1.0);
        rt.reset_rate = reset_rate.clamp(0.0, 1.0);
        rt.latency = latency;
    }

    /// Stop serving, wait (bounded) for in-flight requests, write the snapshot.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let abort = t.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), t).await.is_err() {
                abort.abort();
            }
        }
        if let Some(s) = self.saver.take() {
            s.abort();
        }
        let app = self.app.clone();
        let _ = tokio::task::spawn_blocking(move || app.save_now()).await;
    }

    /// The banner `serve` prints.
    pub fn banner(&self) -> String {
        format!(
            "Fjordsync Jottacloud emulator listening on {base}\n\
             \x20 username: {user}\n\
             \x20 e-mail:   {email}\n\
             \x20 password: {pw}\n\
             \x20 OpenID:   {base}/auth/realms/jottacloud/.well-known/openid-configuration\n\
             \x20 web page: {base}/emulator/\n\
             Personal login token ({kind}):\n\
             {token}\n",
            base = self.base_url(),
            user = self.username(),
            email = self.email(),
            pw = self.password(),
            kind = if self.app.single_use_tokens { "single-use" } else { "reusable while the emulator runs" },
            token = self.login_token,
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(s) = self.saver.take() {
            s.abort();
        }
        if self.task.is_some() {
            let _ = self.app.save_now();
        }
    }
}

fn fmt_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// Ctrl-C, or SIGTERM on Unix (how test harnesses stop servers), so the
/// snapshot is written on the way out.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    tokio::signal::ctrl_c().await.ok();
}

/// Run the emulator from command-line flags: print the banner, serve until Ctrl-C.
pub async fn serve(args: Args) -> anyhow::Result<()> {
    let emu = Emulator::start(Config::from(args)).await?;
    print!("{}", emu.banner());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    wait_for_stop_signal().await;
    eprintln!("shutting down");
    emu.shutdown().await;
    Ok(())
}
