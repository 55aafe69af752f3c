//! Opening, creating and re-keying a repository.

use std::path::PathBuf;
use std::sync::Arc;

use rustic_core::repofile::{KeyId, MasterKey};
use rustic_core::{
    ConfigOptions, Credentials, FileType, KeyOptions, OpenStatus, Repository, RepositoryBackends, RepositoryOptions,
    WriteBackend,
};

use super::backend::JottaBackend;
use super::error::{BackupError, Result, blocking, hex};
use super::progress::{Bars, Gate};
use crate::Session;

/// Where a repository lives.
#[derive(Debug, Clone)]
pub enum RepoLocation {
    /// A folder on this machine (rustic's local backend; restic reads it as is).
    Local(PathBuf),
    /// A folder on a Jottacloud remote.
    Remote {
        /// The connected remote.
        session: Box<Session>,
        /// The user's `/`-separated path below the remote's mountpoint.
        path: String,
    },
}

impl std::fmt::Display for RepoLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoLocation::Local(p) => write!(f, "{}", p.display()),
            RepoLocation::Remote { session, path } => write!(f, "{}:{path}", session.remote.name),
        }
    }
}

/// How to open a repository.
#[derive(Debug, Clone, Default)]
pub struct RepoOptions {
    /// rustic's local cache of index, snapshot and tree data (speeds up
    /// remote repositories a lot). `None` = rustic's default folder.
    pub cache_dir: Option<PathBuf>,
    /// Use no cache at all.
    pub no_cache: bool,
}

/// Settings fixed when a repository is created.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Target size of data pack files in bytes (rustic's default: 32 MiB,
    /// growing with the repository). Smaller packs mean more files.
    pub data_pack_size: Option<u64>,
}

/// An open repository. Cheap to clone; every method runs rustic on a
/// blocking thread, so call them from async code on a multi-threaded runtime.
#[derive(Clone)]
pub struct Repo {
    pub(crate) repo: Arc<Repository<OpenStatus>>,
    key: MasterKey,
    pub(crate) bars: Bars,
    pub(crate) gate: Gate,
    pub(crate) location: String,
    pub(crate) backends: RepositoryBackends,
    /// The same storage without the gate: for repairing after a cancel
    /// while the gate stays closed to the cancelled operation's threads.
    pub(crate) ungated: RepositoryBackends,
    options: RepositoryOptions,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("location", &self.location).finish()
    }
}

struct Unopened {
    repo: Repository<()>,
    bars: Bars,
    gate: Gate,
    location: String,
    backends: RepositoryBackends,
    ungated: RepositoryBackends,
    options: RepositoryOptions,
}

fn prepare(location: &RepoLocation, opts: &RepoOptions) -> Result<Unopened> {
    let backend: Arc<dyn WriteBackend> = match location {
        RepoLocation::Local(path) => {
            let p = path.to_str().ok_or_else(|| BackupError::Invalid(format!("{} is not UTF-8", path.display())))?;
            Arc::new(rustic_backend::LocalBackend::new(p, [])?)
        }
        RepoLocation::Remote { session, path } => {
            let root = session.path(path)?;
            if root.is_mountpoint_root() {
                return Err(BackupError::Invalid(format!(
                    "give the repository its own folder, e.g. {}:backup",
                    session.remote.name
                )));
            }
            let handle = tokio::runtime::Handle::current();
            Arc::new(JottaBackend::new(session.client.clone(), root, location.to_string(), handle))
        }
    };
    let gate = Gate::default();
    let backends = RepositoryBackends::new(gate.wrap(backend.clone()), None);
    let ungated = RepositoryBackends::new(backend, None);
    let mut options = RepositoryOptions::default();
    options.no_cache = opts.no_cache;
    options.cache_dir = opts.cache_dir.clone();
    let bars = Bars::new();
    let repo = Repository::new_with_progress(&options, &backends, bars.clone())?;
    Ok(Unopened { repo, bars, gate, location: location.to_string(), backends, ungated, options })
}

impl Unopened {
    fn into_repo(self, repo: Repository<OpenStatus>) -> Repo {
        Repo {
            key: repo.key(),
            repo: Arc::new(repo),
            bars: self.bars,
            gate: self.gate,
            location: self.location,
            backends: self.backends,
            ungated: self.ungated,
            options: self.options,
        }
    }
}

fn open_error(e: Box<rustic_core::RusticError>, location: &str) -> BackupError {
    if e.is_incorrect_password() { BackupError::WrongPassword(location.to_string()) } else { e.into() }
}

impl Repo {
    /// Creates a new, empty repository (restic format version 2: compressed)
    /// protected by `password`. Refuses a location that already has one.
    pub async fn init(location: &RepoLocation, password: &str, opts: &RepoOptions) -> Result<Repo> {
        Repo::init_with(location, password, opts, &InitOptions::default()).await
    }

    /// [`Repo::init`] with repository settings.
    pub async fn init_with(
        location: &RepoLocation,
        password: &str,
        opts: &RepoOptions,
        init: &InitOptions,
    ) -> Result<Repo> {
        let u = prepare(location, opts)?;
        let password = password.to_string();
        let mut config = ConfigOptions::default();
        if let Some(size) = init.data_pack_size {
            config.set_datapack_size = Some(bytesize::ByteSize::b(size));
            config.set_datapack_growfactor = Some(0);
        }
        blocking(move || {
            if u.repo.config_id()?.is_some() {
                return Err(BackupError::AlreadyExists(u.location.clone()));
            }
            let repo = u.repo.clone().init(&Credentials::password(&password), &KeyOptions::default(), &config)?;
            Ok(u.into_repo(repo))
        })
        .await
    }

    /// Opens an existing repository (ours, restic's or rustic's). A wrong
    /// password is [`BackupError::WrongPassword`] and changes nothing.
    pub async fn open(location: &RepoLocation, password: &str, opts: &RepoOptions) -> Result<Repo> {
        let u = prepare(location, opts)?;
        let password = password.to_string();
        blocking(move || {
            if u.repo.config_id()?.is_none() {
                return Err(BackupError::NotARepository(u.location.clone()));
            }
            let repo =
                u.repo.clone().open(&Credentials::password(&password)).map_err(|e| open_error(e, &u.location))?;
            Ok(u.into_repo(repo))
        })
        .await
    }

    /// An owned handle for rustic's consuming calls (`to_indexed*`): the
    /// same repository opened again with the master key (no key search).
    pub(crate) fn reopen(&self) -> Result<Repository<OpenStatus>> {
        self.reopen_with(&self.backends)
    }

    /// Like [`Repo::reopen`], reading and writing through `backends` (a
    /// wrapper of this repository's own).
    pub(crate) fn reopen_with(&self, backends: &RepositoryBackends) -> Result<Repository<OpenStatus>> {
        let repo = Repository::new_with_progress(&self.options, backends, self.bars.clone())?;
        Ok(repo.open(&Credentials::Masterkey(self.key.clone()))?)
    }

    /// Where the repository is, as the user wrote it.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The repository's id (from its config).
    pub fn id(&self) -> String {
        hex(&self.repo.config().id)
    }

    /// Replaces the password: adds a key for `new`, then removes the key
    /// this repository was opened with. Returns the repository opened with
    /// the new password.
    pub async fn change_password(&self, new: &str) -> Result<Repo> {
        let this = self.clone();
        let new = new.to_string();
        blocking(move || {
            this.gate.clear();
            let old: Option<KeyId> = *this.repo.key_id();
            this.repo.add_key(&new, &KeyOptions::default())?;
            let fresh = Repository::new_with_progress(&this.options, &this.backends, this.bars.clone())?
                .open(&Credentials::password(&new))?;
            if let Some(old) = old {
                fresh.delete_key(&old)?;
            }
            Ok(Repo { key: fresh.key(), repo: Arc::new(fresh), ..this })
        })
        .await
    }

    /// What the repository stores: files and bytes per kind.
    pub async fn size(&self) -> Result<RepoSize> {
        let repo = self.repo.clone();
        blocking(move || {
            let infos = repo.infos_files()?;
            let mut size = RepoSize::default();
            for info in infos.repo {
                size.files += info.count;
                size.bytes += info.size;
                if info.tpe == FileType::Pack {
                    size.pack_files = info.count;
                    size.pack_bytes = info.size;
                }
            }
            Ok(size)
        })
        .await
    }
}

/// The stored size of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RepoSize {
    /// Files of every kind.
    pub files: u64,
    /// Bytes of every kind.
    pub bytes: u64,
    /// Pack files (the data).
    pub pack_files: u64,
    /// Bytes in pack files.
    pub pack_bytes: u64,
}
