// Transport types: mirror crates/api/src/dto.rs (camelCase JSON).

export type SecretKind = "keyring" | "file";

export interface AppInfo {
  version: string;
  secretStore: SecretKind;
  configDir: string;
}

export interface Service {
  key: string;
  name: string;
  loginTokenUrl: string | null;
  /** Still takes the legacy username + password sign-in. */
  legacy: boolean;
}

export interface Storage {
  name: string;
  service: string;
  serviceName: string;
  signIn: "standard" | "traditional" | "legacy";
  device: string;
  mountpoint: string;
  username: string | null;
  demo: boolean;
}

export interface Mountpoint {
  name: string;
  size: number | null;
}

export interface Device {
  name: string;
  size: number | null;
  mountpoints: Mountpoint[];
}

export interface Quota {
  used: number;
  total: number | null;
  writeLocked: boolean;
  readLocked: boolean;
  devices: Device[];
}

export interface WizardAccount {
  pendingId: string;
  username: string;
  devices: Device[];
}

export interface Entry {
  name: string;
  displayName: string;
  folder: boolean;
  size: number | null;
  md5: string | null;
  created: string | null;
  modified: string | null;
  uploaded: string | null;
  mime: string | null;
}

export interface Listing {
  path: string[];
  entries: Entry[];
}

/** One version (revision) of a file. */
export interface Revision {
  number: number;
  current: boolean;
  /** completed, incomplete, corrupt, ... */
  state: string;
  size: number | null;
  md5: string | null;
  created: string | null;
  modified: string | null;
  uploaded: string | null;
}

export interface Share {
  url: string;
}

export interface TrashItem {
  path: string[] | null;
  /** Where it came from, for people ("Jotta / Archive / a: b"). */
  place: string | null;
  displayName: string;
  folder: boolean;
  size: number | null;
  deleted: string | null;
}

export interface Purge {
  folders: number;
  files: number;
}

export type TaskKind = "copy" | "sync" | "move" | "backup";
export type Direction = "upload" | "download";

/** A saved task: one local folder and one folder of a storage. */
export interface Task {
  /** The engine's task id as a string ("3", what `fjordsync task run 3` takes); empty when creating. */
  id: string;
  name: string;
  kind: TaskKind;
  direction: Direction;
  local: string;
  storage: string;
  /** "/"-separated path below the storage's device folder; "" for its top. */
  remote: string;
  include: string[];
  exclude: string[];
  lastRun: Run | null;
  /** Runs by itself on this schedule (null: only by hand). */
  schedule?: Schedule | null;
  /** When the schedule was set (Unix ms); kept by the app. */
  scheduleSinceMs?: number | null;
  /** The next scheduled run (Unix ms), filled in by list_tasks. */
  nextRunMs?: number | null;
  /** For backup tasks: folders, repository, retention. */
  backup?: BackupSpec | null;
  /** Keep no old versions in the storage: a file about to be replaced is deleted for good first. */
  noVersions?: boolean;
  /** Paused with `fjordsync task pause`: its schedule starts nothing; kept when saved. */
  paused?: boolean;
}

/** Keep rules applied after each backup (restic's forget --keep-*); null or 0: not used. */
export interface Retention {
  keepLast?: number | null;
  keepHourly?: number | null;
  keepDaily?: number | null;
  keepWeekly?: number | null;
  keepMonthly?: number | null;
  keepYearly?: number | null;
}

/** What a backup task backs up and where its repository is. */
export interface BackupSpec {
  /** Full paths of the folders to back up. */
  folders: string[];
  /** A local folder for the repository; null: the task's storage and `remote` path. */
  repoLocal: string | null;
  retention: Retention;
  /** The password is in the OS keyring (false: asked for). */
  rememberPassword: boolean;
  /** Only files at least / at most this many bytes (with the task's include and exclude globs). */
  minSize?: number | null;
  maxSize?: number | null;
  /** Only files last modified at least / at most this many seconds ago. */
  minAgeSecs?: number | null;
  maxAgeSecs?: number | null;
}

export interface Snapshot {
  id: string;
  shortId: string;
  timeMs: number;
  host: string;
  paths: string[];
  files: number | null;
  size: number | null;
}

export interface SnapshotEntry {
  /** Full path inside the snapshot. */
  path: string;
  name: string;
  folder: boolean;
  size: number;
  modified: string | null;
}

/** One path that differs between two snapshots. */
export interface DiffLine {
  change: "added" | "removed" | "modified";
  /** Full path inside the snapshots. */
  path: string;
  folder: boolean;
}

/** What changed from one snapshot to another: counts and the first changes in path order. */
export interface SnapshotDiff {
  added: number;
  removed: number;
  modified: number;
  items: DiffLine[];
}

/** What a repository check found (damage rejects with `check_failed`). */
export interface CheckResult {
  readDataPercent: number;
  warnings: string[];
}

export interface PruneResult {
  packsRemoved: number;
  packsRepacked: number;
  packsKept: number;
  bytesRemoved: number;
}

/** What "forget now" removed, or would remove (`dryRun`). Newest first. */
export interface ForgetResult {
  dryRun: boolean;
  removed: Snapshot[];
  kept: { snapshot: Snapshot; reasons: string[] }[];
  prune: PruneResult | null;
}

/** What a repository stores, and what its versions hold. */
export interface RepoSize {
  bytes: number;
  files: number;
  packBytes: number;
  snapshots: number;
  snapshotBytes: number;
  /** snapshotBytes per stored data byte; null with no data yet. */
  dedupRatio: number | null;
}

export interface RestoreResult {
  target: string;
  filesRestored: number;
  filesUnchanged: number;
  filesReplaced: number;
  bytes: number;
}

/** Every N hours after the last run, or daily at HH:MM local time. */
export type Schedule = { type: "hourly"; hours: number } | { type: "daily"; time: string };

export type Theme = "system" | "light" | "dark";

export interface Settings {
  /** Parallel file transfers per run, 1 to 16. */
  transfers: number;
  /** KiB/s per run; 0 for no limit. */
  bandwidthKib: number;
  startAtLogin: boolean;
  theme: Theme;
  /** Runs older than this leave the log; 0 keeps all. */
  logRetentionDays: number;
  notifications: boolean;
  /** A dictionary's code (lib/i18n LOCALES); "" follows the system. */
  language: "" | "en" | "nb" | "sv" | "da" | "fi";
  /** Pause all (changed only by pauseAll / resumeAll). */
  paused: boolean;
}

export interface AppStatus {
  paused: boolean;
  running: string[];
  /** Another program runs the schedules (the daemon while the app is open); null: this one, or nobody. */
  scheduledBy?: string | null;
}

/** One task on the overview. */
export interface OverviewTask {
  id: string;
  name: string;
  kind: TaskKind;
  storage: string;
  schedule: Schedule | null;
  nextRunMs: number | null;
  /** When the schedule was set (Unix ms). */
  scheduleSinceMs: number | null;
  /** When the last successful run ended (Unix ms). */
  lastSuccessMs: number | null;
  lastRun: Run | null;
  /** Failed or interrupted runs since the last success. */
  failures: number;
  /** Refused runs since the last success (they changed nothing; older apps do not send it). */
  refusals?: number;
  running: boolean;
}

export interface Counters {
  uploaded: number;
  downloaded: number;
  updated: number;
  retimed: number;
  copied: number;
  deleted: number;
  moved: number;
  unchanged: number;
  skipped: number;
  failed: number;
  deduplicated: number;
  bytes: number;
}

export interface Run {
  id: number;
  kind: string;
  source: string;
  destination: string;
  startedMs: number;
  endedMs: number | null;
  /** running, ok, failed, refused, cancelled, crashed */
  outcome: string;
  counters: Counters;
  parent: number | null;
  /** Why the run was refused (on the answer to a run; runs in the log have none). */
  refusal?: Refusal | null;
  /** What failed after the run's work was done (a backup's retention: the snapshot is saved). */
  warning?: string | null;
  /** Why the run stopped before its end (a full disk or storage), and what to do. */
  stopped?: { message: string; hint: string } | null;
}

/** Why a run is (or would be) refused. */
export interface Refusal {
  message: string;
  hint: string;
  /** Files the run would delete. */
  deletes: number;
  /** Files on the destination now. */
  destinationFiles: number;
  /** The delete guard refused: "Delete anyway" (the limit lifted) would go ahead. */
  overridable: boolean;
}

export type ExportFormat = "csv" | "json";

export type FileResult = "completed" | "skipped" | "failed";

export interface FileRow {
  path: string;
  action: string;
  bytes: number;
  result: FileResult;
  error: string | null;
}

export interface Problem {
  kind: string;
  path: string;
  message: string;
}

export interface Preview {
  creates: number;
  updates: number;
  retimes: number;
  deletes: number;
  mkdirs: number;
  unchanged: number;
  bytes: number;
  files: number;
  quotaBytes: number | null;
  quotaFree: number | null;
  problems: Problem[];
  refusal: Refusal | null;
  steps: { action: string; path: string; bytes: number }[];
  moreSteps: number;
  notes: string[];
}

export type TaskProgress =
  | { type: "started"; run: number }
  | {
      type: "progress";
      bytesDone: number;
      bytesTotal: number;
      filesDone: number;
      filesTotal: number;
      rate: number;
      eta: number | null;
      current: string[];
      failed: number;
    }
  | { type: "finished"; run: number; outcome: string; durationMs: number; counters: Counters };

export type AppEvent =
  | { kind: "storagesChanged" }
  | { kind: "storageChanged"; storage: string }
  | { kind: "signInUrl"; url: string }
  | { kind: "taskProgress"; task: string; progress: TaskProgress }
  | { kind: "taskStarted"; task: string }
  | { kind: "taskFinished"; task: string; name: string; run: Run | null; error: string | null }
  | { kind: "statusChanged"; paused: boolean }
  | { kind: "settingsChanged" };

/** The `{code, message}` error every command rejects with. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "ApiError";
  }

  /** Anything thrown by a backend, as an ApiError. */
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
      return new ApiError(String(e.code), String(e.message));
    }
    return new ApiError("internal", e instanceof Error ? e.message : String(e));
  }
}
