//! `fjordsync bisync --watch` end to end: the binary keeps running against
//! the emulator over HTTP while files change on either side. Every wait is
//! bounded (a deadline and a step); nothing asserts how long a step took.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::crash::wait_until;
use crate::support::{Env, write};
use crate::sync::{local_md5s, md5_hex, remote_md5s};

/// The watcher process; killed if a test fails before it stops it.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `bisync LOCAL REMOTE --watch --poll-interval 1s`, its standard error in a file.
fn spawn_watch(env: &Env, local: &Path, remote: &str) -> (Watcher, PathBuf) {
    let log = env.path("watch.log");
    let child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env("XDG_DATA_HOME", env.data_home())
        .env_remove("RUST_LOG")
        .args(["bisync", local.to_str().unwrap(), remote, "--watch", "--poll-interval", "1s"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    (Watcher(child), log)
}

/// The `run N: bisync ...` lines so far.
fn runs(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("run "))
        .map(String::from)
        .collect()
}

/// Waits (at most `limit`, checking every 300 ms) until the storage folder holds `want`.
async fn remote_has(
    env: &Env,
    remote: &str,
    limit: Duration,
    want: impl Fn(&std::collections::BTreeMap<String, String>) -> bool,
) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        // The folder may not exist yet: a failed listing is "not yet".
        let out = env.run(&["md5sum", remote]).await;
        let listed = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once("  ").map(|(m, p)| (p.to_string(), m.to_string())))
            .collect();
        if out.status.success() && want(&listed) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    false
}

/// SIGTERM, then the exit status (waiting at most 60 s).
async fn terminate(w: &mut Watcher) -> Option<std::process::ExitStatus> {
    let child = &mut w.0;
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let mut status = None;
    wait_until(Duration::from_secs(60), || {
        status = child.try_wait().unwrap();
        status.is_some()
    })
    .await;
    if status.is_none() {
        let _ = child.kill();
    }
    status
}

fn temp_files(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_dir() {
                stack.push(e.path());
            } else if name.starts_with(".fjordsync-") {
                found.push(name);
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_carries_changes_both_ways_folds_an_atomic_save_and_stops_on_sigterm() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    std::fs::create_dir_all(&local).unwrap();
    write(&local.join("first.txt"), b"first");
    let (mut child, log) = spawn_watch(&env, &local, "demo:Pair");

    // The start run sends what is there.
    assert!(
        remote_has(&env, "demo:Pair", Duration::from_secs(60), |m| m.contains_key("first.txt")).await,
        "first.txt never reached the storage:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // A new local file reaches the storage while it runs.
    write(&local.join("notes.txt"), b"version 1");
    assert!(
        remote_has(&env, "demo:Pair", Duration::from_secs(60), |m| m.get("notes.txt") == Some(&md5_hex(b"version 1")))
            .await,
        "a local change did not reach the storage:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    // A change made elsewhere (through the service) arrives here.
    let up = env.path("web.bin");
    write(&up, b"from the web");
    env.ok(&["copyto", up.to_str().unwrap(), "demo:Pair/web.txt"]).await;
    let arrived = wait_until(Duration::from_secs(60), || {
        std::fs::read(local.join("web.txt")).is_ok_and(|b| b == b"from the web")
    })
    .await;
    assert!(arrived, "a storage change did not arrive:\n{}", std::fs::read_to_string(&log).unwrap_or_default());

    // An editor's atomic save: its swap file lingers while editing, the new
    // content is written to a temp file and renamed over the real one.
    let before = runs(&log).len();
    write(&local.join(".notes.txt.swp"), b"vim swap");
    write(&local.join("notes.txt.tmp"), b"version 2");
    std::fs::rename(local.join("notes.txt.tmp"), local.join("notes.txt")).unwrap();
    assert!(
        remote_has(&env, "demo:Pair", Duration::from_secs(60), |m| m.get("notes.txt") == Some(&md5_hex(b"version 2")))
            .await,
        "the saved file did not reach the storage:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // Let any run still owed to the save finish (bounded), then look.
    wait_until(Duration::from_secs(5), || false).await;
    let remote = remote_md5s(&env, "demo:Pair").await;
    assert!(
        remote.keys().all(|k| !k.ends_with(".swp") && !k.ends_with(".tmp")),
        "a temporary file was uploaded: {remote:?}"
    );
    let after = runs(&log);
    let save_runs = &after[before..];
    assert!(!save_runs.is_empty() && save_runs.len() <= 2, "the save took {} runs: {save_runs:?}", save_runs.len());
    assert!(save_runs.iter().any(|l| l.contains("1 updated")), "the save is one update of notes.txt: {save_runs:?}");

    // SIGTERM: exit 0, no temp files left.
    let status = terminate(&mut child).await.expect("the watcher stops within a minute of SIGTERM");
    let text = std::fs::read_to_string(&log).unwrap();
    eprintln!("{text}");
    assert!(status.success(), "exit {status:?}:\n{text}");
    assert!(text.contains("stopped watching"), "{text}");
    assert_eq!(temp_files(&local), Vec::<String>::new());
    let mut want = local_md5s(&local);
    want.remove(".notes.txt.swp");
    assert_eq!(remote_md5s(&env, "demo:Pair").await, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_1000_files_arrives_in_a_few_runs() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    std::fs::create_dir_all(&local).unwrap();
    write(&local.join("seed.txt"), b"seed");
    let (mut child, log) = spawn_watch(&env, &local, "demo:Burst");
    assert!(wait_until(Duration::from_secs(60), || !runs(&log).is_empty()).await, "no start run");
    let before = runs(&log).len();

    for i in 0..1000 {
        let dir = local.join(format!("d{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        write(&dir.join(format!("f{i}.txt")), format!("file {i}").as_bytes());
    }
    assert!(
        remote_has(&env, "demo:Burst", Duration::from_secs(180), |m| m.len() == 1001).await,
        "the burst did not arrive:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let burst_runs = runs(&log).len() - before;
    assert!((1..=4).contains(&burst_runs), "{burst_runs} runs for one burst:\n{:?}", runs(&log));

    let status = terminate(&mut child).await.expect("stops");
    let text = std::fs::read_to_string(&log).unwrap();
    eprintln!("{text}");
    assert!(status.success(), "exit {status:?}:\n{text}");
    assert_eq!(remote_md5s(&env, "demo:Burst").await, local_md5s(&local));
}

/// The service stops answering (every request fails) while a file is
/// changed here and polls go on; once it answers again, the change arrives
/// without anyone restarting anything.
#[tokio::test(flavor = "multi_thread")]
async fn after_a_lost_connection_it_catches_up_by_itself() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    std::fs::create_dir_all(&local).unwrap();
    write(&local.join("seed.txt"), b"seed");
    let (mut child, log) = spawn_watch(&env, &local, "demo:Lost");
    assert!(wait_until(Duration::from_secs(60), || !runs(&log).is_empty()).await, "no start run");

    env.emu.set_faults(1.0, 0.0, Duration::ZERO);
    write(&local.join("offline.txt"), b"written while offline");
    let failed = wait_until(Duration::from_secs(120), || {
        std::fs::read_to_string(&log).unwrap_or_default().contains("could not sync")
    })
    .await;
    assert!(failed, "no failure reported while the service was down:\n{}", std::fs::read_to_string(&log).unwrap());
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);

    assert!(
        remote_has(&env, "demo:Lost", Duration::from_secs(120), |m| m.contains_key("offline.txt")).await,
        "the change made while offline never arrived:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let status = terminate(&mut child).await.expect("stops");
    let text = std::fs::read_to_string(&log).unwrap();
    eprintln!("{text}");
    assert!(status.success(), "{text}");
}
