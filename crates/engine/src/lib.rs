//! The Fjordsync engine: everything the desktop app and the `fjordsync` CLI
//! share. It knows nothing of Tauri or of terminals; shells call it and render
//! what it returns.
//!
//! Today it holds the configuration directory ([`config_dir`]), the list of
//! remotes ([`remotes`]), the secret stores ([`secrets`]), the token store that
//! lets several processes share one remote without ever reusing a rotated
//! refresh token ([`token_store`]), and signing in and connecting
//! ([`session`]).

pub mod config_dir;
pub mod error;
pub mod remotes;
pub mod secrets;
pub mod session;
pub mod token_store;

pub use config_dir::ConfigDir;
pub use error::{EngineError, Result};
pub use remotes::{RemoteConfig, Remotes, RemotesError, SignIn};
pub use secrets::{SecretError, SecretStore};
pub use session::Session;
