//! Transport types: what the UI receives and sends, in camelCase JSON.
//!
//! They live at the boundary (GitButler's `json` modules) so that engine and
//! client types never have to take the UI's shape. The UI's TypeScript types
//! are generated from them (`crate::ts_types`, `ui/src/lib/api/generated/`);
//! `tests` in this module pin a few JSON shapes.

use fjordsync_jottacloud::{FileInfo, RemotePath, Timestamp, names::decode_name};
use serde::{Deserialize, Serialize};

/// Which secret store tokens go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum SecretKind {
    /// The OS keyring (default).
    Keyring,
    /// The explicit 0600 file store the user opted into.
    File,
}

/// Facts the UI needs at start.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The app's version.
    pub version: String,
    /// Where tokens are kept.
    pub secret_store: SecretKind,
    /// The configuration folder (shown in settings and error texts).
    pub config_dir: String,
}

/// A white-label service the wizard can sign in to.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ServiceDto {
    /// Key (`jottacloud`, `telia_no`, ...).
    pub key: String,
    /// Brand name.
    pub name: String,
    /// Where a personal login token is made, when the brand offers one.
    pub login_token_url: Option<String>,
    /// The brand still takes the legacy username + password sign-in.
    pub legacy: bool,
}

/// One configured storage (an engine remote).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StorageDto {
    /// Its name (`demo`, `jotta`, ...).
    pub name: String,
    /// Service key.
    pub service: String,
    /// Service brand name.
    pub service_name: String,
    /// How it signed in (decides how "reconnect" signs in again).
    pub sign_in: fjordsync_engine::remotes::SignIn,
    /// Device it works in.
    pub device: String,
    /// Mountpoint it works in.
    pub mountpoint: String,
    /// Account username, when known.
    pub username: Option<String>,
    /// True for the built-in demo storage.
    pub demo: bool,
}

/// Quota and usage of a storage's account.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QuotaDto {
    /// Bytes used.
    pub used: u64,
    /// Bytes available in total; `None` for unlimited accounts.
    pub total: Option<u64>,
    /// The account cannot take new data (quota full or locked by the service).
    pub write_locked: bool,
    /// Reads are refused too.
    pub read_locked: bool,
    /// Usage per device and mountpoint.
    pub devices: Vec<DeviceDto>,
}

/// A device of the account with its mountpoints.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DeviceDto {
    /// Device name.
    pub name: String,
    /// Bytes it holds, if the service says.
    pub size: Option<u64>,
    /// Its mountpoints.
    pub mountpoints: Vec<MountpointDto>,
}

/// A mountpoint of a device.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MountpointDto {
    /// Mountpoint name.
    pub name: String,
    /// Bytes it holds, if the service says.
    pub size: Option<u64>,
}

/// The account a wizard sign-in reached, waiting for the user to pick a place.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WizardAccountDto {
    /// Handle for `wizard_save`; the token itself never leaves the app.
    pub pending_id: String,
    /// Account username.
    pub username: String,
    /// Devices and mountpoints to choose from.
    pub devices: Vec<DeviceDto>,
}

/// One row of a folder listing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct EntryDto {
    /// The name on the server (the path segment used in later calls).
    pub name: String,
    /// The name as a local file would have it (look-alike characters mapped back).
    pub display_name: String,
    /// Folder or file.
    pub folder: bool,
    /// Size in bytes (files).
    pub size: Option<u64>,
    /// Lower-case hex MD5 (files).
    pub md5: Option<String>,
    /// Birth time, RFC 3339.
    pub created: Option<String>,
    /// Modification time, RFC 3339.
    pub modified: Option<String>,
    /// Upload time on the server, RFC 3339.
    pub uploaded: Option<String>,
    /// MIME type, if known.
    pub mime: Option<String>,
    /// A folder that is an encrypted backup (restic repository): shown as
    /// one item, never walked into or offered as a sync destination.
    #[serde(default)]
    pub backup: bool,
}

/// A folder listing.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ListingDto {
    /// The listed path (server segments below the storage root).
    pub path: Vec<String>,
    /// Folders first, then files, each by name.
    pub entries: Vec<EntryDto>,
}

/// One revision (version) of a file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RevisionDto {
    /// Revision number (1 is the first upload).
    pub number: u32,
    /// The file's current content.
    pub current: bool,
    /// `completed`, `incomplete`, `corrupt`, ...
    pub state: String,
    /// Size in bytes (absent for incomplete revisions).
    pub size: Option<u64>,
    /// Lower-case hex MD5.
    pub md5: Option<String>,
    /// Birth time, RFC 3339.
    pub created: Option<String>,
    /// Modification time, RFC 3339.
    pub modified: Option<String>,
    /// When it was uploaded, RFC 3339.
    pub uploaded: Option<String>,
}

/// A public share link.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ShareDto {
    /// The link to give people.
    pub url: String,
}

/// A top-level item in the trash.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TrashItemDto {
    /// Its full original path: device, mountpoint, then folders and name.
    /// `None` when the service did not say where it came from.
    pub path: Option<Vec<String>>,
    /// Where it came from (its parent), for people: `Jotta / Archive / a: b`.
    pub place: Option<String>,
    /// Name as a local file would have it.
    pub display_name: String,
    /// Folder or file.
    pub folder: bool,
    /// Size in bytes (files).
    pub size: Option<u64>,
    /// When it was deleted, RFC 3339.
    pub deleted: Option<String>,
}

/// Result of emptying the trash.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PurgeDto {
    /// Folders removed.
    pub folders: u64,
    /// Files removed.
    pub files: u64,
}

/// An event for the UI (Tauri event or bridge WebSocket message).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AppEvent {
    /// The storage list changed (added, removed, demo started).
    StoragesChanged,
    /// A storage's content changed; listings of it are stale.
    StorageChanged {
        /// The storage.
        storage: String,
    },
    /// The browser sign-in opened this URL (shown so the user can copy it).
    SignInUrl {
        /// The service's authorization URL.
        url: String,
    },
    /// No browser could be opened for the sign-in: the wizard keeps waiting
    /// and offers the URL to copy or open by hand.
    BrowserFailed {
        /// The service's authorization URL.
        url: String,
        /// Why the opener failed (shown under "Details").
        detail: String,
    },
    /// Live progress of a task run (the web bridge's stand-in for the
    /// Tauri channel the desktop window gets).
    TaskProgress {
        /// The task.
        task: String,
        /// What happened.
        progress: TaskProgressDto,
    },
    /// A task started running (by hand, "Sync all now" or its schedule).
    TaskStarted {
        /// The task.
        task: String,
    },
    /// A task's run ended.
    #[serde(rename_all = "camelCase")]
    TaskFinished {
        /// The task.
        task: String,
        /// Its name (for notifications).
        name: String,
        /// The recorded run; `None` when it could not start (boxed: a run is big).
        run: Option<Box<RunDto>>,
        /// Why it could not start.
        error: Option<String>,
    },
    /// A continuous task's watcher changed state (`None`: it stopped).
    TaskWatch {
        /// The task.
        task: String,
        /// What its watcher does now.
        watch: Option<WatchDto>,
    },
    /// A mount's status changed (`None`: the mount is gone).
    MountChanged {
        /// The mount (its task id).
        mount: String,
        /// What it is doing now.
        status: Option<MountStatus>,
    },
    /// The tray's Quit found files in mounted folders not yet uploaded:
    /// the window asks what to do (`quit_app`).
    QuitRequested {
        /// How many files wait.
        pending: u32,
    },
    /// Pause all / Resume all.
    StatusChanged {
        /// Pause all is on.
        paused: bool,
    },
    /// The settings were saved.
    SettingsChanged,
}

/// A saved task as the UI edits it: one local folder, one remote folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TaskDto {
    /// Stable id: the engine's task id as a string (`"1"`, `"2"`, ...,
    /// what `fjordsync task run 2` takes); empty when creating.
    #[serde(default)]
    pub id: String,
    /// The user's name for it.
    pub name: String,
    /// `copy`, `sync`, `move`, `backup` or `bisync` (two-way; checked by
    /// `tasks::spec_of` and `convert::job_of`).
    #[cfg_attr(test, ts(type = r#""copy" | "sync" | "move" | "backup" | "bisync""#))]
    pub kind: String,
    /// `upload` (local to remote), `download` (remote to local) or `both`
    /// (a two-way sync).
    #[cfg_attr(test, ts(type = r#""upload" | "download" | "both""#))]
    pub direction: String,
    /// The local folder.
    pub local: String,
    /// The storage.
    pub storage: String,
    /// `/`-separated path below the storage's mountpoint ("" for its root).
    #[serde(default)]
    pub remote: String,
    /// Gitignore-style globs: only matching files.
    #[serde(default)]
    pub include: Vec<String>,
    /// Gitignore-style globs: left alone.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The last real run (not previews).
    #[serde(default)]
    pub last_run: Option<RunDto>,
    /// Runs by itself on this schedule.
    #[serde(default)]
    pub schedule: Option<crate::schedule::ScheduleDto>,
    /// When the schedule was set (Unix ms): its first run counts from here.
    #[serde(default)]
    pub schedule_since_ms: Option<i64>,
    /// The next scheduled run (Unix ms), filled in when listed.
    #[serde(default)]
    pub next_run_ms: Option<i64>,
    /// For `backup` tasks: folders, repository, retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<crate::backup::BackupDto>,
    /// Keep no earlier versions in the storage (`TaskOptions::no_versions`):
    /// a file about to be replaced is deleted for good first. Tasks saved
    /// before this field load with it off.
    #[serde(default)]
    pub no_versions: bool,
    /// Paused with `fjordsync task pause`: its schedule starts nothing (it
    /// still runs by hand). Saving from the app keeps what is stored.
    #[serde(default)]
    pub paused: bool,
    /// A two-way sync's open conflicts (filled in when listed; the form
    /// never sets it).
    #[serde(default)]
    pub conflicts: u32,
    /// A two-way sync's files kept aside after errors (filled in when
    /// listed; the form never sets it).
    #[serde(default)]
    pub kept_aside: u32,
    /// A continuous task's watcher in this process (filled in when listed;
    /// the form never sets it).
    #[serde(default)]
    pub watch: Option<WatchDto>,
}

/// What a continuous two-way sync task's watcher is doing.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum WatchStateDto {
    /// Its first, full run is about to start.
    Starting,
    /// In step; waiting for a change on either side.
    Idle,
    /// A run is going on (its progress comes as `TaskProgress`).
    Syncing,
    /// The last run or look at the storage failed (offline, service
    /// down); it tries again at `retry_at_ms`.
    Retrying,
    /// It cannot watch (the folder or storage is gone); the app tries again
    /// within the hour.
    Stopped,
}

/// Why a watcher is retrying or stopped: an `AppError` the UI words by
/// its code (a copy the task list can carry both ways).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WatchErrorDto {
    /// The error's code.
    pub code: String,
    /// The error's message.
    pub message: String,
}

impl From<crate::error::AppError> for WatchErrorDto {
    fn from(e: crate::error::AppError) -> Self {
        WatchErrorDto { code: e.code.to_string(), message: e.message }
    }
}

/// What a mount is doing: the engine's type (state, where it is reached,
/// cached bytes, pending uploads, the last problem).
pub use fjordsync_engine::mount::{MountAccess, MountLocation, MountProblem, MountState, MountStatus};

/// A mount as the Mount screen shows it: what its form edits, and what it
/// is doing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MountDto {
    /// Its settings, as the form edits them (`id` is the engine task's).
    #[serde(flatten)]
    #[cfg_attr(test, ts(flatten))]
    pub form: MountFormDto,
    /// The user wants it mounted ("Unmount" turns this off; kept across restarts).
    pub mounted: bool,
    /// What it is doing in this process (`None`: not started here, e.g.
    /// another Fjordsync program keeps the mounts).
    pub status: Option<MountStatus>,
    /// While served over WebDAV: the address and login, for any WebDAV client.
    pub webdav: Option<WebDavLoginDto>,
}

/// The Mount screen's form.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MountFormDto {
    /// Empty for a new mount.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The storage.
    pub storage: String,
    /// The folder on it (empty: the whole storage).
    pub folder: String,
    /// How it is reached.
    pub access: MountAccess,
    /// The read cache's limit in bytes (`None`: 1 GiB).
    pub cache_max_size: Option<u64>,
}

/// The address and login of a mount served over WebDAV (made at each start).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WebDavLoginDto {
    /// `http://127.0.0.1:PORT/`.
    pub url: String,
    /// The user name.
    pub user: String,
    /// The password.
    pub pass: String,
}

/// A continuous task's watcher, for its card, the Overview and the tray.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WatchDto {
    /// What it is doing.
    pub state: WatchStateDto,
    /// Since when (Unix ms).
    pub since_ms: i64,
    /// `retrying`: when it tries again (Unix ms).
    pub retry_at_ms: Option<i64>,
    /// `retrying` / `stopped`: what failed (worded by code like any error).
    pub error: Option<WatchErrorDto>,
    /// Set once when the folder cannot be watched by file events and is
    /// compared whole instead: `overflow`, `watch_limit` or `watch_failed`.
    pub notice: Option<String>,
}

/// How a conflict is resolved (keep mine / theirs / both): the engine's
/// type, named here so the shells need not depend on the engine.
pub use fjordsync_engine::bisync::Resolution;

/// One version of a conflicted file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VersionDto {
    /// Where it is in the task's folder (the original name or the conflict copy).
    pub path: String,
    /// Its size; `None` when the file is gone.
    pub size: Option<u64>,
    /// Last modified (Unix ms); `None` when gone.
    pub modified_ms: Option<i64>,
}

/// An open conflict of a two-way sync task: both sides changed one file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ConflictDto {
    /// What `resolve_conflict` takes.
    pub id: i64,
    /// When it was found (Unix ms).
    pub found_ms: i64,
    /// This computer's version (kept as the conflict copy).
    pub mine: VersionDto,
    /// The storage's version (kept under the original name).
    pub theirs: VersionDto,
}

/// A file of a two-way sync task kept aside after an error: the rest of
/// the task goes on; this one waits (for time or for a change) and is
/// listed until it is in step.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct KeptAsideDto {
    /// Its path in the pair (as on the storage).
    pub path: String,
    /// Where the failed change was going: this computer, the storage, or
    /// both (a conflict's two versions).
    #[cfg_attr(test, ts(type = r#""local" | "storage" | "both""#))]
    pub side: String,
    /// Why, which says when it is tried again: `retry` (by itself, after
    /// `nextMs`), or, only when the file changes or the user asks:
    /// `storage_full`, `disk_full`, `name_refused`, `unsafe` (a link or a
    /// mount point on the way).
    #[cfg_attr(test, ts(type = r#""retry" | "storage_full" | "disk_full" | "name_refused" | "unsafe""#))]
    pub reason: String,
    /// The last error, as the engine words it (for Details).
    pub message: String,
    /// When it first failed (Unix ms).
    pub first_ms: i64,
    /// When it last failed (Unix ms).
    pub last_ms: i64,
    /// How many times in a row it failed.
    pub attempts: u32,
    /// When it is tried again by itself (Unix ms); `None`: when it changes.
    pub next_ms: Option<i64>,
}

/// One task on the overview: is its data safe?
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OverviewTaskDto {
    /// The task.
    pub id: String,
    /// Its name.
    pub name: String,
    /// `copy`, `sync`, `move`, `backup` or `bisync`.
    #[cfg_attr(test, ts(type = r#""copy" | "sync" | "move" | "backup" | "bisync""#))]
    pub kind: String,
    /// Its storage.
    pub storage: String,
    /// Its schedule, if any.
    pub schedule: Option<crate::schedule::ScheduleDto>,
    /// The next scheduled run (Unix ms).
    pub next_run_ms: Option<i64>,
    /// When the schedule was set (Unix ms): with no success yet, the
    /// overview counts "not safe for twice the interval" from here.
    pub schedule_since_ms: Option<i64>,
    /// When its last successful run ended (Unix ms).
    pub last_success_ms: Option<i64>,
    /// Its last run, whatever the outcome.
    pub last_run: Option<RunDto>,
    /// Runs that failed (or were interrupted) since the last success.
    pub failures: u32,
    /// Runs refused since the last success (they did nothing: not failures).
    pub refusals: u32,
    /// Running now.
    pub running: bool,
    /// A two-way sync's open conflicts: not "all safe" while any is open.
    pub conflicts: u32,
    /// A two-way sync's files kept aside after errors: not "all safe"
    /// while any is.
    pub kept_aside: u32,
    /// Paused (its schedule starts nothing).
    pub paused: bool,
    /// A continuous task's watcher in this process.
    pub watch: Option<WatchDto>,
}

/// A run's counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CountersDto {
    pub uploaded: u64,
    pub downloaded: u64,
    pub updated: u64,
    pub retimed: u64,
    pub copied: u64,
    pub deleted: u64,
    pub moved: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub failed: u64,
    pub deduplicated: u64,
    pub bytes: u64,
}

impl From<&fjordsync_engine::events::Counters> for CountersDto {
    fn from(c: &fjordsync_engine::events::Counters) -> Self {
        CountersDto {
            uploaded: c.uploaded,
            downloaded: c.downloaded,
            updated: c.updated,
            retimed: c.retimed,
            copied: c.copied,
            deleted: c.deleted,
            moved: c.moved,
            unchanged: c.unchanged,
            skipped: c.skipped,
            failed: c.failed,
            deduplicated: c.deduplicated,
            bytes: c.bytes,
        }
    }
}

/// One run in the log.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RunDto {
    /// Run id.
    pub id: i64,
    /// `copy`, `sync`, `move`, `undo`, ...
    pub kind: String,
    /// Source as shown.
    pub source: String,
    /// Destination as shown.
    pub destination: String,
    /// Unix milliseconds.
    pub started_ms: i64,
    /// Unix milliseconds; `None` while running.
    pub ended_ms: Option<i64>,
    /// `running`, `ok`, `failed`, `refused`, `cancelled`, `crashed`.
    pub outcome: String,
    /// Counters.
    pub counters: CountersDto,
    /// The run this one retried or undid.
    pub parent: Option<i64>,
    /// Why the run was refused (on the answer to a run; the log does not keep it).
    #[serde(default)]
    pub refusal: Option<RefusalDto>,
    /// What went wrong after the run's work was done, without undoing it
    /// (a backup whose retention failed: the snapshot is saved).
    #[serde(default)]
    pub warning: Option<String>,
    /// Why the run stopped before its end (a full disk or storage: on the
    /// answer to a run; the log keeps the message as the failed file's error).
    #[serde(default)]
    pub stopped: Option<StoppedDto>,
}

/// What stopped a run early and what the user can do about it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StoppedDto {
    /// What happened, naming the file being written.
    pub message: String,
    /// What to do before running the task again.
    pub hint: String,
}

impl From<&fjordsync_engine::transfer::Stopped> for StoppedDto {
    fn from(s: &fjordsync_engine::transfer::Stopped) -> Self {
        StoppedDto { message: s.message(), hint: s.hint().to_string() }
    }
}

impl From<&fjordsync_engine::state::RunRecord> for RunDto {
    fn from(r: &fjordsync_engine::state::RunRecord) -> Self {
        RunDto {
            id: r.id,
            kind: r.kind.to_string(),
            source: r.source.clone(),
            destination: r.destination.clone(),
            started_ms: r.started_ms,
            ended_ms: r.ended_ms,
            outcome: r.outcome.to_string(),
            counters: match &r.backup {
                Some(b) => (&crate::backup::counters_of(b)).into(),
                None => (&r.counters).into(),
            },
            parent: r.parent,
            refusal: None,
            warning: None,
            stopped: None,
        }
    }
}

/// One file row of a run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct FileRowDto {
    /// User path.
    pub path: String,
    /// `upload`, `download`, `delete`, ...
    pub action: String,
    /// Bytes moved.
    pub bytes: u64,
    /// `completed`, `skipped` or `failed` (the engine's file results).
    #[cfg_attr(test, ts(type = r#""completed" | "skipped" | "failed""#))]
    pub result: String,
    /// Why it failed or was skipped.
    pub error: Option<String>,
}

/// A preflight problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ProblemDto {
    pub kind: String,
    pub path: String,
    pub message: String,
}

/// One planned step.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StepDto {
    /// `create`, `update`, `retime`, `delete`, `mkdir`, `rmdir`.
    pub action: String,
    /// User path.
    pub path: String,
    /// Source size (0 for deletes and folders).
    pub bytes: u64,
}

/// What a run would do (a dry run).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PreviewDto {
    /// The plan's counts (flattened: `creates`, `updates`, ... `files`).
    #[serde(flatten)]
    pub totals: fjordsync_engine::events::PlanTotals,
    /// Bytes the upload adds to the account.
    pub quota_bytes: Option<u64>,
    /// The account's free space, when limited.
    pub quota_free: Option<u64>,
    /// What the preflight refuses.
    pub problems: Vec<ProblemDto>,
    /// Why the run would be refused (delete guard or preflight).
    pub refusal: Option<RefusalDto>,
    /// The first steps (at most [`PREVIEW_STEPS`]).
    pub steps: Vec<StepDto>,
    /// Steps not included in `steps`.
    pub more_steps: u64,
    /// Worth knowing, not errors.
    pub notes: Vec<String>,
}

/// The most steps a preview lists.
pub const PREVIEW_STEPS: usize = 500;

/// A refusal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RefusalDto {
    /// In words, with the numbers.
    pub message: String,
    /// How to go ahead anyway.
    pub hint: String,
    /// Files the run would delete.
    #[serde(default)]
    pub deletes: u64,
    /// Files on the destination now.
    #[serde(default)]
    pub destination_files: u64,
    /// True when the delete guard refused and "delete anyway" (running with
    /// the guard's limit lifted) would go ahead; false for a missing source
    /// or preflight problems, which no override fixes.
    #[serde(default)]
    pub overridable: bool,
}

/// Live progress: coalesced from the engine's events so 100,000 files cost
/// about ten messages a second, not one per file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum TaskProgressDto {
    /// The run exists.
    #[serde(rename_all = "camelCase")]
    Started { run: i64 },
    /// Counts and bytes so far.
    #[serde(rename_all = "camelCase")]
    Progress {
        bytes_done: u64,
        bytes_total: u64,
        files_done: u64,
        files_total: u64,
        /// Bytes per second.
        rate: u64,
        /// Seconds left, when known.
        eta: Option<u64>,
        /// Files in flight.
        current: Vec<String>,
        /// Files failed so far.
        failed: u64,
    },
    /// The run ended.
    #[serde(rename_all = "camelCase")]
    Finished { run: i64, outcome: String, duration_ms: u64, counters: CountersDto },
}

/// RFC 3339 text for a time.
pub fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(|t| t.to_string())
}

/// The name a local file would have for a server name.
pub fn display_name(server: &str) -> String {
    String::from_utf8_lossy(&decode_name(server)).into_owned()
}

/// A file row.
pub fn file_entry(f: &FileInfo) -> EntryDto {
    EntryDto {
        name: f.name.clone(),
        display_name: display_name(&f.name),
        folder: false,
        size: Some(f.size),
        md5: Some(f.md5.clone()),
        created: time(f.created),
        modified: time(f.modified),
        uploaded: time(f.updated),
        mime: f.mime.clone(),
        backup: false,
    }
}

/// The full path of a remote path: device, mountpoint, segments.
pub fn full_path(p: &RemotePath) -> Vec<String> {
    let mut v = vec![p.device().to_string(), p.mountpoint().to_string()];
    v.extend(p.segments().iter().cloned());
    v
}

/// The parent of a full path, as names a person reads, joined by " / ".
pub fn place(full: &[String]) -> String {
    let parent = &full[..full.len().saturating_sub(1)];
    parent.iter().map(|s| display_name(s)).collect::<Vec<_>>().join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_run_carries_what_happened_and_what_to_do() {
        use fjordsync_engine::transfer::{Fatal, Stopped};
        let stop = Stopped { cause: Fatal::DiskFull, path: "/home/me/big.iso".into() };
        let v = serde_json::to_value(StoppedDto::from(&stop)).unwrap();
        assert!(v["message"].as_str().unwrap().contains("disk is full"), "{v}");
        assert!(v["message"].as_str().unwrap().contains("/home/me/big.iso"), "{v}");
        assert!(v["hint"].as_str().unwrap().contains("free space"), "{v}");
    }

    #[test]
    fn events_are_tagged_camel_case() {
        let v = serde_json::to_value(AppEvent::StorageChanged { storage: "demo".into() }).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "storageChanged", "storage": "demo"}));
    }

    #[test]
    fn display_names_map_lookalikes_back() {
        assert_eq!(display_name("Notes\u{FF1A} what changed\u{FF1F}.md"), "Notes: what changed?.md");
    }

    #[test]
    fn places_read_like_folders() {
        let full: Vec<String> = ["Jotta", "Archive", "a\u{FF1A} b", "f.txt"].map(String::from).into();
        assert_eq!(place(&full), "Jotta / Archive / a: b");
    }
}
