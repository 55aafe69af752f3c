//! `fjordsync daemon`: the web UI and API of the desktop app, served by the
//! CLI binary with a token kept in the configuration folder, against the
//! emulator over HTTP.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Env, lines_of};

/// How long a daemon may take to print its link, or to stop.
const LIMIT: Duration = Duration::from_secs(60);

/// A running `fjordsync daemon`, stopped (SIGTERM, then killed) when dropped.
struct Daemon {
    child: Child,
    /// `http://127.0.0.1:PORT`
    url: String,
    token: String,
    /// Its standard error so far is read at the end (`stop`).
    stderr: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `fjordsync daemon ARGS` on `env`'s configuration and waits for its link.
    fn start(env: &Env, args: &[&str]) -> Daemon {
        let mut child = daemon_command(env, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        let stdout = lines_of(child.stdout.take().unwrap());
        let started = Instant::now();
        let mut seen = Vec::new();
        while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
            let Ok(line) = stdout.recv_timeout(left) else { break };
            if let Some((url, token)) = line.split_once("/#token=") {
                return Daemon { child, url: url.to_string(), token: token.to_string(), stderr };
            }
            seen.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        let err: Vec<String> = stderr.try_iter().collect();
        panic!("the daemon printed no link within {LIMIT:?}: {seen:?} {err:?}");
    }

    fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// `POST /api/COMMAND` with `headers`: status and JSON body.
    async fn call(&self, command: &str, args: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}/api/{command}", self.url))
            .header("content-type", "application/json")
            .body(args.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    /// A call with the token; asserts it worked.
    async fn ok(&self, command: &str, args: Value) -> Value {
        let bearer = format!("Bearer {}", self.token);
        let (status, body) = self.call(command, args, &[("authorization", &bearer)]).await;
        assert_eq!(status, 200, "{command}: {body}");
        body
    }

    /// SIGTERM, and its exit status and standard error once it has stopped.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let started = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(started.elapsed() < LIMIT, "the daemon did not stop within {LIMIT:?} of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        (status, self.stderr.try_iter().collect::<Vec<_>>().join("\n"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn daemon_command(env: &Env, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"));
    c.env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env("FJORDSYNC_DATA_DIR", env.path("data"))
        .env("XDG_DATA_HOME", env.data_home())
        .env_remove("FJORDSYNC_DAEMON_PASS")
        .env_remove("RUST_LOG")
        .arg("daemon")
        .args(args);
    c
}

/// Runs `fjordsync daemon ARGS` that must refuse to start: its standard error.
async fn refused(env: &Env, args: &[&str]) -> String {
    let mut all = vec!["daemon"];
    all.extend_from_slice(args);
    let mut cmd = env.cmd(&all);
    cmd.env("FJORDSYNC_DATA_DIR", env.path("data")).env_remove("FJORDSYNC_DAEMON_PASS").timeout(LIMIT);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert!(!out.status.success(), "fjordsync daemon {args:?} started");
    String::from_utf8(out.stderr).unwrap()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The built UI, when this checkout has one (scripts/setup.sh builds it before cargo).
fn built_ui() -> Option<String> {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist/index.html")).ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_needs_the_token_kept_0600_across_restarts() {
    let env = Env::start().await;
    env.add_demo().await;
    let d = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    assert!(d.url.starts_with("http://127.0.0.1:") && d.port() != 0, "the real port: {}", d.url);

    let (status, body) = d.call("list_storages", json!({}), &[]).await;
    assert_eq!((status, &body["code"]), (401, &json!("unauthorized")), "no token: {body}");
    assert!(body["message"].as_str().unwrap().contains("fjordsync daemon printed"), "{body}");
    let wrong = format!("Bearer {}", "0".repeat(64));
    let (status, body) = d.call("list_storages", json!({}), &[("authorization", &wrong)]).await;
    assert_eq!((status, &body["code"]), (401, &json!("unauthorized")), "wrong token: {body}");
    let events = reqwest::get(format!("{}/api/events", d.url)).await.unwrap();
    assert_eq!(events.status().as_u16(), 401, "the event socket needs the token too");

    // The right token: the CLI's remote is the app's storage, and it lists the emulator's files.
    let info = d.ok("app_info", json!({})).await;
    assert_eq!(info["secretStore"], "file");
    let storages = d.ok("list_storages", json!({})).await;
    assert!(storages.as_array().unwrap().iter().any(|s| s["name"] == "demo"), "{storages}");
    d.ok("create_folder", json!({"storage": "demo", "parent": [], "name": "From the daemon"})).await;
    env.ok(&["lsd", "demo:"]).await.contains("From the daemon").then_some(()).expect("the CLI sees the folder");

    let token_file = env.config_dir().join("daemon.token");
    assert_eq!(mode(&token_file), 0o600);
    assert_eq!(std::fs::read_to_string(&token_file).unwrap().trim(), d.token);
    let first = d.token.clone();
    let (status, stderr) = d.stop();
    assert!(status.success(), "SIGTERM is a clean stop: {status} {stderr}");

    let again = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    assert_eq!(again.token, first, "the same token after a restart");
    again.ok("list_storages", json!({})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::start().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    let token_file = env.config_dir().join("daemon.token");
    std::fs::write(&token_file, format!("{}\n", "a".repeat(64))).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = refused(&env, &["--addr", "127.0.0.1:0"]).await;
    assert!(err.contains("can be read by other users") && err.contains("chmod 600"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_address_needs_a_login_or_the_explicit_token() {
    let env = Env::start().await;
    let err = refused(&env, &["--addr", "0.0.0.0:0"]).await;
    assert!(err.contains("--user") && err.contains("--token-only"), "{err}");
    assert!(!env.config_dir().join("daemon.token").exists() || mode(&env.config_dir().join("daemon.token")) == 0o600);
    let err = refused(&env, &["--addr", "0.0.0.0:0", "--user", "alice"]).await;
    assert!(err.contains("needs a password"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_address_is_named() {
    let env = Env::start().await;
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let err = refused(&env, &["--addr", &addr]).await;
    assert!(err.contains(&format!("another program uses {addr}")) && err.contains("--addr"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_login_on_the_network() {
    let env = Env::start().await;
    let pass_file = env.path("pass");
    std::fs::write(&pass_file, "s3cret pass\n").unwrap();
    let pass_file = pass_file.to_str().unwrap();
    let d = Daemon::start(&env, &["--addr", "0.0.0.0:0", "--user", "alice", "--pass-file", pass_file]);
    let base = format!("http://127.0.0.1:{}", d.port());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The page asks for the login (the browser's dialog); a wrong one gets nothing.
    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 401);
    assert!(page.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    let wrong = client.get(format!("{base}/")).basic_auth("alice", Some("s3cret")).send().await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401, "a wrong password");
    // The right one: the page gets the token, in the query the UI takes it from.
    let right = client.get(format!("{base}/")).basic_auth("alice", Some("s3cret pass")).send().await.unwrap();
    assert_eq!(right.status().as_u16(), 303);
    assert_eq!(right.headers()["location"], format!("/?token={}", d.token).as_str());
    // Any Host name (the machine's name on the network), same-origin pages only.
    let named = client
        .post(format!("{base}/api/app_info"))
        .basic_auth("alice", Some("s3cret pass"))
        .header("host", "nas.local:8090")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(named.status().as_u16(), 200, "the login alone opens the API");
    let cross = client
        .post(format!("{base}/api/app_info"))
        .basic_auth("alice", Some("s3cret pass"))
        .header("host", "nas.local:8090")
        .header("origin", "http://evil.example")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403, "another site's page");
    // The token works too (the page sends it); nothing gets nothing.
    d.ok("app_info", json!({})).await;
    let (status, _) = d.call("app_info", json!({}), &[("host", "127.0.0.1")]).await;
    assert_eq!(status, 401);

    let (status, stderr) = d.stop();
    assert!(status.success());
    assert!(stderr.contains("plain HTTP"), "the network warning: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_the_ui_from_the_binary_and_brings_the_demo_back() {
    let env = Env::start().await;
    let d = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let page = reqwest::get(format!("{}/", d.url)).await.unwrap();
    let status = page.status().as_u16();
    let text = page.text().await.unwrap();
    match built_ui() {
        Some(index) => assert_eq!((status, text), (200, index), "ui/dist/index.html"),
        None => assert!(status == 404 && text.contains("built without its web UI"), "{status} {text}"),
    }

    // The demo storage runs on the daemon's own emulator, which comes back after a restart.
    d.ok("start_demo", json!({})).await;
    let listed = d.ok("list_folder", json!({"storage": "demo", "path": []})).await;
    assert!(listed.to_string().contains("Documents"), "the demo's sample folders: {listed}");
    let (status, _) = d.stop();
    assert!(status.success());
    let again = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let listed = again.ok("list_folder", json!({"storage": "demo", "path": []})).await;
    assert!(listed.to_string().contains("Documents"), "after a restart: {listed}");
}

/// Waits (bounded) for a line of the daemon's standard error containing `text`.
fn said(d: &Daemon, text: &str, seen: &mut Vec<String>) -> bool {
    let started = Instant::now();
    while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
        let Ok(line) = d.stderr.recv_timeout(left) else { return false };
        let found = line.contains(text);
        seen.push(line);
        if found {
            return true;
        }
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_runs_due_tasks_and_only_one_process_schedules() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    crate::support::write(&src.join("a.txt"), b"alpha");
    env.ok(&["task", "add", "nightly", "copy", src.to_str().unwrap(), "demo:nightly", "--every", "1h"]).await;
    // The schedule was set two hours ago, so the task is due now.
    let db = rusqlite::Connection::open(env.config_dir().join("state.db")).unwrap();
    db.execute(
        "UPDATE named_tasks SET schedule_since_ms = schedule_since_ms - 7200000, created_ms = created_ms - 7200000",
        [],
    )
    .unwrap();
    drop(db);

    let first = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let mut seen = Vec::new();
    assert!(said(&first, "this daemon runs the scheduled tasks", &mut seen), "{seen:?}");
    let logged = |env: &Env| {
        let out = env.cmd(&["log", "--json", "--task", "nightly"]).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect::<Vec<_>>()
    };
    let ran = crate::crash::wait_until(LIMIT, || logged(&env).iter().any(|r| r["outcome"] == "ok")).await;
    assert!(ran, "the due task ran under the daemon: {:?}", logged(&env));
    assert_eq!(logged(&env).len(), 1, "once, not at every tick");

    // A second daemon on the same configuration waits, and takes over when the first stops.
    let second = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let mut seen2 = Vec::new();
    assert!(said(&second, "takes over when it stops", &mut seen2), "{seen2:?}");
    assert!(seen2.iter().any(|l| l.contains(&format!("fjordsync daemon (pid {})", first.child.id()))), "{seen2:?}");
    let (status, _) = first.stop();
    assert!(status.success());
    assert!(said(&second, "this daemon runs the scheduled tasks", &mut seen2), "{seen2:?}");
}

/// A two-way task made with `task add ... --watch` is kept in step by the
/// daemon: a file saved in the folder reaches the storage without a run
/// being started by anyone, and the task list says it is watched.
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_keeps_a_continuous_two_way_task_in_step() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("docs");
    std::fs::create_dir(&local).unwrap();
    crate::support::write(&local.join("a.txt"), b"alpha");
    // Only a two-way sync watches.
    let e = env.fails(&["task", "add", "w", "sync", local.to_str().unwrap(), "demo:w", "--watch"]).await;
    assert!(e.contains("only a two-way sync can run continuously"), "{e}");
    let args =
        ["task", "add", "docs", "bisync", local.to_str().unwrap(), "demo:docs", "--watch", "--poll-interval", "10s"];
    let added = env.run(&args).await;
    let err = String::from_utf8_lossy(&added.stderr);
    assert!(added.status.success() && err.contains("kept in step continuously"), "{err}");
    let listed = env.ok(&["task", "show", "docs"]).await;
    assert!(listed.contains("continuously (the storage checked every 10 s)"), "{listed}");

    let daemon = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let remote_has = |env: &Env, name: &str| {
        let out = env.cmd(&["ls", "demo:docs"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().any(|l| l.ends_with(name))
    };
    assert!(crate::crash::wait_until(LIMIT, || remote_has(&env, "a.txt")).await, "the first run merged");
    crate::support::write(&local.join("saved.txt"), b"saved later");
    assert!(crate::crash::wait_until(LIMIT, || remote_has(&env, "saved.txt")).await, "a saved file went up by itself");
    let tasks = daemon.ok("list_tasks", json!({})).await;
    let watch = &tasks.as_array().unwrap().iter().find(|t| t["name"] == "docs").unwrap()["watch"];
    assert!(["idle", "syncing"].contains(&watch["state"].as_str().unwrap_or_default()), "{watch}");
    let (status, _) = daemon.stop();
    assert!(status.success());
}

/// The app's door (here the daemon's web server, the same `Api` the window
/// calls) and the command line share one task list and one run log: each
/// sees the other's tasks and runs, under the task.
#[tokio::test(flavor = "multi_thread")]
async fn tasks_and_runs_are_shared_between_the_command_line_and_the_app() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    crate::support::write(&src.join("a.txt"), b"alpha");
    let src_s = src.to_str().unwrap();
    let d = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);

    // A task made on the command line appears in the app, with its schedule.
    env.ok(&["task", "add", "Pictures", "sync", src_s, "demo:Pictures", "--every", "6h"]).await;
    let tasks = d.ok("list_tasks", json!({})).await;
    let pictures = tasks.as_array().unwrap().iter().find(|t| t["name"] == "Pictures").unwrap().clone();
    assert_eq!(
        (&pictures["kind"], &pictures["direction"], &pictures["storage"]),
        (&json!("sync"), &json!("upload"), &json!("demo"))
    );
    assert_eq!(pictures["schedule"], json!({"type": "hourly", "hours": 6}));

    // A task made in the app is listed and run by the command line.
    let docs = json!({"name": "Docs", "kind": "copy", "direction": "upload", "local": src_s, "storage": "demo", "remote": "Docs"});
    let saved = d.ok("save_task", json!({ "task": docs })).await;
    let list = env.ok(&["task", "list"]).await;
    assert!(list.contains("Docs") && list.contains("Pictures"), "{list}");
    env.ok(&["task", "run", "Docs"]).await;
    let runs = d.ok("list_runs", json!({ "task": saved["id"] })).await;
    assert_eq!(runs.as_array().unwrap().len(), 1, "the command line's run shows under the app's task: {runs}");
    assert_eq!(runs[0]["outcome"], "ok");

    // The app runs the command line's task; `fjordsync log --task` shows it.
    let run = d.ok("run_task", json!({ "id": pictures["id"] })).await;
    assert_eq!(run["outcome"], "ok", "{run}");
    let log = env.ok(&["log", "--json", "--task", "Pictures"]).await;
    let ids: Vec<Value> = log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone()).collect();
    assert_eq!(ids, vec![run["id"].clone()]);
}

/// The mount with this name as the app's door lists it.
async fn mount_named(d: &Daemon, name: &str) -> Value {
    let mounts = d.ok("list_mounts", json!({})).await;
    mounts.as_array().unwrap().iter().find(|m| m["name"] == name).cloned().unwrap_or(Value::Null)
}

/// Waits (bounded) until the mount's state is `state`.
async fn mount_in_state(d: &Daemon, name: &str, state: &str) -> Value {
    let started = Instant::now();
    while started.elapsed() < LIMIT {
        let m = mount_named(d, name).await;
        if m["status"]["state"] == state {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{name} never became {state}: {}", mount_named(d, name).await);
}

/// A mount is a task the daemon keeps (as the app does): made on the
/// command line, served over WebDAV with a login, unmounted through the
/// app's door after its uploads; on a folder (real FUSE where `/dev/fuse`
/// exists) unmounted when the daemon stops, with what was written uploaded.
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_keeps_mounts() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    crate::support::write(&src.join("a.txt"), b"stored before");
    env.ok(&["copy", src.to_str().unwrap(), "demo:Photos"]).await;
    let e = env.fails(&["task", "add", "x", "mount", "demo:Photos", "--every", "6h"]).await;
    assert!(e.contains("no schedule"), "{e}");
    env.ok(&["task", "add", "photos", "mount", "demo:Photos"]).await;
    let e = env.fails(&["task", "run", "photos"]).await;
    assert!(e.contains("is a mount"), "{e}");

    let d = Daemon::start(&env, &["--addr", "127.0.0.1:0"]);
    let m = mount_in_state(&d, "photos", "mounted").await;
    let (url, user, pass) = (
        m["webdav"]["url"].as_str().unwrap().to_string(),
        m["webdav"]["user"].as_str().unwrap().to_string(),
        m["webdav"]["pass"].as_str().unwrap().to_string(),
    );
    assert!(url.starts_with("http://127.0.0.1:"), "{m}");
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{url}a.txt")).send().await.unwrap().status(), 401);
    let got = http.get(format!("{url}a.txt")).basic_auth(&user, Some(&pass)).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"stored before");
    let put = http.put(format!("{url}new.txt")).basic_auth(&user, Some(&pass)).body("written").send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    // Mount tasks are not sync tasks: the Tasks screen does not list them.
    let tasks = d.ok("list_tasks", json!({})).await;
    assert!(tasks.as_array().unwrap().iter().all(|t| t["name"] != "photos"), "{tasks}");

    // "Unmount": uploads first, then the server goes.
    let id = m["id"].as_str().unwrap().to_string();
    d.ok("set_mounted", json!({"id": id, "on": false})).await;
    mount_in_state(&d, "photos", "stopped").await;
    let listed = env.ok(&["ls", "demo:Photos"]).await;
    assert!(listed.contains("new.txt"), "{listed}");
    assert!(http.get(&url).send().await.is_err(), "the server is gone");
    // Removed: gone from the list, and its cache with it (nothing waits in it).
    let cache = env.path("data").join("mounts").join(format!("task-{id}"));
    assert!(cache.join("state.db").is_file(), "{}", cache.display());
    d.ok("delete_mount", json!({"id": id})).await;
    assert!(mount_named(&d, "photos").await.is_null());
    assert!(!cache.exists(), "the removed mount's cache is gone");

    if !Path::new("/dev/fuse").exists() {
        eprintln!("the folder part skipped: this machine has no /dev/fuse");
        return;
    }
    let point = env.path("Jotta");
    let form = json!({"id": "", "name": "folder", "storage": "demo", "folder": "Photos",
        "access": {"via": "folder", "mountpoint": point}, "cacheMaxSize": null});
    d.ok("save_mount", json!({ "mount": form })).await;
    mount_in_state(&d, "folder", "mounted").await;
    let p = point.clone();
    let read = tokio::task::spawn_blocking(move || {
        std::fs::write(p.join("typed.txt"), b"typed").unwrap();
        std::fs::read(p.join("a.txt")).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(read, b"stored before");
    let (status, _) = d.stop();
    assert!(status.success());
    assert_eq!(std::fs::read_dir(&point).unwrap().count(), 0, "unmounted when the daemon stopped");
    let listed = env.ok(&["ls", "demo:Photos"]).await;
    assert!(listed.contains("typed.txt"), "{listed}");
}
