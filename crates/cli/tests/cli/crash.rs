//! Crash safety: `kill -9` in the middle of work, then run again. Nothing may be
//! lost or corrupted, and a large upload must resume rather than restart.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::Env;
use crate::sync::{local_md5s, remote_md5s};

pub fn spawn(env: &Env, args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
        .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env("XDG_DATA_HOME", env.data_home())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Polls `cond` every 20 ms for at most `limit`.
pub async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_large_upload_resumes_instead_of_restarting() {
    let env = Env::start().await;
    env.add_demo().await;
    let size: usize = 48 << 20;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    let data: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(src.join("big.bin"), &data).unwrap();
    let src_s = src.to_str().unwrap();

    // Slow it down so the kill lands in the middle of the body.
    let mut child = spawn(&env, &["copy", "--bwlimit", "8M", src_s, "demo:big"]);
    let started = wait_until(Duration::from_secs(60), || env.emu.stats().bytes_uploaded > (8 << 20)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(started, "the upload never got going");
    let sent_before = env.emu.stats().bytes_uploaded;
    assert!(sent_before < size as u64, "killed too late to test resuming");

    env.ok(&["copy", src_s, "demo:big"]).await;
    let total = env.emu.stats().bytes_uploaded;
    assert!(
        total < size as u64 + (4 << 20),
        "the second run re-sent {} of {} bytes: it restarted instead of resuming",
        total - sent_before,
        size
    );
    assert_eq!(remote_md5s(&env, "demo:big").await, local_md5s(&src));
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_sync_of_many_files_loses_nothing() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    for i in 0..300 {
        let p = src.join(format!("d{}/file-{i:03}.txt", i % 10));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, format!("content of file {i}\n").repeat(i % 7 + 1)).unwrap();
    }
    let src_s = src.to_str().unwrap();
    env.emu.set_faults(0.0, 0.0, Duration::from_millis(20));
    let mut child = spawn(&env, &["sync", src_s, "demo:many"]);
    let started = wait_until(Duration::from_secs(60), || env.emu.stats().uploads_completed >= 40).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "the sync never got going");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);

    env.ok(&["sync", src_s, "demo:many"]).await;
    assert_eq!(remote_md5s(&env, "demo:many").await, local_md5s(&src));
    env.ok(&["check", src_s, "demo:many"]).await;
}

/// Issue 11: a download killed with `kill -9` leaves a temp file that the
/// next run continues with a `Range` request (not a second full download)
/// and that no run leaves behind.
#[tokio::test(flavor = "multi_thread")]
async fn killed_download_resumes_and_leaves_no_temp_file() {
    let env = Env::start().await;
    env.add_demo().await;
    let size: usize = 32 << 20;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    let data: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    std::fs::write(src.join("big.bin"), &data).unwrap();
    env.ok(&["copy", src.to_str().unwrap(), "demo:down"]).await;
    let dst = env.path("dst");
    let dst_s = dst.to_str().unwrap();

    let mut child = spawn(&env, &["copy", "--bwlimit", "8M", "demo:down", dst_s]);
    // Killed once part of the file is on disk (what the server has sent may
    // still sit in buffers of a busy machine: only the temp file counts).
    let on_disk = || {
        std::fs::read_dir(&dst)
            .map(|d| d.flatten().any(|e| e.metadata().is_ok_and(|m| m.len() >= (4 << 20))))
            .unwrap_or(false)
    };
    let started = wait_until(Duration::from_secs(60), on_disk).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(started, "the download never got going");
    let served_before = env.emu.stats().bytes_downloaded;
    assert!(served_before < size as u64, "killed too late to test resuming");
    let left: Vec<_> = std::fs::read_dir(&dst).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 1, "the killed run leaves its temp file: {left:?}");

    env.ok(&["copy", "demo:down", dst_s]).await;
    let fetched = env.emu.stats().bytes_downloaded - served_before;
    assert!(
        fetched < size as u64,
        "the second run fetched {fetched} of {size} bytes: it restarted instead of resuming"
    );
    assert_eq!(local_md5s(&dst), local_md5s(&src), "only big.bin, byte for byte: no temp file left");
    env.ok(&["check", "demo:down", dst_s]).await;
}
