//! Scenario tests of copy / sync / move / check, the task log, undo and retry,
//! run as a user runs them: the `fjordsync` binary against the emulator.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Env, write};

/// Builds a tree with nested folders, empty files and folders, unicode and
/// characters the service cannot store as-is.
fn make_tree(root: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("top.txt", b"top level"),
        ("docs/report.pdf", &[7u8; 10_000]),
        ("docs/empty.txt", b""),
        ("docs/deep/er/still.md", b"# deep"),
        ("unicode/æøå 🎉.txt", b"norsk"),
        ("odd/what? a:b*c|d\"e<f>.txt", b"mapped names"),
        ("odd/a+b c#d%e.txt", b"escaped"),
    ];
    for (path, content) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    std::fs::create_dir_all(root.join("empty-folder/inner")).unwrap();
}

/// `md5sum` of a remote tree as a map path -> md5.
pub async fn remote_md5s(env: &Env, remote: &str) -> BTreeMap<String, String> {
    env.ok(&["md5sum", remote])
        .await
        .lines()
        .map(|l| {
            let (md5, path) = l.split_once("  ").unwrap();
            (path.to_string(), md5.to_string())
        })
        .collect()
}

/// The same for a local tree (files only).
pub fn local_md5s(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                let bytes = std::fs::read(&p).unwrap();
                out.insert(rel, md5_hex(&bytes));
            }
        }
    }
    out
}

pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    format!("{:x}", Md5::digest(bytes))
}

/// Runs a task with --json and returns the final "finished" object.
pub(crate) async fn run_json(env: &Env, args: &[&str]) -> (bool, Value, String) {
    let mut full = args.to_vec();
    full.push("--json");
    let out = env.run(&full).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let finished = stdout
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["event"] == "finished")
        .unwrap_or(Value::Null);
    (out.status.success(), finished, stderr)
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no counter {key:?} in {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn first_sync_then_nothing_to_do() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    let src_s = src.to_str().unwrap();

    let (ok, done, err) = run_json(&env, &["sync", src_s, "demo:backup"]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "uploaded"), 7, "{done}");
    assert_eq!(remote_md5s(&env, "demo:backup").await, local_md5s(&src));
    let lsd = env.ok(&["lsd", "demo:backup/empty-folder"]).await;
    assert!(lsd.contains("inner"), "empty folders are created too: {lsd}");

    // Nothing changed: nothing is sent.
    let before = env.emu.stats().bytes_uploaded;
    let (ok, done, err) = run_json(&env, &["sync", src_s, "demo:backup"]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "uploaded") + count(&done, "updated") + count(&done, "deleted"), 0, "{done}");
    assert_eq!(env.emu.stats().bytes_uploaded, before);

    // check agrees.
    env.ok(&["check", src_s, "demo:backup"]).await;
}

/// A plan larger than the engine keeps in memory goes to a temporary file in
/// sorted runs, and so does a large remote listing; both must print and
/// apply exactly like small ones.
#[tokio::test(flavor = "multi_thread")]
async fn spilled_plans_print_and_apply_the_same() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    let src_s = src.to_str().unwrap();
    let spilled = |args: &[&str]| {
        let mut c = env.cmd(args);
        c.env("FJORDSYNC_PLAN_SPILL_AT", "2").env("FJORDSYNC_LISTING_SPILL_AT", "2");
        tokio::task::spawn_blocking(move || c.output().unwrap())
    };
    let in_memory = env.ok(&["sync", "--dry-run", src_s, "demo:s"]).await;
    let out = spilled(&["sync", "--dry-run", src_s, "demo:s"]).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), in_memory);
    assert!(in_memory.lines().count() > 8, "{in_memory}");
    assert!(spilled(&["sync", src_s, "demo:s"]).await.unwrap().status.success());
    assert_eq!(remote_md5s(&env, "demo:s").await, local_md5s(&src));
    std::fs::remove_file(src.join("docs/report.pdf")).unwrap();
    std::fs::remove_file(src.join("top.txt")).unwrap();
    write(&src.join("docs/new.txt"), b"new");
    let out = spilled(&["sync", src_s, "demo:s"]).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(remote_md5s(&env, "demo:s").await, local_md5s(&src));
    // And down again, into a folder with a stale file.
    let back = env.path("back");
    write_all(&back, &[("stale.txt", b"stale"), ("docs/new.txt", b"older")]);
    let back_s = back.to_str().unwrap();
    let out = spilled(&["sync", "--max-delete", "100%", "demo:s", back_s]).await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(local_md5s(&back), local_md5s(&src));
    let out = spilled(&["sync", "--dry-run", "demo:s", back_s]).await.unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(" 0 to create, 0 to update"), "nothing left to do");
}

#[tokio::test(flavor = "multi_thread")]
async fn local_changes_are_mirrored() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    let src_s = src.to_str().unwrap();
    env.ok(&["sync", src_s, "demo:m"]).await;

    write(&src.join("top.txt"), b"top level, edited and longer");
    write(&src.join("docs/new file.txt"), b"added");
    std::fs::remove_file(src.join("docs/report.pdf")).unwrap();
    std::fs::rename(src.join("unicode/æøå 🎉.txt"), src.join("unicode/renamed ✓.txt")).unwrap();

    let (ok, done, err) = run_json(&env, &["sync", src_s, "demo:m"]).await;
    assert!(ok, "{err}");
    assert!(count(&done, "deleted") >= 2, "{done}");
    assert_eq!(remote_md5s(&env, "demo:m").await, local_md5s(&src));
    // Deleted files went to the trash, not away for good.
    let trash = env.ok(&["trash", "list", "demo:"]).await;
    assert!(trash.contains("report.pdf"), "{trash}");
    env.ok(&["check", src_s, "demo:m"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn remote_to_local_sync_and_copy() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    env.ok(&["copy", src.to_str().unwrap(), "demo:r"]).await;

    let dst = env.path("dst");
    std::fs::create_dir(&dst).unwrap();
    write(&dst.join("stale.txt"), b"not on the remote");
    let dst_s = dst.to_str().unwrap();
    // Deleting the only local file is 100 %: the guard wants it allowed.
    let (ok, _, err) = run_json(&env, &["sync", "demo:r", dst_s]).await;
    assert!(!ok && err.contains("--max-delete"), "{err}");
    assert!(dst.join("stale.txt").exists());
    let (ok, done, err) = run_json(&env, &["sync", "--max-delete", "1", "demo:r", dst_s]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "downloaded"), 7, "{done}");
    assert!(!dst.join("stale.txt").exists());
    assert_eq!(local_md5s(&dst), local_md5s(&src));
    // Downloads carry the remote modification time (1 s precision).
    let a = std::fs::metadata(src.join("docs/report.pdf")).unwrap().modified().unwrap();
    let b = std::fs::metadata(dst.join("docs/report.pdf")).unwrap().modified().unwrap();
    let diff = a.duration_since(b).unwrap_or_else(|e| e.duration());
    assert!(diff < Duration::from_secs(1), "{a:?} vs {b:?}");
    // No temporary files left behind.
    assert!(!local_md5s(&dst).keys().any(|k| k.contains(".part")));
    // A second run downloads nothing.
    let (_, done, _) = run_json(&env, &["sync", "demo:r", dst_s]).await;
    assert_eq!(count(&done, "downloaded"), 0, "{done}");
}

#[tokio::test(flavor = "multi_thread")]
async fn move_deletes_the_source_only_after_the_copy() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    let expected = local_md5s(&src);
    env.ok(&["move", src.to_str().unwrap(), "demo:moved"]).await;
    assert_eq!(remote_md5s(&env, "demo:moved").await, expected);
    assert!(local_md5s(&src).is_empty(), "source files remain after move");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_each_kind_of_difference() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    let src_s = src.to_str().unwrap();
    env.ok(&["sync", src_s, "demo:c"]).await;
    write(&src.join("only-local.txt"), b"x");
    write(&src.join("top.txt"), b"TOP LEVEL"); // same size, different content
    env.ok(&["delete", "demo:c/docs/empty.txt"]).await;
    let extra = env.path("extra.txt");
    write(&extra, b"only remote");
    env.ok(&["copyto", extra.to_str().unwrap(), "demo:c/only-remote.txt"]).await;

    let out = env.run(&["check", src_s, "demo:c"]).await;
    assert!(!out.status.success(), "differences must fail the check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("missing-on-dst only-local.txt"), "{text}");
    assert!(text.contains("missing-on-dst docs/empty.txt"), "{text}");
    assert!(text.contains("extra-on-dst only-remote.txt"), "{text}");
    assert!(text.contains("different top.txt"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_reports_case_collisions_and_long_names() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    write_all(&src, &[("Hello.doc", b"one"), ("hello.doc", b"two"), ("fine.txt", b"ok")]);
    // Local names are at most 255 bytes, but the service's mapping can make
    // them longer: each byte that is not UTF-8 becomes three characters.
    {
        use std::os::unix::ffi::OsStrExt;
        write(&src.join(std::ffi::OsStr::from_bytes(&[0xFF; 100])), b"too long once mapped");
    }
    let out = env.run(&["sync", "--dry-run", src.to_str().unwrap(), "demo:p"]).await;
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.to_lowercase().contains("case"), "{text}");
    assert!(text.contains("Hello.doc") && text.contains("hello.doc"), "{text}");
    assert!(text.contains("255"), "{text}");
    // Dry run changes nothing.
    assert!(env.ok(&["ls", "demo:"]).await.trim().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_guard_refuses_mass_deletion() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    let names: Vec<String> = (0..10).map(|i| format!("f{i}.txt")).collect();
    for n in &names {
        write_all(&src, &[(n, n.as_bytes())]);
    }
    let src_s = src.to_str().unwrap();
    env.ok(&["sync", src_s, "demo:g"]).await;
    let before = remote_md5s(&env, "demo:g").await;

    for n in &names[..6] {
        std::fs::remove_file(src.join(n)).unwrap();
    }
    let err = env.fails(&["sync", src_s, "demo:g"]).await;
    assert!(err.to_lowercase().contains("delete"), "{err}");
    assert_eq!(remote_md5s(&env, "demo:g").await, before, "guard must change nothing");

    // An empty or missing source never deletes anything.
    let empty = env.path("empty");
    std::fs::create_dir(&empty).unwrap();
    env.fails(&["sync", empty.to_str().unwrap(), "demo:g"]).await;
    env.fails(&["sync", env.path("missing").to_str().unwrap(), "demo:g"]).await;
    assert_eq!(remote_md5s(&env, "demo:g").await, before);

    // The explicit override lets it through.
    env.ok(&["sync", "--max-delete", "100%", src_s, "demo:g"]).await;
    assert_eq!(remote_md5s(&env, "demo:g").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_puts_the_remote_back() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    write_all(&src, &[("keep.txt", b"keep"), ("change.txt", b"old content"), ("remove.txt", b"remove me")]);
    let src_s = src.to_str().unwrap();
    env.ok(&["sync", src_s, "demo:u"]).await;
    let before = remote_md5s(&env, "demo:u").await;

    write(&src.join("change.txt"), b"new content, longer");
    std::fs::remove_file(src.join("remove.txt")).unwrap();
    write(&src.join("added.txt"), b"added");
    let (ok, done, err) = run_json(&env, &["sync", "--max-delete", "100%", src_s, "demo:u"]).await;
    assert!(ok, "{err}");
    let run = done["run"].as_u64().expect("run id").to_string();
    assert_ne!(remote_md5s(&env, "demo:u").await, before);

    env.ok(&["undo", &run]).await;
    assert_eq!(remote_md5s(&env, "demo:u").await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn task_log_and_retry_of_failed_files_only() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    for i in 0..6 {
        write_all(&src, &[(&format!("f{i}.bin"), &vec![i as u8; 50_000])]);
    }
    // Two of them are blocked on the remote: a folder has the file's name.
    env.ok(&["mkdir", "demo:q/f1.bin"]).await;
    env.ok(&["mkdir", "demo:q/f4.bin"]).await;
    let (ok, done, _) = run_json(&env, &["copy", src.to_str().unwrap(), "demo:q"]).await;
    assert!(!ok, "a run with failed files exits non-zero");
    let failed = count(&done, "failed");
    assert_eq!(failed, 2, "{done}");
    assert_eq!(count(&done, "uploaded"), 4, "the task goes on after a failure: {done}");
    let run = done["run"].as_u64().unwrap().to_string();

    let log = env.ok(&["log", &run, "--failed"]).await;
    assert_eq!(log.lines().filter(|l| l.contains(".bin")).count(), 2, "{log}");
    assert!(log.contains("f1.bin") && log.contains("f4.bin"), "{log}");
    let listed = env.ok(&["log"]).await;
    assert!(listed.contains(&run), "{listed}");
    assert!(env.ok(&["log", &run, "--grep", "f0"]).await.contains("f0.bin"));

    env.ok(&["delete", "--hard", "demo:q/f1.bin"]).await;
    env.ok(&["delete", "--hard", "demo:q/f4.bin"]).await;
    let (ok, done, err) = run_json(&env, &["retry", &run]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "uploaded"), failed, "only the failed files are retried: {done}");
    assert_eq!(remote_md5s(&env, "demo:q").await, local_md5s(&src));
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_and_latency_still_give_a_correct_result() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    make_tree(&src);
    for i in 0..40 {
        write_all(&src, &[(&format!("many/{i:03}.txt"), format!("file {i}").as_bytes())]);
    }
    env.emu.set_faults(0.05, 0.0, Duration::from_millis(50));
    let src_s = src.to_str().unwrap();
    env.ok(&["sync", src_s, "demo:f"]).await;
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    assert_eq!(remote_md5s(&env, "demo:f").await, local_md5s(&src));
    assert!(env.emu.stats().faults_injected > 0, "the test must actually inject faults");
}

fn write_all(root: &Path, files: &[(&str, &[u8])]) {
    for (path, content) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// Two accounts (two services, even): no server-side copy exists, so the
/// files stream from one to the other without touching the local disk.
#[tokio::test(flavor = "multi_thread")]
async fn copy_between_two_accounts() {
    let env = Env::start().await;
    env.add_demo().await;
    let other = fjordsync_emulator::Emulator::start(Default::default()).await.unwrap();
    let t = other.issue_login_token();
    env.ok(&["remote", "add", "other", "--login-token", &t, "--endpoint", &other.base_url()]).await;
    let src = env.path("src");
    make_tree(&src);
    env.ok(&["copy", src.to_str().unwrap(), "demo:from"]).await;
    let sent_to_demo = env.emu.stats().bytes_uploaded;

    let (ok, done, err) = run_json(&env, &["sync", "demo:from", "other:to"]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "copied"), 7, "{done}");
    assert_eq!(remote_md5s(&env, "other:to").await, local_md5s(&src));
    assert_eq!(other.stats().bytes_uploaded, sent_to_demo, "every byte arrived once");
    let (_, done, _) = run_json(&env, &["sync", "demo:from", "other:to"]).await;
    assert_eq!(count(&done, "copied"), 0, "a second run copies nothing: {done}");
    env.ok(&["check", "demo:from", "other:to"]).await;
    // One file with copyto takes the same road.
    env.ok(&["copyto", "demo:from/docs/report.pdf", "other:single/report.pdf"]).await;
    assert_eq!(env.run(&["cat", "other:single/report.pdf"]).await.stdout, vec![7u8; 10_000]);
}

/// Issue 11: a link inside the destination is never written through; the
/// user sees which paths were skipped and why, and the log keeps them.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn links_in_the_destination_are_skipped_not_written_through() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    write_all(&src, &[("link/planted.txt", b"planted"), ("notes.txt", b"from the service"), ("ok.txt", b"ok")]);
    env.ok(&["copy", src.to_str().unwrap(), "demo:sym"]).await;
    let elsewhere = env.path("elsewhere");
    write_all(&elsewhere, &[("planted.txt", b"the user's own file"), ("notes.txt", b"the user's notes")]);
    let dst = env.path("dst");
    std::fs::create_dir(&dst).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dst.join("link")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("notes.txt"), dst.join("notes.txt")).unwrap();

    let out = env.run(&["sync", "demo:sym", dst.to_str().unwrap()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let shown = format!("{stdout}{stderr}");
    assert!(out.status.success(), "{shown}");
    assert_eq!(std::fs::read(elsewhere.join("planted.txt")).unwrap(), b"the user's own file");
    assert_eq!(std::fs::read(elsewhere.join("notes.txt")).unwrap(), b"the user's notes");
    assert_eq!(std::fs::read(dst.join("ok.txt")).unwrap(), b"ok");
    for path in ["link/planted.txt", "notes.txt"] {
        assert!(
            shown.lines().any(|l| l.contains("skipped") && l.contains(path) && l.contains("symbolic link")),
            "{path} is reported as skipped: {shown}"
        );
    }
    // Run 1 was the copy up, run 2 the sync down.
    let log = env.ok(&["log", "2", "--skipped"]).await;
    assert!(log.contains("link/planted.txt") && log.contains("notes.txt"), "{log}");
}

/// Every size flag goes through one parser (bytesize): `K`/`M`/`G` are binary
/// as in rclone, `KB`/`MB` decimal, `KiB` binary, fractions allowed; bad input
/// is refused before anything runs, naming the flag and showing the form.
#[tokio::test(flavor = "multi_thread")]
async fn size_flags_share_one_parser() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    let sizes = [1000usize, 1600, 2020, 2100];
    for n in sizes {
        write_all(&src, &[(&format!("f{n}.bin"), &vec![b'x'; n])]);
    }
    let src_s = src.to_str().unwrap();
    // 1.5K = 1536 bytes, 2KB = 2000 bytes.
    env.ok(&["copy", "--min-size", "1.5K", "--max-size", "2KB", src_s, "demo:a"]).await;
    assert_eq!(remote_md5s(&env, "demo:a").await.into_keys().collect::<Vec<_>>(), ["f1600.bin"]);
    // 2K = 2KiB = 2048 bytes, and 0.5 KiB = 512 bytes.
    env.ok(&["copy", "--min-size", "0.5 KiB", "--max-size", "2K", "--bwlimit", "10M", src_s, "demo:b"]).await;
    assert_eq!(
        remote_md5s(&env, "demo:b").await.into_keys().collect::<Vec<_>>(),
        ["f1000.bin", "f1600.bin", "f2020.bin"]
    );

    for (flag, bad) in
        [("--min-size", "10 parsecs"), ("--max-size", "-5M"), ("--bwlimit", "fast"), ("--max-size", "1.2.3K")]
    {
        let out = env.run(&["copy", &format!("{flag}={bad}"), src_s, "demo:c"]).await;
        assert_eq!(out.status.code(), Some(2), "{flag} {bad}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag) && err.contains("is not a size") && err.contains("512K"), "{err}");
    }
    assert!(!env.ok(&["lsd", "demo:"]).await.contains(" c"), "nothing ran");
}

/// `--no-versions` (and rclone's spelling, `--jottacloud-no-versions`):
/// the replaced file's earlier version is deleted for good, so undo says it
/// cannot put it back; `--help` explains the trade.
#[tokio::test(flavor = "multi_thread")]
async fn no_versions_trades_undo_for_space() {
    let env = Env::start().await;
    let help = env.ok(&["sync", "--help"]).await;
    assert!(help.contains("--no-versions") && help.contains("jottacloud-no-versions"), "{help}");
    assert!(help.contains("not to the trash") && help.contains("cannot put it back"), "{help}");

    env.add_demo().await;
    let src = env.path("src");
    write_all(&src, &[("change.txt", b"old content")]);
    let src_s = src.to_str().unwrap();
    env.ok(&["copy", "--no-versions", src_s, "demo:nv"]).await;
    write(&src.join("change.txt"), b"new content, longer");
    let (ok, done, err) = run_json(&env, &["sync", "--jottacloud-no-versions", src_s, "demo:nv"]).await;
    assert!(ok, "{err}");
    assert_eq!(count(&done, "updated"), 1, "{done}");
    let run = done["run"].as_u64().expect("run id").to_string();

    let out = env.run(&["undo", &run]).await;
    assert!(!out.status.success());
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("no-versions") && text.contains("deleted for good"), "{text}");
    assert_eq!(remote_md5s(&env, "demo:nv").await["change.txt"], md5_hex(b"new content, longer"));
}
