//! What the user typed: clap definitions only, no behaviour.
//!
//! The verbs follow rclone's, because Jottacloud power users know rclone.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Sync, copy and back up files with Jottacloud and its white-label services.
#[derive(Debug, Parser)]
#[command(name = "fjordsync", version, propagate_version = true)]
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
    /// Copy new and changed files from SRC to DST; never delete on DST.
    Copy(TransferArgs),
    /// Make DST an exact mirror of SRC: copy new and changed files, delete extras (to the trash).
    #[command(after_help = SYNC_HELP)]
    Sync(TransferArgs),
    /// Copy files from SRC to DST, verify, then delete them from SRC (remote sources go to the trash).
    Move(TransferArgs),
    /// Compare SRC and DST by size and MD5; change nothing.
    #[command(after_help = CHECK_HELP)]
    Check(TransferArgs),
    /// Keep a local folder and a storage folder in step, whichever side changed (two-way sync).
    #[command(after_help = BISYNC_HELP)]
    Bisync(BisyncArgs),
    /// Named tasks: add, list, show, run, remove, pause, resume.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Show task logs: recent runs, or one run's files.
    Log(LogArgs),
    /// Undo a run: restore what it trashed or overwrote, remove what it added.
    Undo {
        /// Run id (see `fjordsync log`)
        run: i64,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run only the files that failed in a run again.
    Retry {
        /// Run id (see `fjordsync log`)
        run: i64,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Encrypted, deduplicated backups in a restic-format repository (local folder or REMOTE:PATH).
    #[command(after_help = BACKUP_HELP)]
    Backup(BackupArgs),
    /// Run the schedules and serve the web UI and API, on a machine with no desktop.
    #[command(after_help = DAEMON_HELP)]
    Daemon(DaemonArgs),
    /// Serve a storage folder to other programs (WebDAV), so file managers can open it as a folder.
    #[command(subcommand)]
    Serve(ServeCommand),
    /// Mount a storage folder as a local folder (FUSE), so every program can use it.
    #[cfg(all(target_os = "linux", feature = "fuse"))]
    #[command(after_help = MOUNT_HELP)]
    Mount(MountArgs),
    /// Unmount a folder mounted with `fjordsync mount`.
    #[cfg(all(target_os = "linux", feature = "fuse"))]
    Unmount(UnmountArgs),
    /// Run the local Jottacloud emulator (demo storage, tests).
    Emulator(fjordsync_emulator::Args),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETION_HELP)]
    Completion {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into a folder.
    #[command(after_help = MAN_HELP)]
    Man {
        /// Write fjordsync.1, fjordsync-sync.1, ... into this folder instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const COMPLETION_HELP: &str = "\
Install (each shell reads the script from its own place):
  bash:        fjordsync completion bash > ~/.local/share/bash-completion/completions/fjordsync
  zsh:         fjordsync completion zsh > ~/.zfunc/_fjordsync   (with fpath+=~/.zfunc before compinit)
  fish:        fjordsync completion fish > ~/.config/fish/completions/fjordsync.fish
  powershell:  fjordsync completion powershell >> $PROFILE";

const MAN_HELP: &str = "\
Examples:
  fjordsync man | man -l -
  fjordsync man --dir ~/.local/share/man/man1   # then `man fjordsync-sync`";

const DAEMON_HELP: &str = "\
Open the link it prints (http://127.0.0.1:8090/#token=...): every API call needs that token, which is kept
in daemon.token in the configuration folder (0600) and stays the same across restarts; delete the file to
make a new one. Stop with Ctrl-C or SIGTERM; running tasks are stopped and recorded as cancelled.

Another machine (a home server or NAS): listening on anything but loopback needs --user with a password
(--pass-file FILE, or the environment variable FJORDSYNC_DAEMON_PASS; --pass shows it in the process list),
or --token-only. Any Host name is then accepted. Plain HTTP is readable on the network: use it only on one
you trust, or behind a TLS proxy. Or keep 127.0.0.1 and use `ssh -L 8090:127.0.0.1:8090 server`.";

const SERVE_WEBDAV_HELP: &str = "\
Open the printed address in a file manager: Finder (Go > Connect to Server), Explorer (Map network drive),
GNOME Files (Other Locations, dav://), or any WebDAV client such as rclone. Every request needs the login:
give --user and --pass, or a random password is made for the user fjordsync and printed once at start.

Files written are kept in the cache folder, their MD5 computed, and uploaded --write-back after they are closed;
pending uploads survive a crash and finish at the next start. Deleted files and folders go to the Jottacloud
trash; overwritten files keep their old versions. Finder's and Explorer's own files (._*, .DS_Store,
Thumbs.db, desktop.ini, ...) stay in the cache and never reach the storage. Properties clients set
(PROPPATCH) are kept in the cache folder too. Changes made elsewhere show up within --poll-interval.

Stop with Ctrl-C or SIGTERM: the server finishes the pending uploads first and says how many; a second
Ctrl-C stops at once and leaves them for the next start.

Windows: its WebDAV client refuses Basic login over plain http unless BasicAuthLevel is 2, files over
about 47 MiB unless FileSizeLimitInBytes is raised, and folders whose listing is over 1,000,000 bytes
(about 1,000 items) unless FileAttributesLimitInBytes is raised (all under
HKLM\\SYSTEM\\CurrentControlSet\\Services\\WebClient\\Parameters).";

#[cfg(all(target_os = "linux", feature = "fuse"))]
const MOUNT_HELP: &str = "\
MOUNTPOINT must be an empty folder. Files written are kept in the cache folder and uploaded --write-back
after they are closed; pending uploads survive a crash and finish at the next mount. Deleted files and
folders go to the Jottacloud trash; overwritten files keep their old versions. Changes made elsewhere show
up within --poll-interval. Modes and owners are not kept (Jottacloud has none).

Stop with `fjordsync unmount MOUNTPOINT`, Ctrl-C or SIGTERM: the folder is unmounted and the pending
uploads are finished first, saying how many; a second Ctrl-C stops at once and leaves them for the next
mount. If the mount's program was killed, `fjordsync unmount --lazy MOUNTPOINT` clears the dead mount.
Needs /dev/fuse; unprivileged users also need fusermount3 (the fuse3 package).";

#[cfg(all(target_os = "linux", feature = "fuse"))]
#[derive(Debug, Args)]
pub struct MountArgs {
    /// REMOTE:PATH, the storage folder to mount (REMOTE: for the whole mountpoint)
    pub remote: String,
    /// An empty local folder to mount it on.
    pub mountpoint: PathBuf,
    /// The local cache.
    #[command(flatten)]
    pub cache: FolderCacheArgs,
}

#[cfg(all(target_os = "linux", feature = "fuse"))]
#[derive(Debug, Args)]
pub struct UnmountArgs {
    /// The folder a `fjordsync mount` is mounted on.
    pub mountpoint: PathBuf,
    /// Detach it even while programs use it, or when its program has died.
    #[arg(long)]
    pub lazy: bool,
}

/// The local cache `serve webdav` and `mount` share the shape of.
#[derive(Debug, Args)]
pub struct FolderCacheArgs {
    /// Where written files wait for upload and read files are cached
    /// (default: the user's cache folder, one per REMOTE:PATH).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The read cache's size limit; least recently used files go first, open ones never.
    /// A file over a quarter of it, read from start to end, streams past the cache.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub cache_max_size: u64,
    /// How long after a file is closed its upload starts (rclone's --vfs-write-back):
    /// a file saved again meanwhile is uploaded once.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_age)]
    pub write_back: u64,
    /// How often to look for changes made elsewhere (the web, another computer), e.g. 30s, 5m:
    /// they show up within this time. Each look lists the folder's whole tree in one request.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval)]
    pub poll_interval: std::time::Duration,
}

/// `serve`: other programs reach the storage through a local server.
#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Serve REMOTE:PATH over WebDAV (class 2: locks, properties) on 127.0.0.1.
    #[command(after_help = SERVE_WEBDAV_HELP)]
    Webdav(ServeWebdavArgs),
}

#[derive(Debug, Args)]
pub struct ServeWebdavArgs {
    /// REMOTE:PATH, the storage folder to serve (REMOTE: for the whole mountpoint)
    pub remote: String,
    /// Address and port to listen on (port 0 picks a free one and prints it).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
    pub addr: std::net::SocketAddr,
    /// The user name clients log in with (default: fjordsync, with a random password).
    #[arg(long, value_name = "NAME", requires = "pass")]
    pub user: Option<String>,
    /// The password for --user (visible in the process list).
    #[arg(long, value_name = "PASSWORD", requires = "user")]
    pub pass: Option<String>,
    /// The local cache.
    #[command(flatten)]
    pub cache: FolderCacheArgs,
}

/// `daemon`: the engine's long-running jobs and the web door, headless.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Address and port to listen on (port 0 picks a free one and prints it).
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "IP:PORT")]
    pub addr: std::net::SocketAddr,
    /// Ask browsers for this user name and a password (HTTP Basic).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// The password for --user (visible in the process list: prefer --pass-file or FJORDSYNC_DAEMON_PASS).
    #[arg(long, value_name = "PASSWORD", conflicts_with = "pass_file", requires = "user")]
    pub pass: Option<String>,
    /// Read the password for --user from the first line of this file.
    #[arg(long, value_name = "FILE", requires = "user")]
    pub pass_file: Option<PathBuf>,
    /// Listen on a network address with the access token alone (no --user).
    #[arg(long, conflicts_with = "user")]
    pub token_only: bool,
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

/// How to sign in: --login-token, --browser or --legacy; without any of them,
/// the login token in FJORDSYNC_LOGIN_TOKEN.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Personal login token (made at https://www.jottacloud.com/web/secure). Give "-" to read it
    /// from the first line of standard input, or leave this out and set FJORDSYNC_LOGIN_TOKEN:
    /// a token typed on the command line is visible to other users in the process list.
    #[arg(long, value_name = "TOKEN|-", conflicts_with_all = ["browser", "legacy"])]
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

const SYNC_HELP: &str = "Safety: sync refuses to delete more than half of the destination's files, or anything when \
the source is empty or missing (an unmounted disk). Override with --max-delete N or --max-delete 100%. \
Deletes wait until every other file has arrived, and are skipped if any failed.";

const CHECK_HELP: &str = "Output: one line per difference on standard output:\n  \
missing-on-dst PATH   only on the source\n  \
extra-on-dst PATH     only on the destination\n  \
different PATH        on both, with different size or MD5\n\
The exit status is 1 when any difference was found. With --json, each difference is a JSON line \
{\"event\":\"difference\",\"kind\":...,\"path\":...}.";

const BISYNC_HELP: &str = "\
Each side is compared with the state both sides last agreed on (kept per pair in the state \
database), never with the other side's clock:
  changed on one side        copied to the other
  deleted on one side        deleted on the other (storage: to the trash; here: kept for `fjordsync undo`)
  changed here, deleted there (or the other way round): the change wins
  changed on both, alike     nothing to do
  changed on both, unalike   both kept: this computer's version becomes
                             NAME (conflicted copy HOST YYYY-MM-DD HHMMSS).EXT on both sides
The first run of a pair merges and deletes nothing. Editors' temporary files (~$*, .*.swp, *.tmp, \
...) are never synced. A run that would delete more than half of the files on one side, or whose \
folder is missing or empty, is refused and changes nothing (--max-delete to allow it).
Exit status: 0 when both sides are in step, 1 when refused or when files failed.

Examples:
  fjordsync bisync ~/Documents demo:Documents --dry-run
  fjordsync bisync ~/Documents demo:Documents --exclude '*.iso'
  fjordsync bisync ~/Documents demo:Documents --watch --poll-interval 1m

With --watch it keeps running: a change here is sent within seconds, a change on the storage arrives \
within one --poll-interval (the storage is listed each time; it offers no cheaper signal), the whole \
folder is compared once an hour and after the computer sleeps, and a lost connection is retried by \
itself. Ctrl-C or SIGTERM stops it after the files in flight (exit status 0).";

/// `bisync`.
#[derive(Debug, Args)]
pub struct BisyncArgs {
    /// The local folder
    pub local: String,
    /// The storage folder: REMOTE:PATH
    pub remote: String,
    /// Show what would be done; change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// List the conflicts recorded for this pair of folders (newest first); change nothing.
    #[arg(long, conflicts_with = "dry_run")]
    pub conflicts: bool,
    /// List the files kept aside after errors (why, how often, when they are tried again); change nothing.
    #[arg(long, conflicts_with_all = ["dry_run", "conflicts"])]
    pub issues: bool,
    /// Try the files kept aside after errors again in this run, without waiting (e.g. after making room).
    #[arg(long, conflicts_with_all = ["dry_run", "conflicts", "issues"])]
    pub retry_issues: bool,
    /// Keep running: sync whenever the folder changes or the storage does, until Ctrl-C or SIGTERM.
    #[arg(long, conflicts_with_all = ["dry_run", "conflicts", "issues", "json"])]
    pub watch: bool,
    /// With --watch: how often to look for changes made elsewhere, e.g. 30s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval, requires = "watch")]
    pub poll_interval: std::time::Duration,
    /// Files transferred in parallel.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub transfers: usize,
    /// Changed files hashed in parallel.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub checkers: usize,
    /// Bandwidth limit in bytes per second, e.g. 512K or 10M (K, M, G are binary as in rclone; KB, MB decimal).
    #[arg(long, value_name = "RATE", value_parser = parse_size)]
    pub bwlimit: Option<u64>,
    /// Which files to consider (on both sides).
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Delete guard, per side: allow at most N deletes, or N% of the files synced before.
    #[arg(long, value_name = "N|PERCENT")]
    pub max_delete: Option<String>,
    /// Delete remote files permanently instead of moving them to the trash.
    #[arg(long)]
    pub hard_delete: bool,
    /// Follow symbolic links (loops are detected); by default they are skipped and reported.
    #[arg(long, short = 'L')]
    pub follow_symlinks: bool,
    /// Print JSON lines (events, then a final {"event":"finished",...}) on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `copy`, `sync`, `move` and `check`.
#[derive(Debug, Args)]
pub struct TransferArgs {
    /// Source: a local folder or REMOTE:PATH
    pub src: String,
    /// Destination: a local folder or REMOTE:PATH
    pub dst: String,
    /// Show what would be done (the plan and any preflight problems); change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// How to transfer (shared with `task add`).
    #[command(flatten)]
    pub flags: TransferFlags,
    /// Print JSON lines (events, then a final {"event":"finished",...}) on standard output.
    #[arg(long)]
    pub json: bool,
}

/// How a transfer runs: the flags `copy`, `sync`, `move`, `check` and
/// `task add` share, so a stored task takes exactly what a one-off run takes.
#[derive(Debug, Clone, Args)]
pub struct TransferFlags {
    /// Compare files by MD5 instead of size and modification time.
    #[arg(long, short = 'c')]
    pub checksum: bool,
    /// Files transferred in parallel.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub transfers: usize,
    /// Files hashed in parallel.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub checkers: usize,
    /// Bandwidth limit in bytes per second, e.g. 512K or 10M (K, M, G are binary as in rclone; KB, MB decimal).
    #[arg(long, value_name = "RATE", value_parser = parse_size)]
    pub bwlimit: Option<u64>,
    /// Which files to consider.
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Delete guard: allow at most N deletes, or N% of the destination (100% turns the guard off).
    #[arg(long, value_name = "N|PERCENT")]
    pub max_delete: Option<String>,
    /// Delete remote files permanently instead of moving them to the trash.
    #[arg(long)]
    pub hard_delete: bool,
    /// Keep no earlier versions: delete a remote file permanently before new content replaces it.
    ///
    /// Normally the service keeps the content a run replaces as an older version of the file
    /// (it takes up storage). With this option the remote file is first deleted permanently, as
    /// rclone's --jottacloud-no-versions does: not to the trash, so the old content is gone for
    /// good. It is not in the trash, there is no version to go back to, and `fjordsync undo`
    /// cannot put it back (it says so for those files). Files whose content did not change are
    /// never deleted. If the upload fails after the delete, the file is missing on the remote
    /// until a later run (or `fjordsync retry`) uploads it. Only when the destination is a
    /// remote; off by default.
    #[arg(long, visible_alias = "jottacloud-no-versions")]
    pub no_versions: bool,
    /// Follow symbolic links (loops are detected); by default they are skipped and reported.
    #[arg(long, short = 'L')]
    pub follow_symlinks: bool,
}

/// `task`: named tasks kept in the state database.
#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Save a named task (copy, sync, move or backup), optionally on a schedule.
    #[command(after_help = TASK_ADD_HELP)]
    Add(Box<TaskAddArgs>),
    /// List the tasks: kind, sides, schedule, next run, last outcome.
    List {
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one task.
    Show {
        /// Task name (or id)
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a task now (one run at a time per task, across processes).
    Run {
        /// Task name (or id)
        name: String,
        /// Print JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a task (its runs stay in the log).
    Remove {
        /// Task name (or id)
        name: String,
    },
    /// Pause a task's schedule (it still runs with `task run`).
    Pause {
        /// Task name (or id)
        name: String,
    },
    /// Resume a paused task's schedule.
    Resume {
        /// Task name (or id)
        name: String,
    },
}

const TASK_ADD_HELP: &str = "\
Examples:
  fjordsync task add photos sync ~/Pictures demo:Pictures --every 6h
  fjordsync task add docs copy ~/Documents demo:Documents --daily 02:30 --exclude '*.tmp'
  fjordsync task add notes bisync ~/Notes demo:Notes --every 1h
  fjordsync task add home backup ~/Documents ~/Pictures --repo demo:backup \\
      --password-file ~/.config/fjordsync/backup-pass --keep-daily 7 --keep-weekly 4 --daily 03:00
  fjordsync task run photos";

/// The kinds `task add` makes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TaskAddKind {
    /// Copy new and changed files; never delete on the destination.
    Copy,
    /// Make the destination an exact mirror of the source.
    Sync,
    /// Copy, verify, then delete each source file.
    Move,
    /// Snapshots of folders into a backup repository (`--repo`).
    Backup,
    /// Keep a local folder and a storage folder in step both ways (LOCAL REMOTE:PATH).
    Bisync,
    /// Keep a storage folder mounted on an empty local folder (REMOTE:PATH
    /// MOUNTPOINT), or served over WebDAV on 127.0.0.1 for the file manager
    /// (REMOTE:PATH alone), by the app or `fjordsync daemon`.
    Mount,
}

/// `task add`.
#[derive(Debug, Args)]
pub struct TaskAddArgs {
    /// Name for the task (unique, ignoring case).
    pub name: String,
    /// What it does.
    #[arg(value_enum)]
    pub kind: TaskAddKind,
    /// copy, sync, move: SRC DST (a local folder or REMOTE:PATH each);
    /// bisync: LOCAL REMOTE:PATH; backup: the folders to back up;
    /// mount: REMOTE:PATH [MOUNTPOINT]
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// How to transfer (a backup takes only the filters).
    #[command(flatten)]
    pub flags: TransferFlags,
    /// Where a backup goes.
    #[command(flatten)]
    pub backup: TaskBackupArgs,
    /// Run every N hours or days after the last run, e.g. 6h or 1d (1h to 7d).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["daily", "watch"])]
    pub every: Option<String>,
    /// Run every day at this local time, e.g. 02:30.
    #[arg(long, value_name = "HH:MM", conflicts_with = "watch")]
    pub daily: Option<String>,
    /// A bisync task only: keep the two folders in step continuously (whenever
    /// either side changes), run by the app or `fjordsync daemon`.
    #[arg(long)]
    pub watch: bool,
    /// With --watch: how often to look for changes made in the storage, 10s to 1h.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_interval, requires = "watch")]
    pub poll_interval: std::time::Duration,
}

/// `task add NAME backup ...`: the repository, its password, what to keep.
#[derive(Debug, Args)]
pub struct TaskBackupArgs {
    /// backup: the repository, a local folder or REMOTE:PATH (made with `backup init`).
    #[arg(long, value_name = "REPO")]
    pub repo: Option<String>,
    /// backup: read the repository password from the first line of this
    /// file at each run (the path is kept, not the password). Without it,
    /// the password is read from the secret store (`backup-password-<task id>`).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// What to keep after each run.
    #[command(flatten)]
    pub keep: RetentionArgs,
}

/// Which snapshots to keep (restic's `--keep-*` rules).
#[derive(Debug, Clone, Default, Args)]
pub struct RetentionArgs {
    /// Keep the newest N snapshots.
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the last N hours.
    #[arg(long, value_name = "N")]
    pub keep_hourly: Option<u32>,
    /// ... of each of the last N days.
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    /// ... of each of the last N weeks.
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<u32>,
    /// ... of each of the last N months.
    #[arg(long, value_name = "N")]
    pub keep_monthly: Option<u32>,
    /// ... of each of the last N years.
    #[arg(long, value_name = "N")]
    pub keep_yearly: Option<u32>,
}

/// `log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// A run id: show its files. Without it, list recent runs.
    pub run: Option<i64>,
    /// Only files that failed.
    #[arg(long, conflicts_with = "skipped")]
    pub failed: bool,
    /// Only files that were skipped.
    #[arg(long)]
    pub skipped: bool,
    /// Only paths containing this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub grep: Option<String>,
    /// Only the runs of this task (name or id).
    #[arg(long, value_name = "NAME", conflicts_with = "run")]
    pub task: Option<String>,
    /// How many runs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A size such as `100`, `512K`, `10M`, `1.5GiB` or `2GB`, for every size flag
/// (`--bwlimit`, `--min-size`, `--max-size`), parsed by `bytesize` so the
/// units mean what they say. One exception, for rclone habits: a bare one-letter
/// unit (`K`, `M`, `G`, `T`, `P`) is binary, as in rclone (`10M` = 10 MiB),
/// while `MB` is decimal (10^6) and `MiB` binary. A bare number is bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let bad = || format!("{s:?} is not a size: write a number and a unit, e.g. 100, 512K, 10M, 1.5GiB or 2GB");
    if t.is_empty() || t.starts_with(['-', '+']) {
        return Err(bad());
    }
    let unit_at = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(unit_at);
    let unit = unit.trim_start();
    if number.is_empty() || number.parse::<f64>().is_err() {
        return Err(bad());
    }
    let unit = match unit {
        u if u.len() == 1 && "kKmMgGtTpP".contains(u) => format!("{u}i"),
        u => u.to_string(),
    };
    let size: bytesize::ByteSize = format!("{number}{unit}").parse().map_err(|_| bad())?;
    if size.as_u64() == u64::MAX {
        return Err(format!("{s:?} is too large"));
    }
    Ok(size.as_u64())
}

/// `--poll-interval`: an age of at least one second.
pub fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    match parse_age(s)? {
        0 => Err(format!("{s:?} is too short: give at least 1s, e.g. 30s or 5m")),
        n => Ok(std::time::Duration::from_secs(n)),
    }
}

/// `30s`, `10m`, `2h`, `7d`, `2w`, or plain seconds.
pub fn parse_age(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('s') => (&t[..t.len() - 1], 1u64),
        Some('m') => (&t[..t.len() - 1], 60),
        Some('h') => (&t[..t.len() - 1], 3600),
        Some('d') => (&t[..t.len() - 1], 86400),
        Some('w') => (&t[..t.len() - 1], 7 * 86400),
        _ => (t, 1),
    };
    let v: u64 = num.parse().map_err(|_| format!("{s:?} is not an age like 10m, 2h or 7d"))?;
    Ok(v * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2GB"), Ok(2_000_000_000));
        assert_eq!(parse_size("10Mi"), Ok(10 << 20));
        assert_eq!(parse_size(" 1T "), Ok(1 << 40));
        for bad in ["x", "", "-5M", "+5M", "10 parsecs", "1.2.3K", "M", "10MM", "0x10"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.contains("is not a size") && err.contains("512K"), "{bad:?}: {err}");
        }
        assert!(parse_size("99999999999999999999E").is_err());
        assert_eq!(parse_age("2h"), Ok(7200));
        assert_eq!(parse_age("7d"), Ok(7 * 86400));
        assert_eq!(parse_interval("1m"), Ok(std::time::Duration::from_secs(60)));
        assert!(parse_interval("0s").unwrap_err().contains("at least 1s"));
    }
}

const BACKUP_HELP: &str = "\
The repository is a local folder or REMOTE:PATH (--repo, or RESTIC_REPOSITORY).
The password comes from --password-file, RESTIC_PASSWORD_FILE, RESTIC_PASSWORD,
or a prompt. restic and rustic can read these repositories.

Examples:
  fjordsync backup --repo demo:backup init
  fjordsync backup --repo demo:backup run ~/Documents ~/Pictures --tag daily
  fjordsync backup --repo demo:backup snapshots
  fjordsync backup --repo demo:backup restore latest --target ~/restored
  fjordsync backup --repo demo:backup forget --keep-daily 7 --keep-weekly 5 --prune";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The repository: a local folder or REMOTE:PATH.
    #[arg(short = 'r', long, global = true, env = "RESTIC_REPOSITORY", value_name = "REPO")]
    pub repo: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(short = 'p', long, global = true, env = "RESTIC_PASSWORD_FILE", value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// rustic's cache folder (index, snapshots, trees) for remote repositories.
    #[arg(long, global = true, env = "FJORDSYNC_BACKUP_CACHE", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Use no cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: BackupCommand,
}

/// The file filters of the sync commands and `backup run`.
#[derive(Debug, Clone, Args)]
pub struct FilterArgs {
    /// Only files matching this gitignore-style glob (repeatable); folders are still walked.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files and folders matching this gitignore-style glob (repeatable); wins over --include.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Only files at least this large (e.g. 100K; K, M, G are binary, KB, MB decimal).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub min_size: Option<u64>,
    /// Only files at most this large (e.g. 1G; K, M, G are binary, KB, MB decimal).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_size: Option<u64>,
    /// Only files modified at least this long ago (e.g. 30s, 10m, 2h, 7d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub min_age: Option<u64>,
    /// Only files modified at most this long ago (e.g. 7d).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub max_age: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Create a new repository.
    Init {
        /// Target size of data pack files in MiB (default: rustic's, 32 MiB growing with the repository).
        #[arg(long, value_name = "MIB")]
        pack_size: Option<u64>,
    },
    /// Back up files and folders as a new snapshot (incremental: unchanged files are not read again).
    Run {
        /// Files and folders to back up.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Tag the snapshot (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Record this host name instead of the machine's.
        #[arg(long)]
        host: Option<String>,
        /// Which files to back up.
        #[command(flatten)]
        filter: FilterArgs,
        /// Read every file, ignoring the parent snapshot.
        #[arg(long)]
        force: bool,
        /// Show what would be backed up; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List snapshots.
    Snapshots,
    /// List the files of a snapshot.
    Ls {
        /// Snapshot id, id prefix or `latest`.
        snapshot: String,
        /// Only below this path of the snapshot.
        #[arg(default_value = "")]
        path: String,
        /// Only one level.
        #[arg(long)]
        no_recursive: bool,
    },
    /// Show what changed between two snapshots.
    Diff {
        /// The older snapshot.
        a: String,
        /// The newer snapshot.
        b: String,
    },
    /// Restore a snapshot (or one path of it) into a folder.
    Restore {
        /// Snapshot id, id prefix or `latest`.
        snapshot: String,
        /// The folder to restore into (created if missing).
        #[arg(long, short = 't')]
        target: PathBuf,
        /// Only this file or folder of the snapshot (kept at its path below the target).
        #[arg(long, value_name = "PATH")]
        include: Option<String>,
        /// Replace existing files that differ from the snapshot.
        #[arg(long)]
        overwrite: bool,
        /// Read existing files to compare them (instead of size and time).
        #[arg(long)]
        verify: bool,
        /// Show what would be restored; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove snapshots by a retention policy (per host and paths).
    Forget {
        /// What to keep.
        #[command(flatten)]
        keep: RetentionArgs,
        /// Then remove the data no snapshot needs.
        #[arg(long)]
        prune: bool,
        /// Show what would be removed; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove data no snapshot needs.
    Prune,
    /// Check the repository's structure, and read back some or all data.
    Check {
        /// Read and verify all pack data.
        #[arg(long)]
        read_data: bool,
        /// Read and verify this percentage of the pack data (e.g. 10).
        #[arg(long, value_name = "PERCENT", conflicts_with = "read_data")]
        read_data_subset: Option<f64>,
    },
    /// Show how much the repository stores.
    Size,
    /// Change the repository password.
    Passwd {
        /// Read the new password from this file (else prompt).
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
}
