//! `fjordsync serve webdav`: a storage folder as a WebDAV share on
//! 127.0.0.1, spoken to with plain HTTP (reqwest) and checked on the
//! emulator with the CLI's own commands.

use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use md5::Digest;
use reqwest::{Method, StatusCode};

use crate::support::{Env, lines_of};

/// How long the server may take to start, to answer, or to stop.
const LIMIT: Duration = Duration::from_secs(60);

/// A running `fjordsync serve webdav`, killed when dropped.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    url: String,
    user: String,
    pass: String,
    stderr: mpsc::Receiver<String>,
    http: reqwest::Client,
}

impl Server {
    /// Starts `fjordsync serve webdav ARGS` and reads where and how to connect.
    fn start(env: &Env, args: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
            .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
            .env("FJORDSYNC_SECRET_STORE", env.secret_store)
            .env_remove("RUST_LOG")
            .args(["serve", "webdav"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        let stdout = lines_of(child.stdout.take().unwrap());
        let (mut url, mut user, mut pass) = (None, None, String::new());
        let started = Instant::now();
        while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
            let Ok(line) = stdout.recv_timeout(left) else { break };
            if let Some((_, u)) = line.split_once(" at ") {
                url = Some(u.trim_end_matches('/').to_string());
            } else if let Some(u) = line.strip_prefix("user: ") {
                user = Some(u.to_string());
            } else if let Some(p) = line.strip_prefix("password: ") {
                pass = p.split(' ').next().unwrap().to_string();
            } else if line.starts_with("cache: ") {
                break;
            }
        }
        let (Some(url), Some(user)) = (url, user) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve webdav did not say where it listens: {:?}", stderr.try_iter().collect::<Vec<_>>());
        };
        let http = reqwest::Client::builder().timeout(LIMIT).build().unwrap();
        Server { child, url, user, pass, stderr, http }
    }

    fn request(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        self.http.request(m, format!("{}{path}", self.url))
    }

    /// A request with the login.
    fn dav(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path).basic_auth(&self.user, Some(&self.pass))
    }

    async fn status(&self, req: reqwest::RequestBuilder) -> StatusCode {
        req.send().await.unwrap().status()
    }

    fn signal(&self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }

    /// Waits (bounded) for a line on standard error containing `text`.
    fn wait_stderr(&self, text: &str) -> String {
        let started = Instant::now();
        while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("serve webdav did not say {text:?} within {LIMIT:?}");
    }

    /// SIGTERM; its exit status and standard error once stopped.
    fn stop(self) -> (std::process::ExitStatus, String) {
        self.signal();
        self.wait_exit()
    }

    /// Its exit status and standard error once it has stopped.
    fn wait_exit(mut self) -> (std::process::ExitStatus, String) {
        crate::support::wait_exit(&mut self.child, &self.stderr, LIMIT, "serve webdav")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn md5_hex(b: &[u8]) -> String {
    format!("{:x}", md5::Md5::digest(b))
}

/// Waits (bounded) until `fjordsync ls demo:PATH` lists `name`.
async fn wait_stored(env: &Env, folder: &str, name: &str) {
    let started = Instant::now();
    while started.elapsed() < LIMIT {
        if env.ok(&["ls", folder]).await.lines().any(|l| l.ends_with(name)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} did not reach {folder} within {LIMIT:?}");
}

const LOCK_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>
<D:owner>test</D:owner></D:lockinfo>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webdav_serves_a_storage_folder_behind_a_login() {
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:dav"]).await;
    let cache = env.path("cache");
    let server = Server::start(&env, &["demo:dav", "--addr", "127.0.0.1:0", "--cache-dir", cache.to_str().unwrap()]);
    assert_eq!(server.user, "fjordsync");
    assert_eq!(server.pass.len(), 20, "a random password is made and shown once");

    // No login, or a wrong one: 401 with a Basic challenge.
    let res = server.request("PROPFIND", "/").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let challenge = res.headers()["www-authenticate"].to_str().unwrap().to_string();
    assert!(challenge.starts_with("Basic "), "{challenge}");
    let wrong = server.request("GET", "/").basic_auth("fjordsync", Some("wrong"));
    assert_eq!(server.status(wrong).await, StatusCode::UNAUTHORIZED);

    // OPTIONS: class 2 (locks), so Finder mounts it read-write.
    let res = server.dav("OPTIONS", "/").send().await.unwrap();
    let dav = res.headers()["dav"].to_str().unwrap().to_string();
    assert!(dav.contains('2'), "DAV: {dav}");

    // PUT, GET, PROPFIND.
    let body = b"hello over webdav".to_vec();
    assert_eq!(server.status(server.dav("PUT", "/hello.txt").body(body.clone())).await, StatusCode::CREATED);
    let got = server.dav("GET", "/hello.txt").send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], &body[..]);
    let res = server.dav("PROPFIND", "/").header("Depth", "1").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 207);
    let listing = res.text().await.unwrap();
    assert!(listing.contains("/hello.txt"), "{listing}");
    assert!(listing.contains(&md5_hex(&body)), "the ETag carries the MD5: {listing}");

    // MKCOL and MOVE (a server-side move).
    assert_eq!(server.status(server.dav("MKCOL", "/docs")).await, StatusCode::CREATED);
    let dest = format!("{}/docs/moved.txt", server.url);
    assert_eq!(server.status(server.dav("MOVE", "/hello.txt").header("Destination", dest)).await, StatusCode::CREATED);
    assert_eq!(server.status(server.dav("GET", "/hello.txt")).await, StatusCode::NOT_FOUND);

    // LOCK: a locked file refuses a PUT without its token.
    let res = server.dav("LOCK", "/docs/moved.txt").body(LOCK_BODY).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.headers()["lock-token"].to_str().unwrap().to_string();
    assert_eq!(server.status(server.dav("PUT", "/docs/moved.txt").body("x")).await, StatusCode::LOCKED);
    let unlock = server.dav("UNLOCK", "/docs/moved.txt").header("Lock-Token", token);
    assert_eq!(server.status(unlock).await, StatusCode::NO_CONTENT);

    // LOCK of a new name makes an empty file (Office and Finder lock before they write).
    let res = server.dav("LOCK", "/docs/new.docx").body(LOCK_BODY).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = res.headers()["lock-token"].to_str().unwrap().to_string();
    let got = server.dav("GET", "/docs/new.docx").send().await.unwrap();
    assert_eq!((got.status(), got.bytes().await.unwrap().len()), (StatusCode::OK, 0));
    let put = server.dav("PUT", "/docs/new.docx").header("If", format!("({token})")).body("written");
    assert_eq!(server.status(put).await, StatusCode::NO_CONTENT);
    let unlock = server.dav("UNLOCK", "/docs/new.docx").header("Lock-Token", token);
    assert_eq!(server.status(unlock).await, StatusCode::NO_CONTENT);
    assert_eq!(server.status(server.dav("DELETE", "/docs/new.docx")).await, StatusCode::NO_CONTENT);

    // Finder's and Explorer's files are accepted and listed, never stored.
    for junk in ["/.DS_Store", "/docs/._moved.txt", "/Thumbs.db"] {
        assert_eq!(server.status(server.dav("PUT", junk).body("junk")).await, StatusCode::CREATED, "{junk}");
    }
    let res = server.dav("PROPFIND", "/docs").header("Depth", "1").send().await.unwrap();
    assert!(res.text().await.unwrap().contains("._moved.txt"));

    // A deleted file goes to the trash.
    assert_eq!(server.status(server.dav("PUT", "/gone.txt").body("bye")).await, StatusCode::CREATED);
    wait_stored(&env, "demo:dav", "gone.txt").await;
    assert_eq!(server.status(server.dav("DELETE", "/gone.txt")).await, StatusCode::NO_CONTENT);
    // A folder too, as one item.
    assert_eq!(server.status(server.dav("MKCOL", "/old")).await, StatusCode::CREATED);
    assert_eq!(server.status(server.dav("PUT", "/old/a.txt").body("a")).await, StatusCode::CREATED);
    wait_stored(&env, "demo:dav/old", "a.txt").await;
    assert_eq!(server.status(server.dav("DELETE", "/old/")).await, StatusCode::NO_CONTENT);

    // Paths never leave the served folder.
    let escape = server.dav("GET", "/%2e%2e/%2e%2e/etc/passwd");
    assert!(server.status(escape).await.is_client_error());

    let (status, stderr) = server.stop();
    assert!(status.success(), "serve webdav exits 0 after SIGTERM: {stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");

    let stored = env.ok(&["md5sum", "demo:dav"]).await;
    assert_eq!(stored.trim(), format!("{}  docs/moved.txt", md5_hex(&body)), "only the real file is stored");
    let trash = env.ok(&["trash", "list", "demo:"]).await;
    assert!(trash.contains("gone.txt"), "{trash}");
    assert!(trash.lines().any(|l| l.ends_with("/old") || l.ends_with("dav/old")), "{trash}");
    assert!(!trash.contains("a.txt"), "the folder went as one item: {trash}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_uploads_finish_before_the_server_exits() {
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:dav"]).await;
    let cache = env.path("cache");
    let mut server = Server::start(
        &env,
        &[
            "demo:dav",
            "--addr",
            "127.0.0.1:0",
            "--user",
            "me",
            "--pass",
            "secret",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--write-back",
            "1h",
        ],
    );
    assert_eq!((server.user.as_str(), server.pass.as_str()), ("me", ""), "a given password is never printed");
    server.pass = "secret".into();
    assert_eq!(server.status(server.request("GET", "/")).await, StatusCode::UNAUTHORIZED);
    for i in 0..5 {
        let put = server.dav("PUT", &format!("/f{i}.txt")).body(format!("file {i}"));
        assert_eq!(server.status(put).await, StatusCode::CREATED);
    }
    // Nothing is uploaded for an hour, so all five are pending at the stop and finish first.
    assert!(!env.ok(&["ls", "demo:dav"]).await.contains("f0.txt"));
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("uploading 5 pending file(s) first"), "{stderr}");
    assert!(stderr.contains("5 upload(s) finished"), "{stderr}");
    let stored = env.ok(&["ls", "demo:dav"]).await;
    for i in 0..5 {
        assert!(stored.contains(&format!("f{i}.txt")), "{stored}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_the_next_start_finishes_the_uploads() {
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:dav"]).await;
    let cache = env.path("cache");
    let args = ["demo:dav", "--addr", "127.0.0.1:0", "--cache-dir", cache.to_str().unwrap(), "--write-back", "1h"];
    let mut server = Server::start(&env, &args);
    for i in 0..3 {
        let put = server.dav("PUT", &format!("/f{i}.txt")).body(format!("file {i}"));
        assert_eq!(server.status(put).await, StatusCode::CREATED);
    }
    // A slow storage: finishing takes a while, and the user does not wait.
    // Each request waits 5 s: uploads several at once still take many
    // seconds, so the second signal (sent at the first message) comes first
    // even on a loaded machine.
    env.emu.set_faults(0.0, 0.0, Duration::from_secs(5));
    server.signal();
    server.wait_stderr("uploading 3 pending file(s) first");
    server.signal();
    let (status, stderr) = server.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("wait in the cache and are uploaded at the next start"), "{stderr}");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);

    server = Server::start(&env, &args);
    server.wait_stderr("finishing");
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    let stored = env.ok(&["ls", "demo:dav"]).await;
    for i in 0..3 {
        assert!(stored.contains(&format!("f{i}.txt")), "{stored}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clear_errors_for_a_taken_port_a_missing_folder_and_a_shared_cache() {
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:dav"]).await;
    let cache = env.path("cache");
    let cache = cache.to_str().unwrap();
    let err = env.fails(&["serve", "webdav", "demo:nothing", "--addr", "127.0.0.1:0", "--cache-dir", cache]).await;
    assert!(err.contains("demo:nothing: no such folder on the storage"), "{err}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = env.fails(&["serve", "webdav", "demo:dav", "--addr", &addr, "--cache-dir", cache]).await;
    assert!(err.contains("another program uses"), "{err}");
    let err = env.fails(&["serve", "webdav", "demo:dav", "--user", "a:b", "--pass", "x", "--cache-dir", cache]).await;
    assert!(err.contains("without a colon"), "{err}");
    // Two servers never share a cache folder (their pending uploads).
    let first = Server::start(&env, &["demo:dav", "--addr", "127.0.0.1:0", "--cache-dir", cache]);
    let err = env.fails(&["serve", "webdav", "demo:dav", "--addr", "127.0.0.1:0", "--cache-dir", cache]).await;
    assert!(err.contains("in use by another Fjordsync server"), "{err}");
    let (status, _) = first.stop();
    assert!(status.success());
}
