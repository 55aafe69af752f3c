//! `fjordsync backup`: restic-format repositories in a local folder and on
//! the emulator, run as a user runs them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::support::Env;

/// A tree with unicode names, empty files and empty folders, every file
/// with a fixed modification time in the past.
fn make_tree(root: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("top.txt", b"top level"),
        ("docs/report.pdf", &[7u8; 300_000]),
        ("docs/empty.txt", b""),
        ("docs/deep/er/still.md", b"# deep"),
        ("unicode/æøå 🎉.txt", b"norsk"),
        ("unicode/日本語/ファイル.txt", b"nihongo"),
        ("odd/what? a:b*c.txt", b"odd names"),
    ];
    for (i, (path, content)) in files.iter().enumerate() {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        set_mtime(&p, 1_600_000_000 + i as u64 * 1000);
    }
    std::fs::create_dir_all(root.join("empty-folder/inner")).unwrap();
}

fn set_mtime(p: &Path, secs: u64) {
    let f = std::fs::File::options().write(true).open(p).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
}

/// Every file and folder below `root`: relative path -> (bytes, mtime) for
/// files, `None` for folders.
fn snapshot_of(root: &Path) -> BTreeMap<String, Option<(Vec<u8>, SystemTime)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(rel, None);
                stack.push(p);
            } else {
                let mtime = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.insert(rel, Some((std::fs::read(&p).unwrap(), mtime)));
            }
        }
    }
    out
}

/// Where a restored copy of `src` lands below `target` (restic keeps the
/// absolute path).
fn restored(target: &Path, src: &Path) -> PathBuf {
    target.join(src.canonicalize().unwrap().strip_prefix("/").unwrap())
}

struct Repo<'a> {
    env: &'a Env,
    repo: String,
    password_file: PathBuf,
    cache: String,
}

impl<'a> Repo<'a> {
    /// A repository in the folder `repo` with the password `pw`.
    fn local(env: &'a Env) -> Repo<'a> {
        let pw = env.path("password");
        std::fs::write(&pw, "pw\n").unwrap();
        Repo {
            env,
            repo: env.path("repo").to_str().unwrap().to_string(),
            password_file: pw,
            cache: env.path("cache").to_str().unwrap().to_string(),
        }
    }

    fn args<'b>(&'b self, more: &[&'b str]) -> Vec<&'b str> {
        let mut v = vec!["backup", "--repo", &self.repo, "--cache-dir", &self.cache];
        v.extend_from_slice(&["--password-file", self.password_file.to_str().unwrap()]);
        v.extend_from_slice(more);
        v
    }

    async fn ok(&self, more: &[&str]) -> String {
        self.env.ok(&self.args(more)).await
    }

    async fn json(&self, more: &[&str]) -> Value {
        let mut a = more.to_vec();
        a.push("--json");
        serde_json::from_str(&self.ok(&a).await).unwrap()
    }
}

async fn scenario(env: &Env, repo_arg: &str) {
    let pw = env.path("password");
    std::fs::write(&pw, "correct horse\n").unwrap();
    let cache = env.path("cache").to_str().unwrap().to_string();
    let repo = Repo { env, repo: repo_arg.to_string(), password_file: pw, cache: cache.clone() };
    let src = env.path("src");
    make_tree(&src);
    let src_arg = src.to_str().unwrap();

    let out = repo.ok(&["init"]).await;
    assert!(out.contains("created backup repository"), "{out}");
    let again = env.fails(&repo.args(&["init"])).await;
    assert!(again.contains("already exists"), "{again}");

    // First run: everything is new.
    let first = repo.json(&["run", src_arg, "--tag", "first", "--host", "testhost"]).await;
    assert_eq!(first["files_new"], 7, "{first}");
    assert_eq!(first["files_unmodified"], 0, "{first}");
    let before = snapshot_of(&src);

    // Change one file; the second run reads only that one.
    std::fs::write(src.join("docs/deep/er/still.md"), b"# deeper now").unwrap();
    set_mtime(&src.join("docs/deep/er/still.md"), 1_700_000_000);
    let second = repo.json(&["run", src_arg, "--host", "testhost"]).await;
    assert_eq!(second["files_new"], 0, "{second}");
    assert_eq!(second["files_changed"], 1, "{second}");
    assert_eq!(second["files_unmodified"], 6, "{second}");
    assert_eq!(second["parent"], first["snapshot"], "{second}");
    let after = snapshot_of(&src);

    let list = repo.json(&["snapshots"]).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], first["snapshot"]);
    assert_eq!(list[0]["host"], "testhost");
    assert_eq!(list[0]["tags"], serde_json::json!(["first"]));
    assert_eq!(list[0]["files"], 7);
    assert_eq!(list[1]["paths"][0], src.canonicalize().unwrap().to_str().unwrap());

    // Restore both snapshots: same bytes, same mtimes, empty folders too.
    for (snap, expected) in [(&first, &before), (&second, &after)] {
        let id = snap["snapshot"].as_str().unwrap();
        let target = env.path(&format!("restore-{id}"));
        let r = repo.json(&["restore", &id[..8], "--target", target.to_str().unwrap()]).await;
        assert_eq!(r["files_restored"], 7, "{r}");
        assert_eq!(r["files_verified"], 7, "{r}");
        assert_eq!(&snapshot_of(&restored(&target, &src)), expected);
        // A second restore into the same folder finds everything in place.
        let r = repo.json(&["restore", id, "--target", target.to_str().unwrap()]).await;
        assert_eq!(r["files_unchanged"], 7, "{r}");
    }

    // Never over a changed file unless asked.
    let target = env.path("restore-latest");
    repo.ok(&["restore", "latest", "--target", target.to_str().unwrap()]).await;
    let victim = restored(&target, &src).join("top.txt");
    std::fs::write(&victim, b"local edit").unwrap();
    let refused = env.fails(&repo.args(&["restore", "latest", "--target", target.to_str().unwrap()])).await;
    assert!(refused.contains("would overwrite 1 existing file"), "{refused}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"local edit");
    repo.ok(&["restore", "latest", "--target", target.to_str().unwrap(), "--overwrite"]).await;
    assert_eq!(std::fs::read(&victim).unwrap(), b"top level");

    // One folder of a snapshot, kept at its path.
    let part = env.path("restore-part");
    let inner = src.canonicalize().unwrap().join("unicode");
    repo.ok(&["restore", "latest", "--target", part.to_str().unwrap(), "--include", inner.to_str().unwrap()]).await;
    let got = snapshot_of(&part);
    let files: Vec<_> = got.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k.rsplit('/').next().unwrap()).collect();
    assert_eq!(files.len(), 2, "{got:?}");
    assert_eq!(std::fs::read(restored(&part, &src).join("unicode/日本語/ファイル.txt")).unwrap(), b"nihongo");

    // One file, next to files already there: no noise on stderr.
    let out = env
        .run(&repo.args(&[
            "restore",
            "latest",
            "--target",
            part.to_str().unwrap(),
            "--include",
            &format!("{}/top.txt", src.canonicalize().unwrap().display()),
        ]))
        .await;
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(restored(&part, &src).join("top.txt")).unwrap(), b"top level");

    // Browse and compare.
    let ls = repo.ok(&["ls", "latest"]).await;
    assert!(ls.contains("ファイル.txt") && ls.contains("empty-folder/inner"), "{ls}");
    let diff = repo.ok(&["diff", &first["snapshot"].as_str().unwrap()[..8], "latest"]).await;
    assert!(diff.lines().any(|l| l.starts_with('M') && l.ends_with("docs/deep/er/still.md")), "{diff}");
    assert_eq!(
        diff.lines().filter(|l| l.ends_with(".md") || l.ends_with(".txt") || l.ends_with(".pdf")).count(),
        1,
        "{diff}"
    );

    // A wrong password is a clear error and changes nothing.
    let bad = env.path("bad-password");
    std::fs::write(&bad, "wrong\n").unwrap();

    let bad_repo = Repo { env, repo: repo_arg.to_string(), password_file: bad, cache: cache.clone() };
    let err = env.fails(&bad_repo.args(&["snapshots"])).await;
    assert!(err.contains("wrong password"), "{err}");

    let check = repo.json(&["check", "--read-data"]).await;
    assert_eq!(check["errors"], serde_json::json!([]), "{check}");

    // Forget the first snapshot by policy, prune, and the rest still checks and restores.
    let forget = repo.json(&["forget", "--keep-last", "1", "--prune"]).await;
    assert_eq!(forget["removed"].as_array().unwrap().len(), 1, "{forget}");
    assert!(forget["prune"].is_object(), "{forget}");
    assert_eq!(repo.json(&["snapshots"]).await.as_array().unwrap().len(), 1);
    repo.ok(&["check", "--read-data"]).await;
    let target = env.path("restore-after-prune");
    repo.ok(&["restore", "latest", "--target", target.to_str().unwrap()]).await;
    assert_eq!(snapshot_of(&restored(&target, &src)), after);

    let size = repo.json(&["size"]).await;
    assert!(size["pack_files"].as_u64().unwrap() >= 1, "{size}");

    // Change the password: the old one stops working.
    let new_pw = env.path("new-password");
    std::fs::write(&new_pw, "battery staple\n").unwrap();
    repo.ok(&["passwd", "--new-password-file", new_pw.to_str().unwrap()]).await;
    let err = env.fails(&repo.args(&["snapshots"])).await;
    assert!(err.contains("wrong password"), "{err}");
    let renewed = Repo { env, repo: repo_arg.to_string(), password_file: new_pw, cache };
    assert_eq!(renewed.json(&["snapshots"]).await.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_to_a_local_folder() {
    let env = Env::start().await;
    let repo = env.path("repo");
    scenario(&env, repo.to_str().unwrap()).await;
    // restic's layout on disk.
    for dir in ["keys", "snapshots", "index", "data"] {
        assert!(repo.join(dir).is_dir(), "{dir}");
    }
    assert!(repo.join("config").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_to_a_remote() {
    let env = Env::start().await;
    env.add_demo().await;
    scenario(&env, "demo:backups/laptop").await;
    let listing = env.ok(&["ls", "demo:backups/laptop"]).await;
    assert!(listing.lines().any(|l| l.ends_with(" config")), "{listing}");
    assert!(listing.lines().any(|l| l.contains(" data/")), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_needs_a_repository_and_a_password() {
    let env = Env::start().await;
    let err = env.fails(&["backup", "snapshots"]).await;
    assert!(err.contains("no repository"), "{err}");
    let repo = env.path("repo");
    let err = env.fails(&["backup", "--repo", repo.to_str().unwrap(), "snapshots"]).await;
    assert!(err.contains("no password"), "{err}");
    let out = env.run(&["backup", "--repo", repo.to_str().unwrap(), "snapshots"]).await;
    assert!(!out.status.success());
    let mut c = env.cmd(&["backup", "--repo", repo.to_str().unwrap(), "snapshots"]);
    c.env("RESTIC_PASSWORD", "x");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no backup repository"), "{err}");
}

/// Pack files in a local repository.
fn packs(repo: &Path) -> usize {
    std::fs::read_dir(repo.join("data"))
        .map(|dirs| dirs.flatten().map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0)).sum())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backup_leaves_a_repository_that_checks_and_the_next_run_reuses_its_packs() {
    let env = Env::start().await;
    let src = env.path("big");
    std::fs::create_dir_all(&src).unwrap();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..40 {
        let mut data = Vec::with_capacity(1 << 20);
        while data.len() < 1 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(src.join(format!("noise-{i:02}.bin")), data).unwrap();
    }
    let repo_dir = env.path("repo");
    let repo = Repo::local(&env);
    repo.ok(&["init", "--pack-size", "1"]).await;

    // Kill -9 once a few packs are on disk.
    let mut child = crate::crash::spawn(&env, &repo.args(&["run", src.to_str().unwrap()]));
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while packs(&repo_dir) < 3 {
        assert!(std::time::Instant::now() < deadline, "no packs written in time");
        assert!(child.try_wait().unwrap().is_none(), "the backup ended before it could be killed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(repo.json(&["snapshots"]).await, serde_json::json!([]));
    repo.ok(&["check", "--read-data"]).await;

    let run = repo.json(&["run", src.to_str().unwrap()]).await;
    // The pack being written at the kill may be cut short: it is skipped.
    assert!(run["packs_recovered"].as_u64().unwrap() >= 2, "{run}");
    assert!(run["data_added"].as_u64().unwrap() < 39 << 20, "reused nothing: {run}");
    let check = repo.json(&["check", "--read-data"]).await;
    assert_eq!(check["errors"], serde_json::json!([]), "{check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_honours_excludes_and_the_ignore_file() {
    let env = Env::start().await;
    let src = env.path("src");
    for (p, c) in [("keep.txt", "k"), ("noise.log", "n"), ("sub/keep.md", "k"), ("sub/secret.txt", "s")] {
        std::fs::create_dir_all(src.join(p).parent().unwrap()).unwrap();
        std::fs::write(src.join(p), c).unwrap();
    }
    std::fs::write(src.join("sub/.fjordsyncignore"), "secret*\n").unwrap();
    let repo = Repo::local(&env);
    repo.ok(&["init"]).await;
    repo.ok(&["run", src.to_str().unwrap(), "--exclude", "*.log"]).await;
    let ls = repo.ok(&["ls", "latest"]).await;
    assert!(ls.contains("/keep.txt") && ls.contains("/sub/keep.md"), "{ls}");
    assert!(!ls.contains("noise.log") && !ls.contains("secret.txt"), "{ls}");
}

/// The files (not folders) of a snapshot, relative to `src`.
async fn files_in(repo: &Repo<'_>, snapshot: &str, src: &Path) -> Vec<String> {
    let out = repo.ok(&["ls", snapshot, "--json"]).await;
    let base = src.canonicalize().unwrap().to_string_lossy().into_owned();
    let mut files: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["kind"] == "file")
        .map(|v| v["path"].as_str().unwrap().strip_prefix(&base).unwrap().to_string())
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_honours_include_size_and_age_filters() {
    let env = Env::start().await;
    let src = env.path("src");
    let files: &[(&str, usize)] = &[
        ("small.txt", 10),
        ("big.txt", 5000),
        ("small.log", 10),
        ("sub/deep/note.txt", 100),
        ("sub/deep/pic.jpg", 100),
        ("sub/tiny.txt", 1),
        ("sub/what? [a]*{b}.txt", 1),
        ("sub/old.txt", 100),
    ];
    for (p, len) in files {
        std::fs::create_dir_all(src.join(p).parent().unwrap()).unwrap();
        std::fs::write(src.join(p), vec![b'x'; *len]).unwrap();
    }
    set_mtime(&src.join("sub/old.txt"), 1_600_000_000);
    let repo = Repo::local(&env);
    repo.ok(&["init"]).await;
    let s = src.to_str().unwrap();
    repo.ok(&["run", s, "--include", "*.txt", "--max-size", "1K", "--tag", "one"]).await;
    let got = files_in(&repo, "latest", &src).await;
    assert_eq!(
        got,
        ["/small.txt", "/sub/deep/note.txt", "/sub/old.txt", "/sub/tiny.txt", "/sub/what? [a]*{b}.txt"],
        "{got:?}"
    );
    // Minimum size and maximum age go through the exclude globs.
    repo.ok(&["run", s, "--include", "*.txt", "--min-size", "2", "--max-age", "30d", "--force"]).await;
    let got = files_in(&repo, "latest", &src).await;
    assert_eq!(got, ["/big.txt", "/small.txt", "/sub/deep/note.txt"], "{got:?}");
    repo.ok(&["run", s, "--min-age", "30d", "--force"]).await;
    let got = files_in(&repo, "latest", &src).await;
    assert_eq!(got, ["/sub/old.txt"], "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_ride_out_a_flaky_service() {
    let env = Env::with(fjordsync_emulator::Config { fail_rate: 0.1, reset_rate: 0.05, ..Default::default() }).await;
    env.add_demo().await;
    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..6u8 {
        let data: Vec<u8> = (0..600_000u32).map(|j| (j.wrapping_mul(2_654_435_761) >> 13) as u8 ^ i).collect();
        std::fs::write(src.join(format!("f{i}.bin")), data).unwrap();
    }
    let pw = env.path("password");
    std::fs::write(&pw, "pw\n").unwrap();
    let repo = Repo {
        env: &env,
        repo: "demo:flaky".into(),
        password_file: pw,
        cache: env.path("cache").to_str().unwrap().to_string(),
    };
    repo.ok(&["init", "--pack-size", "1"]).await;
    repo.ok(&["run", src.to_str().unwrap()]).await;
    let target = env.path("out");
    let r = repo.json(&["--no-cache", "restore", "latest", "--target", target.to_str().unwrap()]).await;
    assert_eq!(r["files_verified"], 6, "{r}");
    assert_eq!(snapshot_of(&restored(&target, &src)), snapshot_of(&src));
    repo.ok(&["--no-cache", "check", "--read-data"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_paths_in_any_order_find_their_parent() {
    let env = Env::start().await;
    // Given in an order that does not sort: rustic matches the sources with
    // the parent's (sorted) tree in one pass.
    let (zeta, alpha) = (env.path("zeta"), env.path("alpha"));
    for (dir, n) in [(&zeta, 3), (&alpha, 2)] {
        std::fs::create_dir_all(dir).unwrap();
        for i in 0..n {
            std::fs::write(dir.join(format!("f{i}.txt")), format!("{i}")).unwrap();
        }
    }
    let repo = Repo::local(&env);
    repo.ok(&["init"]).await;
    let (z, a) = (zeta.to_str().unwrap(), alpha.to_str().unwrap());
    let first = repo.json(&["run", z, a]).await;
    assert_eq!(first["files_new"], 5, "{first}");
    let second = repo.json(&["run", z, a]).await;
    assert_eq!(second["parent"], first["snapshot"], "{second}");
    assert_eq!(second["files_unmodified"], 5, "nothing changed, nothing read: {second}");
    assert_eq!(second["dirs_new"], 0, "{second}");
    let ls = repo.ok(&["ls", "latest"]).await;
    assert!(ls.contains("/alpha/f1.txt") && ls.contains("/zeta/f2.txt"), "{ls}");
}
