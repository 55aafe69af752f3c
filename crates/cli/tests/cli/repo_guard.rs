//! `fjordsync sync` refuses to write into an encrypted backup, in words,
//! and writes nothing.

use crate::support::{Env, write};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_into_a_backup_is_refused_in_words() {
    let env = Env::start().await;
    env.add_demo().await;
    let pw = env.path("password");
    write(&pw, b"pw\n");
    let photos = env.path("photos");
    std::fs::create_dir_all(&photos).unwrap();
    write(&photos.join("cat.jpg"), b"meow");
    let cache = env.path("cache");
    let backup = ["backup", "--repo", "demo:Backups/laptop", "--cache-dir", cache.to_str().unwrap()];
    let backup = [&backup[..], &["--password-file", pw.to_str().unwrap()]].concat();
    env.ok(&[&backup[..], &["init"]].concat()).await;
    env.ok(&[&backup[..], &["run", photos.to_str().unwrap()]].concat()).await;
    let before = env.ok(&["ls", "demo:Backups/laptop"]).await;

    let src = env.path("src");
    std::fs::create_dir_all(&src).unwrap();
    write(&src.join("notes.txt"), b"hello");
    let err = env.fails(&["sync", src.to_str().unwrap(), "demo:Backups/laptop/data"]).await;
    assert!(
        err.contains(
            "Backups/laptop/data is inside an encrypted backup (Backups/laptop). Writing there would damage the backup."
        ),
        "{err}"
    );
    assert!(err.contains("Choose another folder"), "{err}");
    assert!(!err.contains("--"), "no flags in the advice: {err}");
    assert_eq!(env.ok(&["ls", "demo:Backups/laptop"]).await, before, "nothing written");

    env.ok(&["sync", src.to_str().unwrap(), "demo:Backups/notes"]).await;
}
