//! `fjordsync mount`: a storage folder of the emulator mounted with real
//! FUSE (Linux, /dev/fuse, as root), used with ordinary programs (cp, diff,
//! ls, mv) and checked with the CLI's own commands. Skipped, saying why,
//! where FUSE cannot be used. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use md5::Digest;

use fjordsync_jottacloud::{Client, ClientOptions, Endpoints, MemoryTokenStore, RemotePath, auth};

use crate::support::{Env, lines_of, write};

/// How long a mount may take to start, to answer, or to stop.
const LIMIT: Duration = Duration::from_secs(120);

/// Why FUSE cannot be used here, if it cannot.
fn no_fuse() -> Option<&'static str> {
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse on this machine");
    }
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root && !Path::new("/usr/bin/fusermount3").exists() {
        return Some("not root and no fusermount3 (install the fuse3 package)");
    }
    None
}

macro_rules! need_fuse {
    () => {
        if let Some(why) = no_fuse() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// A running `fjordsync mount`, killed and its mount cleared when dropped.
struct Mount {
    child: Child,
    point: PathBuf,
    stderr: mpsc::Receiver<String>,
    /// Lazy-unmount when dropped (not after a deliberate crash).
    clear: bool,
}

impl Mount {
    /// Starts `fjordsync mount demo:FOLDER POINT --cache-dir CACHE ARGS` and
    /// waits until it says it is mounted.
    fn start(env: &Env, folder: &str, point: &Path, args: &[&str]) -> Mount {
        std::fs::create_dir_all(point).unwrap();
        let cache = env.path("cache");
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("fjordsync"))
            .env("FJORDSYNC_CONFIG_DIR", env.config_dir())
            .env("FJORDSYNC_SECRET_STORE", env.secret_store)
            .env_remove("RUST_LOG")
            .args(["mount", &format!("demo:{folder}"), point.to_str().unwrap(), "--cache-dir"])
            .arg(&cache)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = lines_of(child.stderr.take().unwrap());
        let stdout = lines_of(child.stdout.take().unwrap());
        let started = Instant::now();
        let mut mounted = false;
        while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
            let Ok(line) = stdout.recv_timeout(left) else { break };
            if line.contains("is mounted at") {
                mounted = true;
            }
            if line.starts_with("cache: ") {
                break;
            }
        }
        let mount = Mount { child, point: point.to_path_buf(), stderr, clear: true };
        if !mounted {
            std::thread::sleep(Duration::from_millis(200));
            panic!("fjordsync mount did not say it mounted: {:?}", mount.stderr.try_iter().collect::<Vec<_>>());
        }
        mount
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.point.join(rel)
    }

    fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([sig, &pid]).status().unwrap().success());
    }

    /// Waits (bounded) for a line on standard error containing `text`.
    fn wait_stderr(&self, text: &str) -> String {
        let started = Instant::now();
        while let Some(left) = LIMIT.checked_sub(started.elapsed()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("fjordsync mount did not say {text:?} within {LIMIT:?}");
    }

    /// kill -9 (as a crash would), leaving its dead mount in place.
    fn crash(mut self) {
        self.signal("-KILL");
        let _ = self.child.wait();
        self.clear = false;
    }

    /// Its exit status and standard error once it has stopped (bounded).
    fn wait_exit(mut self) -> (std::process::ExitStatus, String) {
        crate::support::wait_exit(&mut self.child, &self.stderr, LIMIT, "fjordsync mount")
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failed test must not leave a dead mount behind.
        if !self.clear {
            return;
        }
        let _ = Command::new("fusermount3").arg("-uz").arg(&self.point).stderr(Stdio::null()).status();
    }
}

/// Runs `f` (file operations on the mount) off the runtime: the mount's
/// answers need the emulator, which runs on this test's runtime.
async fn fs<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// Runs a program (cp, diff, ls ...) off the runtime; asserts success; stdout.
async fn sh(program: &str, args: &[&Path]) -> String {
    let mut c = Command::new(program);
    c.args(args);
    let out = fs(move || c.output().unwrap()).await;
    assert!(out.status.success(), "{program} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Waits (bounded) until `fjordsync md5sum demo:FOLDER` lists `count` files.
async fn wait_stored_count(env: &Env, folder: &str, count: usize) -> String {
    let started = Instant::now();
    loop {
        let sums = env.ok(&["md5sum", &format!("demo:{folder}")]).await;
        if sums.lines().count() == count {
            return sums;
        }
        assert!(started.elapsed() < LIMIT, "demo:{folder} did not reach {count} files within {LIMIT:?}:\n{sums}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A client of the emulator, for what the CLI does not show (revisions).
async fn client(env: &Env) -> Client {
    let endpoints = Endpoints::from_origin(&url::Url::parse(&env.emu.base_url()).unwrap());
    let options = ClientOptions::default();
    let token = auth::login_with_token(&endpoints, &options, &env.emu.issue_login_token()).await.unwrap();
    let store = Arc::new(MemoryTokenStore::new(Some(token.clone())));
    Client::new(endpoints, token, store, options).unwrap()
}

/// The storage path of `demo:REL`.
fn remote(rel: &str) -> RemotePath {
    RemotePath::new("Jotta", "Archive").unwrap().join_path(rel).unwrap()
}

/// Bytes that are not all alike (a 64-bit LCG).
fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mounted_folder_works_with_ordinary_programs() {
    need_fuse!();
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:m"]).await;

    // Only an empty folder is mounted on.
    let full = env.path("full");
    std::fs::create_dir_all(&full).unwrap();
    write(&full.join("x"), b"x");
    let err = env.fails(&["mount", "demo:m", full.to_str().unwrap()]).await;
    assert!(err.contains("not empty"), "{err}");

    let point = env.path("mnt");
    let mount = Mount::start(&env, "m", &point, &["--write-back", "0s"]);
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let line = table.lines().find(|l| l.contains(point.to_str().unwrap())).expect("mounted");
    assert!(line.contains(" - fuse") && line.contains("fjordsync:demo:m"), "{line}");

    // df answers from the account's space.
    let df = sh("df", &[Path::new("-B1"), &point]).await;
    assert!(df.contains("fjordsync:demo:m"), "{df}");

    // A tree copied in with cp -r reads back byte for byte.
    let src = env.path("src");
    std::fs::create_dir_all(src.join("a/b")).unwrap();
    write(&src.join("a/1.txt"), b"one\n");
    write(&src.join("a/b/2.bin"), &pattern(3 << 20, 7));
    write(&src.join("empty.txt"), b"");
    let tree = mount.path("tree");
    sh("cp", &[Path::new("-r"), &src, &tree]).await;
    sh("diff", &[Path::new("-r"), &src, &tree]).await;

    // A folder renamed (a server-side move), its files still there.
    let (a, renamed) = (tree.join("a"), tree.join("renamed"));
    fs(move || std::fs::rename(a, renamed)).await.unwrap();
    let got = fs({
        let p = tree.join("renamed/b/2.bin");
        move || std::fs::read(p).unwrap()
    })
    .await;
    assert_eq!(got, pattern(3 << 20, 7));
    assert!(
        !fs({
            let p = tree.join("a");
            move || p.exists()
        })
        .await
    );

    // Append, truncate, overwrite: each close hands the content over.
    let notes = tree.join("renamed/1.txt");
    fs({
        let p = notes.clone();
        move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
            f.write_all(b"two\n").unwrap();
        }
    })
    .await;
    assert_eq!(
        fs({
            let p = notes.clone();
            move || std::fs::read(p).unwrap()
        })
        .await,
        b"one\ntwo\n"
    );
    fs({
        let p = notes.clone();
        move || std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(3).unwrap()
    })
    .await;
    assert_eq!(
        fs({
            let p = notes.clone();
            move || std::fs::read(p).unwrap()
        })
        .await,
        b"one"
    );
    wait_stored_count(&env, "m", 3).await;
    let sums = env.ok(&["md5sum", "demo:m"]).await;
    assert!(sums.contains(&format!("{:x}  tree/renamed/1.txt", md5::Md5::digest(b"one"))), "{sums}");
    fs({
        let p = notes.clone();
        move || std::fs::write(p, b"new content").unwrap()
    })
    .await;
    assert_eq!(
        fs({
            let p = notes.clone();
            move || std::fs::read(p).unwrap()
        })
        .await,
        b"new content"
    );

    // A file deleted goes to the Jottacloud trash.
    fs({
        let p = tree.join("empty.txt");
        move || std::fs::remove_file(p).unwrap()
    })
    .await;
    assert!(
        !fs({
            let p = tree.join("empty.txt");
            move || p.exists()
        })
        .await
    );
    // An empty folder made and removed; a full one refuses rmdir.
    fs({
        let p = tree.join("made");
        move || std::fs::create_dir(p).unwrap()
    })
    .await;
    fs({
        let p = tree.join("made");
        move || std::fs::remove_dir(p).unwrap()
    })
    .await;
    let e = fs({
        let p = tree.join("renamed");
        move || std::fs::remove_dir(p).unwrap_err()
    })
    .await;
    assert_eq!(e.raw_os_error(), Some(39), "ENOTEMPTY: {e}");
    // An existing name cannot be made again.
    let e = fs({
        let p = tree.join("renamed");
        move || std::fs::create_dir(p).unwrap_err()
    })
    .await;
    assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);

    let stderr_stop = {
        mount.signal("-TERM");
        let (status, stderr) = mount.wait_exit();
        assert!(status.success(), "fjordsync mount exits 0 after SIGTERM: {stderr}");
        stderr
    };
    assert!(stderr_stop.contains("unmounted"), "{stderr_stop}");
    let sums = wait_stored_count(&env, "m", 2).await;
    assert!(sums.contains(&format!("{:x}  tree/renamed/1.txt", md5::Md5::digest(b"new content"))), "{sums}");
    let trash = env.ok(&["trash", "list", "demo:"]).await;
    assert!(trash.contains("empty.txt"), "{trash}");
    // The overwritten file kept its earlier content as a version.
    let revs = client(&env).await.revisions(&remote("m/tree/renamed/1.txt")).await.unwrap();
    assert!(revs.len() >= 2, "versions kept: {revs:?}");
    assert!(
        !std::fs::read_dir(&point).unwrap().any(|_| true),
        "after the stop the mount point is the empty folder again"
    );
}

/// Waits (bounded) until `check` holds on the mount (run off the runtime).
async fn eventually(what: &str, check: impl Fn() -> bool + Send + Sync + 'static) {
    let check = Arc::new(check);
    let started = Instant::now();
    loop {
        let c = check.clone();
        if fs(move || c()).await {
            return;
        }
        assert!(started.elapsed() < LIMIT, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_files_are_copied_in_and_changes_elsewhere_show_up() {
    need_fuse!();
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:m"]).await;
    // 1,200 files put on the storage by someone else.
    let big = env.path("big");
    for d in 0..12 {
        std::fs::create_dir_all(big.join(format!("d{d:02}"))).unwrap();
        for f in 0..100 {
            write(&big.join(format!("d{d:02}/f{f:03}.txt")), format!("{d}/{f}").as_bytes());
        }
    }
    env.ok(&["copy", big.to_str().unwrap(), "demo:m/big"]).await;

    let point = env.path("mnt");
    let mount = Mount::start(&env, "m", &point, &["--write-back", "0s", "--poll-interval", "1s"]);

    // ls -lR of the 1,200 files, cold then warm: every file listed with its size.
    for _ in 0..2 {
        let out = sh("ls", &[Path::new("-lR"), &mount.path("big")]).await;
        let files = out.lines().filter(|l| l.starts_with('-')).count();
        assert_eq!(files, 1200, "{}", &out[..out.len().min(2000)]);
    }
    sh("diff", &[Path::new("-r"), &big, &mount.path("big")]).await;

    // 200 small files copied in.
    let small = env.path("small");
    std::fs::create_dir_all(&small).unwrap();
    for i in 0..200 {
        write(&small.join(format!("s{i:03}.txt")), format!("small {i}").as_bytes());
    }
    sh("cp", &[Path::new("-r"), &small, &mount.path("small")]).await;
    sh("diff", &[Path::new("-r"), &small, &mount.path("small")]).await;

    // A file added and one changed elsewhere show up once a poll (every
    // second here) has seen them: the listings held are trusted till then.
    let local = env.path("elsewhere.txt");
    write(&local, b"made elsewhere");
    env.ok(&["copyto", local.to_str().unwrap(), "demo:m/elsewhere.txt"]).await;
    write(&local, b"changed elsewhere");
    env.ok(&["copyto", local.to_str().unwrap(), "demo:m/big/d00/f000.txt"]).await;
    let p = mount.path("elsewhere.txt");
    eventually("a new file made elsewhere shows up", move || std::fs::read(&p).is_ok_and(|b| b == b"made elsewhere"))
        .await;
    let p = mount.path("big/d00/f000.txt");
    eventually("a file changed elsewhere shows its new content", move || {
        std::fs::read(&p).is_ok_and(|b| b == b"changed elsewhere")
    })
    .await;

    // Stopped with `fjordsync unmount`: everything is stored.
    let out = env.ok(&["unmount", point.to_str().unwrap()]).await;
    assert!(out.contains("unmounted"), "{out}");
    let (status, stderr) = mount.wait_exit();
    assert!(status.success(), "{stderr}");
    wait_stored_count(&env, "m", 1200 + 200 + 1).await;

    // Unmounting what is not a fjordsync mount is refused in words.
    let err = env.fails(&["unmount", point.to_str().unwrap()]).await;
    assert!(err.contains("nothing is mounted there"), "{err}");
    let err = env.fails(&["unmount", "/proc"]).await;
    assert!(err.contains("not a fjordsync one"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_files_read_through_the_kernel_stream_past_a_small_cache() {
    need_fuse!();
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:m"]).await;
    // Two files over a quarter of a 16 MiB cache, put on the storage.
    let (one, two) = (pattern(40 << 20, 11), pattern(24 << 20, 12));
    for (name, bytes) in [("one.bin", &one), ("two.bin", &two)] {
        let local = env.path(name);
        write(&local, bytes);
        env.ok(&["copyto", local.to_str().unwrap(), &format!("demo:m/{name}")]).await;
    }
    let point = env.path("mnt");
    let mount = Mount::start(&env, "m", &point, &["--cache-max-size", "16M"]);

    // Read at once by two programs, with the kernel's read-ahead (its
    // requests arrive several at a time): every byte right.
    let read_open = |p: PathBuf| {
        fs(move || {
            use std::io::Read;
            let mut f = std::fs::File::open(p).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f, b)
        })
    };
    let ((f1, got1), (f2, got2)) = tokio::join!(read_open(mount.path("one.bin")), read_open(mount.path("two.bin")));
    assert!(got1 == one, "one.bin read back wrong");
    assert!(got2 == two, "two.bin read back wrong");
    // Still open (an open file's cached bytes would all stay): nothing of
    // them is in the cache's read folder.
    let held: u64 = walk_sizes(&env.path("cache"), "read");
    assert!(held < 4 << 20, "the cache holds {held} bytes of files that should stream past it");
    drop((f1, f2));
    // A read in the middle still works (through the cache).
    let p = mount.path("one.bin");
    let middle = fs(move || {
        use std::io::{Read, Seek};
        let mut f = std::fs::File::open(p).unwrap();
        f.seek(std::io::SeekFrom::Start(20 << 20)).unwrap();
        let mut b = vec![0u8; 4096];
        f.read_exact(&mut b).unwrap();
        b
    })
    .await;
    assert_eq!(middle, one[20 << 20..(20 << 20) + 4096]);
    drop(mount);
}

/// The bytes on disk of the files below `root` whose path has a folder
/// named `folder` (sparse files count what they hold).
fn walk_sizes(root: &Path, folder: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut stack = vec![(root.to_path_buf(), false)];
    while let Some((dir, inside)) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let m = e.metadata().unwrap();
            let inside = inside || e.file_name() == folder;
            if m.is_dir() {
                stack.push((e.path(), inside));
            } else if inside {
                total += m.blocks() * 512;
            }
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_pending_at_unmount_or_at_a_crash_are_finished() {
    need_fuse!();
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:m"]).await;
    let point = env.path("mnt");

    // Unmounted with uploads pending: they finish before the program exits.
    let mount = Mount::start(&env, "m", &point, &["--write-back", "1h"]);
    for i in 0..5 {
        let p = mount.path(&format!("u{i}.txt"));
        fs(move || std::fs::write(p, format!("unmount {i}")).unwrap()).await;
    }
    assert_eq!(env.ok(&["md5sum", "demo:m"]).await.lines().count(), 0, "nothing uploaded yet (write-back 1h)");
    env.ok(&["unmount", point.to_str().unwrap()]).await;
    mount.wait_stderr("uploading 5 pending file(s) first");
    let (status, stderr) = mount.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("5 upload(s) finished"), "{stderr}");
    assert_eq!(env.ok(&["md5sum", "demo:m"]).await.lines().count(), 5);

    // kill -9 with uploads pending: the dead mount is cleared, and the next
    // mount finishes them.
    let mount = Mount::start(&env, "m", &point, &["--write-back", "1h"]);
    let data = pattern(1 << 20, 3);
    for i in 0..3 {
        let (p, d) = (mount.path(&format!("k{i}.bin")), data.clone());
        fs(move || std::fs::write(p, d).unwrap()).await;
    }
    mount.crash();
    let err = env.fails(&["mount", "demo:m", point.to_str().unwrap()]).await;
    assert!(err.contains("fjordsync unmount"), "a dead mount is named, with the way out: {err}");
    sh("fusermount3", &[Path::new("-uz"), &point]).await;
    let mount = Mount::start(&env, "m", &point, &["--write-back", "0s"]);
    mount.wait_stderr("finishing 3 upload(s) left by the last run");
    let sums = wait_stored_count(&env, "m", 8).await;
    assert!(sums.contains(&format!("{:x}  k2.bin", md5::Md5::digest(&data))), "{sums}");
    let got = fs({
        let p = mount.path("k1.bin");
        move || std::fs::read(p).unwrap()
    })
    .await;
    assert_eq!(got, data);
    mount.signal("-TERM");
    let (status, stderr) = mount.wait_exit();
    assert!(status.success(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_at_once_and_the_next_mount_finishes_the_uploads() {
    need_fuse!();
    let env = Env::start().await;
    env.add_demo().await;
    env.ok(&["mkdir", "demo:m"]).await;
    let point = env.path("mnt");
    let mount = Mount::start(&env, "m", &point, &["--write-back", "1h"]);
    for i in 0..3 {
        let p = mount.path(&format!("f{i}.txt"));
        fs(move || std::fs::write(p, format!("file {i}")).unwrap()).await;
    }
    // A slow storage: finishing takes a while, says how far it got, and the
    // user does not wait.
    // Each request waits 5 s: uploads several at once still take many
    // seconds, so the second signal (sent at the first message) comes first
    // even on a loaded machine.
    env.emu.set_faults(0.0, 0.0, Duration::from_secs(5));
    mount.signal("-TERM");
    mount.wait_stderr("unmounted");
    mount.wait_stderr("uploading 3 pending file(s) first");
    mount.wait_stderr("upload(s) left");
    mount.signal("-TERM");
    let (status, stderr) = mount.wait_exit();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("wait in the cache and are uploaded at the next start"), "{stderr}");
    env.emu.set_faults(0.0, 0.0, Duration::ZERO);

    let mount = Mount::start(&env, "m", &point, &["--write-back", "0s"]);
    mount.signal("-TERM");
    let (status, stderr) = mount.wait_exit();
    assert!(status.success(), "{stderr}");
    let stored = env.ok(&["ls", "demo:m"]).await;
    for i in 0..3 {
        assert!(stored.contains(&format!("f{i}.txt")), "{stored}");
    }
}
