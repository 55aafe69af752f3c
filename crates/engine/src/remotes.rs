//! The list of configured remotes (non-secret settings only).
//!
//! A remote is one signed-in Jottacloud (or white-label) account plus the
//! device and mountpoint it works in, like an rclone remote. The list lives in
//! `remotes.json` in the configuration directory; tokens live in the secret
//! store under the remote's name.

use std::fs;
use std::io;

use serde::{Deserialize, Serialize};

use crate::config_dir::{ConfigDir, write_atomic};

/// How the remote signed in; decides how "reconnect" signs in again.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignIn {
    /// Personal login token exchanged with the password grant.
    Standard,
    /// Browser authorization-code flow with PKCE.
    Traditional,
    /// Username and password on the legacy endpoint (with optional 2FA).
    Legacy,
}

impl std::fmt::Display for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SignIn::Standard => "standard (personal login token)",
            SignIn::Traditional => "traditional (browser sign-in)",
            SignIn::Legacy => "legacy (username and password)",
        })
    }
}

/// One remote's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteConfig {
    /// The name used in `NAME:PATH`.
    pub name: String,
    /// Service key from the white-label table (`jottacloud`, `telia_no`, ...).
    pub service: String,
    /// How it signed in.
    pub sign_in: SignIn,
    /// One origin for every Jottacloud role (tests, demo, alternative
    /// deployments); `None` means the production hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Device to work in (normally `Jotta`).
    pub device: String,
    /// Mountpoint to work in (normally `Archive`).
    pub mountpoint: String,
    /// The account's internal username, learned at sign-in (shown to the user
    /// and used to notice a reconnect to a different account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Login name typed for the legacy flow, kept so reconnect can ask only
    /// for the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

/// Errors reading or changing the remote list.
#[derive(Debug, thiserror::Error)]
pub enum RemotesError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The remotes file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The file is not valid JSON of the expected shape.
    #[error("{path} is damaged ({source}); fix or remove it")]
    Corrupt {
        /// The remotes file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// No remote has this name.
    #[error("no remote named {0:?} (see `fjordsync remote list`)")]
    NotFound(String),
    /// A remote with this name exists already.
    #[error("a remote named {0:?} exists already (remove it first, or use `remote reconnect`)")]
    Exists(String),
    /// The name cannot be used.
    #[error(
        "invalid remote name {0:?}: use letters, digits, '.', '_' and '-' (at most 64, not starting with '-' or '.')"
    )]
    InvalidName(String),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RemotesFile {
    #[serde(default)]
    remotes: Vec<RemoteConfig>,
}

/// Reads and writes `remotes.json`.
#[derive(Debug, Clone)]
pub struct Remotes {
    config: ConfigDir,
}

impl Remotes {
    /// The remote list of one configuration directory.
    pub fn new(config: ConfigDir) -> Remotes {
        Remotes { config }
    }

    /// The configuration directory this list belongs to.
    pub fn config_dir(&self) -> &ConfigDir {
        &self.config
    }

    /// All remotes, sorted by name.
    pub fn list(&self) -> Result<Vec<RemoteConfig>, RemotesError> {
        let mut remotes = self.load()?.remotes;
        remotes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(remotes)
    }

    /// One remote by name.
    pub fn get(&self, name: &str) -> Result<RemoteConfig, RemotesError> {
        self.load()?
            .remotes
            .into_iter()
            .find(|r| r.name == name)
            .ok_or_else(|| RemotesError::NotFound(name.to_string()))
    }

    /// Adds a new remote; refuses a duplicate name.
    pub fn add(&self, remote: RemoteConfig) -> Result<(), RemotesError> {
        validate_name(&remote.name)?;
        let mut file = self.load()?;
        if file.remotes.iter().any(|r| r.name == remote.name) {
            return Err(RemotesError::Exists(remote.name));
        }
        file.remotes.push(remote);
        self.save(&file)
    }

    /// Replaces an existing remote's settings (after a reconnect).
    pub fn update(&self, remote: RemoteConfig) -> Result<(), RemotesError> {
        let mut file = self.load()?;
        let slot = file
            .remotes
            .iter_mut()
            .find(|r| r.name == remote.name)
            .ok_or_else(|| RemotesError::NotFound(remote.name.clone()))?;
        *slot = remote;
        self.save(&file)
    }

    /// Removes a remote's settings (the caller removes its secret).
    pub fn remove(&self, name: &str) -> Result<RemoteConfig, RemotesError> {
        let mut file = self.load()?;
        let index =
            file.remotes.iter().position(|r| r.name == name).ok_or_else(|| RemotesError::NotFound(name.to_string()))?;
        let removed = file.remotes.remove(index);
        self.save(&file)?;
        Ok(removed)
    }

    fn load(&self) -> Result<RemotesFile, RemotesError> {
        let path = self.config.remotes_file();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|source| RemotesError::Corrupt { path: path.display().to_string(), source }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(RemotesFile::default()),
            Err(source) => Err(RemotesError::Io { path: path.display().to_string(), source }),
        }
    }

    fn save(&self, file: &RemotesFile) -> Result<(), RemotesError> {
        let path = self.config.remotes_file();
        let json = serde_json::to_vec_pretty(file).expect("remote settings always serialise");
        write_atomic(&path, &json, false)
            .map_err(|source| RemotesError::Io { path: path.display().to_string(), source })
    }
}

/// Remote names appear in `NAME:PATH` arguments, keyring entries and lock file
/// names, so they are kept to a portable alphabet without `:` or `/`.
pub fn validate_name(name: &str) -> Result<(), RemotesError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['-', '.'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(RemotesError::InvalidName(name.to_string())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> RemoteConfig {
        RemoteConfig {
            name: name.to_string(),
            service: "jottacloud".into(),
            sign_in: SignIn::Standard,
            endpoint: Some("http://127.0.0.1:8089".into()),
            device: "Jotta".into(),
            mountpoint: "Archive".into(),
            username: Some("u1".into()),
            login: None,
        }
    }

    #[test]
    fn add_list_update_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let remotes = Remotes::new(ConfigDir::at(tmp.path()).unwrap());
        assert!(remotes.list().unwrap().is_empty());
        remotes.add(sample("b")).unwrap();
        remotes.add(sample("a")).unwrap();
        assert!(matches!(remotes.add(sample("a")), Err(RemotesError::Exists(_))));
        let names: Vec<_> = remotes.list().unwrap().into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["a", "b"]);
        let mut a = remotes.get("a").unwrap();
        a.mountpoint = "Sync".into();
        remotes.update(a).unwrap();
        assert_eq!(remotes.get("a").unwrap().mountpoint, "Sync");
        remotes.remove("a").unwrap();
        assert!(matches!(remotes.get("a"), Err(RemotesError::NotFound(_))));
    }

    #[test]
    fn names_are_validated() {
        for bad in ["", "a:b", "a/b", "-x", ".x", "with space", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["demo", "my-jotta", "telia_no.2"] {
            validate_name(good).unwrap();
        }
    }

    #[test]
    fn damaged_file_is_reported_not_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = ConfigDir::at(tmp.path()).unwrap();
        fs::write(cfg.remotes_file(), b"{ not json").unwrap();
        let remotes = Remotes::new(cfg.clone());
        assert!(matches!(remotes.list(), Err(RemotesError::Corrupt { .. })));
        assert!(remotes.add(sample("a")).is_err());
        assert_eq!(fs::read(cfg.remotes_file()).unwrap(), b"{ not json");
    }
}
