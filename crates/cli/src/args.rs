//! What the user typed: clap definitions only, no behaviour.
//!
//! The verbs follow rclone's, because Jottacloud power users know rclone.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Sync, copy and back up files with Jottacloud and its white-label services.
#[derive(Debug, Parser)]
#[command(name = "fjordsync", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration directory (remotes, locks; secrets with the file store).
    #[arg(long, global = true, env = "FJORDSYNC_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug). RUST_LOG overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, list, show, remove or reconnect remotes.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Show the account's quota, usage and locks.
    About {
        /// REMOTE: (a path after the colon is ignored)
        remote: String,
    },
    /// List files recursively with size and path.
    Ls(ListArgs),
    /// List the folders directly inside a path.
    Lsd(ListArgs),
    /// List files recursively with size, modification time and path.
    Lsl(ListArgs),
    /// List files recursively with their MD5 hash.
    Md5sum(ListArgs),
    /// Create a folder (and its parents).
    Mkdir {
        /// REMOTE:PATH
        path: String,
    },
    /// Write a remote file to standard output.
    Cat {
        /// REMOTE:PATH of a file
        path: String,
    },
    /// Copy one file: local to remote, remote to local, or remote to remote (server side).
    Copyto {
        /// Source: a local path or REMOTE:PATH
        src: String,
        /// Destination: a local path or REMOTE:PATH (the file's new name)
        dst: String,
    },
    /// Delete a file or folder: to the trash, or permanently with --hard.
    Delete {
        /// REMOTE:PATH
        path: String,
        /// Delete permanently, skipping the trash.
        #[arg(long)]
        hard: bool,
    },
    /// Create a public link to a file, or remove it with --unlink.
    Link {
        /// REMOTE:PATH of a file
        path: String,
        /// Remove the public link instead.
        #[arg(long)]
        unlink: bool,
    },
    /// Work with the trash.
    #[command(subcommand)]
    Trash(TrashCommand),
    /// Run the local Jottacloud emulator (demo storage, tests).
    Emulator(fjordsync_emulator::Args),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// REMOTE:PATH (REMOTE: for the mountpoint's root)
    pub path: String,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Sign in and save a new remote.
    Add(RemoteAddArgs),
    /// List the configured remotes.
    List,
    /// Show a remote's settings and where its token is kept.
    Show {
        /// Remote name
        name: String,
    },
    /// Remove a remote and its stored token.
    Remove {
        /// Remote name
        name: String,
    },
    /// Sign in again (after "reconnect needed"), keeping the remote's settings.
    Reconnect(ReconnectArgs),
}

#[derive(Debug, Args)]
pub struct RemoteAddArgs {
    /// Name for the remote, used as NAME:PATH.
    pub name: String,
    #[command(flatten)]
    pub sign_in: SignInArgs,
    /// Device to work in.
    #[arg(long, default_value = "Jotta")]
    pub device: String,
    /// Mountpoint to work in.
    #[arg(long, default_value = "Archive")]
    pub mountpoint: String,
    /// Create the device or mountpoint if the account does not have it.
    #[arg(long)]
    pub create: bool,
}

#[derive(Debug, Args)]
pub struct ReconnectArgs {
    /// Remote name
    pub name: String,
    #[command(flatten)]
    pub sign_in: SignInArgs,
}

/// How to sign in. Exactly one of --login-token, --browser or --legacy.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Personal login token (made at https://www.jottacloud.com/web/secure). "-" reads it from stdin.
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["browser", "legacy"])]
    pub login_token: Option<String>,
    /// Sign in with the system browser (authorization code flow with PKCE).
    #[arg(long, conflicts_with = "legacy")]
    pub browser: bool,
    /// Sign in with username and password on the legacy endpoint.
    #[arg(long, requires = "username")]
    pub legacy: bool,
    /// Username or e-mail for --legacy.
    #[arg(long)]
    pub username: Option<String>,
    /// Read the --legacy password from this environment variable instead of asking.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Service: jottacloud or a white-label key (see `fjordsync remote add --help`).
    #[arg(long, default_value = "jottacloud")]
    pub service: String,
    /// One origin for every Jottacloud role (the emulator, tests, alternative deployments).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Don't open a browser; print the sign-in URL for --browser instead.
    #[arg(long)]
    pub no_open: bool,
}

#[derive(Debug, Subcommand)]
pub enum TrashCommand {
    /// List what is in the trash.
    List {
        /// REMOTE:
        remote: String,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Restore a trashed file or folder to its original place.
    Restore {
        /// REMOTE:PATH of the trashed item (its original path)
        path: String,
    },
    /// Delete everything in the trash permanently.
    Empty {
        /// REMOTE:
        remote: String,
    },
}
