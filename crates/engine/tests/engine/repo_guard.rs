//! Encrypted backups cannot be damaged by a transfer: a sync, copy or move
//! whose destination is a repository (or inside one), and a move whose
//! source is inside one, are refused before anything is written.

use fjordsync_engine::backup::{BackupOptions, Repo, RepoLocation, RepoOptions, no_progress};
use fjordsync_engine::plan::INSIDE_BACKUP;
use fjordsync_engine::{TaskKind, TaskSpec};

use super::{Env, LIMIT, local, remote, write};

/// A repository with one snapshot (so `data/` exists) at `location`.
async fn backup_into(env: &Env, location: RepoLocation) {
    let data = env.local("photos");
    write(&data.join("cat.jpg"), b"meow");
    let opts = RepoOptions { cache_dir: Some(env.local("cache")), no_cache: false };
    let work = async {
        let repo = Repo::init(&location, "pw", &opts).await.unwrap();
        repo.backup(&[data], &BackupOptions::default(), no_progress(), Default::default()).await.unwrap();
    };
    tokio::time::timeout(LIMIT, work).await.expect("backup in time");
}

fn refused_inside_backup(r: &fjordsync_engine::RunReport, path: &str, repo: &str) {
    assert_eq!(r.outcome, "refused", "{r:?}");
    assert_eq!(r.plan.problems.len(), 1, "{:?}", r.plan.problems);
    assert_eq!(r.plan.problems[0].kind, INSIDE_BACKUP);
    let refusal = r.refusal.as_ref().expect("a refusal");
    let expected = if path == repo {
        format!("{path} is an encrypted backup. Writing there would damage the backup.")
    } else {
        format!("{path} is inside an encrypted backup ({repo}). Writing there would damage the backup.")
    };
    assert_eq!(refusal.message, expected);
    assert!(refusal.hint.starts_with("Choose another folder"), "{}", refusal.hint);
    assert_eq!((r.counters.uploaded, r.counters.deleted, r.counters.downloaded), (0, 0, 0));
}

#[tokio::test]
async fn a_sync_into_a_remote_backup_is_refused_and_changes_nothing() {
    let env = Env::start().await;
    backup_into(&env, RepoLocation::Remote { session: Box::new(env.session.clone()), path: "Backups/laptop".into() })
        .await;
    let before = env.remote_files("Backups/laptop").await;
    assert!(before.contains_key("config") && before.keys().any(|k| k.starts_with("data/")), "{before:?}");
    let src = env.local("src");
    write(&src.join("notes.txt"), b"hello");

    for dst in ["Backups/laptop", "Backups/laptop/data", "Backups/laptop/data/new/deeper"] {
        for kind in [TaskKind::Sync, TaskKind::Copy, TaskKind::Move] {
            let r = env.run(&env.spec(kind, local(&src), remote(dst))).await;
            refused_inside_backup(&r, dst, "Backups/laptop");
        }
    }
    assert_eq!(env.remote_files("Backups/laptop").await, before, "the repository is untouched");
    assert!(src.join("notes.txt").is_file(), "the refused move kept its source");

    // A folder next to the backup is an ordinary destination.
    let r = env.run(&env.spec(TaskKind::Sync, local(&src), remote("Backups/notes"))).await;
    assert_eq!(r.outcome, "ok", "{r:?}");
    assert_eq!(r.counters.uploaded, 1);
    // Reading a backup's files (a copy out of it) is not refused.
    let out = env.local("out");
    let r = env.run(&env.spec(TaskKind::Copy, remote("Backups/laptop"), local(&out))).await;
    assert_eq!(r.outcome, "ok", "{r:?}");
}

#[tokio::test]
async fn a_local_backup_is_guarded_as_destination_and_as_move_source() {
    let env = Env::start().await;
    let repo = env.local("disk/laptop");
    backup_into(&env, RepoLocation::Local(repo.clone())).await;
    let src = env.local("src");
    write(&src.join("notes.txt"), b"hello");
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("cloud"))).await;
    let listing = |dir: &std::path::Path| {
        let mut v: Vec<_> = walk(dir);
        v.sort();
        v
    };
    let before = listing(&repo);

    let into = repo.join("data");
    let r = env.run(&env.spec(TaskKind::Sync, remote("cloud"), local(&into))).await;
    refused_inside_backup(&r, &into.display().to_string(), &repo.display().to_string());

    // A move out of the repository would delete its files.
    let spec: TaskSpec = env.spec(TaskKind::Move, local(&repo.join("keys")), remote("stolen"));
    let r = env.run(&spec).await;
    assert_eq!(r.outcome, "refused", "{r:?}");
    assert!(r.refusal.unwrap().message.contains("Moving files out of it would damage the backup"));
    assert_eq!(listing(&repo), before, "the repository is untouched");
    assert!(env.remote_files("stolen").await.is_empty());
}

fn walk(dir: &std::path::Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let m = e.metadata().unwrap();
        if m.is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push((e.path().display().to_string(), m.len()));
        }
    }
    out
}
