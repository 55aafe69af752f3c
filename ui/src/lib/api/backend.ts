// The one interface the UI uses to reach the app (GitButler's IBackend).
// Three implementations: tauri.ts (the desktop app), web.ts (the HTTP bridge
// used by browser tests) and mock.ts (unit and component tests).

import type {
  AppEvent,
  Conflict,
  KeptAside,
  Resolution,
  DemoSignIn,
  Entry,
  ExportFormat,
  AppInfo,
  AppStatus,
  CheckResult,
  ForgetResult,
  PruneResult,
  RepoSize,
  RestoreResult,
  Snapshot,
  SnapshotDiff,
  SnapshotEntry,
  OverviewTask,
  Settings,
  Listing,
  Mount,
  MountForm,
  QuitWhen,
  Purge,
  Quota,
  Service,
  FileResult,
  FileRow,
  Preview,
  Revision,
  Run,
  Share,
  Storage,
  Task,
  TaskProgress,
  TrashItem,
  WizardAccount,
} from "./types";
import { ApiError } from "./types";

/** Calls one app command by name with camelCase arguments. */
export type Invoke = (command: string, args?: Record<string, unknown>) => Promise<unknown>;

/** What differs between the desktop window and a browser. */
export interface Platform {
  /** True when pickFolder shows the OS folder dialog (the window); a browser only has a text prompt. */
  readonly canPickFolder: boolean;
  /** Ask for a local folder; null when the user cancels. */
  pickFolder(): Promise<string | null>;
  openUrl(url: string): Promise<void>;
  copyText(text: string): Promise<void>;
  /** Subscribe to app events; returns the unsubscribe function. */
  onEvent(cb: (e: AppEvent) => void): () => void;
  /**
   * Where a task run's progress goes: the desktop app passes a Tauri channel
   * as the `onProgress` argument; the bridge sends `taskProgress` events.
   */
  progress(task: string, cb: (p: TaskProgress) => void): { args: Record<string, unknown>; close(): void };
  /**
   * Saves a run's export: the window asks for a path with the OS save dialog
   * and the app writes it there (`export_run`); a browser downloads the text
   * (`export_run_text`). Resolves with where it went, or null when cancelled.
   */
  exportRun(run: number, format: ExportFormat, call: Invoke): Promise<string | null>;
}

export interface Backend extends Omit<Platform, "exportRun"> {
  /** Saves a run's export (see Platform.exportRun); null when cancelled. */
  exportRun(run: number, format: ExportFormat): Promise<string | null>;
  appInfo(): Promise<AppInfo>;
  useFileStore(): Promise<AppInfo>;
  listStorages(): Promise<Storage[]>;
  listServices(): Promise<Service[]>;
  storageQuota(storage: string): Promise<Quota>;
  removeStorage(storage: string): Promise<void>;
  startDemo(): Promise<Storage>;
  /** Starts the demo server if needed and returns how to sign in to it (creates no storage). */
  demoSignIn(): Promise<DemoSignIn>;
  wizardLoginToken(service: string, loginToken: string, endpoint?: string): Promise<WizardAccount>;
  wizardBrowser(service: string, endpoint?: string): Promise<WizardAccount>;
  /**
   * Username + password (legacy services). Rejects with `otp_required` when
   * the service sent an SMS code: call again with `code`.
   */
  wizardLegacy(service: string, username: string, password: string, code?: string, endpoint?: string): Promise<WizardAccount>;
  wizardCancel(): Promise<void>;
  wizardSave(pendingId: string, name: string, device: string, mountpoint: string, create: boolean): Promise<Storage>;
  reconnectLoginToken(storage: string, loginToken: string): Promise<Storage>;
  reconnectBrowser(storage: string): Promise<Storage>;
  listFolder(storage: string, path: string[]): Promise<Listing>;
  createFolder(storage: string, parent: string[], name: string): Promise<string[]>;
  moveItem(storage: string, path: string[], toParent: string[], newName: string): Promise<string[]>;
  deleteItem(storage: string, path: string[]): Promise<void>;
  download(storage: string, path: string[], folder: string): Promise<string>;
  setShare(storage: string, path: string[], on: boolean): Promise<Share | null>;
  listRevisions(storage: string, path: string[]): Promise<Revision[]>;
  downloadRevision(storage: string, path: string[], number: number, folder: string): Promise<string>;
  restoreRevision(storage: string, path: string[], number: number): Promise<Entry>;
  listTrash(storage: string): Promise<TrashItem[]>;
  restoreTrashItem(storage: string, path: string[]): Promise<void>;
  deleteTrashItem(storage: string, path: string[], folder: boolean): Promise<void>;
  emptyTrash(storage: string): Promise<Purge>;
  listTasks(): Promise<Task[]>;
  /**
   * Creates or replaces a task. With `opts` the app also checks the local
   * folder: missing, it answers `local_missing` unless `createLocal` makes it.
   */
  saveTask(task: Task, opts?: { createLocal?: boolean }): Promise<Task>;
  deleteTask(id: string): Promise<void>;
  previewTask(id: string): Promise<Preview>;
  /** Runs a task to its end, calling `onProgress` meanwhile; resolves with the recorded run. */
  runTask(id: string, onProgress: (p: TaskProgress) => void, opts?: { allowDeletes?: boolean }): Promise<Run>;
  /** A two-way sync task's open conflicts, newest first. */
  listConflicts(id: string): Promise<Conflict[]>;
  /**
   * Resolves a conflict, then runs the task so the storage follows (its
   * progress goes to `onProgress`); resolves with that run. Rejects with
   * `conflict_changed` when a version changed since the conflict was found.
   */
  resolveConflict(id: string, conflict: number, resolution: Resolution, onProgress?: (p: TaskProgress) => void): Promise<Run>;
  /** A two-way sync task's files kept aside after errors, by path. */
  listKeptAside(id: string): Promise<KeptAside[]>;
  /**
   * Takes a two-way sync task's kept-aside files off the list and runs the
   * task, so each is tried again now (its progress goes to `onProgress`);
   * resolves with that run.
   */
  retryKeptAside(id: string, onProgress?: (p: TaskProgress) => void): Promise<Run>;
  cancelTask(id: string): Promise<boolean>;
  runningTasks(): Promise<string[]>;
  listRuns(task: string): Promise<Run[]>;
  runFiles(run: number, result: FileResult | null, text: string): Promise<FileRow[]>;
  undoRun(task: string, run: number, onProgress?: (p: TaskProgress) => void): Promise<Run>;
  retryRun(task: string, run: number, onProgress?: (p: TaskProgress) => void): Promise<Run>;
  getSettings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<Settings>;
  appStatus(): Promise<AppStatus>;
  /** The scheduler starts nothing until resumeAll (running runs finish). */
  pauseAll(): Promise<AppStatus>;
  resumeAll(): Promise<AppStatus>;
  /** Starts every task that is not running; resolves with how many started. */
  syncAllNow(): Promise<number>;
  overview(): Promise<OverviewTask[]>;
  /**
   * Creates the encrypted repository of a new backup task (or, with
   * `create` false, checks the password of an existing one) and saves the task.
   */
  createBackup(task: Task, password: string, create: boolean): Promise<Task>;
  /** Runs a backup task; `password` when it is not kept in the keyring. Rejects with `password_required` or `wrong_password`. */
  runBackup(id: string, password: string | null, onProgress: (p: TaskProgress) => void): Promise<Run>;
  listSnapshots(task: string, password?: string | null): Promise<Snapshot[]>;
  snapshotFolder(task: string, snapshot: string, path: string, password?: string | null): Promise<SnapshotEntry[]>;
  /** What changed from snapshot `from` to snapshot `to`. */
  diffSnapshots(task: string, from: string, to: string, password?: string | null): Promise<SnapshotDiff>;
  /**
   * Restores `path` of a snapshot into `folder`; rejects with `would_overwrite` unless `overwrite`.
   * Progress streams like a run's; `cancelTask(task)` stops it (rejects with `cancelled`).
   */
  restoreSnapshot(
    task: string,
    snapshot: string,
    path: string,
    folder: string,
    overwrite: boolean,
    password: string | null,
    onProgress?: (p: TaskProgress) => void,
  ): Promise<RestoreResult>;
  /**
   * Checks a backup's repository, reading back `readDataPercent` (0–100) of its data; damage rejects with `check_failed`.
   * Progress streams like a restore's; `cancelTask(task)` stops it (rejects with `cancelled`).
   */
  checkBackup(
    task: string,
    readDataPercent: number,
    password: string | null,
    onProgress?: (p: TaskProgress) => void,
  ): Promise<CheckResult>;
  /** Applies the task's retention policy now; `dryRun` only lists what would go. */
  forgetSnapshots(task: string, dryRun: boolean, password?: string | null): Promise<ForgetResult>;
  pruneBackup(task: string, password?: string | null): Promise<PruneResult>;
  /** `password`: the current one when the app does not have it. */
  changeBackupPassword(task: string, password: string | null, newPassword: string): Promise<void>;
  backupSize(task: string, password?: string | null): Promise<RepoSize>;
  /** The mounts, in the order they were made, with what each is doing in this process. */
  listMounts(): Promise<Mount[]>;
  /**
   * Adds a mount (empty `id`; it starts mounted) or changes one. Rejects
   * with `invalid` (the message says why) or `not_found` (no such storage folder).
   */
  saveMount(mount: MountForm): Promise<Mount>;
  /** Removes a mount: it is unmounted, its pending uploads finishing first. */
  deleteMount(id: string): Promise<void>;
  /** Mount (`on`) or Unmount (which uploads what is pending first); kept across restarts. */
  setMounted(id: string, on: boolean): Promise<Mount>;
  /** Opens a mounted folder in the file manager; rejects with `not_mounted`, `open_failed` or `unsupported`. */
  openMount(id: string): Promise<void>;
  /** Files saved in mounted folders and not yet uploaded (what quitting now would leave for later). */
  pendingMountUploads(): Promise<number>;
  /** The answer to `quitRequested`; `unsupported` where the program is not quit from its window. */
  quitApp(when: QuitWhen): Promise<void>;
}

/** The command half of a Backend over any Invoke; errors become ApiError. */
export function createBackend(invoke: Invoke, platform: Platform): Backend {
  const call = async <T>(command: string, args?: Record<string, unknown>): Promise<T> => {
    try {
      return (await invoke(command, args)) as T;
    } catch (e) {
      throw ApiError.from(e);
    }
  };
  // A run, undo, retry, restore or check with its progress going to `onProgress` meanwhile.
  const withProgress = async <T>(
    task: string,
    onProgress: ((p: TaskProgress) => void) | undefined,
    f: (args: Record<string, unknown>) => Promise<T>,
  ): Promise<T> => {
    const p = platform.progress(task, onProgress ?? (() => undefined));
    try {
      return await f(p.args);
    } finally {
      p.close();
    }
  };
  return {
    canPickFolder: platform.canPickFolder,
    pickFolder: () => platform.pickFolder(),
    openUrl: (url) => platform.openUrl(url),
    copyText: (text) => platform.copyText(text),
    onEvent: (cb) => platform.onEvent(cb),
    progress: (task, cb) => platform.progress(task, cb),
    exportRun: (run, format) => platform.exportRun(run, format, (command, args) => call(command, args)),
    appInfo: () => call("app_info"),
    useFileStore: () => call("use_file_store"),
    listStorages: () => call("list_storages"),
    listServices: () => call("list_services"),
    storageQuota: (storage) => call("storage_quota", { storage }),
    removeStorage: (storage) => call("remove_storage", { storage }),
    startDemo: () => call("start_demo"),
    demoSignIn: () => call("demo_sign_in"),
    wizardLoginToken: (service, loginToken, endpoint) =>
      call("wizard_login_token", { service, loginToken, endpoint: endpoint || null }),
    wizardLegacy: (service, username, password, code, endpoint) =>
      call("wizard_legacy", { service, username, password, code: code || null, endpoint: endpoint || null }),
    wizardBrowser: (service, endpoint) => call("wizard_browser", { service, endpoint: endpoint || null }),
    wizardCancel: () => call("wizard_cancel"),
    wizardSave: (pendingId, name, device, mountpoint, create) =>
      call("wizard_save", { pendingId, name, device, mountpoint, create }),
    reconnectLoginToken: (storage, loginToken) => call("reconnect_login_token", { storage, loginToken }),
    reconnectBrowser: (storage) => call("reconnect_browser", { storage }),
    listFolder: (storage, path) => call("list_folder", { storage, path }),
    createFolder: (storage, parent, name) => call("create_folder", { storage, parent, name }),
    moveItem: (storage, path, toParent, newName) => call("move_item", { storage, path, toParent, newName }),
    deleteItem: (storage, path) => call("delete_item", { storage, path }),
    download: (storage, path, folder) => call("download", { storage, path, folder }),
    setShare: (storage, path, on) => call("set_share", { storage, path, on }),
    listRevisions: (storage, path) => call("list_revisions", { storage, path }),
    downloadRevision: (storage, path, number, folder) => call("download_revision", { storage, path, number, folder }),
    restoreRevision: (storage, path, number) => call("restore_revision", { storage, path, number }),
    listTrash: (storage) => call("list_trash", { storage }),
    restoreTrashItem: (storage, path) => call("restore_trash_item", { storage, path }),
    deleteTrashItem: (storage, path, folder) => call("delete_trash_item", { storage, path, folder }),
    emptyTrash: (storage) => call("empty_trash", { storage }),
    listTasks: () => call("list_tasks"),
    saveTask: (task, opts) => call("save_task", opts ? { task, createLocal: opts.createLocal ?? false } : { task }),
    deleteTask: (id) => call("delete_task", { id }),
    previewTask: (id) => call("preview_task", { id }),
    runTask: (id, onProgress, opts) =>
      withProgress(id, onProgress, (args) => call("run_task", { id, allowDeletes: opts?.allowDeletes ?? false, ...args })),
    listConflicts: (id) => call("list_conflicts", { id }),
    resolveConflict: (id, conflict, resolution, onProgress) =>
      withProgress(id, onProgress, (args) => call("resolve_conflict", { id, conflict, resolution, ...args })),
    listKeptAside: (id) => call("list_kept_aside", { id }),
    retryKeptAside: (id, onProgress) => withProgress(id, onProgress, (args) => call("retry_kept_aside", { id, ...args })),
    cancelTask: (id) => call("cancel_task", { id }),
    runningTasks: () => call("running_tasks"),
    listRuns: (task) => call("list_runs", { task }),
    runFiles: (run, result, text) => call("run_files", { run, result, text: text || null }),
    undoRun: (task, run, onProgress) => withProgress(task, onProgress, (args) => call("undo_run", { task, run, ...args })),
    retryRun: (task, run, onProgress) => withProgress(task, onProgress, (args) => call("retry_run", { task, run, ...args })),
    getSettings: () => call("get_settings"),
    saveSettings: (settings) => call("save_settings", { settings }),
    appStatus: () => call("app_status"),
    pauseAll: () => call("pause_all"),
    resumeAll: () => call("resume_all"),
    syncAllNow: () => call("sync_all_now"),
    overview: () => call("overview"),
    createBackup: (task, password, create) => call("create_backup", { task, password, create }),
    runBackup: (id, password, onProgress) =>
      withProgress(id, onProgress, (args) => call("run_backup", { id, password: password || null, ...args })),
    listSnapshots: (task, password) => call("list_snapshots", { task, password: password || null }),
    snapshotFolder: (task, snapshot, path, password) =>
      call("snapshot_folder", { task, snapshot, path, password: password || null }),
    diffSnapshots: (task, from, to, password) => call("diff_snapshots", { task, from, to, password: password || null }),
    restoreSnapshot: (task, snapshot, path, folder, overwrite, password, onProgress) =>
      withProgress(task, onProgress, (args) =>
        call("restore_snapshot", { task, snapshot, path, folder, overwrite, password: password || null, ...args }),
      ),
    checkBackup: (task, readDataPercent, password, onProgress) =>
      withProgress(task, onProgress, (args) => call("check_backup", { task, readDataPercent, password: password || null, ...args })),
    forgetSnapshots: (task, dryRun, password) => call("forget_snapshots", { task, dryRun, password: password || null }),
    pruneBackup: (task, password) => call("prune_backup", { task, password: password || null }),
    changeBackupPassword: (task, password, newPassword) =>
      call("change_backup_password", { task, password: password || null, newPassword }),
    backupSize: (task, password) => call("backup_size", { task, password: password || null }),
    listMounts: () => call("list_mounts"),
    saveMount: (mount) => call("save_mount", { mount }),
    deleteMount: (id) => call("delete_mount", { id }),
    setMounted: (id, on) => call("set_mounted", { id, on }),
    openMount: (id) => call("open_mount", { id }),
    pendingMountUploads: () => call("pending_mount_uploads"),
    quitApp: (when) => call("quit_app", { when }),
  };
}
