//! `os_mount` on Linux for real: a storage folder of the emulator served by
//! this crate on 127.0.0.1, mounted by `os_mount::mount` through gio
//! (GVfs), used through the gvfs-fuse path with ordinary file calls,
//! unmounted, and the storage checked. GVfs needs a D-Bus session: the test
//! runs itself again under `dbus-run-session` with its own
//! `XDG_RUNTIME_DIR` (where gvfs-fuse mounts). Skipped, saying why, where
//! gio, GVfs's WebDAV backend, gvfs-fuse, dbus-run-session or /dev/fuse is
//! missing (scripts/setup.sh --tests installs them). Every wait is bounded.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fjordsync_emulator::{Config, Emulator};
use fjordsync_jottacloud::{Client, ClientOptions, Endpoints, MemoryTokenStore, RemotePath, auth};
use fjordsync_vfs::{Vfs, VfsOptions};
use fjordsync_webdav::Login;
use fjordsync_webdav::os_mount::{self, OsMount, OsMountError, OsMountRequest};
use md5::Digest;

/// Set in the run under `dbus-run-session`.
const IN_SESSION: &str = "FJORDSYNC_OS_MOUNT_IN_SESSION";
/// How long the run in the session may take.
const LIMIT: Duration = Duration::from_secs(300);
const USER: &str = "fjordsync";
const PASS: &str = "pass word";

/// Why the GVfs mount cannot be tried here, if it cannot.
fn missing() -> Option<String> {
    let on_path = |p: &str| {
        std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(p).is_file()))
    };
    let libexec = |p: &str| ["/usr/libexec", "/usr/lib/gvfs"].iter().any(|d| Path::new(d).join(p).is_file());
    if !on_path("gio") {
        return Some("no gio (package libglib2.0-bin)".into());
    }
    if !on_path("dbus-run-session") {
        return Some("no dbus-run-session (package dbus-daemon)".into());
    }
    if !libexec("gvfsd-dav") {
        return Some("no GVfs WebDAV backend gvfsd-dav (package gvfs-backends)".into());
    }
    if !libexec("gvfsd-fuse") {
        return Some("no gvfsd-fuse (package gvfs-fuse)".into());
    }
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse".into());
    }
    None
}

#[test]
fn gio_mounts_the_served_folder_and_files_reach_the_storage() {
    if std::env::var_os(IN_SESSION).is_some() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
        rt.block_on(in_session());
        return;
    }
    if let Some(why) = missing() {
        eprintln!("skipped: {why}");
        return;
    }
    // The session's runtime folder: private (0700), gone after the test.
    let runtime = tempfile::tempdir().unwrap();
    let out = tempfile::tempfile().unwrap();
    let mut child = Command::new("dbus-run-session")
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args(["--exact", "gio_mounts_the_served_folder_and_files_reach_the_storage", "--nocapture"])
        .env(IN_SESSION, "1")
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out.try_clone().unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = {
        use std::io::{Read, Seek};
        let mut out = out;
        out.rewind().unwrap();
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    };
    eprintln!("--- the run under dbus-run-session:\n{output}");
    let passed = status.is_some_and(|s| s.success()) && output.contains("1 passed");
    assert!(passed, "the run under dbus-run-session failed ({status:?}):\n{output}");
    // No gvfs-fuse mount outlives the session (gvfsd-fuse leaves with the
    // session bus, possibly a moment after it).
    let left =
        || std::fs::read_to_string("/proc/self/mountinfo").unwrap().contains(&runtime.path().display().to_string());
    for _ in 0..100 {
        if !left() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!left(), "a GVfs mount outlived its session");
}

/// The test proper, inside the D-Bus session.
async fn in_session() {
    let env = Env::start().await;
    let served = env.serve().await;
    let req = OsMountRequest { url: served.url.clone(), user: USER.into(), pass: PASS.into(), name: "Served".into() };

    let mount = os_mount::mount(&req).await.expect("gio mounts the served folder");
    let OsMount::Gio { uri, local_path } = &mount else { panic!("not a gio mount: {mount:?}") };
    assert_eq!(uri, &format!("dav://{USER}@127.0.0.1:{}/", served.port));
    let path = local_path.clone().expect("gvfs-fuse gives the mount a path");
    assert_eq!(mount.path().as_deref(), Some(path.as_path()));
    // Mounting what is mounted already is no error (an app restarting).
    assert_eq!(os_mount::mount(&req).await.unwrap(), mount);

    // Ordinary file calls through the path: a tree in, read back.
    let files = tree();
    let at = path.clone();
    let want = files.clone();
    tokio::task::spawn_blocking(move || {
        for (rel, bytes) in &want {
            let p = at.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("writing {rel} through GVfs: {e}"));
        }
        for (rel, bytes) in &want {
            assert_eq!(&read_back(&at.join(rel)), bytes, "{rel} read back through GVfs");
        }
        let mut top: Vec<String> =
            std::fs::read_dir(&at).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        top.sort();
        assert_eq!(top, ["a.txt", "sub", "æøå med mellomrom.txt"]);
    })
    .await
    .unwrap();

    os_mount::unmount(&mount).await.expect("gio unmounts");
    assert!(gone(&path).await, "{} is still there after unmounting", path.display());
    // Unmounting again: already done, no error.
    os_mount::unmount(&mount).await.expect("a second unmount is no error");

    // What went in is on the storage, byte for byte.
    let done = served.vfs.finish_uploads().await;
    assert_eq!(done.failed.len(), 0, "every upload succeeds");
    for (rel, bytes) in &files {
        let remote = env.folder().join_path(rel).unwrap();
        let info = env.client.file_info(&remote).await.unwrap_or_else(|e| panic!("{rel} is not stored: {e}"));
        assert_eq!(info.md5, format!("{:x}", md5::Md5::digest(bytes)), "{rel} on the storage");
    }

    // The client's refusals come back as typed errors.
    let wrong = OsMountRequest { pass: "not the password".into(), ..req.clone() };
    let err = os_mount::mount(&wrong).await.unwrap_err();
    assert!(matches!(err, OsMountError::LoginRefused { .. }), "{err}");
    assert!(!err.to_string().contains("not the password"), "{err}");
    let nobody = OsMountRequest { url: format!("http://127.0.0.1:{}/", free_port()), ..req.clone() };
    let err = os_mount::mount(&nobody).await.unwrap_err();
    assert!(matches!(err, OsMountError::Unreachable { .. }), "{err}");

    served.stop().await;
}

/// The files copied in: a name with spaces and letters beyond ASCII, an
/// empty file, a 1 MB file two folders down.
fn tree() -> Vec<(String, Vec<u8>)> {
    vec![
        ("a.txt".into(), b"hello from gio\n".to_vec()),
        ("æøå med mellomrom.txt".into(), "norsk æøå\n".as_bytes().to_vec()),
        ("sub/empty.txt".into(), Vec::new()),
        ("sub/deep/data.bin".into(), (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect()),
    ]
}

/// The file at `path`, once it is there. A file written through gvfs-fuse
/// can be missing for a moment after `std::fs::write` returns (seen here in
/// about a third of the runs): its PUT goes out when FUSE releases the
/// file, and the kernel does not wait for a release after close().
fn read_back(path: &Path) -> Vec<u8> {
    for _ in 0..100 {
        match std::fs::read(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::thread::sleep(Duration::from_millis(50)),
            other => return other.unwrap_or_else(|e| panic!("reading {} back through GVfs: {e}", path.display())),
        }
    }
    panic!("{} is still missing 5 s after it was written through GVfs", path.display())
}

/// True once `path` is gone (GVfs drops it when the unmount returns; a
/// few tries in case gvfs-fuse lags).
async fn gone(path: &Path) -> bool {
    for _ in 0..50 {
        if std::fs::symlink_metadata(path).is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Env {
    _emu: Emulator,
    client: Client,
    dir: tempfile::TempDir,
}

impl Env {
    async fn start() -> Env {
        let emu = Emulator::start(Config::default()).await.expect("emulator starts");
        let endpoints = Endpoints::from_origin(&url::Url::parse(&emu.base_url()).unwrap());
        let options = ClientOptions::default();
        let token = auth::login_with_token(&endpoints, &options, &emu.issue_login_token()).await.unwrap();
        let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
        let client = Client::new(endpoints, token, store, options).unwrap();
        let env = Env { _emu: emu, client, dir: tempfile::tempdir().unwrap() };
        env.client.mkdir(&env.folder()).await.unwrap();
        env
    }

    fn folder(&self) -> RemotePath {
        RemotePath::new("Jotta", "Archive").unwrap().join("served").unwrap()
    }

    /// The folder served on 127.0.0.1 with the login USER / PASS.
    async fn serve(&self) -> Served {
        let options = VfsOptions { listing_ttl: Duration::ZERO, upload_delay: Duration::ZERO, ..VfsOptions::default() };
        let cache: PathBuf = self.dir.path().join("cache");
        let vfs = Vfs::open(self.client.clone(), self.folder(), &cache, options).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(fjordsync_webdav::serve_until(listener, vfs.clone(), Login::new(USER, PASS), async {
            let _ = stopped.await;
        }));
        Served { url: format!("http://127.0.0.1:{port}/"), port, vfs, stop, task }
    }
}

struct Served {
    url: String,
    port: u16,
    vfs: Vfs,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(30), self.task).await;
        self.vfs.stop().await;
    }
}
