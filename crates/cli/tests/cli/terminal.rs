//! What reaches the user's terminal: names escaped (never raw control
//! characters), JSON exact, errors in the user's words, and a closed pipe
//! taken quietly.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{Env, write};

/// A name built to attack a terminal: ESC sequences that clear the screen and
/// retitle the window (ended by BEL), a carriage return that overwrites the
/// line, a newline that forges a second line, and U+202E that reverses the
/// text after it.
const HOSTILE: &str = "a\u{1b}[2J\u{1b}]0;pwned\u{7}b\rc\nd\u{202e}txt.exe";

/// The bytes a terminal acts on or that reorder text: C0 controls other than
/// the line ends we print ourselves, DEL, C1 controls (UTF-8 `C2 80..9F`) and
/// the bidi overrides (`E2 80 AA..AE`, `E2 81 A6..A9`).
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let third = bytes.get(i + 2).copied().unwrap_or(0);
        if (b < 0x20 && b != b'\n') || b == 0x7f {
            found.push(format!("{b:#04x} at {i}"));
        } else if b == 0xc2 && (0x80..=0x9f).contains(&next) {
            found.push(format!("C1 {next:#04x} at {i}"));
        } else if b == 0xe2
            && ((next == 0x80 && (0xaa..=0xae).contains(&third)) || (next == 0x81 && (0xa6..=0xa9).contains(&third)))
        {
            found.push(format!("bidi control at {i}"));
        }
    }
    found
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let found = raw_controls(bytes);
    assert!(found.is_empty(), "{what} printed raw control characters {found:?}:\n{}", String::from_utf8_lossy(bytes));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_names_are_escaped_for_people_and_exact_in_json() {
    let env = Env::start().await;
    env.add_demo().await;
    let local = env.path("x.txt");
    write(&local, b"hostile");
    env.ok(&["copyto", local.to_str().unwrap(), &format!("demo:share/{HOSTILE}")]).await;
    env.ok(&["mkdir", &format!("demo:share/dir{HOSTILE}")]).await;

    // Listings: escaped, and visibly so.
    for verb in ["ls", "lsl", "md5sum"] {
        let out = env.run(&[verb, "demo:share"]).await;
        assert!(out.status.success(), "{verb}: {}", String::from_utf8_lossy(&out.stderr));
        assert_clean(verb, &out.stdout);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(r"a\x1b[2J\x1b]0;pwned\x07b\rc\nd\u{202e}txt.exe"), "{verb}: {text}");
    }
    let out = env.run(&["lsd", "demo:share"]).await;
    assert_clean("lsd", &out.stdout);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"dira\x1b[2J"), "{out:?}");

    // JSON: the exact name, control characters and all.
    let json = env.ok(&["ls", "--json", "demo:share"]).await;
    let v: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["path"], HOSTILE);
    let json = env.ok(&["lsd", "--json", "demo:share"]).await;
    let v: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(v["name"], format!("dir{HOSTILE}"));

    // The plan of a dry run, and the lines of a real run (stderr, no terminal).
    let dst = env.path("dst");
    std::fs::create_dir(&dst).unwrap();
    let dst_s = dst.to_str().unwrap();
    let out = env.run(&["sync", "--dry-run", "demo:share", dst_s]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_clean("sync --dry-run", &out.stdout);
    assert_clean("sync --dry-run (stderr)", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"would create a\x1b[2J"), "{out:?}");
    let out = env.run(&["sync", "demo:share", dst_s]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_clean("sync", &out.stdout);
    assert_clean("sync (stderr)", &out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.contains(r"downloaded a\x1b[2J"), "{stderr}");
    let run = stderr.lines().find_map(|l| l.strip_prefix("run ")?.split(':').next()).expect("a run id").to_string();
    // The local file has the exact name.
    assert_eq!(std::fs::read(dst.join(HOSTILE)).unwrap(), b"hostile");

    // --json events keep the exact name.
    let out = env.run(&["check", "--json", "demo:share", dst_s]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_file(dst.join(HOSTILE)).unwrap();
    let out = env.run(&["check", "--json", "demo:share", dst_s]).await;
    let paths: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["event"] == "difference")
        .map(|v| v["path"].clone())
        .collect();
    assert_eq!(paths, vec![Value::from(HOSTILE)]);
    // The text form of check prints the difference escaped.
    let out = env.run(&["check", "demo:share", dst_s]).await;
    assert_clean("check", &out.stdout);
    assert_clean("check (stderr)", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"missing-on-dst a\x1b[2J"), "{out:?}");

    // The task log.
    let out = env.run(&["log", &run]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_clean("log", &out.stdout);

    // Errors that carry the name.
    let out = env.run(&["cat", &format!("demo:share/missing{HOSTILE}")]).await;
    assert!(!out.status.success());
    assert_clean("an error", &out.stderr);
    assert!(String::from_utf8_lossy(&out.stderr).contains(r"missinga\x1b[2J"), "{out:?}");

    // The trash.
    env.ok(&["delete", &format!("demo:share/{HOSTILE}")]).await;
    let out = env.run(&["trash", "list", "demo:"]).await;
    assert_clean("trash list", &out.stdout);
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"share/a\x1b[2J"), "{out:?}");
    let json = env.ok(&["trash", "list", "--json", "demo:"]).await;
    assert!(json.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).any(|v| v["name"] == HOSTILE), "{json}");
}

/// Runs `fjordsync ARGS` with a standard output whose reader is already gone
/// (as after `| head -0`), and returns (success, stderr).
async fn with_closed_stdout(env: &Env, args: &[&str]) -> (bool, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("fjordsync"));
    cmd.env("FJORDSYNC_CONFIG_DIR", env.config_dir())
        .env("FJORDSYNC_SECRET_STORE", env.secret_store)
        .env_remove("RUST_LOG")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("{args:?}");
    let run = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        // The reader closes before the first line is written.
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    });
    let out =
        tokio::time::timeout(Duration::from_secs(120), run).await.unwrap_or_else(|_| panic!("{what} hangs")).unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_pipe_ends_the_command_quietly() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir(&src).unwrap();
    let local = src.join("x.txt");
    write(&local, &vec![b'x'; 100_000]);
    let src_s = src.to_str().unwrap();
    env.ok(&["copy", src_s, "demo:copied"]).await;
    for i in 0..3 {
        env.ok(&["copyto", local.to_str().unwrap(), &format!("demo:files/f{i}.txt")]).await;
    }
    for args in [
        &["md5sum", "demo:files"][..],
        &["ls", "demo:"],
        &["ls", "--json", "demo:"],
        &["lsl", "demo:files/f1.txt"],
        &["lsd", "demo:"],
        &["cat", "demo:files/f0.txt"],
        &["about", "demo:"],
        &["remote", "list"],
        &["remote", "show", "demo"],
        &["trash", "list", "demo:"],
        &["sync", "--dry-run", src_s, "demo:new"],
        &["log", "1"],
        &["log"],
        &["man"],
        &["completion", "bash"],
    ] {
        let (ok, stderr) = with_closed_stdout(&env, args).await;
        assert!(ok, "{args:?} failed on a closed pipe: {stderr}");
        assert!(!stderr.contains("Broken pipe") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_name_what_was_asked_and_the_reply_only_with_verbose() {
    let env = Env::start().await;
    env.add_demo().await;
    for verb in ["md5sum", "ls", "lsd", "cat", "delete", "link"] {
        let err = env.fails(&[verb, "demo:nonexist"]).await;
        let first = err.lines().next().unwrap_or_default();
        assert_eq!(first, "fjordsync: demo:nonexist: no such file or folder", "{verb}: {err}");
        assert!(!err.contains("Exception") && !err.contains("HTTP 404"), "{verb}: {err}");
        assert!(!err.contains(&format!("/{}/Jotta", env.emu.username())), "{verb}: internal path shown: {err}");
    }
    // With -v the service's own words follow.
    let err = env.fails(&["-v", "md5sum", "demo:nonexist"]).await;
    assert!(err.contains("fjordsync: demo:nonexist: no such file or folder"), "{err}");
    assert!(err.contains("the service replied: HTTP 404"), "{err}");
    // A download names the remote path, not a wrapper of ours.
    let err = env.fails(&["copyto", "demo:nonexist/f.txt", env.path("f").to_str().unwrap()]).await;
    assert!(err.starts_with("fjordsync: demo:nonexist/f.txt: no such file or folder"), "{err}");
}
