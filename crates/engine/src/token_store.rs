//! A remote's token in the secret store, shared safely between processes.
//!
//! Jottacloud rotates refresh tokens and treats the reuse of an old one as theft:
//! it revokes the whole session. Two `fjordsync` processes (or the app and the
//! CLI) working on one remote would trip that if both refreshed the same
//! token. The client library calls [`TokenStore::lock`] around every refresh;
//! here that is an exclusive OS file lock on `<config>/locks/<remote>.lock`, and
//! under it the client re-reads the stored token, so the second process adopts
//! the pair the first one stored instead of refreshing again.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::sync::Arc;

use fjordsync_jottacloud::{StoreError, Token, TokenStore};

use crate::config_dir::ConfigDir;
use crate::secrets::{SecretStore, file_safe};

/// The token of one remote, kept in a [`SecretStore`], with a lock file beside it.
pub struct RemoteTokenStore {
    remote: String,
    secrets: Arc<dyn SecretStore>,
    lock_path: PathBuf,
}

impl RemoteTokenStore {
    /// The store for `remote`, creating the lock folder if needed.
    pub fn new(config: &ConfigDir, remote: &str, secrets: Arc<dyn SecretStore>) -> std::io::Result<Self> {
        let lock_path = config.subdir("locks")?.join(format!("{}.lock", file_safe(remote)));
        Ok(RemoteTokenStore { remote: remote.to_string(), secrets, lock_path })
    }

    /// Removes the stored token (when the remote is removed).
    pub fn clear(&self) -> Result<(), StoreError> {
        self.secrets.delete(&self.remote).map_err(StoreError::new)
    }
}

/// Holds the OS lock until dropped (closing the file releases it).
struct LockGuard(#[allow(dead_code)] File);

impl TokenStore for RemoteTokenStore {
    fn load(&self) -> Result<Option<Token>, StoreError> {
        match self.secrets.get(&self.remote).map_err(StoreError::new)? {
            None => Ok(None),
            Some(json) => serde_json::from_str(&json).map(Some).map_err(|e| {
                StoreError::new(format!(
                    "the stored token of remote {:?} is damaged ({e}); run `fjordsync remote reconnect {}`",
                    self.remote, self.remote
                ))
            }),
        }
    }

    fn save(&self, token: &Token) -> Result<(), StoreError> {
        let json = serde_json::to_string(token).map_err(StoreError::new)?;
        self.secrets.set(&self.remote, &json).map_err(StoreError::new)
    }

    fn lock(&self) -> Result<Box<dyn Send>, StoreError> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)
            .map_err(|e| StoreError::new(format!("lock file {}: {e}", self.lock_path.display())))?;
        // Blocks until the other process has stored its rotated token. The
        // client calls this from a blocking thread, never a runtime worker.
        file.lock().map_err(|e| StoreError::new(format!("locking {}: {e}", self.lock_path.display())))?;
        Ok(Box::new(LockGuard(file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemoryStore;
    use fjordsync_jottacloud::TokenKind;
    use std::sync::mpsc;
    use std::time::Duration;

    fn token(refresh: &str) -> Token {
        Token {
            access_token: "a".into(),
            refresh_token: refresh.into(),
            expires_at: 0,
            token_endpoint: "http://127.0.0.1/token".into(),
            client_id: "jottacli".into(),
            kind: TokenKind::Standard,
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        let store = RemoteTokenStore::new(&cfg, "demo", Arc::new(MemoryStore::default())).unwrap();
        assert!(store.load().unwrap().is_none());
        store.save(&token("r1")).unwrap();
        assert_eq!(store.load().unwrap().unwrap().refresh_token, "r1");
        store.clear().unwrap();
        assert!(store.load().unwrap().is_none());
    }

    #[test]
    fn damaged_token_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        let secrets = Arc::new(MemoryStore::default());
        secrets.set("demo", "not json").unwrap();
        let store = RemoteTokenStore::new(&cfg, "demo", secrets).unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("reconnect"), "{err}");
    }

    /// The lock is exclusive: a second holder waits until the first lets go.
    #[test]
    fn lock_excludes_a_second_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        let a = RemoteTokenStore::new(&cfg, "demo", Arc::new(MemoryStore::default())).unwrap();
        let b = RemoteTokenStore::new(&cfg, "demo", Arc::new(MemoryStore::default())).unwrap();
        let guard = a.lock().unwrap();
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _g = b.lock().unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err(), "second lock taken while held");
        drop(guard);
        rx.recv_timeout(Duration::from_secs(10)).expect("second lock never granted");
        waiter.join().unwrap();
    }
}
