//! Where tokens live: the OS keyring, or an explicit file store for headless use.
//!
//! Secrets never go into `remotes.json` or logs. The keyring (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows) is the default. A
//! headless server without a Secret Service can opt into the file store with
//! `FJORDSYNC_SECRET_STORE=file`: one 0600 file per remote in a 0700 folder of the
//! config directory. We never fall back to it silently, because a user who
//! expects the keyring must not find tokens on disk.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::config_dir::{ConfigDir, write_atomic};
use crate::lock::lock;

/// Environment variable that selects the secret store: `keyring` (default) or `file`.
pub const SECRET_STORE_ENV: &str = "FJORDSYNC_SECRET_STORE";

/// The keyring "service" under which Fjordsync stores its entries.
const KEYRING_SERVICE: &str = "fjordsync";

/// Failure to read or write a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The OS keyring could not be reached or refused the operation.
    #[error(
        "the OS keyring is not available ({0}); on a headless machine set FJORDSYNC_SECRET_STORE=file to keep tokens in a 0600 file instead"
    )]
    Keyring(String),
    /// The file store failed.
    #[error("secret file {path}: {source}")]
    File {
        /// The file that failed.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `FJORDSYNC_SECRET_STORE` has a value we do not know.
    #[error("unknown FJORDSYNC_SECRET_STORE value {0:?}: use \"keyring\" or \"file\"")]
    UnknownStore(String),
}

/// A place to keep one secret string per key (the key is a remote name).
pub trait SecretStore: Send + Sync {
    /// The secret, or `None` if there is none.
    fn get(&self, key: &str) -> Result<Option<String>, SecretError>;
    /// Stores or replaces the secret.
    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError>;
    /// Removes the secret; removing a missing one is not an error.
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// A short description for `remote show` ("OS keyring", "file ...").
    fn describe(&self) -> String;
}

/// Picks the store from `FJORDSYNC_SECRET_STORE` (keyring unless it says `file`).
pub fn store_from_env(config: &ConfigDir) -> Result<Box<dyn SecretStore>, SecretError> {
    let choice = std::env::var(SECRET_STORE_ENV).unwrap_or_default();
    match choice.trim() {
        "" | "keyring" => Ok(Box::new(KeyringStore::new(config))),
        "file" => Ok(Box::new(FileStore::new(config)?)),
        other => Err(SecretError::UnknownStore(other.to_string())),
    }
}

/// The OS keyring through the `keyring` crate.
///
/// Entries are named `<key> @ <config dir>` so that two configuration
/// directories (tests, portable installs) never overwrite each other's tokens.
pub struct KeyringStore {
    scope: String,
}

impl KeyringStore {
    /// A store scoped to one configuration directory.
    pub fn new(config: &ConfigDir) -> KeyringStore {
        KeyringStore { scope: config.path().display().to_string() }
    }

    fn entry(&self, key: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(KEYRING_SERVICE, &format!("{key} @ {}", self.scope))
            .map_err(|e| SecretError::Keyring(e.to_string()))
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        match self.entry(key)?.get_password() {
            Ok(s) => Ok(Some(s)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        self.entry(key)?.set_password(secret).map_err(|e| SecretError::Keyring(e.to_string()))
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        "OS keyring".to_string()
    }
}

/// The explicit, documented file store for headless machines.
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Secrets under `<config>/secrets/`, one 0600 file per key.
    pub fn new(config: &ConfigDir) -> Result<FileStore, SecretError> {
        let dir = config
            .subdir("secrets")
            .map_err(|source| SecretError::File { path: config.path().join("secrets"), source })?;
        Ok(FileStore { dir })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.secret", file_safe(key)))
    }
}

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        let path = self.path(key);
        match fs::read_to_string(&path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SecretError::File { path, source }),
        }
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        let path = self.path(key);
        write_atomic(&path, secret.as_bytes(), true).map_err(|source| SecretError::File { path, source })
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        let path = self.path(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(SecretError::File { path, source }),
        }
    }

    fn describe(&self) -> String {
        format!("file store {}", self.dir.display())
    }
}

/// Secrets in memory only: for tests and one-shot commands.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        Ok(lock(&self.map).get(key).cloned())
    }

    fn set(&self, key: &str, secret: &str) -> Result<(), SecretError> {
        lock(&self.map).insert(key.to_string(), secret.to_string());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        lock(&self.map).remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory".to_string()
    }
}

/// Remote names are validated elsewhere; this keeps any key a safe file name.
pub(crate) fn file_safe(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(store: &dyn SecretStore) {
        assert_eq!(store.get("demo").unwrap(), None);
        store.set("demo", "s3cret").unwrap();
        assert_eq!(store.get("demo").unwrap().as_deref(), Some("s3cret"));
        store.set("demo", "rotated").unwrap();
        assert_eq!(store.get("demo").unwrap().as_deref(), Some("rotated"));
        store.delete("demo").unwrap();
        store.delete("demo").unwrap();
        assert_eq!(store.get("demo").unwrap(), None);
    }

    #[test]
    fn memory_store_round_trip() {
        round_trip(&MemoryStore::default());
    }

    #[test]
    fn file_store_round_trip_and_private_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        let store = FileStore::new(&cfg).unwrap();
        round_trip(&store);
        store.set("demo", "x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path("demo")).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    /// Runs against the real Secret Service when one is reachable (CI starts
    /// gnome-keyring under dbus-run-session and sets FJORDSYNC_TEST_KEYRING=1,
    /// which makes this test mandatory rather than skipped).
    #[test]
    fn keyring_store_round_trip_when_available() {
        let required = std::env::var("FJORDSYNC_TEST_KEYRING").as_deref() == Ok("1");
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        let store = KeyringStore::new(&cfg);
        match store.get("probe") {
            Ok(_) => round_trip(&store),
            Err(e) if !required => eprintln!("skipping: no keyring here ({e})"),
            Err(e) => panic!("FJORDSYNC_TEST_KEYRING=1 but the keyring failed: {e}"),
        }
    }
}
