//! Local writes stay inside the local folder (issue 11): nothing is written,
//! renamed or deleted through a symbolic link below it; temp files have
//! short names, are resumed or removed by the next run, and only recorded
//! ones are left out of a walk.

use std::path::Path;
use std::sync::Arc;

use fjordsync_engine::local::SafeRoot;
use fjordsync_engine::state::{DownloadTemp, EventFilter};
use fjordsync_engine::transfer::{self, LocalTarget, RemoteFile, TransferError};
use fjordsync_engine::{MaxDelete, TaskKind};

use super::{Env, local, remote, write};

/// The run's file rows that were skipped: (path, reason).
fn skipped_rows(env: &Env, run: i64) -> Vec<(String, String)> {
    let filter = EventFilter { result: Some("skipped".into()), grep: None };
    let rows = env.runner.db().events(run, &filter).unwrap();
    rows.into_iter().map(|e| (e.path, e.error.unwrap_or_default())).collect()
}

/// Names in a folder (none when it does not exist).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(unix)]
#[tokio::test]
async fn a_download_never_writes_through_a_symlink() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("link/planted.txt"), b"planted");
    write(&src.join("file.txt"), b"from the service");
    write(&src.join("fine.txt"), b"fine");
    std::fs::create_dir_all(src.join("dirlink/sub")).unwrap();
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("sym"))).await;

    let elsewhere = env.local("elsewhere");
    write(&elsewhere.join("planted.txt"), b"the user's own file");
    write(&elsewhere.join("file.txt"), b"the user's other file");
    let dst = env.local("dst");
    std::fs::create_dir_all(&dst).unwrap();
    // A folder link in the path of a download, a file link at a target, a
    // folder link where a folder is to be made.
    std::os::unix::fs::symlink(&elsewhere, dst.join("link")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("file.txt"), dst.join("file.txt")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dst.join("dirlink")).unwrap();

    let r = env.run(&env.spec(TaskKind::Copy, remote("sym"), local(&dst))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded), ("ok", 1), "{r:?}");
    assert_eq!(std::fs::read(elsewhere.join("planted.txt")).unwrap(), b"the user's own file");
    assert_eq!(std::fs::read(elsewhere.join("file.txt")).unwrap(), b"the user's other file");
    assert_eq!(names(&elsewhere), vec!["file.txt", "planted.txt"], "no folder made through the link");
    assert!(std::fs::symlink_metadata(dst.join("file.txt")).unwrap().file_type().is_symlink(), "the link stays");
    assert_eq!(std::fs::read(dst.join("fine.txt")).unwrap(), b"fine");
    let rows = skipped_rows(&env, r.run);
    for path in ["link/planted.txt", "file.txt", "dirlink/sub"] {
        let row = rows.iter().find(|(p, _)| p == path).unwrap_or_else(|| panic!("no skipped row for {path}: {rows:?}"));
        assert!(row.1.contains("symbolic link"), "{row:?}");
    }
    // The link itself as the destination root is the user's choice.
    let root_link = env.local("root-link");
    std::os::unix::fs::symlink(env.local("real-root"), &root_link).unwrap();
    std::fs::create_dir_all(env.local("real-root")).unwrap();
    let r = env.run(&env.spec(TaskKind::Copy, remote("sym"), local(&root_link))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded), ("ok", 3), "{r:?}");
    assert_eq!(std::fs::read(env.local("real-root/link/planted.txt")).unwrap(), b"planted");
}

#[cfg(unix)]
#[tokio::test]
async fn a_sync_never_deletes_through_a_symlinked_folder() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("keep.txt"), b"keep");
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("del"))).await;
    let elsewhere = env.local("elsewhere");
    write(&elsewhere.join("victim.txt"), b"the user's file");
    std::fs::create_dir_all(elsewhere.join("empty")).unwrap();
    let dst = env.local("dst");
    write(&dst.join("extra.txt"), b"extra");
    std::os::unix::fs::symlink(&elsewhere, dst.join("link")).unwrap();
    let mut spec = env.spec(TaskKind::Sync, remote("del"), local(&dst));
    // Following links makes the walk see link/victim.txt as an extra file.
    spec.options.follow_symlinks = true;
    spec.options.max_delete = Some(MaxDelete::Percent(100.0));
    let r = env.run(&spec).await;
    assert_eq!(r.outcome, "ok", "{r:?}");
    assert_eq!(r.counters.deleted, 1, "extra.txt goes to the stash: {r:?}");
    assert!(!dst.join("extra.txt").exists());
    assert_eq!(std::fs::read(elsewhere.join("victim.txt")).unwrap(), b"the user's file");
    assert!(elsewhere.join("empty").is_dir(), "no folder removed through the link");
    let rows = skipped_rows(&env, r.run);
    assert!(rows.iter().any(|(p, why)| p == "link/victim.txt" && why.contains("symbolic link")), "{rows:?}");
}

/// `move --follow-symlinks` uploads what a link leads to, but never deletes
/// the user's file behind it.
#[cfg(unix)]
#[tokio::test]
async fn a_move_never_deletes_a_source_behind_a_symlink() {
    let env = Env::start().await;
    let elsewhere = env.local("elsewhere");
    write(&elsewhere.join("kept.txt"), b"the user's file");
    let src = env.local("src");
    write(&src.join("moved.txt"), b"moved");
    std::os::unix::fs::symlink(&elsewhere, src.join("link")).unwrap();
    let mut spec = env.spec(TaskKind::Move, local(&src), remote("mvl"));
    spec.options.follow_symlinks = true;
    let r = env.run(&spec).await;
    assert_eq!((r.outcome.as_str(), r.counters.uploaded, r.counters.moved), ("ok", 2, 1), "{r:?}");
    assert!(!src.join("moved.txt").exists());
    assert_eq!(std::fs::read(elsewhere.join("kept.txt")).unwrap(), b"the user's file");
    let rows = skipped_rows(&env, r.run);
    assert!(rows.iter().any(|(p, why)| p == "link/kept.txt" && why.contains("symbolic link")), "{rows:?}");
}

/// The check just before the write: a link made after the plan (here: no
/// plan at all) is still not written through.
#[cfg(unix)]
#[tokio::test]
async fn the_write_time_check_catches_a_link_made_after_planning() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join("f.txt"), b"content");
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("race"))).await;
    let info = env.session.client.file_info(&env.session.path("race/f.txt").unwrap()).await.unwrap();
    let elsewhere = env.local("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let dst = env.local("dst");
    std::fs::create_dir_all(&dst).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dst.join("link")).unwrap();
    let root = SafeRoot::new(&dst);
    let remote_path = env.session.path("race/f.txt").unwrap();
    let file = RemoteFile { path: &remote_path, md5: &info.md5, size: info.size, mtime: 0 };
    let target = LocalTarget { root: &root, db: env.runner.db(), run: 0 };
    for at in ["link/f.txt", "link/new/f.txt"] {
        let progress = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let r = transfer::download(&env.session.client, &file, &dst.join(at), &target, None, progress, || Ok(())).await;
        assert!(matches!(r, Err(TransferError::UnsafePath(_))), "{at}: {r:?}");
    }
    assert!(names(&elsewhere).is_empty(), "{:?}", names(&elsewhere));
    // Retiming never follows a link either.
    std::os::unix::fs::symlink(src.join("f.txt"), dst.join("flink")).unwrap();
    assert!(transfer::set_mtime(&dst.join("flink"), 0).is_err());
}

#[tokio::test]
async fn names_up_to_255_bytes_download() {
    let env = Env::start().await;
    let src = env.local("src");
    let longest = format!("{}.txt", "n".repeat(251));
    let long = format!("{}.txt", "l".repeat(226));
    write(&src.join(&longest), b"255 bytes of name");
    write(&src.join("sub").join(&long), b"230 bytes of name");
    let r = env.run(&env.spec(TaskKind::Copy, local(&src), remote("long"))).await;
    assert_eq!((r.outcome.as_str(), r.counters.uploaded), ("ok", 2), "{r:?}");
    let dst = env.local("dst");
    let r = env.run(&env.spec(TaskKind::Sync, remote("long"), local(&dst))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded), ("ok", 2), "{r:?}");
    assert_eq!(std::fs::read(dst.join(&longest)).unwrap(), b"255 bytes of name");
    assert_eq!(std::fs::read(dst.join("sub").join(&long)).unwrap(), b"230 bytes of name");
}

/// What a killed download leaves: a temp file holding the first bytes, and its record.
fn leave_killed_download(env: &Env, dst: &Path, temp: &str, target: &str, bytes: &[u8], md5: &str, size: u64) {
    write(&dst.join(temp), bytes);
    let rec = DownloadTemp {
        temp_path: dst.join(temp).to_string_lossy().into_owned(),
        target_path: dst.join(target).to_string_lossy().into_owned(),
        md5: md5.into(),
        size,
        // A run that is not going any more (there is no such run).
        run: 999_999,
    };
    env.runner.db().begin_download_temp(&rec).unwrap();
}

#[tokio::test]
async fn a_killed_download_is_resumed_from_its_temp_file() {
    let env = Env::start().await;
    let src = env.local("src");
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i * 13 % 251) as u8).collect();
    write(&src.join("big.bin"), &data);
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("res"))).await;
    let md5 = fjordsync_engine::local::md5_of_file(&src.join("big.bin")).unwrap();
    let dst = env.local("dst");
    let half = data.len() / 2;
    let temp = ".fjordsync-00000000000000aa.part";
    leave_killed_download(&env, &dst, temp, "big.bin", &data[..half], &md5, data.len() as u64);

    let before = env.emu.stats().bytes_downloaded;
    let r = env.run(&env.spec(TaskKind::Sync, remote("res"), local(&dst))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded), ("ok", 1), "{r:?}");
    let fetched = env.emu.stats().bytes_downloaded - before;
    assert_eq!(fetched, (data.len() - half) as u64, "only the missing bytes are fetched");
    assert_eq!((r.counters.bytes, r.counters.resumed_bytes), (fetched, half as u64));
    assert_eq!(std::fs::read(dst.join("big.bin")).unwrap(), data);
    assert_eq!(names(&dst), vec!["big.bin"], "no temp file left");
    assert!(env.runner.db().download_temps_under(&format!("{}/", dst.display())).unwrap().is_empty());
}

#[tokio::test]
async fn stale_temp_files_are_removed_not_reused() {
    let env = Env::start().await;
    let src = env.local("src");
    let data = vec![7u8; 200_000];
    write(&src.join("big.bin"), &data);
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("stale"))).await;
    let dst = env.local("dst");
    // Bytes of an older version of big.bin (the remote file changed since),
    // and a temp file for a file that is no longer on the service.
    let old_md5 = "0123456789abcdef0123456789abcdef";
    leave_killed_download(&env, &dst, ".fjordsync-00000000000000bb.part", "big.bin", &[9u8; 1000], old_md5, 200_000);
    leave_killed_download(&env, &dst, ".fjordsync-00000000000000cc.part", "gone.bin", b"gone", old_md5, 10);
    // A dry run and a check change nothing, but check does not hide them.
    let mut dry = env.spec(TaskKind::Sync, remote("stale"), local(&dst));
    dry.options.dry_run = true;
    env.run(&dry).await;
    assert_eq!(names(&dst).len(), 2);
    let check = env.run(&env.spec(TaskKind::Check, remote("stale"), local(&dst))).await;
    assert_eq!(check.counters.skipped, 2, "{check:?}");
    assert_eq!(check.plan.skipped.iter().filter(|s| s.reason.contains("unfinished download")).count(), 2);

    let before = env.emu.stats().bytes_downloaded;
    let r = env.run(&env.spec(TaskKind::Sync, remote("stale"), local(&dst))).await;
    assert_eq!((r.outcome.as_str(), r.counters.downloaded, r.counters.resumed_bytes), ("ok", 1, 0), "{r:?}");
    assert_eq!(env.emu.stats().bytes_downloaded - before, data.len() as u64, "fetched whole");
    assert_eq!(std::fs::read(dst.join("big.bin")).unwrap(), data);
    assert_eq!(names(&dst), vec!["big.bin"], "both temp files are gone");
    assert!(env.runner.db().download_temps_under(&format!("{}/", dst.display())).unwrap().is_empty());
}

#[tokio::test]
async fn a_user_file_that_looks_like_a_temp_file_is_uploaded() {
    let env = Env::start().await;
    let src = env.local("src");
    write(&src.join(".x.fjordsync-1.part"), b"mine");
    write(&src.join(".fjordsync-0123456789abcdef.part"), b"mine too");
    let r = env.run(&env.spec(TaskKind::Copy, local(&src), remote("look"))).await;
    assert_eq!((r.outcome.as_str(), r.counters.uploaded), ("ok", 2), "{r:?}");
    let files = env.remote_files("look").await;
    assert!(files.contains_key(".x.fjordsync-1.part") && files.contains_key(".fjordsync-0123456789abcdef.part"));
}
