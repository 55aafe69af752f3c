//! Backups through the engine's `backup::Repo` on the emulator: cancelling
//! leaves a repository that checks clean and whose packs the next run reuses;
//! a cancelled or failed restore leaves only complete files.

use std::path::Path;

use std::sync::Arc;

use fjordsync_engine::backup::{
    BackupError, BackupEvent, BackupOptions, InitOptions, Repo, RepoLocation, RepoOptions, RestoreOptions, no_progress,
};
use tokio_util::sync::CancellationToken;

use super::{Env, LIMIT};

const MIB: u64 = 1 << 20;

/// `n` files of 1 MiB that do not compress (xorshift noise).
fn noise_files(root: &Path, n: usize) {
    std::fs::create_dir_all(root).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        let mut data = Vec::with_capacity(MIB as usize);
        while data.len() < MIB as usize {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            data.extend_from_slice(&x.to_le_bytes());
        }
        std::fs::write(root.join(format!("noise-{i:02}.bin")), data).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_backup_checks_clean_and_the_next_run_reuses_its_packs() {
    let env = Env::start().await;
    let src = env.local("big");
    noise_files(&src, 24);
    let location = RepoLocation::Remote { session: Box::new(env.session.clone()), path: "backups/big".into() };
    let opts = RepoOptions { cache_dir: Some(env.local("cache")), no_cache: false };
    let init = InitOptions { data_pack_size: Some(MIB) };
    let repo = Repo::init_with(&location, "pw", &opts, &init).await.unwrap();

    // Cancel once a few packs are on the remote.
    let cancel = CancellationToken::new();
    let paths = [src.clone()];
    let task = {
        let (repo, paths, cancel) = (repo.clone(), paths.clone(), cancel.clone());
        tokio::spawn(async move { repo.backup(&paths, &BackupOptions::default(), no_progress(), cancel).await })
    };
    let deadline = std::time::Instant::now() + LIMIT;
    while env.remote_files("backups/big/data").await.len() < 3 {
        assert!(!task.is_finished(), "the backup ended before it could be cancelled");
        assert!(std::time::Instant::now() < deadline, "no packs uploaded in time");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    cancel.cancel();
    let r = tokio::time::timeout(LIMIT, task).await.expect("the cancelled backup ends in time").unwrap();
    assert!(matches!(r, Err(BackupError::Cancelled)), "{r:?}");
    assert!(repo.snapshots().await.unwrap().is_empty(), "no snapshot after a cancel");
    let size = repo.size().await.unwrap();
    assert!(size.pack_files >= 2, "{size:?}");

    // Clean: no errors and no stray packs, every byte readable.
    let check = repo.check(100.0, no_progress(), CancellationToken::new()).await.unwrap();
    assert!(check.warnings.is_empty(), "{check:?}");

    // The next run sends only what the cancelled one did not.
    let again = Repo::open(&location, "pw", &opts).await.unwrap();
    let s = tokio::time::timeout(
        LIMIT,
        again.backup(&paths, &BackupOptions::default(), no_progress(), CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(s.files_new, 24, "{s:?}");
    assert!(s.data_added <= 23 * MIB, "reused nothing: {s:?}");
    assert!(again.check(100.0, no_progress(), CancellationToken::new()).await.unwrap().warnings.is_empty());
    // The cancelled handle writes again: the gate its cancel left closed opens.
    repo.prune().await.expect("prune after a cancelled backup");
}

/// A repository on the emulator holding one snapshot of `n` noise files, one per 1 MiB pack.
async fn one_file_per_pack(env: &Env, n: usize) -> (Repo, std::path::PathBuf) {
    let src = env.local("src");
    noise_files(&src, n);
    let location = RepoLocation::Remote { session: Box::new(env.session.clone()), path: "backups/r".into() };
    let init = InitOptions { data_pack_size: Some(MIB) };
    let opts = RepoOptions { cache_dir: None, no_cache: true };
    let repo = Repo::init_with(&location, "pw", &opts, &init).await.unwrap();
    let (paths, opts) = ([src.clone()], BackupOptions::default());
    let backup = repo.backup(&paths, &opts, no_progress(), CancellationToken::new());
    tokio::time::timeout(LIMIT, backup).await.unwrap().unwrap();
    (repo, src)
}

/// The files below `root` (relative names), and whether any is a restore's temporary file.
fn files_below(root: &Path) -> (Vec<std::path::PathBuf>, bool) {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().map(Result::unwrap) {
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            } else {
                out.push(e.path().strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut files = Vec::new();
    walk(root, root, &mut files);
    let temp = files.iter().any(|f| f.file_name().unwrap().to_string_lossy().starts_with(".fjordsync-restore"));
    (files, temp)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_restore_leaves_only_complete_files() {
    let env = Env::start().await;
    let (repo, src) = one_file_per_pack(&env, 40).await;
    // Cancel as soon as the first chunk is on disk: the workers finish the
    // pack range each has in hand, and start no other.
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let sink = Arc::new(move |e: BackupEvent| {
        if matches!(e, BackupEvent::Progress { done, .. } if done > 0) {
            trigger.cancel();
        }
    });
    let target = env.local("back");
    let r = tokio::time::timeout(LIMIT, repo.restore("latest", &target, &RestoreOptions::default(), sink, cancel))
        .await
        .expect("the cancelled restore ends in time");
    assert!(matches!(r, Err(BackupError::Cancelled)), "{r:?}");
    let (files, temp) = files_below(&target);
    assert!(!temp, "a temporary file was left: {files:?}");
    assert!(files.len() < 40, "nothing was left out: the cancel came too late");
    for f in &files {
        // The snapshot holds the source's absolute path below the target.
        let original = Path::new("/").join(f);
        assert_eq!(std::fs::read(&original).unwrap(), std::fs::read(target.join(f)).unwrap(), "{f:?} is incomplete");
        assert!(original.starts_with(&src));
    }

    // Restoring again completes the rest and keeps what was there.
    let s = tokio::time::timeout(
        LIMIT,
        repo.restore("latest", &target, &RestoreOptions::default(), no_progress(), CancellationToken::new()),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!((s.files_restored + s.files_unchanged, s.files_unchanged), (40, files.len() as u64), "{s:?}");
    assert_eq!(s.files_verified, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_cannot_read_a_pack_fails_cleanly() {
    let env = Env::start().await;
    let (repo, _) = one_file_per_pack(&env, 6).await;
    // Lose one data pack (1 MiB: one file's) on the service.
    let packs = env.remote_files("backups/r/data").await;
    let lost = packs.iter().find(|(_, (size, _))| *size > MIB / 2).unwrap().0.clone();
    let path = env.session.path(&format!("backups/r/data/{lost}")).unwrap();
    env.session.client.delete_file(&path, true).await.unwrap();

    let target = env.local("back");
    let r = tokio::time::timeout(
        LIMIT,
        repo.restore("latest", &target, &RestoreOptions::default(), no_progress(), CancellationToken::new()),
    )
    .await
    .expect("the restore ends in time");
    let e = r.expect_err("a missing pack must fail the restore").to_string();
    assert!(!e.contains("panick"), "{e}");
    let (files, temp) = files_below(&target);
    assert!(!temp, "a temporary file was left: {files:?}");
    assert!(files.len() < 6, "{files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_stops_when_cancelled() {
    let env = Env::start().await;
    let (repo, _) = one_file_per_pack(&env, 12).await;
    // Cancel at the first progress of reading the data back.
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let sink = Arc::new(move |e: BackupEvent| {
        if matches!(&e, BackupEvent::Progress { title, done, .. } if title.contains("pack") && *done > 0) {
            trigger.cancel();
        }
    });
    let r = tokio::time::timeout(LIMIT, repo.check(100.0, sink, cancel)).await.expect("the check ends in time");
    assert!(matches!(r, Err(BackupError::Cancelled)), "{r:?}");
    // The gate is open again: the next check runs to the end.
    let again = tokio::time::timeout(LIMIT, repo.check(100.0, no_progress(), CancellationToken::new())).await.unwrap();
    assert!(again.unwrap().warnings.is_empty());
}

/// What a killed restore leaves (temporary files named after its process)
/// is removed by the next restore into the same folders; a live process's
/// file stays. A 250-byte name restores (the temporary name does not grow
/// with it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_removes_what_killed_restores_left() {
    let env = Env::start().await;
    let src = env.local("src");
    let long = "n".repeat(250);
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join(&long), b"a long name").unwrap();
    std::fs::write(src.join("sub/x.txt"), b"x").unwrap();
    let location = RepoLocation::Remote { session: Box::new(env.session.clone()), path: "backups/k".into() };
    let opts = RepoOptions { cache_dir: None, no_cache: true };
    let repo = Repo::init_with(&location, "pw", &opts, &InitOptions::default()).await.unwrap();
    let (paths, bopts) = ([src.clone()], BackupOptions::default());
    let backup = repo.backup(&paths, &bopts, no_progress(), CancellationToken::new());
    tokio::time::timeout(LIMIT, backup).await.unwrap().unwrap();
    let target = env.local("back");
    let ropts = RestoreOptions::default();
    let restore = || repo.restore("latest", &target, &ropts, no_progress(), CancellationToken::new());
    tokio::time::timeout(LIMIT, restore()).await.unwrap().unwrap();
    // The snapshot holds the source's absolute path below the target.
    let restored = target.join(src.strip_prefix("/").unwrap());
    assert_eq!(std::fs::read(restored.join(&long)).unwrap(), b"a long name");

    // As kills would leave them: a process that is gone (no such pid) ...
    let dead = [
        restored.join(".fjordsync-restore-2147483647-0.part"),
        restored.join("sub/.fjordsync-restore-2147483647-7.part"),
    ];
    for p in &dead {
        std::fs::write(p, vec![0u8; 4096]).unwrap();
    }
    // ... and one of a restore still running in another process (our parent, alive).
    let live = restored.join(format!(".fjordsync-restore-{}-1.part", std::os::unix::process::parent_id()));
    std::fs::write(&live, b"busy").unwrap();
    let s = tokio::time::timeout(LIMIT, restore()).await.unwrap().unwrap();
    assert_eq!(s.files_unchanged, 2, "{s:?}");
    for p in &dead {
        assert!(!p.exists(), "{} was left", p.display());
    }
    assert!(live.exists(), "the file of a running restore was removed");
}

/// Every backup run through the engine's recorder is a `backup` run in the
/// log: a good one with its own counters and retention applied, a cancelled
/// one as `cancelled` with no result, a repository that would not open as
/// `failed` with the reason in its one row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_runs_are_recorded_with_their_outcome_and_counters() {
    use fjordsync_engine::backup::{LoggedBackup, RETENTION_ACTION, RetentionPolicy};
    use fjordsync_engine::state::{EventFilter, Outcome, RunKind};
    use fjordsync_engine::tasks::Backup;

    let env = Env::start().await;
    let src = env.local("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"alpha").unwrap();
    std::fs::write(src.join("b.txt"), b"bravo").unwrap();
    let location = RepoLocation::Remote { session: Box::new(env.session.clone()), path: "backups/log".into() };
    let opts = RepoOptions { cache_dir: Some(env.local("cache")), no_cache: false };
    let repo = Repo::init(&location, "pw", &opts).await.unwrap();
    let job = Backup {
        folders: vec![src.clone()],
        repository: fjordsync_engine::Location::Remote { remote: "demo".into(), path: "backups/log".into() },
        filters: Default::default(),
        retention: RetentionPolicy { keep_last: Some(1), ..Default::default() },
        remember_password: false,
        password_file: None,
    };
    let db = env.runner.db();
    let bo = BackupOptions::default();

    let run = LoggedBackup::start(db, &job, None).unwrap();
    let running = db.run(run.id()).unwrap().unwrap();
    assert_eq!((running.kind, running.outcome), (RunKind::Backup, Outcome::Running));
    let r = run.run(&repo, &bo, no_progress(), CancellationToken::new()).await.unwrap();
    assert_eq!((r.outcome, r.retention_error.as_deref()), (Outcome::Ok, None), "{r:?}");
    let rec = db.run(r.run).unwrap().unwrap();
    assert_eq!((rec.kind, rec.outcome, rec.source.as_str()), (RunKind::Backup, Outcome::Ok, src.to_str().unwrap()));
    let b = rec.backup.clone().expect("a backup result");
    assert_eq!((b.files_new, b.files_changed, b.files_unmodified), (2, 0, 0));
    assert_eq!(b.snapshot, r.summary.unwrap().snapshot);
    assert_eq!(rec.counters, Default::default(), "no transfer counters for a backup");

    // A second good run: retention keeps one snapshot.
    std::fs::write(src.join("a.txt"), b"alpha 2").unwrap();
    let r = LoggedBackup::start(db, &job, None).unwrap().run(&repo, &bo, no_progress(), Default::default()).await;
    assert_eq!(r.unwrap().outcome, Outcome::Ok);
    assert_eq!(repo.snapshots().await.unwrap().len(), 1);

    // Cancelled before it wrote anything.
    let cancel = CancellationToken::new();
    cancel.cancel();
    std::fs::write(src.join("c.txt"), b"charlie").unwrap();
    let r = LoggedBackup::start(db, &job, None).unwrap().run(&repo, &bo, no_progress(), cancel).await.unwrap();
    assert!(matches!(r.error, Some(BackupError::Cancelled)), "{r:?}");
    let rec = db.run(r.run).unwrap().unwrap();
    assert_eq!((rec.outcome, rec.backup.is_none(), rec.ended_ms.is_some()), (Outcome::Cancelled, true, true));

    // Not opened: failed, with the reason.
    let wrong = Repo::open(&location, "nope", &opts).await.unwrap_err();
    let r = LoggedBackup::start(db, &job, None).unwrap().fail("demo:backups/log", wrong).unwrap();
    let rec = db.run(r.run).unwrap().unwrap();
    assert_eq!(rec.outcome, Outcome::Failed);
    let rows = db.events(r.run, &EventFilter::default()).unwrap();
    assert!(rows.len() == 1 && rows[0].error.as_deref().unwrap().contains("wrong password"), "{rows:?}");
    assert_ne!(rows[0].action, RETENTION_ACTION);
}
