//! Signing in and connecting: from a remote's settings and stored token to a
//! ready [`Client`].
//!
//! Both the CLI and the desktop app add remotes through [`add_remote`] and
//! reconnect through [`reconnect_remote`], so the order that keeps data safe
//! lives in one place: verify the account and the device/mountpoint first,
//! store the token, and only then record the remote.

use std::sync::Arc;

use fjordsync_jottacloud::{Client, ClientOptions, Endpoints, RemotePath, Token, TokenStore};
use url::Url;

use crate::config_dir::ConfigDir;
use crate::error::{EngineError, Result};
use crate::remotes::{RemoteConfig, Remotes};
use crate::secrets::SecretStore;
use crate::token_store::RemoteTokenStore;

/// The default device: every account has it.
pub const DEFAULT_DEVICE: &str = "Jotta";
/// The default mountpoint: the "Archive" section of the official apps.
pub const DEFAULT_MOUNTPOINT: &str = "Archive";

/// A connected remote: its settings, a client and the root it works in.
#[derive(Debug, Clone)]
pub struct Session {
    /// The remote's settings.
    pub remote: RemoteConfig,
    /// The signed-in client (refreshes and stores rotated tokens itself).
    pub client: Client,
    /// The device/mountpoint root that `NAME:` means.
    pub root: RemotePath,
}

impl Session {
    /// The remote path for a user-typed `a/b/c` below the root. Each name is
    /// mapped with the service's look-alike rules (`:` → `：`, ...), exactly as
    /// rclone maps them, so both tools show the same files.
    pub fn path(&self, user_path: &str) -> Result<RemotePath> {
        let mut p = self.root.clone();
        for seg in user_path.split('/').filter(|s| !s.is_empty()) {
            p = p.join_local(seg.as_bytes())?;
        }
        Ok(p)
    }
}

/// True when both sessions are the same account on the same service, so a
/// server-side copy works between them.
pub fn same_account(a: &Session, b: &Session) -> bool {
    a.remote.endpoint == b.remote.endpoint && a.remote.username.is_some() && a.remote.username == b.remote.username
}

/// Endpoints for a remote: its `endpoint` origin, or the production hosts.
pub fn endpoints_for(endpoint: Option<&str>) -> Result<Endpoints> {
    match endpoint {
        None => Ok(Endpoints::production()),
        Some(e) => {
            let url =
                Url::parse(e).map_err(|err| EngineError::Invalid(format!("endpoint {e:?} is not a URL: {err}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(EngineError::Invalid(format!("endpoint {e:?} must be http:// or https://")));
            }
            Ok(Endpoints::from_origin(&url))
        }
    }
}

/// Client options for every remote: the defaults plus, when `SSL_CERT_FILE`
/// names a readable file, that CA as an extra trusted root (the system roots
/// stay trusted).
pub fn client_options() -> ClientOptions {
    let mut options = ClientOptions::default();
    if let Some(path) = std::env::var_os("SSL_CERT_FILE")
        && let Ok(pem) = std::fs::read(&path)
    {
        options.extra_ca_pem = Some(pem);
    }
    options
}

/// Opens a configured remote: loads its token and builds a client whose
/// refreshes are locked and persisted through the secret store.
pub fn open(config: &ConfigDir, secrets: Arc<dyn SecretStore>, name: &str) -> Result<Session> {
    let remote = Remotes::new(config.clone()).get(name)?;
    let store = Arc::new(token_store(config, &remote.name, secrets)?);
    let token = store.load().map_err(fjordsync_jottacloud::Error::from)?;
    let token = token.ok_or_else(|| EngineError::NotSignedIn(name.to_string()))?;
    let client = Client::new(endpoints_for(remote.endpoint.as_deref())?, token, store, client_options())?;
    // Recorded when the remote was added (a sign-in to another account is
    // refused by `reconnect`): saves a lookup on every start.
    if let Some(user) = &remote.username {
        client.assume_username(user);
    }
    let root = RemotePath::new(&remote.device, &remote.mountpoint)?;
    Ok(Session { remote, client, root })
}

/// Adds a remote after a successful sign-in. Checks the account and the
/// device/mountpoint (creating them when `create` is set), stores the token,
/// then records the settings. Nothing is recorded if any step fails.
pub async fn add_remote(
    config: &ConfigDir,
    secrets: Arc<dyn SecretStore>,
    mut remote: RemoteConfig,
    token: Token,
    create: bool,
) -> Result<Session> {
    let remotes = Remotes::new(config.clone());
    crate::remotes::validate_name(&remote.name)?;
    if remotes.get(&remote.name).is_ok() {
        return Err(crate::remotes::RemotesError::Exists(remote.name).into());
    }
    let store = Arc::new(token_store(config, &remote.name, secrets)?);
    // The login token was single-use: keep the pair before anything else can fail.
    store.save(&token).map_err(fjordsync_jottacloud::Error::from)?;
    let result = async {
        let client = Client::new(endpoints_for(remote.endpoint.as_deref())?, token, store.clone(), client_options())?;
        remote.username = Some(client.username().await?);
        let (device, mountpoint) = resolve_root(&client, &remote.device, &remote.mountpoint, create).await?;
        remote.device = device;
        remote.mountpoint = mountpoint;
        remotes.add(remote.clone())?;
        let root = RemotePath::new(&remote.device, &remote.mountpoint)?;
        Ok(Session { remote, client, root })
    }
    .await;
    if result.is_err() {
        let _ = store.clear();
    }
    result
}

/// Replaces a remote's token after a new sign-in, refusing a different account.
pub async fn reconnect_remote(
    config: &ConfigDir,
    secrets: Arc<dyn SecretStore>,
    name: &str,
    token: Token,
) -> Result<Session> {
    let remotes = Remotes::new(config.clone());
    let mut remote = remotes.get(name)?;
    let store = Arc::new(token_store(config, name, secrets)?);
    let client =
        Client::new(endpoints_for(remote.endpoint.as_deref())?, token.clone(), store.clone(), client_options())?;
    let username = client.username().await?;
    if let Some(previous) = &remote.username
        && previous != &username
    {
        return Err(EngineError::Invalid(format!(
            "this sign-in is for another account ({username}, the remote belongs to {previous}); \
             add it as a new remote instead"
        )));
    }
    // Store the pair the client holds now (it may have refreshed already).
    store.save(&client.token()).map_err(fjordsync_jottacloud::Error::from)?;
    remote.username = Some(username);
    remotes.update(remote.clone())?;
    let root = RemotePath::new(&remote.device, &remote.mountpoint)?;
    Ok(Session { remote, client, root })
}

/// Removes a remote: its settings and its stored token.
pub fn remove_remote(config: &ConfigDir, secrets: Arc<dyn SecretStore>, name: &str) -> Result<RemoteConfig> {
    let removed = Remotes::new(config.clone()).remove(name)?;
    token_store(config, name, secrets)?.clear().map_err(fjordsync_jottacloud::Error::from)?;
    Ok(removed)
}

fn token_store(config: &ConfigDir, name: &str, secrets: Arc<dyn SecretStore>) -> Result<RemoteTokenStore> {
    RemoteTokenStore::new(config, name, secrets).map_err(|source| EngineError::Io {
        context: format!("creating the lock folder in {}", config.path().display()),
        source,
    })
}

/// Finds the device and mountpoint case-insensitively (keeping the account's
/// casing) or creates them when asked. The built-in `Jotta` device cannot get
/// new mountpoints.
async fn resolve_root(client: &Client, device: &str, mountpoint: &str, create: bool) -> Result<(String, String)> {
    use fjordsync_jottacloud::names::same_name;
    let drive = client.drive_info().await?;
    let device_name = match drive.devices.iter().find(|d| same_name(&d.name, device)) {
        Some(d) => d.name.clone(),
        None if create => client.create_device(device).await?.name,
        None => {
            let names: Vec<_> = drive.devices.iter().map(|d| d.name.as_str()).collect();
            return Err(EngineError::Invalid(format!(
                "the account has no device {device:?} (it has: {}); {}",
                names.join(", "),
                crate::remedy::Remedy::Create.cli()
            )));
        }
    };
    let info = client.device(&device_name).await?;
    let mp_name = match info.mountpoints.iter().find(|m| same_name(&m.name, mountpoint)) {
        Some(m) => m.name.clone(),
        None if create && same_name(&device_name, DEFAULT_DEVICE) => {
            return Err(EngineError::Invalid(format!(
                "the built-in {DEFAULT_DEVICE} device cannot get new mountpoints; use Archive or Sync, or another device"
            )));
        }
        None if create => client.create_mountpoint(&device_name, mountpoint).await?.name,
        None => {
            let names: Vec<_> = info.mountpoints.iter().map(|m| m.name.as_str()).collect();
            return Err(EngineError::Invalid(format!(
                "device {device_name:?} has no mountpoint {mountpoint:?} (it has: {}); {}",
                names.join(", "),
                crate::remedy::Remedy::Create.cli()
            )));
        }
    };
    Ok((device_name, mp_name))
}
