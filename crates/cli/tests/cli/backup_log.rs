//! Backups in the run log: `backup run` and backup tasks (`task add NAME
//! backup ...`, `task run`) are runs of kind `backup` with their own
//! counters in `fjordsync log`.

use serde_json::Value;

use crate::support::Env;

fn json_lines(s: &str) -> Vec<Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn tree(env: &Env) -> String {
    let src = env.path("src");
    std::fs::create_dir_all(src.join("docs")).unwrap();
    std::fs::write(src.join("a.txt"), b"alpha").unwrap();
    std::fs::write(src.join("docs/b.txt"), b"bravo").unwrap();
    std::fs::write(src.join("docs/c.txt"), vec![3u8; 50_000]).unwrap();
    src.to_str().unwrap().to_string()
}

/// `fjordsync backup run` into a repository on the emulator is a run in
/// the log: kind backup, its own counters, its snapshot.
#[tokio::test(flavor = "multi_thread")]
async fn a_cli_backup_shows_in_the_log_with_its_counters() {
    let env = Env::start().await;
    env.add_demo().await;
    let src = tree(&env);
    let pw = env.path("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let cache = env.path("cache");
    let base = ["backup", "--repo", "demo:backup", "--password-file", pw.to_str().unwrap()];
    let base: Vec<&str> = base.into_iter().chain(["--cache-dir", cache.to_str().unwrap()]).collect();
    env.ok(&[&base[..], &["init"]].concat()).await;
    let out: Value = serde_json::from_str(&env.ok(&[&base[..], &["run", &src, "--json"]].concat()).await).unwrap();
    assert_eq!(out["files_new"], 3, "{out}");

    let log = json_lines(&env.ok(&["log", "--json"]).await);
    assert_eq!(log.len(), 1, "{log:?}");
    let r = &log[0];
    assert_eq!(
        (r["id"].clone(), r["kind"].clone(), r["outcome"].clone()),
        (out["run"].clone(), "backup".into(), "ok".into())
    );
    assert_eq!((r["source"].as_str(), r["destination"].as_str()), (Some(src.as_str()), Some("demo:backup")));
    assert_eq!(r["task"], Value::Null);
    let b = &r["backup"];
    assert_eq!(
        (b["files_new"].clone(), b["files_changed"].clone(), b["files_unmodified"].clone()),
        (3.into(), 0.into(), 0.into())
    );
    assert_eq!(b["snapshot"], out["snapshot"]);
    assert!(b["bytes_added"].as_u64().unwrap() >= 50_010, "{b}");

    // A second run: one file changed.
    std::fs::write(env.path("src/a.txt"), b"alpha, again").unwrap();
    env.ok(&[&base[..], &["run", &src]].concat()).await;
    let text = env.ok(&["log"]).await;
    let first = text.lines().next().unwrap();
    assert!(first.contains("backup") && first.contains(" ok "), "{text}");
    assert!(first.contains("0 new, 1 changed, 2 unmodified"), "{text}");
    let snap = json_lines(&env.ok(&["log", "--json"]).await)[0]["backup"]["snapshot"].as_str().unwrap().to_string();
    assert!(first.contains(&format!("snapshot {}", &snap[..8])), "{text}");
    // A dry run is not a run.
    env.ok(&[&base[..], &["run", &src, "--dry-run"]].concat()).await;
    assert_eq!(json_lines(&env.ok(&["log", "--json"]).await).len(), 2);
    // Undo and retry are for transfers.
    let err = env.fails(&["undo", &out["run"].to_string()]).await;
    assert!(err.contains("is a backup"), "{err}");
}

/// A backup task: added with its repository, password file and retention,
/// listed, run under its lock, logged under its name, retention applied.
/// A wrong password is a failed run of the task, with the reason in its log.
#[tokio::test(flavor = "multi_thread")]
async fn backup_tasks_run_and_log_under_their_name() {
    let env = Env::start().await;
    let src = tree(&env);
    let pw = env.path("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let repo = env.path("repo");
    let (repo_s, pw_s) = (repo.to_str().unwrap(), pw.to_str().unwrap());
    env.ok(&["backup", "--repo", repo_s, "--password-file", pw_s, "init"]).await;

    let add = ["task", "add", "home", "backup", &src, "--repo", repo_s, "--password-file", pw_s];
    env.ok(&[&add[..], &["--keep-last", "1", "--exclude", "*.tmp", "--daily", "03:00"]].concat()).await;
    let err = env.fails(&["task", "add", "nope", "backup", &src, "--password-file", pw_s]).await;
    assert!(err.contains("needs its repository: --repo"), "{err}");
    let err = env.fails(&["task", "add", "nope", "sync", &src, "demo:x", "--keep-last", "1"]).await;
    assert!(err.contains("for backup tasks"), "{err}");
    let err =
        env.fails(&["task", "add", "nope", "backup", &src, "--repo", repo_s, "--password-file", "/no/such"]).await;
    assert!(err.contains("/no/such"), "{err}");

    let list = json_lines(&env.ok(&["task", "list", "--json"]).await);
    assert_eq!(list.len(), 1, "{list:?}");
    let t = &list[0];
    assert_eq!((t["name"].as_str(), t["kind"].as_str()), (Some("home"), Some("backup")));
    assert_eq!((t["source"].as_str(), t["destination"].as_str()), (Some(src.as_str()), Some(repo_s)));
    assert_eq!(t["job"]["password_file"], pw_s);
    assert_eq!(t["job"]["retention"]["keep_last"], 1);
    assert_eq!(t["job"]["filters"]["exclude"][0], "*.tmp");

    let show = env.ok(&["task", "show", "home"]).await;
    assert!(show.contains("kind:         backup") && show.contains("password:     from the file"), "{show}");

    std::fs::write(env.path("src/skip.tmp"), b"left out").unwrap();
    let out = env.ok(&["task", "run", "home"]).await;
    assert!(out.contains("3 new"), "{out}");
    std::fs::write(env.path("src/docs/b.txt"), b"bravo two").unwrap();
    env.ok(&["task", "run", "home"]).await;

    let runs = json_lines(&env.ok(&["log", "--json", "--task", "home"]).await);
    assert_eq!(runs.len(), 2, "{runs:?}");
    for r in &runs {
        assert_eq!(
            (r["kind"].as_str(), r["outcome"].as_str(), r["task"].as_str()),
            (Some("backup"), Some("ok"), Some("home"))
        );
    }
    assert_eq!(runs[0]["backup"]["files_changed"], 1, "{runs:?}");
    assert!(env.ok(&["log", "--task", "home"]).await.contains("[task home]"));
    // Retention kept one snapshot; the .tmp file was left out.
    let snaps: Value = serde_json::from_str(
        &env.ok(&["backup", "--repo", repo_s, "--password-file", pw_s, "snapshots", "--json"]).await,
    )
    .unwrap();
    assert_eq!(snaps.as_array().unwrap().len(), 1, "{snaps}");
    let ls = env.ok(&["backup", "--repo", repo_s, "--password-file", pw_s, "ls", "latest"]).await;
    assert!(ls.contains("b.txt") && !ls.contains("skip.tmp"), "{ls}");
    assert!(env.ok(&["task", "list"]).await.contains("last ok"));

    // A wrong password: the run fails, is the task's, and says why.
    std::fs::write(&pw, "wrong\n").unwrap();
    let err = env.fails(&["task", "run", "home"]).await;
    assert!(err.contains("wrong password"), "{err}");
    let last = &json_lines(&env.ok(&["log", "--json", "--task", "home"]).await)[0];
    assert_eq!((last["outcome"].as_str(), last.get("backup")), (Some("failed"), None), "{last}");
    let rows = env.ok(&["log", &last["id"].to_string(), "--failed"]).await;
    assert!(rows.contains("backup") && rows.contains("wrong password"), "{rows}");
}

/// A backup task without a password file reads the secret store entry the
/// app uses; with none there, the error says what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_task_without_a_password_says_what_to_do() {
    let env = Env::start().await;
    let src = tree(&env);
    let pw = env.path("pw");
    std::fs::write(&pw, "secret\n").unwrap();
    let repo = env.path("repo");
    let repo_s = repo.to_str().unwrap();
    env.ok(&["backup", "--repo", repo_s, "--password-file", pw.to_str().unwrap(), "init"]).await;
    env.ok(&["task", "add", "home", "backup", &src, "--repo", repo_s]).await;
    let err = env.fails(&["task", "run", "home"]).await;
    assert!(
        err.contains("has no password") && err.contains("--password-file") && err.contains("backup-password-1"),
        "{err}"
    );
    assert!(json_lines(&env.ok(&["log", "--json"]).await).is_empty(), "no password: nothing was run");

    // The app's entry: the file secret store keeps it as a file.
    let secrets = env.config_dir().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    let file = secrets.join("backup-password-1.secret");
    std::fs::write(&file, "secret").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = env.ok(&["task", "run", "home"]).await;
    assert!(out.contains("3 new"), "{out}");
}
