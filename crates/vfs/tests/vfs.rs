//! The filesystem core against the emulator over HTTP on 127.0.0.1, with
//! real files in a temporary cache folder and a real SQLite state file.
//! Every wait is bounded.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fjordsync_emulator::{Config, Emulator};
use fjordsync_jottacloud::{Client, ClientOptions, Endpoints, ListMode, MemoryTokenStore, RemotePath, auth};
use fjordsync_vfs::{FileState, Polled, Vfs, VfsError, VfsOptions, VfsPath};
use md5::Digest;

struct Env {
    emu: Emulator,
    client: Client,
    dir: tempfile::TempDir,
}

impl Env {
    async fn start() -> Env {
        let emu = Emulator::start(Config::default()).await.expect("emulator starts");
        let endpoints = Endpoints::from_origin(&url::Url::parse(&emu.base_url()).unwrap());
        let options = ClientOptions::default();
        let token = auth::login_with_token(&endpoints, &options, &emu.issue_login_token()).await.unwrap();
        let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
        let client = Client::new(endpoints, token, store, options).unwrap();
        client.mkdir(&root().join("served").unwrap()).await.unwrap();
        Env { emu, client, dir: tempfile::tempdir().unwrap() }
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    async fn vfs(&self, options: VfsOptions) -> Vfs {
        Vfs::open(self.client.clone(), served(), &self.cache(), options).await.unwrap()
    }

    /// A file put on the storage by someone else.
    async fn put(&self, rel: &str, bytes: &[u8]) {
        let local = self.dir.path().join("upload.tmp");
        std::fs::write(&local, bytes).unwrap();
        self.client.upload_file(&local, &served().join_path(rel).unwrap(), &Default::default()).await.unwrap();
    }

    async fn stored_md5(&self, rel: &str) -> Option<String> {
        self.client.file_info(&served().join_path(rel).unwrap()).await.ok().map(|f| f.md5)
    }
}

fn root() -> RemotePath {
    RemotePath::new("Jotta", "Archive").unwrap()
}

fn served() -> RemotePath {
    root().join("served").unwrap()
}

fn p(s: &str) -> VfsPath {
    VfsPath::parse(s).unwrap()
}

fn md5_hex(b: &[u8]) -> String {
    format!("{:x}", md5::Md5::digest(b))
}

/// Uploads start at once and listings are never trusted: tests see every
/// change. No poller: tests that poll call `poll_now`.
fn eager() -> VfsOptions {
    VfsOptions {
        listing_ttl: Duration::ZERO,
        upload_delay: Duration::ZERO,
        poll_interval: None,
        ..VfsOptions::default()
    }
}

/// Uploads wait an hour: the test decides when they run.
fn lazy() -> VfsOptions {
    VfsOptions {
        listing_ttl: Duration::ZERO,
        upload_delay: Duration::from_secs(3600),
        poll_interval: None,
        ..VfsOptions::default()
    }
}

/// Listings trusted for an hour: only a poll (or our own change) renews them.
fn trusting(options: VfsOptions) -> VfsOptions {
    VfsOptions { listing_ttl: Duration::from_secs(3600), ..options }
}

/// Requests the storage's file API (JFS: listings, downloads) has answered.
fn jfs_requests(env: &Env) -> u64 {
    env.emu.stats().requests_by_group.get("jfs").copied().unwrap_or(0)
}

async fn names(vfs: &Vfs, path: &str) -> Vec<String> {
    vfs.list(&p(path)).await.unwrap().into_iter().map(|e| e.name).collect()
}

async fn write(vfs: &Vfs, path: &str, bytes: &[u8]) {
    let mut w = vfs.open_write(&p(path), true).await.unwrap();
    w.write_at(0, bytes).await.unwrap();
    w.close().await.unwrap();
}

#[tokio::test]
async fn a_written_file_is_readable_at_once_and_uploaded_after_close() {
    let env = Env::start().await;
    let vfs = env.vfs(lazy()).await;
    write(&vfs, "/notes.txt", b"hello mount").await;
    let meta = vfs.stat(&p("/notes.txt")).await.unwrap();
    assert_eq!((meta.state, meta.size), (FileState::Pending, 11));
    assert_eq!(meta.md5.as_deref(), Some(md5_hex(b"hello mount").as_str()));
    assert_eq!(&vfs.read(&p("/notes.txt"), 6, 100).await.unwrap()[..], b"mount");
    assert!(env.stored_md5("notes.txt").await.is_none(), "nothing is uploaded before its time");
    assert_eq!(vfs.pending_uploads(), 1);

    let done = vfs.finish_uploads().await;
    assert_eq!((done.uploaded, done.failed.len()), (1, 0));
    assert_eq!(env.stored_md5("notes.txt").await.unwrap(), md5_hex(b"hello mount"));
    let meta = vfs.stat(&p("/notes.txt")).await.unwrap();
    assert_eq!((meta.state, meta.revision), (FileState::Stored, Some(1)));
    assert_eq!(vfs.pending_uploads(), 0);
    // The staged content file is gone once uploaded.
    assert_eq!(std::fs::read_dir(env.cache().join("staged")).unwrap().count(), 0);

    // Overwriting makes a new version, appending keeps the old bytes.
    let mut w = vfs.open_write(&p("/notes.txt"), false).await.unwrap();
    w.write_at(11, b"!").await.unwrap();
    w.close().await.unwrap();
    assert_eq!(&vfs.read(&p("/notes.txt"), 0, 100).await.unwrap()[..], b"hello mount!");
    vfs.finish_uploads().await;
    let revs = env.client.revisions(&served().join("notes.txt").unwrap()).await.unwrap();
    assert_eq!(revs.len(), 2, "the overwrite is a version, not a loss");
}

#[tokio::test]
async fn changing_a_stored_file_starts_from_its_whole_checked_content() {
    let env = Env::start().await;
    let big: Vec<u8> = (0..2 * 1024 * 1024u32).map(|i| (i % 239) as u8).collect();
    env.put("log.bin", &big).await;
    let vfs = env.vfs(lazy()).await;
    // Downloads cut in the middle half of the time: resumed, never half a file.
    env.emu.set_faults(0.0, 0.5, Duration::ZERO);
    let mut w = vfs.open_write(&p("/log.bin"), false).await.unwrap();
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    w.write_at(big.len() as u64, b"tail").await.unwrap();
    let meta = w.close().await.unwrap();
    let mut want = big.clone();
    want.extend_from_slice(b"tail");
    assert_eq!(meta.md5.unwrap(), md5_hex(&want));
    vfs.finish_uploads().await;
    assert_eq!(env.stored_md5("log.bin").await.unwrap(), md5_hex(&want));
}

#[tokio::test]
async fn uploads_happen_by_themselves_shortly_after_close() {
    let env = Env::start().await;
    let vfs = env.vfs(eager()).await;
    write(&vfs, "/auto.bin", b"on its own").await;
    for _ in 0..200 {
        if vfs.pending_uploads() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(vfs.pending_uploads(), 0, "the upload task ran within 10 s");
    assert_eq!(env.stored_md5("auto.bin").await.unwrap(), md5_hex(b"on its own"));
}

/// Waits (bounded) until the upload task has nothing left to do.
async fn settle(vfs: &Vfs) {
    for _ in 0..600 {
        if vfs.pending_uploads() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(vfs.pending_uploads(), 0, "the upload task ran within 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_files_closed_at_once_all_arrive_and_the_last_close_of_a_path_wins() {
    let env = Env::start().await;
    let vfs = env.vfs(eager()).await;
    vfs.mkdir(&p("/many")).await.unwrap();
    let writes = (0..40).map(|i| {
        let vfs = vfs.clone();
        async move { write(&vfs, &format!("/many/f{i}.txt"), format!("file number {i}").as_bytes()).await }
    });
    futures_util::future::join_all(writes).await;

    // The first upload is (most likely) in flight when the second close comes.
    let first: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    write(&vfs, "/twice.bin", &first).await;
    write(&vfs, "/twice.bin", b"the second, last content").await;
    // A rename and a remove of paths whose upload may be running.
    write(&vfs, "/moving.bin", &first).await;
    vfs.rename(&p("/moving.bin"), &p("/moved.bin")).await.unwrap();
    write(&vfs, "/gone.bin", &first).await;
    vfs.remove(&p("/gone.bin")).await.unwrap();

    settle(&vfs).await;
    for i in 0..40 {
        let got = env.stored_md5(&format!("many/f{i}.txt")).await;
        assert_eq!(got, Some(md5_hex(format!("file number {i}").as_bytes())), "many/f{i}.txt arrived");
    }
    assert_eq!(env.stored_md5("twice.bin").await.unwrap(), md5_hex(b"the second, last content"));
    assert_eq!(&vfs.read(&p("/twice.bin"), 0, 100).await.unwrap()[..], b"the second, last content");
    assert_eq!(env.stored_md5("moved.bin").await.unwrap(), md5_hex(&first));
    let listing = env.client.list_folder(&served(), ListMode::Live).await.unwrap();
    let mut names: Vec<&str> = listing.files.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["moved.bin", "twice.bin"], "the old name and the removed file are not on the storage");
    assert_eq!(std::fs::read_dir(env.cache().join("staged")).unwrap().count(), 0, "no content file is left");
    vfs.stop().await;
}

#[tokio::test]
async fn pending_uploads_survive_a_crash_and_finish_at_the_next_start() {
    let env = Env::start().await;
    let vfs = env.vfs(lazy()).await;
    write(&vfs, "/a.txt", b"first").await;
    vfs.mkdir(&p("/sub")).await.unwrap();
    write(&vfs, "/sub/b.txt", b"second").await;
    // A cut write leaves nothing.
    let mut cut = vfs.open_write(&p("/cut.txt"), true).await.unwrap();
    cut.write_at(0, b"half").await.unwrap();
    drop(cut);
    // "Crash": the process goes without finishing anything.
    vfs.stop().await;
    drop(vfs);
    std::fs::write(env.cache().join("staged").join("stray"), b"left by a crash").unwrap();
    std::fs::write(env.cache().join("read").join("block"), b"left by a crash").unwrap();

    // The next start uploads them at once (the upload task may already be at it).
    let vfs = env.vfs(lazy()).await;
    assert_eq!(vfs.resumed_uploads(), 2);
    assert!(!env.cache().join("staged").join("stray").exists());
    assert!(!env.cache().join("read").join("block").exists());
    assert!(matches!(vfs.stat(&p("/cut.txt")).await, Err(VfsError::NotFound(_))));
    let done = vfs.finish_uploads().await;
    assert!(done.failed.is_empty(), "{done:?}");
    assert_eq!(vfs.pending_uploads(), 0);
    assert_eq!(env.stored_md5("a.txt").await.unwrap(), md5_hex(b"first"));
    assert_eq!(env.stored_md5("sub/b.txt").await.unwrap(), md5_hex(b"second"));
}

#[tokio::test]
async fn removes_go_to_the_trash_and_renames_are_moves() {
    let env = Env::start().await;
    env.put("doc.txt", b"keep me").await;
    env.put("dir/inner.txt", b"inner").await;
    let vfs = env.vfs(eager()).await;
    let uuid_before = env.client.file_info(&served().join("doc.txt").unwrap()).await.unwrap().uuid;

    vfs.rename(&p("/doc.txt"), &p("/dir/renamed.txt")).await.unwrap();
    let moved = env.client.file_info(&served().join_path("dir/renamed.txt").unwrap()).await.unwrap();
    assert_eq!(moved.uuid, uuid_before, "a rename keeps the file's identity");
    assert!(matches!(vfs.stat(&p("/doc.txt")).await, Err(VfsError::NotFound(_))));

    vfs.rename(&p("/dir"), &p("/folder")).await.unwrap();
    let names: Vec<String> = vfs.list(&p("/folder")).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["inner.txt", "renamed.txt"]);

    vfs.remove(&p("/folder/renamed.txt")).await.unwrap();
    let trash: Vec<String> = env.client.list_trash().await.unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(trash, ["renamed.txt"]);
    vfs.remove(&p("/folder")).await.unwrap();
    let trash: Vec<String> = env.client.list_trash().await.unwrap().into_iter().map(|t| t.name).collect();
    assert!(trash.contains(&"folder".to_string()), "{trash:?}");
    assert!(vfs.list(&VfsPath::root()).await.unwrap().is_empty());
    assert!(matches!(vfs.rename(&p("/nothing"), &p("/x")).await, Err(VfsError::NotFound(_))));
}

#[tokio::test]
async fn saving_through_a_temporary_file_keeps_the_versions() {
    let env = Env::start().await;
    env.put("report.docx", b"version one").await;
    let vfs = env.vfs(eager()).await;
    // Office's and editors' way: write a temporary file, then rename it over the document.
    write(&vfs, "/~report.tmp", b"version two").await;
    vfs.rename(&p("/~report.tmp"), &p("/report.docx")).await.unwrap();
    assert_eq!(&vfs.read(&p("/report.docx"), 0, 100).await.unwrap()[..], b"version two");
    let done = vfs.finish_uploads().await;
    assert!(done.failed.is_empty(), "{done:?}");
    let revs = env.client.revisions(&served().join("report.docx").unwrap()).await.unwrap();
    assert_eq!(revs.len(), 2, "the old content is the previous version, not a file in the trash");
    assert!(env.client.list_trash().await.unwrap().is_empty());
    assert!(env.stored_md5("~report.tmp").await.is_none());
}

#[tokio::test]
async fn finder_and_explorer_files_stay_in_the_cache() {
    let env = Env::start().await;
    let vfs = env.vfs(eager()).await;
    for name in ["/._photo.jpg", "/.DS_Store", "/Thumbs.db", "/desktop.ini"] {
        write(&vfs, name, b"junk").await;
    }
    write(&vfs, "/photo.jpg", b"real").await;
    let done = vfs.finish_uploads().await;
    assert_eq!(done.uploaded, 1);
    let listed: Vec<String> = vfs.list(&VfsPath::root()).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(listed, [".DS_Store", "._photo.jpg", "Thumbs.db", "desktop.ini", "photo.jpg"]);
    let stored = env.client.list_folder(&served(), ListMode::All).await.unwrap();
    let stored: Vec<String> = stored.files.into_iter().map(|f| f.name).collect();
    assert_eq!(stored, ["photo.jpg"]);
    assert_eq!(&vfs.read(&p("/.DS_Store"), 0, 10).await.unwrap()[..], b"junk");
    // Renamed to a real name, it uploads.
    vfs.rename(&p("/._photo.jpg"), &p("/kept.jpg")).await.unwrap();
    vfs.finish_uploads().await;
    assert_eq!(env.stored_md5("kept.jpg").await.unwrap(), md5_hex(b"junk"));
}

#[tokio::test]
async fn reads_fetch_ranges_and_the_cache_keeps_its_limit() {
    let env = Env::start().await;
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    env.put("big.bin", &big).await;
    env.put("other.bin", &big[..1024 * 1024 + 7]).await;
    let vfs = env.vfs(VfsOptions { cache_max_size: 2 * 1024 * 1024, ..eager() }).await;

    let before = env.emu.stats().bytes_downloaded;
    let mut r = vfs.open_read(&p("/big.bin")).await.unwrap();
    let part = r.read_at(1024 * 1024 + 5, 10).await.unwrap();
    assert_eq!(&part[..], &big[1024 * 1024 + 5..1024 * 1024 + 15]);
    let fetched = env.emu.stats().bytes_downloaded - before;
    assert!(fetched <= 1024 * 1024, "one block fetched, not the whole file ({fetched} bytes)");
    // Read again: from the cache.
    let again = env.emu.stats().bytes_downloaded;
    r.read_at(1024 * 1024, 100).await.unwrap();
    assert_eq!(env.emu.stats().bytes_downloaded, again);
    // The whole file while open: over the limit, but an open file stays.
    let all = r.read_at(0, big.len()).await.unwrap();
    assert_eq!(&all[..], &big[..]);
    assert_eq!(vfs.cache_size(), big.len() as u64);
    drop(r);
    // Closed, it is the least recently used and goes when space is needed.
    let other = vfs.read(&p("/other.bin"), 0, 2 * 1024 * 1024).await.unwrap();
    assert_eq!(other.len(), 1024 * 1024 + 7);
    assert!(vfs.cache_size() <= 2 * 1024 * 1024, "cache holds {} bytes", vfs.cache_size());
    assert!(vfs.read(&p("/big.bin"), big.len() as u64, 10).await.unwrap().is_empty());

    // Read from start to end in small pieces: fetched ahead, in few requests.
    let vfs = Vfs::open(env.client.clone(), served(), &env.dir.path().join("cache2"), eager()).await.unwrap();
    let before = env.emu.stats().requests_by_group.get("jfs").copied().unwrap_or(0);
    let mut r = vfs.open_read(&p("/big.bin")).await.unwrap();
    let mut all = Vec::new();
    loop {
        let piece = r.read_at(all.len() as u64, 64 * 1024).await.unwrap();
        if piece.is_empty() {
            break;
        }
        all.extend_from_slice(&piece);
    }
    assert_eq!(all, big);
    let requests = env.emu.stats().requests_by_group.get("jfs").copied().unwrap_or(0) - before;
    assert!(requests <= 3, "a sequential read of 3 MiB took {requests} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_reads_give_every_file_its_own_bytes() {
    let env = Env::start().await;
    for i in 0..300 {
        env.put(&format!("many/f{i}.txt"), format!("file number {i}\n").as_bytes()).await;
    }
    let vfs = env.vfs(VfsOptions { listing_ttl: Duration::from_secs(60), ..eager() }).await;
    // Many at once, as file managers read (the bytes of one must be on disk
    // before another handle reads them).
    let mut wrong = Vec::new();
    for chunk in (0..300).collect::<Vec<_>>().chunks(30) {
        let reads = chunk.iter().map(|i| {
            let vfs = vfs.clone();
            async move { (*i, vfs.read(&p(&format!("/many/f{i}.txt")), 0, 100).await.unwrap()) }
        });
        for (i, got) in futures_util::future::join_all(reads).await {
            if got[..] != *format!("file number {i}\n").as_bytes() {
                wrong.push((i, got));
            }
        }
    }
    assert!(wrong.is_empty(), "{} files read wrong, e.g. {:?}", wrong.len(), wrong.first());
}

#[tokio::test]
async fn reads_survive_replies_cut_in_the_middle() {
    let env = Env::start().await;
    let big: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 233) as u8).collect();
    env.put("big.bin", &big).await;
    let vfs = env.vfs(eager()).await;
    // Half of the replies cut in the middle (bounded: each read gives up
    // after FRUITLESS_TRIES replies in a row that bring nothing).
    env.emu.set_faults(0.0, 0.5, Duration::ZERO);
    let all = vfs.read(&p("/big.bin"), 0, big.len()).await.unwrap();
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    assert!(all[..] == big[..], "the bytes read are the file's");
}

#[tokio::test]
async fn listings_follow_our_writes_at_once_and_others_after_the_ttl() {
    let env = Env::start().await;
    let vfs = env.vfs(VfsOptions { listing_ttl: Duration::from_secs(3600), ..lazy() }).await;
    assert!(vfs.list(&VfsPath::root()).await.unwrap().is_empty());
    vfs.mkdir(&p("/made")).await.unwrap();
    write(&vfs, "/new.txt", b"x").await;
    let names: Vec<String> = vfs.list(&VfsPath::root()).await.unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["made", "new.txt"]);
    // Made elsewhere: not seen while the listing is trusted.
    env.put("elsewhere.txt", b"y").await;
    assert_eq!(vfs.list(&VfsPath::root()).await.unwrap().len(), 2);

    let fresh = Vfs::open(env.client.clone(), served(), &env.dir.path().join("cache2"), eager()).await.unwrap();
    assert!(fresh.stat(&p("/elsewhere.txt")).await.is_ok());
    assert!(matches!(fresh.mkdir(&p("/made")).await, Err(VfsError::Exists(_))));
    assert!(matches!(fresh.open_write(&p("/no/such/file"), true).await, Err(VfsError::NotFound(_))));
}

#[tokio::test]
async fn properties_move_with_their_file_and_go_with_it() {
    let env = Env::start().await;
    let vfs = env.vfs(eager()).await;
    write(&vfs, "/a.txt", b"a").await;
    vfs.patch_props(&p("/a.txt"), &[("ns:color".into(), Some(b"blue".to_vec()))]).await.unwrap();
    vfs.copy(&p("/a.txt"), &p("/b.txt")).await.unwrap();
    vfs.rename(&p("/a.txt"), &p("/c.txt")).await.unwrap();
    assert_eq!(vfs.prop(&p("/c.txt"), "ns:color").await.unwrap(), Some(b"blue".to_vec()));
    assert_eq!(vfs.prop(&p("/b.txt"), "ns:color").await.unwrap(), Some(b"blue".to_vec()));
    vfs.remove(&p("/c.txt")).await.unwrap();
    write(&vfs, "/c.txt", b"new").await;
    assert!(vfs.props(&p("/c.txt")).await.unwrap().is_empty(), "a new file starts without the old one's properties");
    assert!(matches!(vfs.props(&p("/gone")).await, Err(VfsError::NotFound(_))));
    vfs.finish_uploads().await;
    assert_eq!(env.stored_md5("b.txt").await.unwrap(), md5_hex(b"a"));
}

#[tokio::test]
async fn a_full_storage_stops_the_upload_without_retrying_and_loses_nothing() {
    let env = Env::start().await;
    let vfs = env.vfs(lazy()).await;
    env.emu.set_quota(Some(10));
    write(&vfs, "/big.txt", b"more than ten bytes").await;
    let started_before = env.emu.stats().uploads_started;
    let done = vfs.finish_uploads().await;
    assert_eq!(done.uploaded, 0);
    assert_eq!(done.failed.len(), 1);
    assert!(done.failed[0].1.contains("storage is full"), "{:?}", done.failed);
    // One try: a full storage is not retried.
    assert!(env.emu.stats().uploads_started - started_before <= 1);
    assert_eq!(&vfs.read(&p("/big.txt"), 0, 100).await.unwrap()[..], b"more than ten bytes");
    vfs.stop().await;

    // Space freed: the next start uploads it.
    env.emu.set_quota(None);
    let vfs = env.vfs(lazy()).await;
    let done = vfs.finish_uploads().await;
    assert!(done.failed.is_empty(), "{done:?}");
    assert_eq!(env.stored_md5("big.txt").await.unwrap(), md5_hex(b"more than ten bytes"));
}

#[tokio::test]
async fn one_cache_folder_serves_one_vfs_at_a_time() {
    let env = Env::start().await;
    let first = env.vfs(lazy()).await;
    let err = Vfs::open(env.client.clone(), served(), &env.cache(), lazy()).await.unwrap_err();
    assert!(err.to_string().contains("in use by another"), "{err}");
    first.stop().await;
    let second = env.vfs(lazy()).await;
    assert_eq!(second.space().await.unwrap().total, None, "the emulator's account is unlimited");
}

#[tokio::test]
async fn a_missing_served_folder_is_a_clear_error() {
    let env = Env::start().await;
    let missing = root().join("nope").unwrap();
    let err = Vfs::open(env.client.clone(), missing, Path::new(&env.cache()), eager()).await.unwrap_err();
    assert!(matches!(err, VfsError::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("no such file or folder"), "{err}");
}

/// Frontends run these on a multi-threaded runtime: their futures must be `Send`.
#[allow(dead_code)]
fn futures_are_send(vfs: &Vfs, path: &VfsPath) {
    fn send<T: Send>(_: T) {}
    send(vfs.stat(path));
    send(vfs.list(path));
    send(vfs.read(path, 0, 1));
    send(vfs.open_read(path));
    send(vfs.open_write(path, true));
    send(vfs.mkdir(path));
    send(vfs.remove(path));
    send(vfs.rename(path, path));
    send(vfs.copy(path, path));
    send(vfs.set_modified(path, jiff::Timestamp::now()));
    send(vfs.props(path));
    send(vfs.patch_props(path, &[]));
    send(vfs.finish_uploads());
    send(vfs.stop());
    send(vfs.space());
}

#[tokio::test]
async fn a_change_made_elsewhere_shows_up_after_a_poll_without_waiting_for_the_ttl() {
    let env = Env::start().await;
    env.put("sub/old.txt", b"old").await;
    env.put("other/keep.txt", b"keep").await;
    let vfs = env.vfs(trusting(lazy())).await;
    // Two at once: one after the other (the second finds the first's baseline).
    let (a, b) = tokio::join!(vfs.poll_now(), vfs.poll_now());
    let mut both = [a.unwrap(), b.unwrap()];
    both.sort_by_key(|p| *p == Polled::Unchanged);
    assert_eq!(both, [Polled::Baseline, Polled::Unchanged]);
    assert_eq!(names(&vfs, "/").await, ["other", "sub"]);
    assert_eq!(names(&vfs, "/sub").await, ["old.txt"]);
    assert_eq!(names(&vfs, "/other").await, ["keep.txt"]);
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Unchanged);

    // Another client adds a file and changes one.
    env.put("new.txt", b"new").await;
    env.put("sub/old.txt", b"changed elsewhere").await;
    assert_eq!(names(&vfs, "/").await, ["other", "sub"], "the listing is trusted until a poll");

    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Changed { dropped: 2 }, "the root's and sub's listings");
    assert_eq!(names(&vfs, "/").await, ["new.txt", "other", "sub"]);
    assert_eq!(&vfs.read(&p("/sub/old.txt"), 0, 100).await.unwrap()[..], b"changed elsewhere");
    // A folder nothing changed in keeps its listing: no request.
    let before = jfs_requests(&env);
    assert_eq!(names(&vfs, "/other").await, ["keep.txt"]);
    assert_eq!(jfs_requests(&env), before);
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Unchanged);

    // A folder removed elsewhere goes too.
    env.client.delete_folder(&served().join("other").unwrap(), false).await.unwrap();
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Changed { dropped: 2 }, "the root's and other's listings");
    assert_eq!(names(&vfs, "/").await, ["new.txt", "sub"]);
    assert!(matches!(vfs.list(&p("/other")).await, Err(VfsError::NotFound(_))));
}

#[tokio::test]
async fn our_own_writes_do_not_keep_dropping_listings() {
    let env = Env::start().await;
    env.put("sub/a.txt", b"a").await;
    let vfs = env.vfs(trusting(lazy())).await;
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Baseline);
    assert_eq!(names(&vfs, "/").await, ["sub"]);
    assert_eq!(names(&vfs, "/sub").await, ["a.txt"]);

    write(&vfs, "/mine.txt", b"written here").await;
    write(&vfs, "/sub/a.txt", b"changed here").await;
    assert!(vfs.finish_uploads().await.failed.is_empty());
    // The storage's tree moved, but our listings already show our writes.
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Changed { dropped: 0 });
    assert_eq!(vfs.poll_now().await.unwrap(), Polled::Unchanged, "the new fingerprint is the baseline");
    let before = jfs_requests(&env);
    assert_eq!(names(&vfs, "/").await, ["mine.txt", "sub"]);
    assert_eq!(vfs.stat(&p("/sub/a.txt")).await.unwrap().md5.unwrap(), md5_hex(b"changed here"));
    assert_eq!(jfs_requests(&env), before, "served from the listings held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_finds_changes_by_itself_and_stops_with_the_vfs() {
    let env = Env::start().await;
    let options = VfsOptions { poll_interval: Some(Duration::from_millis(100)), ..trusting(lazy()) };
    let vfs = env.vfs(options).await;
    assert!(names(&vfs, "/").await.is_empty());
    env.put("elsewhere.txt", b"made elsewhere").await;
    let mut seen = false;
    for _ in 0..300 {
        if names(&vfs, "/").await == ["elsewhere.txt"] {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(seen, "the change showed up within 15 s of polls every 100 ms");

    vfs.stop().await;
    let after_stop = jfs_requests(&env);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(jfs_requests(&env), after_stop, "no poll after the stop");
}

#[tokio::test]
async fn a_file_read_in_order_streams_in_and_a_peek_fetches_little() {
    let env = Env::start().await;
    let big: Vec<u8> = (0..64 * 1024 * 1024u32).map(|i| (i % 241) as u8 ^ (i >> 20) as u8).collect();
    env.put("big.bin", &big).await;
    let vfs = env.vfs(eager()).await;

    // A peek: the fetch ahead stops at its first window once the file is closed.
    let before = env.emu.stats().bytes_downloaded;
    let mut r = vfs.open_read(&p("/big.bin")).await.unwrap();
    assert_eq!(&r.read_at(0, 4096).await.unwrap()[..], &big[..4096]);
    drop(r);
    let mut seen = 0;
    for _ in 0..50 {
        seen = env.emu.stats().bytes_downloaded - before;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen < 40 * 1024 * 1024, "a peek fetched {seen} bytes of 64 MiB");

    // From start to end in pieces: one download streams it in.
    let vfs2 = Vfs::open(env.client.clone(), served(), &env.dir.path().join("cache2"), eager()).await.unwrap();
    let before = jfs_requests(&env);
    let mut r = vfs2.open_read(&p("/big.bin")).await.unwrap();
    let mut all = Vec::with_capacity(big.len());
    loop {
        let piece = r.read_at(all.len() as u64, 128 * 1024).await.unwrap();
        if piece.is_empty() {
            break;
        }
        all.extend_from_slice(&piece);
    }
    assert!(all == big, "the bytes read are the file's");
    let requests = jfs_requests(&env) - before;
    assert!(requests <= 3, "a read of 64 MiB in order took {requests} requests");
}

#[tokio::test]
async fn the_md5_is_right_whatever_the_order_of_writes() {
    let env = Env::start().await;
    let vfs = env.vfs(lazy()).await;
    let data: Vec<u8> = (0..3 * 1024 * 1024 + 17u32).map(|i| (i % 253) as u8).collect();
    let half = data.len() / 2;
    // In order, in small pieces (a WebDAV body): hashed as it arrives.
    let mut w = vfs.open_write(&p("/in-order.bin"), true).await.unwrap();
    for (i, piece) in data.chunks(7000).enumerate() {
        w.write_at((i * 7000) as u64, piece).await.unwrap();
    }
    assert_eq!(w.close().await.unwrap().md5.unwrap(), md5_hex(&data));
    // Second half first, then the first half.
    let mut w = vfs.open_write(&p("/backwards.bin"), true).await.unwrap();
    w.write_at(half as u64, &data[half..]).await.unwrap();
    w.write_at(0, &data[..half]).await.unwrap();
    assert_eq!(w.close().await.unwrap().md5.unwrap(), md5_hex(&data));
    // Written, then a part written again with other bytes.
    let mut w = vfs.open_write(&p("/rewritten.bin"), true).await.unwrap();
    w.write_at(0, &data).await.unwrap();
    w.write_at(10, b"again").await.unwrap();
    let mut want = data.clone();
    want[10..15].copy_from_slice(b"again");
    assert_eq!(w.close().await.unwrap().md5.unwrap(), md5_hex(&want));
    // Cut short, and a hole left by a write past the end.
    let mut w = vfs.open_write(&p("/cut.bin"), true).await.unwrap();
    w.write_at(0, &data).await.unwrap();
    w.truncate(half as u64).await.unwrap();
    w.write_at(half as u64 + 3, b"tail").await.unwrap();
    let mut want = data[..half].to_vec();
    want.extend_from_slice(&[0, 0, 0]);
    want.extend_from_slice(b"tail");
    assert_eq!(w.read_at(0, want.len() + 10).await.unwrap()[..], want[..], "it reads what it wrote");
    assert_eq!(w.close().await.unwrap().md5.unwrap(), md5_hex(&want));
    // Appended to what was there.
    let mut w = vfs.open_write(&p("/in-order.bin"), false).await.unwrap();
    w.write_at(data.len() as u64, b"more").await.unwrap();
    let mut want = data.clone();
    want.extend_from_slice(b"more");
    assert_eq!(w.close().await.unwrap().md5.unwrap(), md5_hex(&want));

    let done = vfs.finish_uploads().await;
    assert!(done.failed.is_empty(), "{done:?}");
    assert_eq!(env.stored_md5("in-order.bin").await.unwrap(), md5_hex(&want));
    assert_eq!(env.stored_md5("backwards.bin").await.unwrap(), md5_hex(&data));
}

#[tokio::test]
async fn a_big_file_read_in_order_streams_past_the_cache() {
    let env = Env::start().await;
    let big: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 239) as u8 ^ (i >> 20) as u8).collect();
    env.put("big.bin", &big).await;
    // A file over a quarter of the cache's limit is not kept in it.
    let vfs = env.vfs(VfsOptions { cache_max_size: 16 * 1024 * 1024, ..eager() }).await;
    let before = jfs_requests(&env);
    let (mut r, same) = read_shuffled(vfs.open_read(&p("/big.bin")).await.unwrap(), &big).await;
    assert!(same, "the bytes read are the file's");
    let requests = jfs_requests(&env) - before;
    assert!(requests <= 3, "a read of 24 MiB in order took {requests} requests");
    assert_eq!(vfs.cache_size(), 0, "nothing of it was kept");
    // A jump back to what is no longer held: read through the cache.
    assert_eq!(&r.read_at(4096, 100).await.unwrap()[..], &big[4096..4196]);
    assert_eq!(vfs.cache_size(), 1024 * 1024, "the block read back is kept");
    drop(r);

    // Six readers at once: four stream past the cache, the others read
    // through it (each download past it holds memory).
    let other: Vec<u8> = big[..12 * 1024 * 1024].iter().map(|b| b ^ 0x5a).collect();
    env.put("other.bin", &other).await;
    let mut readers = Vec::new();
    for _ in 0..6 {
        readers.push(vfs.open_read(&p("/other.bin")).await.unwrap());
    }
    for r in &mut readers {
        assert_eq!(&r.read_at(0, 1024 * 1024).await.unwrap()[..], &other[..1024 * 1024]);
    }
    assert!(vfs.cache_size() > 1024 * 1024, "the readers beyond four went through the cache");
    drop(readers);

    // Half of the replies cut in the middle: asked for again, bytes right.
    env.emu.set_faults(0.0, 0.5, Duration::ZERO);
    let (_, same) = read_shuffled(vfs.open_read(&p("/big.bin")).await.unwrap(), &big).await;
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);
    assert!(same, "the bytes read through cut replies are the file's");
}

/// Reads all of `want` through `r` in 128 KiB pieces: the first, then the
/// rest two at a time in the wrong order, as a kernel's read-ahead requests
/// may arrive. Gives the reader back, and whether the bytes were `want`.
async fn read_shuffled(mut r: fjordsync_vfs::Reader, want: &[u8]) -> (fjordsync_vfs::Reader, bool) {
    let piece = 128 * 1024;
    let pieces = want.len() / piece;
    let mut order = vec![0];
    for i in (1..pieces).step_by(2) {
        order.extend([i + 1, i].into_iter().filter(|&j| j < pieces));
    }
    let mut all = vec![0u8; want.len()];
    for i in order {
        let got = r.read_at((i * piece) as u64, piece).await.unwrap();
        all[i * piece..(i + 1) * piece].copy_from_slice(&got);
    }
    assert!(r.read_at(want.len() as u64, piece).await.unwrap().is_empty());
    (r, all == want)
}
