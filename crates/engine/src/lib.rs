//! The Fjordsync engine: everything the desktop app and the `fjordsync` CLI
//! share. It knows nothing of Tauri or of terminals; shells call it and render
//! what it returns.
//!
//! Today it holds the configuration directory ([`config_dir`]), the list of
//! remotes ([`remotes`]), the secret stores ([`secrets`]), the token store that
//! lets several processes share one remote without ever reusing a rotated
//! refresh token ([`token_store`]), and signing in and connecting
//! ([`session`]).
//!
//! The transfer engine: a task is a value ([`task::TaskSpec`]); the
//! [`runner::Runner`] lists both sides ([`local`], [`remote`]), plans
//! ([`plan`]), checks the plan ([`plan::preflight`], [`guard`]), applies it
//! ([`transfer`]) and journals every file in the state database ([`state`]),
//! reporting progress as [`events::TaskEvent`]s. [`undo`] reverses a run from
//! its journal and retries its failures.
//!
//! Named tasks ([`tasks`]): the user's list of tasks, their schedules and
//! one run at a time per task across processes, stored in the state database.
//!
//! Two-way sync ([`bisync`]): a local folder and a remote folder kept in
//! step by a per-item base state, one-shot for now.
//!
//! Backups: [`backup::Repo`] keeps encrypted, deduplicated snapshots in a
//! restic-format repository on a remote or in a local folder.

pub mod backup;
pub mod bisync;
pub mod config_dir;
pub mod error;
pub mod events;
pub mod filter;
pub mod guard;
pub mod local;
mod lock;
pub mod mount;
pub mod plan;
mod process;
pub mod remedy;
pub mod remote;
pub mod remotes;
pub mod runner;
pub mod secrets;
pub mod session;
mod spill;
pub mod state;
pub mod task;
pub mod tasks;
pub mod token_store;
pub mod transfer;
pub mod tree;
pub mod undo;

pub use config_dir::ConfigDir;
pub use error::{EngineError, Result};
pub use filter::FilterOptions;
pub use remotes::{RemoteConfig, Remotes, RemotesError, SignIn};
pub use runner::{Opener, RunReport, Runner};
pub use secrets::{SecretError, SecretStore};
pub use session::Session;
pub use state::StateDb;
pub use task::{Location, MaxDelete, TaskKind, TaskOptions, TaskSpec};
