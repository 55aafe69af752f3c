//! Two-way sync end to end: the `fjordsync bisync` binary against the
//! emulator over HTTP. Changes "elsewhere" are made through the service
//! (`copyto`, `delete`, `mkdir`), as another device would make them.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::crash::{spawn, wait_until};
use crate::support::{Env, write};
use crate::sync::{local_md5s, md5_hex, remote_md5s, run_json};

pub(crate) const CONFLICT: &str = "conflicted copy";

pub(crate) fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    write(&p, bytes);
}

/// Puts `bytes` at `demo:PATH` as another device would.
pub(crate) async fn put_remote(env: &Env, remote: &str, bytes: &[u8]) {
    let tmp = env.path("upload.tmp.bin");
    write(&tmp, bytes);
    env.ok(&["copyto", tmp.to_str().unwrap(), remote]).await;
    std::fs::remove_file(tmp).unwrap();
}

/// Runs `bisync` with --json: (success, the final event, stderr).
pub(crate) async fn bisync(env: &Env, args: &[&str]) -> (bool, Value, String) {
    let mut full = vec!["bisync"];
    full.extend_from_slice(args);
    run_json(env, &full).await
}

pub(crate) fn moved(v: &Value) -> u64 {
    ["uploaded", "downloaded", "updated", "deleted", "moved", "mkdirs", "failed"]
        .iter()
        .map(|k| v[k].as_u64().unwrap())
        .sum()
}

/// Both sides hold the same files, and no conflict copy anywhere.
async fn assert_in_step(env: &Env, local: &Path, remote: &str) {
    let l = local_md5s(local);
    assert_eq!(remote_md5s(env, remote).await, l);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_classic_matrix_end_to_end() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    let l = local.to_str().unwrap();
    let stable = ["s1.txt", "s2.txt", "s3.txt", "sub/s4.txt", "sub/deep/s5.txt"];
    for (i, f) in stable.iter().enumerate() {
        put(&local, f, format!("stable {i}").as_bytes());
    }
    let changing = ["c-local.txt", "c-remote.txt", "d-local.txt", "d-remote.txt", "both.txt", "same.txt"];
    let more = ["cl-dr.txt", "dl-cr.txt", "gone.txt"];
    for f in changing.iter().chain(&more) {
        put(&local, f, format!("original {f}").as_bytes());
    }
    std::fs::create_dir_all(local.join("empty-here")).unwrap();
    // A file already on the storage before the first run: the merge brings it down.
    put_remote(&env, "demo:Pair/already-there.txt", b"from the web").await;

    // First run: a merge that deletes nothing.
    let (ok, done, err) = bisync(&env, &[l, "demo:Pair"]).await;
    assert!(ok, "{err}");
    assert_eq!(done["uploaded"], 14, "{done}");
    assert_eq!(done["downloaded"], 1, "{done}");
    assert_in_step(&env, &local, "demo:Pair").await;
    assert!(env.ok(&["lsd", "demo:Pair"]).await.contains("empty-here"), "empty folders go too");

    // The changes, on both sides, with different sizes so no same-size write can hide.
    put(&local, "new-local.txt", b"made here");
    put_remote(&env, "demo:Pair/new-remote.txt", b"made on the web").await;
    put(&local, "c-local.txt", b"changed here!");
    put_remote(&env, "demo:Pair/c-remote.txt", b"changed on the web").await;
    std::fs::remove_file(local.join("d-local.txt")).unwrap();
    env.ok(&["delete", "demo:Pair/d-remote.txt"]).await;
    put(&local, "both.txt", b"my version");
    put_remote(&env, "demo:Pair/both.txt", b"the web's version").await;
    put(&local, "same.txt", b"the same new text");
    put_remote(&env, "demo:Pair/same.txt", b"the same new text").await;
    put(&local, "cl-dr.txt", b"changed here, deleted there");
    env.ok(&["delete", "demo:Pair/cl-dr.txt"]).await;
    std::fs::remove_file(local.join("dl-cr.txt")).unwrap();
    put_remote(&env, "demo:Pair/dl-cr.txt", b"deleted here, changed there").await;
    std::fs::remove_file(local.join("gone.txt")).unwrap();
    env.ok(&["delete", "demo:Pair/gone.txt"]).await;
    std::fs::create_dir_all(local.join("new-empty-here")).unwrap();
    env.ok(&["mkdir", "demo:Pair/new-empty-there"]).await;

    let (ok, done, err) = bisync(&env, &[l, "demo:Pair"]).await;
    assert!(ok, "{err}");
    assert_in_step(&env, &local, "demo:Pair").await;
    let files = local_md5s(&local);
    let read = |f: &str| std::fs::read(local.join(f)).unwrap();
    assert_eq!(read("new-remote.txt"), b"made on the web");
    assert_eq!(read("c-remote.txt"), b"changed on the web");
    assert_eq!(files.get("c-local.txt"), Some(&md5_hex(b"changed here!")));
    assert!(!files.contains_key("d-local.txt") && !files.contains_key("d-remote.txt"), "{files:?}");
    // Deleted on the web, so deleted here: into the system's trash, with where it was.
    let trash = env.data_home().join("Trash");
    assert!(trash.join("files/d-remote.txt").is_file(), "in the system's trash");
    let info = std::fs::read_to_string(trash.join("info/d-remote.txt.trashinfo")).unwrap();
    assert!(info.contains(&format!("Path={}", local.join("d-remote.txt").display())), "{info}");
    assert_eq!(read("same.txt"), b"the same new text");
    assert_eq!(read("cl-dr.txt"), b"changed here, deleted there", "change beats delete");
    assert_eq!(read("dl-cr.txt"), b"deleted here, changed there", "change beats delete");
    assert!(!files.contains_key("gone.txt"));
    // The conflict: the original name keeps the web's version, this
    // computer's becomes the copy, on both sides.
    assert_eq!(read("both.txt"), b"the web's version");
    let copies: Vec<&String> = files.keys().filter(|k| k.contains(CONFLICT)).collect();
    assert_eq!(copies.len(), 1, "{files:?}");
    assert!(copies[0].starts_with("both (conflicted copy ") && copies[0].ends_with(").txt"), "{copies:?}");
    assert_eq!(files[copies[0]], md5_hex(b"my version"));
    assert!(err.contains("conflict: both.txt was changed on both sides"), "{err}");
    let listed = env.ok(&["bisync", "--conflicts", l, "demo:Pair"]).await;
    assert!(listed.contains("both.txt  ->  both (conflicted copy "), "{listed}");
    assert_eq!(done["deleted"], 2, "one delete each way: {done}");
    assert!(local.join("new-empty-there").is_dir());
    assert!(env.ok(&["lsd", "demo:Pair"]).await.contains("new-empty-here"));
    for f in stable {
        assert!(files.contains_key(f));
    }

    // A rerun is a no-op, and so is the one after it (the first may only
    // learn the identities of what was uploaded).
    for _ in 0..2 {
        let before = env.emu.stats().bytes_uploaded;
        let (ok, done, err) = bisync(&env, &[l, "demo:Pair"]).await;
        assert!(ok, "{err}");
        assert_eq!(moved(&done), 0, "{done}");
        assert_eq!(env.emu.stats().bytes_uploaded, before);
    }
    let (ok, _, err) = bisync(&env, &[l, "demo:Pair"]).await;
    assert!(ok && err.contains("in step, nothing to do"), "{err}");

    // The log shows the runs as bisync runs.
    let log = env.ok(&["log"]).await;
    assert!(log.contains("bisync"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_changes_nothing_and_says_what_it_would_do() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    put(&local, "a.txt", b"a");
    put_remote(&env, "demo:D/b.txt", b"bb").await;
    let out = env.ok(&["bisync", "--dry-run", local.to_str().unwrap(), "demo:D"]).await;
    assert!(out.contains("would upload a.txt") && out.contains("would download b.txt"), "{out}");
    assert!(!local.join("b.txt").exists());
    assert_eq!(remote_md5s(&env, "demo:D").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_or_missing_local_folder_is_refused_and_changes_nothing() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    for i in 0..4 {
        put(&local, &format!("f{i}.txt"), b"x");
    }
    let l = local.to_str().unwrap();
    env.ok(&["bisync", l, "demo:G"]).await;

    // Unmounted: the folder is gone.
    std::fs::rename(&local, env.path("elsewhere")).unwrap();
    let (ok, _, err) = bisync(&env, &[l, "demo:G"]).await;
    assert!(!ok && err.contains("does not exist") && err.contains("is the disk mounted?"), "{err}");
    assert_eq!(remote_md5s(&env, "demo:G").await.len(), 4, "nothing deleted");
    assert!(!local.exists(), "nothing made");
    // Even an explicit limit does not delete everything for a missing folder.
    let (ok, _, err) = bisync(&env, &[l, "demo:G", "--max-delete", "100%"]).await;
    assert!(!ok, "{err}");
    assert_eq!(remote_md5s(&env, "demo:G").await.len(), 4);

    // Empty: refused unless allowed.
    std::fs::create_dir(&local).unwrap();
    let (ok, _, err) = bisync(&env, &[l, "demo:G"]).await;
    assert!(!ok && err.contains("is empty") && err.contains("--max-delete"), "{err}");
    assert_eq!(remote_md5s(&env, "demo:G").await.len(), 4);
    // The refusal left the base alone: with the files back, all is in step.
    std::fs::remove_dir(&local).unwrap();
    std::fs::rename(env.path("elsewhere"), &local).unwrap();
    let (ok, done, err) = bisync(&env, &[l, "demo:G"]).await;
    assert!(ok && moved(&done) == 0, "{err} {done}");
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_files_stay_home_and_collisions_are_refused_before_anything_is_sent() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    put(&local, "report.docx", b"real");
    put(&local, "~$report.docx", b"office owner file");
    put(&local, ".report.txt.swp", b"vim swap");
    put(&local, "download.tmp", b"partial");
    let l = local.to_str().unwrap();
    env.ok(&["bisync", l, "demo:T"]).await;
    let remote = remote_md5s(&env, "demo:T").await;
    assert_eq!(remote.keys().collect::<Vec<_>>(), ["report.docx"]);

    // Two names the storage would merge: refused, nothing sent.
    put(&local, "Notes.txt", b"one");
    put(&local, "notes.txt", b"two");
    put(&local, "other.txt", b"other");
    let before = env.emu.stats().uploads_completed;
    let (ok, _, err) = bisync(&env, &[l, "demo:T"]).await;
    assert!(!ok && err.contains("case collision"), "{err}");
    assert_eq!(env.emu.stats().uploads_completed, before);
    assert!(!remote_md5s(&env, "demo:T").await.contains_key("other.txt"));

    // The same name composed (NFC) and decomposed (NFD): another computer
    // (macOS) would hold only one. Refused too.
    std::fs::remove_file(local.join("Notes.txt")).unwrap();
    put(&local, "Caf\u{e9}.txt", b"composed");
    put(&local, "Cafe\u{301}.txt", b"decomposed");
    let (ok, _, err) = bisync(&env, &[l, "demo:T"]).await;
    assert!(!ok && err.contains("name collision"), "{err}");
    assert_eq!(env.emu.stats().uploads_completed, before);
}

/// kill -9 in the middle of a first run (uploads and downloads both ways),
/// then run again: the sides converge, nothing is lost and no conflict copy
/// appears.
#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_run_then_rerun_converges_without_spurious_conflicts() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    for i in 0..120 {
        put(&local, &format!("up{}/file-{i:03}.txt", i % 6), format!("local {i}\n").repeat(i % 5 + 1).as_bytes());
    }
    let web = env.path("web");
    for i in 0..60 {
        put(&web, &format!("down{}/file-{i:03}.txt", i % 3), format!("web {i}\n").repeat(i % 4 + 1).as_bytes());
    }
    env.ok(&["copy", web.to_str().unwrap(), "demo:K"]).await;
    let l = local.to_str().unwrap();
    let want_local = local_md5s(&local);

    env.emu.set_faults(0.0, 0.0, Duration::from_millis(20));
    let before = env.emu.stats().uploads_completed;
    let mut child = spawn(&env, &["bisync", "--transfers", "2", l, "demo:K"]);
    let started = wait_until(Duration::from_secs(60), || env.emu.stats().uploads_completed >= before + 25).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "the run never got going");
    assert!(env.emu.stats().uploads_completed < before + 120, "killed too late to test anything");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);

    // Bounded: a run or two must bring both sides in step.
    let mut in_step = false;
    for _ in 0..3 {
        let (ok, done, err) = bisync(&env, &[l, "demo:K"]).await;
        assert!(ok, "{err}");
        if moved(&done) == 0 {
            in_step = true;
            break;
        }
    }
    assert!(in_step, "the reruns did not settle");
    let files = local_md5s(&local);
    assert!(files.keys().all(|k| !k.contains(CONFLICT)), "spurious conflict: {files:?}");
    assert_eq!(remote_md5s(&env, "demo:K").await, files);
    for (k, md5) in &want_local {
        assert_eq!(files.get(k), Some(md5), "{k} lost");
    }
    assert_eq!(files.len(), 180);
    // No temporary file outlived the runs.
    assert!(files.keys().all(|k| !k.contains(".fjordsync")), "{files:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bisync_task_is_added_shown_and_run() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("notes");
    put(&local, "todo.txt", b"buy milk");
    put_remote(&env, "demo:Notes/ideas.txt", b"a sync app").await;
    let l = local.to_str().unwrap();
    env.ok(&["task", "add", "notes", "bisync", l, "demo:Notes", "--exclude", "*.bak"]).await;
    let show = env.ok(&["task", "show", "notes"]).await;
    assert!(show.contains("kind:         bisync") && show.contains("demo:Notes"), "{show}");
    assert!(show.contains("*.bak"), "the filters are kept: {show}");
    put(&local, "old.bak", b"left out");
    env.ok(&["task", "run", "notes"]).await;
    assert_eq!(std::fs::read(local.join("ideas.txt")).unwrap(), b"a sync app");
    let remote = remote_md5s(&env, "demo:Notes").await;
    assert_eq!(remote.keys().collect::<Vec<_>>(), ["ideas.txt", "todo.txt"]);
    let log = env.ok(&["log", "--task", "notes"]).await;
    assert!(log.contains("bisync"), "{log}");
    // The sides must be LOCAL then REMOTE:PATH.
    let err = env.fails(&["task", "add", "wrong", "bisync", "demo:Notes", l]).await;
    assert!(err.contains("not a local folder"), "{err}");
}

/// A folder renamed here is moved on the storage: nothing is sent again,
/// and six of seven files "gone" from the old name do not trip the guard.
#[tokio::test(flavor = "multi_thread")]
async fn a_renamed_folder_is_moved_not_sent_again_and_trips_no_guard() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    for i in 0..6 {
        put(&local, &format!("Photos/img-{i}.jpg"), format!("picture {i}").repeat(100).as_bytes());
    }
    put(&local, "other.txt", b"other");
    let l = local.to_str().unwrap();
    env.ok(&["bisync", l, "demo:R"]).await;
    std::fs::rename(local.join("Photos"), local.join("Pictures")).unwrap();
    let sent = env.emu.stats().bytes_uploaded;
    let out = env.ok(&["bisync", "--dry-run", l, "demo:R"]).await;
    assert!(out.contains("would move Photos/img-0.jpg to Pictures/img-0.jpg on the storage"), "{out}");
    let (ok, done, err) = bisync(&env, &[l, "demo:R"]).await;
    assert!(ok, "{err}");
    assert_eq!((done["moved"].as_u64(), done["uploaded"].as_u64()), (Some(6), Some(0)), "{done}");
    assert_eq!(env.emu.stats().bytes_uploaded, sent, "nothing was sent again");
    assert_in_step(&env, &local, "demo:R").await;
    assert!(!env.ok(&["lsd", "demo:R"]).await.contains("Photos"), "the old folder is gone");
    let (ok, done, err) = bisync(&env, &[l, "demo:R"]).await;
    assert!(ok && moved(&done) == 0, "{err} {done}");
}

/// A file the storage refuses (it is full) is kept aside and listed with
/// `--issues` (and `--json`); the run after room is made leaves it aside
/// (exit 0, said so); `--retry-issues` sends it and empties the list.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_file_is_kept_aside_listed_and_retried_on_request() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("local");
    put(&local, "small.txt", b"small");
    put(&local, "big.bin", &vec![7u8; 200_000]);
    let l = local.to_str().unwrap();
    let none = env.ok(&["bisync", "--issues", l, "demo:Q"]).await;
    assert!(none.is_empty(), "{none}");
    env.emu.set_quota(Some(10_000));
    let (ok, done, err) = bisync(&env, &[l, "demo:Q"]).await;
    assert!(!ok && done["failed"] == 1 && done["uploaded"] == 1, "{err} {done}");
    assert!(err.contains("kept aside and tried again later (see `--issues`)"), "{err}");

    let listed = env.ok(&["bisync", "--issues", l, "demo:Q"]).await;
    assert!(listed.starts_with("big.bin  upload failed once, last "), "{listed}");
    assert!(
        listed.contains("free space in the cloud storage, then change the file or run with --retry-issues"),
        "{listed}"
    );
    let json = env.ok(&["bisync", "--issues", "--json", l, "demo:Q"]).await;
    let rows: Vec<Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!((rows[0]["key"].as_str(), rows[0]["kind"].as_str()), (Some("big.bin"), Some("storage-full")));
    assert_eq!((rows[0]["side"].as_str(), rows[0]["attempts"].as_u64()), (Some("storage"), Some(1)));
    assert!(rows[0]["next_ms"].is_null(), "{json}");

    env.emu.set_quota(None);
    let plan = env.ok(&["bisync", "--dry-run", l, "demo:Q"]).await;
    assert!(plan.contains("would leave big.bin aside: kept aside after an earlier error"), "{plan}");
    let (ok, done, err) = bisync(&env, &[l, "demo:Q"]).await;
    assert!(ok && done["uploaded"] == 0, "{err} {done}");
    assert!(err.contains("1 kept aside after earlier errors (see --issues)"), "{err}");
    let (ok, done, err) = bisync(&env, &[l, "demo:Q", "--retry-issues"]).await;
    assert!(ok && done["uploaded"] == 1, "{err} {done}");
    assert_in_step(&env, &local, "demo:Q").await;
    let out = env.run(&["bisync", "--issues", l, "demo:Q"]).await;
    assert!(out.stdout.is_empty() && String::from_utf8_lossy(&out.stderr).contains("no files kept aside"));
}
