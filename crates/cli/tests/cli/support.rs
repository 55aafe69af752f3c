//! Test harness: an emulator on 127.0.0.1:0 and a `fjordsync` command bound to
//! a fresh config directory.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use fjordsync_emulator::{Config, Emulator};

pub struct Env {
    pub emu: Emulator,
    pub dir: tempfile::TempDir,
    /// Which secret store the commands use (`file` unless a test needs the keyring).
    pub secret_store: &'static str,
}

impl Env {
    /// The commands' XDG data folder: their OS trash (`Trash/`) is the
    /// test's own, so a two-way sync's local deletes land there.
    pub fn data_home(&self) -> std::path::PathBuf {
        self.dir.path().join("xdg-data")
    }

    pub async fn start() -> Env {
        Env::with(Config::default()).await
    }

    pub async fn with(config: Config) -> Env {
        let emu = Emulator::start(config).await.expect("emulator starts");
        Env { emu, dir: tempfile::tempdir().unwrap(), secret_store: "file" }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `fjordsync ARGS...` with this environment's config dir and secret store.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("fjordsync").unwrap();
        c.env("FJORDSYNC_CONFIG_DIR", self.config_dir())
            .env("FJORDSYNC_SECRET_STORE", self.secret_store)
            .env("XDG_DATA_HOME", self.data_home())
            .env_remove("RUST_LOG")
            .env_remove("FJORDSYNC_LOGIN_TOKEN")
            .env_remove("RESTIC_REPOSITORY")
            .env_remove("RESTIC_PASSWORD")
            .env_remove("RESTIC_PASSWORD_FILE")
            .timeout(Duration::from_secs(120))
            .args(args);
        c
    }

    /// Runs the command in a blocking thread (the emulator needs the runtime).
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut c = self.cmd(args);
        tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(out.status.success(), "fjordsync {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and asserts failure; returns stderr.
    pub async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(!out.status.success(), "fjordsync {args:?} unexpectedly succeeded");
        String::from_utf8(out.stderr).unwrap()
    }

    /// Adds the remote `demo` with a fresh login token.
    pub async fn add_demo(&self) {
        let token = self.emu.issue_login_token();
        let url = self.emu.base_url();
        self.ok(&["remote", "add", "demo", "--login-token", &token, "--endpoint", &url]).await;
    }
}

pub fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

/// Waits (at most `limit`) for a child to exit; its status and the lines
/// of standard error `stderr` got (the reader thread has the last lines
/// once the pipe closed). `what` names it in the failure.
pub fn wait_exit(
    child: &mut std::process::Child,
    stderr: &std::sync::mpsc::Receiver<String>,
    limit: std::time::Duration,
    what: &str,
) -> (std::process::ExitStatus, String) {
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(started.elapsed() < limit, "{what} did not stop within {limit:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    (status, stderr.try_iter().collect::<Vec<_>>().join("\n"))
}

/// The lines a child writes, as they come.
pub fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}
