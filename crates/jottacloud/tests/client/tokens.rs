use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Arc;

use jottacloud::{Client, Error, MemoryTokenStore, StoreError, Token, TokenStore};

use crate::common::*;

fn refreshes(emu: &fjordsync_emulator::Emulator) -> u64 {
    emu.stats().refresh_ok
}

#[tokio::test]
async fn twenty_concurrent_requests_one_refresh() {
    bounded(60, async {
        let env = start().await;
        let c = env.client.clone();
        c.username().await.unwrap();
        let before = refreshes(&env.emu);
        let old = c.token();
        env.emu.expire_access_tokens();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.drive_info().await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(refreshes(&env.emu) - before, 1, "exactly one refresh");
        assert_eq!(env.emu.stats().reuse_detections, 0);
        let new = c.token();
        assert_ne!(new.refresh_token, old.refresh_token, "rotated");
        assert_eq!(env.store.load().unwrap().unwrap(), new, "saved before use");
        assert_eq!(env.store.saves(), 1);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn proactive_refresh_when_nearly_expired() {
    bounded(60, async {
        let env = start_with(fjordsync_emulator::Config {
            token_lifetime: std::time::Duration::from_secs(30),
            ..Default::default()
        })
        .await;
        let before = refreshes(&env.emu);
        // 30 s lifetime < 60 s margin: every call path refreshes first, once.
        env.client.drive_info().await.unwrap();
        assert_eq!(refreshes(&env.emu) - before, 1);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn reuse_of_rotated_token_kills_family() {
    bounded(60, async {
        let env = start().await;
        let a = env.client.clone();
        a.username().await.unwrap();
        let stale = a.token();
        env.emu.expire_access_tokens();
        a.drive_info().await.unwrap(); // rotates
        // A second client with its own store still holds the rotated-away token.
        let b_store = Arc::new(MemoryTokenStore::new(Some(stale.clone())));
        let b = Client::new(endpoints(&env.emu), stale, b_store, fast_options()).unwrap();
        env.emu.expire_access_tokens();
        let e = b.drive_info().await.unwrap_err();
        assert!(matches!(e, Error::ReconnectNeeded(_)), "{e}");
        assert!(e.to_string().contains("reconnect needed"));
        assert_eq!(env.emu.stats().reuse_detections, 1);
        // The whole family is dead: A's current token fails as well.
        let e = a.drive_info().await.unwrap_err();
        assert!(matches!(e, Error::ReconnectNeeded(_)), "{e}");
        // Never retried: a second call fails fast without another refresh.
        let failed = env.emu.stats().refresh_failed;
        assert!(matches!(a.drive_info().await, Err(Error::ReconnectNeeded(_))));
        assert_eq!(env.emu.stats().refresh_failed, failed);
        env.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn two_clients_sharing_a_store_never_reuse() {
    bounded(60, async {
        let env = start().await;
        let token = env.client.token();
        let a = env.client.clone();
        let b = Client::new(endpoints(&env.emu), token, env.store.clone(), fast_options()).unwrap();
        a.username().await.unwrap();
        b.username().await.unwrap();
        for _ in 0..3 {
            env.emu.expire_access_tokens();
            let (x, y) = tokio::join!(a.drive_info(), b.drive_info());
            x.unwrap();
            y.unwrap();
        }
        let s = env.emu.stats();
        assert_eq!(s.reuse_detections, 0);
        assert_eq!(s.refresh_failed, 0);
        env.emu.shutdown().await;
    })
    .await;
}

/// A file store with a real cross-process lock (`std::fs::File::lock`),
/// as a second process would use it.
struct FileStore {
    path: PathBuf,
    lock_path: PathBuf,
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<Token>, StoreError> {
        match std::fs::read(&self.path) {
            Ok(b) => serde_json::from_slice(&b).map(Some).map_err(StoreError::new),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
    fn save(&self, token: &Token) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(token).map_err(StoreError::new)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }
    fn lock(&self) -> Result<Box<dyn Send>, StoreError> {
        let f: File = OpenOptions::new().create(true).truncate(false).write(true).open(&self.lock_path)?;
        f.lock()?;
        Ok(Box::new(f))
    }
}

#[tokio::test]
async fn two_clients_with_file_locked_stores() {
    bounded(60, async {
        let env = start().await;
        let dir = tempfile::tempdir().unwrap();
        let mk = || FileStore { path: dir.path().join("token.json"), lock_path: dir.path().join("token.lock") };
        let token = env.client.token();
        mk().save(&token).unwrap();
        let a = Client::new(endpoints(&env.emu), token.clone(), Arc::new(mk()), fast_options()).unwrap();
        let b = Client::new(endpoints(&env.emu), token, Arc::new(mk()), fast_options()).unwrap();
        a.username().await.unwrap();
        b.username().await.unwrap();
        for _ in 0..3 {
            env.emu.expire_access_tokens();
            let jobs: Vec<_> = (0..10)
                .map(|i| {
                    let c = if i % 2 == 0 { a.clone() } else { b.clone() };
                    tokio::spawn(async move { c.drive_info().await })
                })
                .collect();
            for j in jobs {
                j.await.unwrap().unwrap();
            }
        }
        let s = env.emu.stats();
        assert_eq!(s.reuse_detections, 0);
        assert_eq!(mk().load().unwrap().unwrap().refresh_token, a.token().refresh_token);
        env.emu.shutdown().await;
    })
    .await;
}
