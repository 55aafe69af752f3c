//! What every command needs: the configuration directory and the secret store.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use fjordsync_engine::secrets::{self, SecretStore};
use fjordsync_engine::{ConfigDir, Session};

pub struct Context {
    pub config: ConfigDir,
    pub secrets: Arc<dyn SecretStore>,
}

impl Context {
    pub fn new(explicit: Option<&Path>) -> anyhow::Result<Context> {
        let config = ConfigDir::resolve(explicit).context("opening the configuration directory")?;
        let secrets: Arc<dyn SecretStore> = Arc::from(secrets::store_from_env(&config)?);
        Ok(Context { config, secrets })
    }

    /// True if a remote with this name is configured.
    pub fn is_remote(&self, name: &str) -> bool {
        fjordsync_engine::Remotes::new(self.config.clone()).get(name).is_ok()
    }

    /// Opens a configured remote by name.
    pub fn open(&self, remote: &str) -> anyhow::Result<Session> {
        Ok(fjordsync_engine::session::open(&self.config, self.secrets.clone(), remote)?)
    }
}
