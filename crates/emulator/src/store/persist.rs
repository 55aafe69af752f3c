//! Saving the metadata snapshot for `--state-dir` runs.
//!
//! After every mutation the server marks the state dirty; a background task
//! waits a moment (so a burst of changes costs one write), serialises the
//! account, tree and tokens, and replaces `state.json` atomically (temp file +
//! rename), so a crash never leaves a half-written snapshot.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Store;
use crate::tokens::Tokens;

/// The demo account's identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub email: String,
    pub password: String,
    pub name: String,
}

/// What `state.json` holds.
#[derive(Serialize, Deserialize)]
pub struct Snapshot {
    pub account: Account,
    pub store: Store,
    pub tokens: Tokens,
}

pub fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

pub fn load(dir: &Path) -> anyhow::Result<Option<Snapshot>> {
    let p = snapshot_path(dir);
    match std::fs::read(&p) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Write atomically: temp file in the same dir, fsync, rename.
pub fn write_atomic(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let p = snapshot_path(dir);
    let tmp = dir.join(format!("state.json.tmp{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, &p)
}
