//! Is this folder an encrypted backup (a restic repository)? Sync, copy and
//! move must never write into one, and the app shows one as a single item:
//! a stray file in `data/` or a deleted `keys/` makes every snapshot
//! unreadable.
//!
//! The rule is restic's own: a repository is a folder holding a `config`
//! file (restic looks for it to decide whether a repository exists, and
//! refuses `init` over it) and a `keys` folder (restic cannot open a
//! repository without a key from there). Requiring both keeps an ordinary
//! folder that happens to hold a file named `config` (a program's settings)
//! from being taken for a backup; `data/`, `index/` and `snapshots/` are not
//! required because a fresh repository may not have them yet.

use std::path::{Path, PathBuf};

use fjordsync_jottacloud::{Client, FolderListing, ListMode, RemotePath};

/// The file restic reads first.
pub const CONFIG_FILE: &str = "config";
/// The folder of restic's key files.
pub const KEYS_FOLDER: &str = "keys";

/// How many ancestors of a remote folder are looked at: one listing each,
/// so a deep path costs a bounded number of calls.
const MAX_REMOTE_DEPTH: usize = 32;

/// True when a folder's one-level listing is a repository's.
pub fn is_repository_listing(listing: &FolderListing) -> bool {
    let config = listing.files.iter().any(|f| f.name == CONFIG_FILE && !f.is_deleted());
    let keys = listing.folders.iter().any(|f| f.name == KEYS_FOLDER && f.deleted.is_none());
    config && keys
}

/// True when the local folder `dir` is a repository (two stats).
pub fn is_local_repository(dir: &Path) -> bool {
    dir.join(CONFIG_FILE).is_file() && dir.join(KEYS_FOLDER).is_dir()
}

/// The repository that `path` is, or lies inside, on this machine: `path`
/// and each of its ancestors up to the root are looked at (the missing
/// ones are simply not repositories).
pub fn local_enclosing(path: &Path) -> Option<PathBuf> {
    path.ancestors().find(|dir| is_local_repository(dir)).map(Path::to_path_buf)
}

/// True when the remote folder `path` is a repository; a missing folder
/// (or a file) is not.
pub async fn is_remote_repository(client: &Client, path: &RemotePath) -> fjordsync_jottacloud::Result<bool> {
    match client.list_folder(path, ListMode::default()).await {
        Ok(listing) => Ok(is_repository_listing(&listing)),
        Err(e) if e.is_not_found() || matches!(e, fjordsync_jottacloud::Error::InvalidArgument(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The repository that the remote folder `path` is, or lies inside: one
/// listing for `path` and each ancestor up to the mountpoint's root
/// (deepest first, at most [`MAX_REMOTE_DEPTH`] of them).
pub async fn remote_enclosing(client: &Client, path: &RemotePath) -> fjordsync_jottacloud::Result<Option<RemotePath>> {
    let mut at = Some(path.clone());
    for _ in 0..MAX_REMOTE_DEPTH {
        let Some(p) = at else { break };
        if is_remote_repository(client, &p).await? {
            return Ok(Some(p));
        }
        at = p.parent();
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_repository_needs_config_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("laptop");
        std::fs::create_dir_all(repo.join("data/00")).unwrap();
        std::fs::write(repo.join(CONFIG_FILE), b"x").unwrap();
        assert!(!is_local_repository(&repo), "config alone is an ordinary folder");
        assert_eq!(local_enclosing(&repo.join("data/00/new")), None);
        std::fs::create_dir(repo.join(KEYS_FOLDER)).unwrap();
        assert!(is_local_repository(&repo));
        assert_eq!(local_enclosing(&repo.join("data/00/new")), Some(repo.clone()));
        assert_eq!(local_enclosing(&repo), Some(repo));
        assert_eq!(local_enclosing(dir.path()), None);
    }
}
