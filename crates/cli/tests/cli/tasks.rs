//! Named tasks (`fjordsync task ...`) against the emulator: kept in the
//! state database, run through the engine's runner, one run at a time per
//! task across processes.

use std::time::Duration;

use serde_json::Value;

use crate::crash::{spawn, wait_until};
use crate::support::{Env, write};
use crate::sync::{local_md5s, remote_md5s};

fn json_lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_are_added_listed_run_logged_paused_and_removed() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    write(&src.join("a.txt"), b"alpha");
    write(&src.join("skip.tmp"), b"left alone");
    let src_s = src.to_str().unwrap();

    env.ok(&["task", "add", "photos", "sync", src_s, "demo:photos", "--every", "6h", "--exclude", "*.tmp"]).await;
    env.ok(&["task", "add", "docs", "copy", src_s, "demo:docs", "--daily", "02:30"]).await;
    // Names are unique ignoring case; bad input changes nothing.
    let err = env.fails(&["task", "add", "Photos", "copy", src_s, "demo:x"]).await;
    assert!(err.contains("already a task named \"photos\""), "{err}");
    let err = env.fails(&["task", "add", "hourly", "copy", src_s, "demo:x", "--every", "30m"]).await;
    assert!(err.contains("\"30m\" is not an interval like 6h"), "{err}");
    let err = env.fails(&["task", "add", "42", "copy", src_s, "demo:x"]).await;
    assert!(err.contains("needs a letter"), "{err}");

    let list = json_lines(&env.ok(&["task", "list", "--json"]).await);
    assert_eq!(list.len(), 2);
    let photos = list.iter().find(|t| t["name"] == "photos").unwrap();
    assert_eq!(photos["kind"], "sync");
    assert_eq!(photos["source"], src_s);
    assert_eq!(photos["destination"], "demo:photos");
    assert_eq!(photos["schedule"], serde_json::json!({"type": "hourly", "hours": 6}));
    assert!(photos["next_due_ms"].as_i64().is_some());
    assert_eq!(photos["paused"], false);
    assert!(photos["last_run"].is_null());
    let text = env.ok(&["task", "list"]).await;
    assert!(text.contains("photos  sync") && text.contains("every 6 hours") && text.contains("never run"), "{text}");
    assert!(text.contains("daily at 02:30"), "{text}");

    // Run: the task's options apply (the exclude), and the run is the task's.
    env.ok(&["task", "run", "photos"]).await;
    assert_eq!(remote_md5s(&env, "demo:photos").await.keys().collect::<Vec<_>>(), vec!["a.txt"]);
    env.ok(&["sync", src_s, "demo:adhoc"]).await;
    let log = json_lines(&env.ok(&["log", "--json"]).await);
    assert_eq!(log.len(), 2);
    assert_eq!((log[0]["task"].clone(), log[1]["task"].clone()), (Value::Null, "photos".into()));
    let only = json_lines(&env.ok(&["log", "--json", "--task", "photos"]).await);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["id"], log[1]["id"]);
    assert!(env.ok(&["log"]).await.contains("[task photos]"));
    let err = env.fails(&["log", "--task", "music"]).await;
    assert!(err.contains("no task named \"music\""), "{err}");

    let show = env.ok(&["task", "show", "photos"]).await;
    assert!(show.contains("last run:     last ok"), "{show}");
    assert!(show.contains("every 6 hours, next"), "{show}");

    env.ok(&["task", "pause", "photos"]).await;
    let shown: Value = serde_json::from_str(&env.ok(&["task", "show", "photos", "--json"]).await).unwrap();
    assert_eq!(shown["paused"], true);
    assert!(env.ok(&["task", "list"]).await.contains("every 6 hours (paused)"));
    env.ok(&["task", "resume", "photos"]).await;
    assert_eq!(json_lines(&env.ok(&["task", "list", "--json"]).await)[1]["paused"], false);

    env.ok(&["task", "remove", "photos"]).await;
    let err = env.fails(&["task", "run", "photos"]).await;
    assert!(err.contains("no task named \"photos\""), "{err}");
    assert_eq!(json_lines(&env.ok(&["task", "list", "--json"]).await).len(), 1);
    // Its runs stay in the log.
    assert_eq!(json_lines(&env.ok(&["log", "--json"]).await).len(), 2);
}

/// Two processes cannot run one task at once: the second is told which
/// process holds it. A killed holder releases the task.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_runs_once_across_processes_and_a_killed_run_releases_it() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    let data: Vec<u8> = (0..(4usize << 20)).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    write(&src.join("big.bin"), &data);
    let src_s = src.to_str().unwrap();
    env.ok(&["task", "add", "big", "copy", src_s, "demo:big", "--bwlimit", "1M"]).await;

    let mut child = spawn(&env, &["task", "run", "big"]);
    let lock = env.config_dir().join("locks/tasks/task-1.lock");
    let held = wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("\"what\":\"run\""))
    })
    .await;
    assert!(held, "the first run never took the task");
    let err = env.fails(&["task", "run", "big"]).await;
    assert!(
        err.contains(&format!(
            "task \"big\" is busy: a run by the fjordsync command (process {}) holds it",
            child.id()
        )),
        "{err}"
    );

    // Kill it in the middle of its upload (its run is recorded by then).
    let uploading = wait_until(Duration::from_secs(60), || env.emu.stats().bytes_uploaded > 0).await;
    child.kill().unwrap(); // SIGKILL: the OS releases the lock
    assert!(uploading, "the first run never got going");
    child.wait().unwrap();
    let log_before = json_lines(&env.ok(&["log", "--json"]).await);
    assert_eq!(log_before[0]["outcome"], "interrupted");
    assert_eq!(log_before[0]["task"], "big");
    // The same task starts at once: no stale lock to clean up.
    let out = env.run(&["task", "run", "big"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("busy"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
    assert_eq!(remote_md5s(&env, "demo:big").await, local_md5s(&src));
}
