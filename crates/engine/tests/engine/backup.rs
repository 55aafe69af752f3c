//! Backups through the engine's `backup::Repo` on the emulator: cancelling
//! leaves a repository that checks clean and whose packs the next run reuses.

use std::path::Path;

use fjordsync_engine::backup::{BackupError, BackupOptions, InitOptions, Repo, RepoLocation, RepoOptions, no_progress};
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
    let check = repo.check(100.0).await.unwrap();
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
    assert!(again.check(100.0).await.unwrap().warnings.is_empty());
}
