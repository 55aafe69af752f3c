//! Keeping a mount (`Runner::keep_mounted`): the storage folder served over
//! WebDAV on 127.0.0.1 (and, where `/dev/fuse` exists, mounted on a
//! folder), its status reported as it changes, and a stop that uploads
//! what was written before it ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fjordsync_engine::mount::keep::MountEvent;
use fjordsync_engine::mount::{MountAccess, MountSpec, MountState, MountStops};

use super::*;

/// What a kept mount reported.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<MountEvent>>>);

impl Seen {
    fn sink(&self) -> fjordsync_engine::mount::MountSink {
        let seen = self.0.clone();
        Arc::new(move |e| seen.lock().unwrap().push(e))
    }

    fn states(&self) -> Vec<MountState> {
        let mut states: Vec<MountState> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                MountEvent::Status(s) => Some(s.state),
                MountEvent::Login { .. } => None,
            })
            .collect();
        states.dedup();
        states
    }

    fn login(&self) -> Option<(String, String, String)> {
        self.0.lock().unwrap().iter().find_map(|e| match e {
            MountEvent::Login { url, user, pass } => Some((url.clone(), user.clone(), pass.clone())),
            MountEvent::Status(_) => None,
        })
    }

    /// Waits (bounded) until `state` was reported.
    async fn wait_for(&self, state: MountState) {
        for _ in 0..600 {
            if self.states().contains(&state) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {state:?} in {:?}", self.states());
    }
}

fn spec(access: MountAccess) -> MountSpec {
    MountSpec { remote: "demo".into(), path: "Photos".into(), access, cache_max_size: None }
}

/// `Photos/a.txt` on the storage.
async fn photos(env: &Env) {
    let src = env.local("src");
    write(&src.join("a.txt"), b"stored before");
    env.run(&env.spec(TaskKind::Copy, local(&src), remote("Photos"))).await;
}

#[tokio::test]
async fn a_webdav_mount_serves_reports_and_uploads_before_it_stops() {
    let env = Env::start().await;
    photos(&env).await;
    let (seen, stops) = (Seen::default(), MountStops::default());
    let cache = env.local("cache");
    let keeping = {
        let (runner, sink, stops, cache) = (env.runner.clone(), seen.sink(), stops.clone(), cache.clone());
        tokio::spawn(async move {
            runner.keep_mounted(&spec(MountAccess::FileManager { port: None }), &cache, sink, stops).await
        })
    };
    seen.wait_for(MountState::Mounted).await;
    let (url, user, pass) = seen.login().expect("a WebDAV mount gives its login");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let http = reqwest::Client::new();
    let anonymous = http.get(format!("{url}a.txt")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "no login, no file");
    let got = http.get(format!("{url}a.txt")).basic_auth(&user, Some(&pass)).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"stored before");
    let put = http.put(format!("{url}new.txt")).basic_auth(&user, Some(&pass)).body("written").send().await.unwrap();
    assert!(put.status().is_success(), "{}", put.status());

    stops.stop.cancel();
    let ended = tokio::time::timeout(LIMIT, keeping).await.expect("the stop ends in time").unwrap();
    assert!(ended.is_ok(), "{ended:?}");
    // Written through the mount, then stopped at once: on the storage anyway.
    assert_eq!(env.remote_files("Photos").await.get("new.txt").map(|f| f.0), Some(7));
    assert_eq!(seen.states().first(), Some(&MountState::Starting));
    assert_eq!(seen.states().last(), Some(&MountState::Stopped));
    assert!(seen.states().contains(&MountState::Stopping));
    assert!(http.get(&url).send().await.is_err(), "the server is gone");
}

#[tokio::test]
async fn a_missing_storage_folder_stops_with_a_reason() {
    let env = Env::start().await;
    let seen = Seen::default();
    let r = env
        .runner
        .keep_mounted(&spec(MountAccess::FileManager { port: None }), &env.local("cache"), seen.sink(), MountStops::default())
        .await;
    let e = r.expect_err("no such folder");
    assert!(e.to_string().contains("not on the storage"), "{e}");
    assert_eq!(seen.states(), [MountState::Starting, MountState::Stopped]);
    let last = seen.0.lock().unwrap().iter().rev().find_map(|e| match e {
        MountEvent::Status(s) => s.problem.clone(),
        MountEvent::Login { .. } => None,
    });
    assert_eq!(last.map(|p| p.code), Some("no_folder".to_string()));
}

/// Real FUSE where the kernel offers it (CI runs as root with /dev/fuse).
#[cfg(all(target_os = "linux", feature = "fuse"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_folder_mount_is_made_used_and_unmounted_at_the_stop() {
    if !std::path::Path::new("/dev/fuse").exists() {
        eprintln!("skipped: this machine has no /dev/fuse");
        return;
    }
    let env = Env::start().await;
    photos(&env).await;
    let (seen, stops) = (Seen::default(), MountStops::default());
    // Missing: made at the start.
    let point = env.local("Jotta");
    let keeping = {
        let access = MountAccess::Folder { mountpoint: point.clone() };
        let (runner, sink, stops, cache) = (env.runner.clone(), seen.sink(), stops.clone(), env.local("cache"));
        tokio::spawn(async move { runner.keep_mounted(&spec(access), &cache, sink, stops).await })
    };
    seen.wait_for(MountState::Mounted).await;
    let p = point.clone();
    let read = tokio::task::spawn_blocking(move || {
        let read = std::fs::read(p.join("a.txt")).unwrap();
        std::fs::write(p.join("through the folder.txt"), b"typed").unwrap();
        read
    })
    .await
    .unwrap();
    assert_eq!(read, b"stored before");
    stops.stop.cancel();
    let ended = tokio::time::timeout(LIMIT, keeping).await.expect("the stop ends in time").unwrap();
    assert!(ended.is_ok(), "{ended:?}");
    assert!(fjordsync_fuse::find_mount(&point).is_none(), "unmounted");
    assert_eq!(env.remote_files("Photos").await.get("through the folder.txt").map(|f| f.0), Some(5));
}
