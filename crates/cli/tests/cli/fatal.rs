//! Failures no retry can fix end the run at once, with one message that
//! says what to do: a full local disk (a real 1 MiB tmpfs, mounted in a
//! private mount namespace so nothing outlives the command; skipped where
//! this machine allows no such mount), and a run killed halfway keeps the
//! counters of the files it recorded.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Env, write};

/// `unshare` flags that let this process mount a tmpfs of its own: plain
/// `--mount` as root, else a user namespace too. None (with the reason)
/// where neither works.
fn mount_namespace(probe_dir: &Path) -> Result<&'static [&'static str], String> {
    let mut last = String::from("`unshare` is not available");
    for flags in [&["--mount"][..], &["--map-root-user", "--mount"][..]] {
        let out = Command::new("unshare")
            .args(flags)
            .args(["sh", "-c", "mount -t tmpfs -o size=1m tmpfs \"$1\"", "sh"])
            .arg(probe_dir)
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => return Ok(flags),
            Ok(o) => last = String::from_utf8_lossy(&o.stderr).trim().to_string(),
            Err(e) => last = format!("`unshare` cannot run: {e}"),
        }
    }
    Err(last)
}

/// `fjordsync ARGS` with a 1 MiB tmpfs mounted at `mnt` for it alone.
async fn on_small_disk(env: &Env, flags: &[&str], mnt: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("unshare");
    c.args(flags)
        .args(["sh", "-c", "mount -t tmpfs -o size=1m tmpfs \"$1\" && shift && exec \"$@\"", "sh"])
        .arg(mnt)
        .arg(assert_cmd::cargo::cargo_bin("fjordsync"))
        .args(args)
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    let out = tokio::task::spawn_blocking(move || c.output().unwrap());
    tokio::time::timeout(Duration::from_secs(120), out).await.expect("the run ends in time").unwrap()
}

/// The runs in the log, newest first.
async fn runs(env: &Env) -> Vec<Value> {
    env.ok(&["log", "--json"]).await.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_stops_the_download_at_once_with_one_message() {
    let env = Env::start().await;
    let mnt = env.path("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let flags = match mount_namespace(&mnt) {
        Ok(f) => f,
        Err(why) => {
            eprintln!("skipped: cannot mount a small tmpfs here ({why})");
            return;
        }
    };
    env.add_demo().await;
    // 20 files of 200 KiB (4 MiB) for a 1 MiB disk.
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    for i in 0..20u8 {
        write(&src.join(format!("f{i:02}.bin")), &vec![i; 200 << 10]);
    }
    env.ok(&["copy", src.to_str().unwrap(), "demo:big"]).await;
    let before = env.emu.stats().bytes_downloaded;

    let dst = mnt.join("dst");
    let out = on_small_disk(&env, flags, &mnt, &["sync", "demo:big", dst.to_str().unwrap()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the sync succeeded on a full disk:\n{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert!(stderr.contains("free space on that disk"), "{stderr}");
    assert_eq!(stderr.matches("FAILED").count(), 1, "one failure, not one per file:\n{stderr}");
    // Stopped at once: nothing downloaded again and again (4 MiB is the
    // whole tree once; five attempts per file would be far more).
    let downloaded = env.emu.stats().bytes_downloaded - before;
    assert!(downloaded < 3 << 20, "{downloaded} bytes downloaded for a 1 MiB disk");

    let run = &runs(&env).await[0];
    assert_eq!(run["outcome"], "failed");
    assert_eq!(run["counters"]["failed"], 1);
    let id = run["id"].as_i64().unwrap().to_string();
    let failed = env.ok(&["log", &id, "--failed"]).await;
    assert_eq!(failed.lines().count(), 1, "{failed}");
    assert!(failed.contains("the disk is full"), "{failed}");
}

/// A run killed halfway shows, in the log, the files its rows record
/// (not zeros): the counters are counted from the rows when the next
/// command finds the run's process gone.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_run_keeps_the_counters_of_its_files() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    for i in 0..40u8 {
        write(&src.join(format!("f{i:02}.bin")), &vec![i; 64 << 10]);
    }
    // Slow (2.5 MiB at 256 KiB/s), so the kill lands halfway.
    let mut child = crate::crash::spawn(&env, &["copy", "--bwlimit", "256K", src.to_str().unwrap(), "demo:slow"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut rows = 0;
    while rows < 3 && Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rows = env.run(&["log", "1"]).await.stdout.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count();
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(rows >= 3, "no files were recorded before the kill");

    let run = &runs(&env).await[0];
    assert_eq!(run["outcome"], "interrupted", "{run}");
    let events: Vec<Value> =
        env.ok(&["log", "1", "--json"]).await.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let uploaded = events.iter().filter(|e| e["action"] == "upload" && e["result"] == "completed").count();
    assert!((1..40).contains(&uploaded), "{uploaded} uploads recorded");
    assert_eq!(run["counters"]["uploaded"], uploaded, "{run}");
    let bytes: u64 = events.iter().filter(|e| e["result"] == "completed").map(|e| e["bytes"].as_u64().unwrap()).sum();
    assert_eq!(run["counters"]["bytes"], bytes, "{run}");
}
