//! Transfer engine tests: the runner against the emulator over HTTP on
//! 127.0.0.1, with a real SQLite state file in a temp folder. Every test is
//! bounded in time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fjordsync_emulator::{Config, Emulator};
use fjordsync_engine::events::{EventSink, TaskEvent};
use fjordsync_engine::remotes::{RemoteConfig, SignIn};
use fjordsync_engine::secrets::{FileStore, SecretStore};
use fjordsync_engine::session::{self, Session};
use fjordsync_engine::state::EventFilter;
use fjordsync_engine::{
    ConfigDir, Location, MaxDelete, Opener, RunReport, Runner, StateDb, TaskKind, TaskOptions, TaskSpec,
};
use fjordsync_jottacloud::{AllocateRequest, TreeEntry, auth};
use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

mod backup;
mod bisync;
mod bisync_clock;
mod bisync_issues;
mod bisync_live;
mod bisync_undo;
mod fatal;
mod local_safety;
mod mount;
mod no_versions;
mod repo_guard;
mod retries;

const LIMIT: Duration = Duration::from_secs(90);

struct Env {
    emu: Emulator,
    dir: tempfile::TempDir,
    runner: Runner,
    session: Session,
}

impl Env {
    async fn start() -> Env {
        Env::with(Config::default()).await
    }

    /// An environment whose emulator runs with `config`.
    async fn with(config: Config) -> Env {
        let emu = Emulator::start(config).await.expect("emulator");
        let dir = tempfile::tempdir().unwrap();
        let config = ConfigDir::at(dir.path().join("config")).unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(FileStore::new(&config).unwrap());
        let url = emu.base_url();
        let endpoints = session::endpoints_for(Some(&url)).unwrap();
        let token =
            auth::login_with_token(&endpoints, &session::client_options(), &emu.issue_login_token()).await.unwrap();
        let remote = RemoteConfig {
            name: "demo".into(),
            service: "jottacloud".into(),
            sign_in: SignIn::Standard,
            endpoint: Some(url),
            device: "Jotta".into(),
            mountpoint: "Archive".into(),
            username: None,
            login: None,
        };
        let session = session::add_remote(&config, secrets.clone(), remote, token, false).await.unwrap();
        let db = Arc::new(StateDb::open(&dir.path().join("state.db")).unwrap());
        let opener: Opener = Arc::new(move |name: &str| session::open(&config, secrets.clone(), name));
        Env { emu, dir, runner: Runner::new(db, opener), session }
    }

    fn local(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn spec(&self, kind: TaskKind, src: Location, dst: Location) -> TaskSpec {
        TaskSpec { kind, source: src, destination: dst, options: TaskOptions::default() }
    }

    async fn run(&self, spec: &TaskSpec) -> RunReport {
        tokio::time::timeout(LIMIT, self.runner.run(spec, None, events(), CancellationToken::new()))
            .await
            .expect("run finishes in time")
            .expect("run works")
    }

    /// Remote files below `path`: user-visible relative path → (size, md5).
    async fn remote_files(&self, path: &str) -> BTreeMap<String, (u64, String)> {
        let root = self.session.path(path).unwrap();
        let mut out = BTreeMap::new();
        let Ok(mut s) = self.session.client.list_tree(&root).await else { return out };
        while let Some(e) = s.next().await {
            if let TreeEntry::File { path, size, md5, .. } = e.unwrap() {
                out.insert(fjordsync_engine::tree::user_path(&path.join("/")), (size, md5));
            }
        }
        out
    }
}

fn events() -> EventSink {
    fjordsync_engine::events::discard()
}

fn local(p: &Path) -> Location {
    Location::Local { path: p.to_path_buf() }
}

fn remote(p: &str) -> Location {
    Location::Remote { remote: "demo".into(), path: p.into() }
}

fn write(p: &Path, data: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn tree(root: &Path) {
    write(&root.join("a/b/deep.txt"), b"deep");
    write(&root.join("a/empty.txt"), b"");
    write(&root.join("what?.txt"), b"restricted");
    write(&root.join("unicode \u{e6}\u{f8}\u{e5} \u{1F600}.txt"), "smile".as_bytes());
    std::fs::create_dir_all(root.join("empty/inner")).unwrap();
}

#[tokio::test]
async fn sync_up_then_noop_then_changes() {
    let env = Env::start().await;
    let src = env.local("src");
    tree(&src);
    let spec = env.spec(TaskKind::Sync, local(&src), remote("backup"));
    let r = env.run(&spec).await;
    assert_eq!(r.outcome, "ok", "{r:?}");
    assert_eq!(r.counters.uploaded, 4);
    let files = env.remote_files("backup").await;
    assert_eq!(files.len(), 4);
    assert_eq!(files["what?.txt"].0, 10);
    assert!(env.session.client.stat(&env.session.path("backup/empty/inner").unwrap()).await.is_ok());

    // A second run transfers nothing and makes no per-file HTTP calls.
    let before = env.emu.stats();
    let r = env.run(&spec).await;
    assert_eq!((r.counters.uploaded, r.counters.updated, r.counters.deleted), (0, 0, 0));
    assert_eq!(r.counters.unchanged, 4);
    let after = env.emu.stats();
    // stat + liststream of the destination, and at most a username lookup: no per-file calls.
    assert!(
        after.requests_total - before.requests_total <= 4,
        "{} requests",
        after.requests_total - before.requests_total
    );
    assert_eq!(after.uploads_started, before.uploads_started);

    // Modify, add, delete, rename.
    std::thread::sleep(Duration::from_millis(1100));
    write(&src.join("a/b/deep.txt"), b"deeper");
    write(&src.join("new.txt"), b"new");
    std::fs::remove_file(src.join("a/empty.txt")).unwrap();
    std::fs::rename(src.join("what?.txt"), src.join("renamed.txt")).unwrap();
    let r = env.run(&spec).await;
    assert_eq!(r.outcome, "ok");
    assert_eq!(r.counters.updated, 1);
    assert_eq!(r.counters.uploaded, 2);
    assert_eq!(r.counters.deduplicated, 1, "the renamed file's content is known");
    assert_eq!(r.counters.deleted, 2);
    let files = env.remote_files("backup").await;
    let names: Vec<_> = files.keys().cloned().collect();
    assert_eq!(names, vec!["a/b/deep.txt", "new.txt", "renamed.txt", "unicode \u{e6}\u{f8}\u{e5} \u{1F600}.txt"]);
    // Deletes went to the trash.
    let trash = env.session.client.list_trash().await.unwrap();
    assert!(trash.iter().any(|t| t.name == "empty.txt"), "{trash:?}");
    // The log has every file.
    let ev = env.runner.db().events(r.run, &EventFilter::default()).unwrap();
    assert_eq!(ev.len(), 5);
    let grep = EventFilter { grep: Some("DEEP".into()), ..Default::default() };
    assert_eq!(env.runner.db().events(r.run, &grep).unwrap().len(), 1);
}

#[tokio::test]
async fn sync_down_check_and_times() {
    let env = Env::start().await;
    let src = env.local("src");
    tree(&src);
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("x"))).await;
    let dst = env.local("dst");
    let down = env.spec(TaskKind::Sync, remote("x"), local(&dst));
    let r = env.run(&down).await;
    assert_eq!(r.counters.downloaded, 4, "{r:?}");
    assert_eq!(std::fs::read(dst.join("what?.txt")).unwrap(), b"restricted");
    assert!(dst.join("empty/inner").is_dir());
    let m1 = std::fs::metadata(src.join("a/b/deep.txt")).unwrap().modified().unwrap();
    let m2 = std::fs::metadata(dst.join("a/b/deep.txt")).unwrap().modified().unwrap();
    let d = m1.duration_since(m2).unwrap_or_else(|e| e.duration());
    assert!(d < Duration::from_secs(1), "remote mtime applied");
    let r = env.run(&down).await;
    assert_eq!((r.counters.downloaded, r.counters.unchanged), (0, 4));
    // No temp files left behind.
    assert!(std::fs::read_dir(&dst).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")));

    let check = env.spec(TaskKind::Check, remote("x"), local(&dst));
    assert_eq!(env.run(&check).await.outcome, "ok");
    write(&dst.join("a/b/deep.txt"), b"DEEP");
    write(&dst.join("extra.txt"), b"x");
    std::fs::remove_file(dst.join("what?.txt")).unwrap();
    let r = env.run(&check).await;
    assert_eq!(r.outcome, "differences");
    let kinds: Vec<_> = r.plan.differences.iter().map(|d| (d.kind, d.key.as_str())).collect();
    assert_eq!(
        kinds,
        vec![("different", "a/b/deep.txt"), ("extra-on-dst", "extra.txt"), ("missing-on-dst", "what\u{FF1F}.txt")]
    );
}

#[tokio::test]
async fn delete_guard_and_override() {
    let env = Env::start().await;
    let src = env.local("src");
    for i in 0..4 {
        write(&src.join(format!("f{i}")), format!("{i}").as_bytes());
    }
    let mut spec = env.spec(TaskKind::Sync, local(&src), remote("g"));
    env.run(&spec).await;
    // Empty source: refused.
    let empty = env.local("empty");
    std::fs::create_dir_all(&empty).unwrap();
    spec.source = local(&empty);
    let r = env.run(&spec).await;
    assert_eq!(r.outcome, "refused");
    assert!(r.refusal.unwrap().message.contains("source is empty"));
    // Missing source: refused.
    spec.source = local(&env.local("missing"));
    assert_eq!(env.run(&spec).await.outcome, "refused");
    // More than half: refused; 50% allowed.
    std::fs::remove_file(src.join("f0")).unwrap();
    std::fs::remove_file(src.join("f1")).unwrap();
    std::fs::remove_file(src.join("f2")).unwrap();
    spec.source = local(&src);
    assert_eq!(env.run(&spec).await.outcome, "refused");
    assert_eq!(env.remote_files("g").await.len(), 4, "nothing deleted");
    spec.options.max_delete = Some(MaxDelete::Percent(100.0));
    let r = env.run(&spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.deleted), ("ok", 3));
}

#[tokio::test]
async fn undo_puts_the_remote_back() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("keep.txt"), b"keep");
    write(&src.join("change.txt"), b"version 1");
    write(&src.join("remove.txt"), b"remove me");
    let spec = env.spec(TaskKind::Sync, local(&src), remote("u"));
    env.run(&spec).await;
    let before = env.remote_files("u").await;
    std::thread::sleep(Duration::from_millis(1100));
    write(&src.join("change.txt"), b"version 2!");
    write(&src.join("added.txt"), b"added");
    std::fs::remove_file(src.join("remove.txt")).unwrap();
    let r = env.run(&spec).await;
    assert_eq!((r.counters.uploaded, r.counters.updated, r.counters.deleted), (1, 1, 1));
    assert_ne!(env.remote_files("u").await, before);
    let undo =
        tokio::time::timeout(LIMIT, env.runner.undo(r.run, events(), CancellationToken::new())).await.unwrap().unwrap();
    assert_eq!(undo.outcome, "ok", "{undo:?}");
    assert_eq!(env.remote_files("u").await, before);
}

#[tokio::test]
async fn retry_runs_only_the_failed_files() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("one.txt"), b"one");
    let spec = env.spec(TaskKind::Copy, local(&src), remote("r"));
    env.run(&spec).await;
    write(&src.join("two.txt"), b"two");
    write(&src.join("three.txt"), b"three");
    env.emu.set_write_locked(true);
    let r = env.run(&spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.failed), ("failed", 2));
    let failed = env.runner.db().events(r.run, &EventFilter { result: Some("failed".into()), grep: None }).unwrap();
    assert_eq!(failed.len(), 2);
    env.emu.set_write_locked(false);
    let again = tokio::time::timeout(LIMIT, env.runner.retry(r.run, events(), CancellationToken::new()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.outcome.as_str(), again.counters.uploaded, again.counters.unchanged), ("ok", 2, 0));
    assert_eq!(env.remote_files("r").await.len(), 3);
    assert_eq!(env.runner.db().run(again.run).unwrap().unwrap().parent, Some(r.run));
}

#[tokio::test]
async fn case_collision_is_refused_before_sending() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("Hello.doc"), b"1");
    write(&src.join("hello.doc"), b"2");
    write(&src.join("fine.txt"), b"3");
    let r = env.run(&env.spec(TaskKind::Copy, local(&src), remote("c"))).await;
    assert_eq!(r.outcome, "refused");
    assert!(r.refusal.unwrap().message.contains("case collision"));
    assert!(env.remote_files("c").await.is_empty());
    // Excluding one side of the collision lets the task through.
    let mut spec = env.spec(TaskKind::Copy, local(&src), remote("c"));
    spec.options.filters.exclude = vec!["hello.doc".into()];
    let r = env.run(&spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.uploaded), ("ok", 2));
}

#[tokio::test]
async fn move_removes_sources_after_verifying() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("m/a.txt"), b"a");
    write(&src.join("b.txt"), b"b");
    let r = env.run(&env.spec(TaskKind::Move, local(&src), remote("mv"))).await;
    assert_eq!((r.outcome.as_str(), r.counters.moved), ("ok", 2));
    assert!(!src.join("b.txt").exists() && !src.join("m/a.txt").exists());
    assert_eq!(env.remote_files("mv").await.len(), 2);
    // Undo of a move: the sources come back, the copies go to the trash.
    let undo = env.runner.undo(r.run, events(), CancellationToken::new()).await.unwrap();
    assert_eq!(undo.outcome, "ok");
    assert_eq!(std::fs::read(src.join("m/a.txt")).unwrap(), b"a");
    assert!(env.remote_files("mv").await.is_empty());
    let r = env.run(&env.spec(TaskKind::Move, local(&src), remote("mv"))).await;
    assert_eq!(r.counters.moved, 2);
    // Remote to local move: remote sources go to the trash.
    let back = env.local("back");
    let r = env.run(&env.spec(TaskKind::Move, remote("mv"), local(&back))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded, r.counters.moved), ("ok", 2, 2));
    assert!(env.remote_files("mv").await.is_empty());
    assert_eq!(std::fs::read(back.join("m/a.txt")).unwrap(), b"a");
}

#[tokio::test]
async fn interrupted_upload_resumes() {
    let env = Env::start().await;
    let src = env.local("src");
    let data: Vec<u8> = (0..4u32 << 20).map(|i| (i * 7 % 251) as u8).collect();
    write(&src.join("big.bin"), &data);
    let md5 = fjordsync_engine::local::md5_of_file(&src.join("big.bin")).unwrap();
    let mtime = std::fs::metadata(src.join("big.bin")).unwrap().modified().unwrap();
    let modified = Some(fjordsync_jottacloud::Timestamp::try_from(mtime).unwrap());
    // Send half the bytes, then cut the connection (as a killed process would).
    let path = env.session.path("res/big.bin").unwrap();
    let req = AllocateRequest { path, md5, size: data.len() as u64, created: modified, modified };
    let alloc = env.session.client.allocate(&req).await.unwrap();
    let half = bytes::Bytes::copy_from_slice(&data[..data.len() / 2]);
    let body = futures_util::stream::iter(vec![
        Ok(half),
        Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "killed")),
    ]);
    assert!(env.session.client.upload_body(&alloc, body).await.is_err());
    let r = env.run(&env.spec(TaskKind::Copy, local(&src), remote("res"))).await;
    assert_eq!(r.outcome, "ok");
    assert!(r.counters.bytes < data.len() as u64, "resumed: sent {} of {}", r.counters.bytes, data.len());
    assert_eq!(r.counters.bytes + r.counters.resumed_bytes, data.len() as u64);
    let files = env.remote_files("res").await;
    assert_eq!(files["big.bin"].0, data.len() as u64);
}

#[tokio::test]
async fn cancel_stops_quickly_and_leaves_nothing_half_written() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("slow.bin"), &vec![1u8; 1 << 20]);
    let mut spec = env.spec(TaskKind::Copy, local(&src), remote("cx"));
    spec.options.bwlimit = Some(64 << 10);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.cancel();
    });
    let start = std::time::Instant::now();
    let r = tokio::time::timeout(LIMIT, env.runner.run(&spec, None, events(), cancel)).await.unwrap().unwrap();
    assert_eq!(r.outcome, "cancelled");
    assert!(start.elapsed() < Duration::from_millis(2500), "took {:?}", start.elapsed());
    assert!(env.remote_files("cx").await.is_empty());
    // Download side: cancel leaves no temp file.
    let mut spec = env.spec(TaskKind::Copy, local(&src), remote("cx"));
    spec.options.bwlimit = None;
    env.run(&spec).await;
    let dst = env.local("dst");
    let mut down = env.spec(TaskKind::Copy, remote("cx"), local(&dst));
    down.options.bwlimit = Some(64 << 10);
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.cancel();
    });
    let r = tokio::time::timeout(LIMIT, env.runner.run(&down, None, events(), cancel)).await.unwrap().unwrap();
    assert_eq!(r.outcome, "cancelled");
    let left: Vec<_> =
        std::fs::read_dir(&dst).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn events_and_progress_are_reported() {
    let env = Env::start().await;
    let src = env.local("src");
    tree(&src);
    let seen: Arc<Mutex<Vec<TaskEvent>>> = Arc::default();
    let s = seen.clone();
    let sink: EventSink = Arc::new(move |e| s.lock().unwrap().push(e));
    let spec = env.spec(TaskKind::Copy, local(&src), remote("ev"));
    let r = env.runner.run(&spec, None, sink, CancellationToken::new()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert!(matches!(seen.first(), Some(TaskEvent::Started { .. })));
    assert!(matches!(seen.last(), Some(TaskEvent::Finished { run, .. }) if *run == r.run));
    assert!(seen.iter().any(|e| matches!(e, TaskEvent::Planned { totals, .. } if totals.creates == 4)));
    assert_eq!(seen.iter().filter(|e| matches!(e, TaskEvent::FileFinished { .. })).count(), 6, "4 files and 2 folders");
    assert!(seen.iter().any(|e| matches!(e, TaskEvent::Progress { files_done: 4, .. })));
}

#[tokio::test]
async fn faults_still_give_a_correct_result() {
    let env = Env::start().await;
    let src = env.local("src");
    for i in 0..30 {
        write(&src.join(format!("d{}/f{i}.txt", i % 5)), format!("content {i}").as_bytes());
    }
    env.emu.set_faults(0.05, 0.0, Duration::from_millis(5));
    let spec = env.spec(TaskKind::Sync, local(&src), remote("flt"));
    let mut r = env.run(&spec).await;
    if r.outcome != "ok" {
        r = env.run(&spec).await;
    }
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    assert_eq!(r.outcome, "ok", "{:?}", r.counters);
    assert_eq!(env.remote_files("flt").await.len(), 30);
    let check = env.run(&env.spec(TaskKind::Check, local(&src), remote("flt"))).await;
    assert_eq!(check.outcome, "ok");
}

#[tokio::test]
async fn remote_to_remote_is_server_side() {
    let env = Env::start().await;
    let src = env.local("src");
    tree(&src);
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("one"))).await;
    let r = env.run(&env.spec(TaskKind::Sync, remote("one"), remote("two"))).await;
    assert_eq!((r.outcome.as_str(), r.counters.copied, r.counters.bytes), ("ok", 4, 0));
    assert_eq!(env.remote_files("one").await, env.remote_files("two").await);
    let r = env.run(&env.spec(TaskKind::Sync, remote("one"), remote("two"))).await;
    assert_eq!((r.counters.copied, r.counters.unchanged), (0, 4));
}

#[tokio::test]
async fn a_file_changed_during_upload_is_sent_again() {
    let env = Env::start().await;
    let src = env.local("src");
    let file = src.join("growing.bin");
    write(&file, &vec![b'a'; 256 << 10]);
    let mut spec = env.spec(TaskKind::Copy, local(&src), remote("chg"));
    spec.options.bwlimit = Some(256 << 10);
    let f = file.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        std::fs::write(&f, vec![b'b'; 200 << 10]).unwrap();
    });
    let r = env.run(&spec).await;
    writer.await.unwrap();
    assert_eq!(r.outcome, "ok", "{:?}", r.counters);
    let files = env.remote_files("chg").await;
    let want = fjordsync_engine::local::md5_of_file(&file).unwrap();
    assert_eq!(files["growing.bin"], (200 << 10, want), "the new content is on the service");
}

#[tokio::test]
async fn undo_of_a_download_sync_restores_local_files() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("a.txt"), b"remote a");
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("d"))).await;
    let dst = env.local("dst");
    write(&dst.join("a.txt"), b"local a, older");
    write(&dst.join("only-local.txt"), b"mine");
    let mut spec = env.spec(TaskKind::Sync, remote("d"), local(&dst));
    spec.options.max_delete = Some(MaxDelete::Count(1));
    let r = env.run(&spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.updated, r.counters.deleted), ("ok", 1, 1), "{r:?}");
    assert!(!dst.join("only-local.txt").exists());
    let undo = env.runner.undo(r.run, events(), CancellationToken::new()).await.unwrap();
    assert_eq!(undo.outcome, "ok");
    assert_eq!(std::fs::read(dst.join("a.txt")).unwrap(), b"local a, older");
    assert_eq!(std::fs::read(dst.join("only-local.txt")).unwrap(), b"mine");
}
