// An in-memory backend for unit and component tests: a tiny model of
// storages, folders, files and a trash, answering the same commands with the
// same error codes. Never used by the app itself.

import { createBackend, type Backend } from "./backend";
import { nextDaily } from "../schedule";
import {
  type Conflict,
  type KeptAside,
  ApiError,
  type AppEvent,
  type AppInfo,
  type AppStatus,
  type CheckResult,
  type Counters,
  type Entry,
  type FileRow,
  type ForgetResult,
  type Listing,
  type Mount,
  type MountStatus,
  type OverviewTask,
  type PruneResult,
  type Purge,
  type Quota,
  type RepoSize,
  type RestoreResult,
  type Revision,
  type Service,
  type Settings,
  type Share,
  type Snapshot,
  type SnapshotDiff,
  type SnapshotEntry,
  type Preview,
  type Run,
  type Storage,
  type Task,
  type TaskProgress,
  type TrashItem,
  type WizardAccount,
} from "./types";

interface Node {
  entry: Entry;
  children?: Map<string, Node>;
}

export interface MockOptions {
  storages?: Storage[];
  /** Files to create, as "a/b/c.txt" paths, in every storage. */
  files?: string[];
  /** Make the secret store fail like a machine without a keyring. */
  keyringMissing?: boolean;
  /** Storages whose sign-in ended (listings fail with reconnect_needed). */
  signedOut?: string[];
  /** Saved tasks at start. */
  tasks?: Task[];
  /** Make previews show the delete guard refusing. */
  refuseDeletes?: boolean;
  /** backup_size's deduplication ratio (else what the versions and packs give). */
  dedupRatio?: number;
  /** Local folders that do not exist (save_task with createLocal: false answers local_missing). */
  missingLocal?: string[];
  /** run_task stops as the engine does when the disk fills up. */
  diskFull?: boolean;
  /** Another program runs the schedules (appStatus().scheduledBy). */
  scheduledBy?: string;
  /** Keep run_task and check_backup pending until cancel_task (to test progress and cancel). */
  holdRuns?: boolean;
  /** Open conflicts of two-way sync tasks, by task id. */
  conflicts?: Record<string, Conflict[]>;
  /** run_task finishes with everything done (else: one file failed, one skipped). */
  cleanRuns?: boolean;
  /** Files of two-way sync tasks kept aside after errors, by task id. */
  keptAside?: Record<string, KeptAside[]>;
  /** retry_kept_aside leaves these paths listed (they fail again, from now). */
  failAgain?: string[];
  /** Conflicts whose versions changed since (resolve_conflict answers conflict_changed). */
  changedConflicts?: number[];
  /** Like the window (OS folder dialog), or like a browser (false). */
  canPickFolder?: boolean;
  /** Stored settings at start. */
  settings?: Partial<Settings>;
  /** The wizard's sign-ins fail as they do without a network (code `offline`). */
  offline?: boolean;
  /** No browser can be opened: wizard_browser announces the link, reports the failure and keeps waiting. */
  browserFails?: boolean;
  /** Saved mounts at start (as list_mounts answers). */
  mounts?: Mount[];
  /** open_mount fails as when no file manager can be started (`open_failed`). */
  openFails?: boolean;
  /** quit_app is refused as in the daemon and a browser (`unsupported`). */
  quitUnsupported?: boolean;
}

/** The mock's demo sign-in details (the wizard's "Demo storage" choice). */
export const demoSignIn = {
  endpoint: "http://127.0.0.1:38479",
  loginToken: "good-token",
  username: "demo-user-4f2a",
  email: "demo@fjordsync.test",
  password: "demo-pass-91",
};

/** A sign-in link as long as the real service's (about 300 characters). */
export const longSignInUrl =
  "https://id.jottacloud.com/auth/realms/jottacloud/protocol/openid-connect/auth?response_type=code&client_id=jottacli&redirect_uri=http%3A%2F%2F127.0.0.1%3A43111%2Fcallback&scope=openid%20offline_access&state=Zk9yZFN5bmNTdGF0ZTEyMzQ1Njc4OTA&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

export const defaultSettings: Settings = {
  transfers: 4,
  bandwidthKib: 0,
  startAtLogin: false,
  theme: "system",
  logRetentionDays: 90,
  notifications: true,
  language: "",
  paused: false,
};

/**
 * What the app answers each command with (the generated DTO types), so the
 * mock cannot answer with a shape the app never sends.
 */
interface Answers {
  create_backup: Task;
  run_backup: Run;
  list_snapshots: Snapshot[];
  diff_snapshots: SnapshotDiff;
  snapshot_folder: SnapshotEntry[];
  restore_snapshot: RestoreResult;
  check_backup: CheckResult;
  forget_snapshots: ForgetResult;
  prune_backup: PruneResult;
  backup_size: RepoSize;
  list_tasks: Task[];
  get_settings: Settings;
  save_settings: Settings;
  app_status: AppStatus;
  pause_all: AppStatus;
  resume_all: AppStatus;
  overview: OverviewTask[];
  save_task: Task;
  preview_task: Preview;
  run_task: Run;
  list_runs: Run[];
  run_files: FileRow[];
  undo_run: Run;
  retry_run: Run;
  app_info: AppInfo;
  use_file_store: AppInfo;
  list_storages: Storage[];
  list_services: Service[];
  storage_quota: Quota;
  start_demo: Storage;
  wizard_login_token: WizardAccount;
  wizard_legacy: WizardAccount;
  wizard_save: Storage;
  reconnect_login_token: Storage;
  list_folder: Listing;
  list_revisions: Revision[];
  restore_revision: Entry;
  set_share: Share | null;
  list_trash: TrashItem[];
  empty_trash: Purge;
  list_mounts: Mount[];
  save_mount: Mount;
  set_mounted: Mount;
  pending_mount_uploads: number;
}

type Handler<T> = (a: Record<string, unknown>) => T | Promise<T>;
type Handlers = { [C in keyof Answers]: Handler<Answers[C]> } & Record<string, Handler<unknown>>;

export interface MockBackend extends Backend {
  /** Calls made, for assertions. */
  calls: { command: string; args: Record<string, unknown> }[];
  emit(e: AppEvent): void;
}

const folder = (name: string): Node => ({
  entry: { name, displayName: name, folder: true, size: null, md5: null, created: null, modified: null, uploaded: null, mime: null, backup: false },
  children: new Map(),
});

const file = (name: string, size = 10): Node => ({
  entry: {
    name,
    displayName: name,
    folder: false,
    size,
    md5: "0123456789abcdef0123456789abcdef",
    created: "2026-01-02T03:04:05Z",
    modified: "2026-01-02T03:04:05Z",
    uploaded: "2026-01-03T00:00:00Z",
    mime: "text/plain",
    backup: false,
  },
});

/** Sample files for the demo storage: ordinary folders and an encrypted backup (restic's layout). */
export const demoFiles = [
  "Photos/2025/a.jpg",
  "notes.txt",
  "Backups/laptop/config",
  "Backups/laptop/keys/0f3c",
  "Backups/laptop/data/00/00a1",
  "Backups/laptop/index/9b2e",
  "Backups/laptop/snapshots/41d7",
];

/** True for a folder laid out as a restic repository: a `config` file and a `keys` folder. */
const isRepository = (n: Node): boolean =>
  n.children?.get("config")?.entry.folder === false && n.children?.get("keys")?.entry.folder === true;

export const demoStorage: Storage = {
  name: "demo",
  service: "jottacloud",
  serviceName: "Jottacloud",
  signIn: "standard",
  device: "Jotta",
  mountpoint: "Archive",
  username: "demo-user",
  demo: true,
};

export const zeroCounters: Counters = {
  uploaded: 0,
  downloaded: 0,
  updated: 0,
  retimed: 0,
  copied: 0,
  deleted: 0,
  moved: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  deduplicated: 0,
  bytes: 0,
};

export function mockBackend(opts: MockOptions = {}): MockBackend {
  let tasks: Task[] = structuredClone(opts.tasks ?? []);
  const conflicts: Record<string, Conflict[]> = structuredClone(opts.conflicts ?? {});
  const openConflicts = (id: string): number => conflicts[id]?.length ?? 0;
  const keptAside: Record<string, KeptAside[]> = structuredClone(opts.keptAside ?? {});
  const asideCount = (id: string): number => keptAside[id]?.length ?? 0;
  const runs: (Run & { task: string })[] = [];
  const files = new Map<number, FileRow[]>();
  const progressCbs = new Map<string, (p: TaskProgress) => void>();
  const holds = new Map<string, () => void>();
  // Backups: passwords per task, repositories opened this session, snapshots, restored paths.
  const backupPasswords = new Map<string, string>();
  const opened = new Set<string>();
  const snapshots: Snapshot[] = [];
  const restored = new Set<string>();
  const unlock = (task: string, password: unknown) => {
    if (password) {
      if (backupPasswords.get(task) !== password) throw new ApiError("wrong_password", "wrong password for the repository");
      opened.add(task);
    }
    if (!opened.has(task)) throw new ApiError("password_required", "enter the password of the backup");
  };
  const findTask = (id: unknown): Task => {
    const t = tasks.find((x) => x.id === id);
    if (!t) throw new ApiError("not_found", `no task "${String(id)}"`);
    return t;
  };
  const record = (task: Task, kind: string, outcome: string, counters: Counters, parent: number | null, rows: FileRow[]): Run => {
    const run = {
      id: runs.length + 1,
      kind,
      source: task.direction === "upload" ? task.local : `${task.storage}:${task.remote}`,
      destination: task.direction === "upload" ? `${task.storage}:${task.remote}` : task.local,
      startedMs: Date.now() - 1500,
      endedMs: Date.now(),
      outcome,
      counters,
      parent,
      refusal: null,
      warning: null,
      stopped: null,
    };
    runs.push({ ...run, task: task.id });
    files.set(run.id, rows);
    // An undo or a retry is not the task's last run (as in the app).
    if (kind !== "undo" && parent === null) task.lastRun = run;
    return run;
  };
  let storages = [...(opts.storages ?? [])];
  const missingLocal = new Set(opts.missingLocal ?? []);
  let keyringMissing = opts.keyringMissing ?? false;
  const roots = new Map<string, Node>();
  // Files' current revision numbers (2 unless a restore added one).
  const revisions = new Map<Node, number>();
  const trash = new Map<string, { item: TrashItem; node: Node; parent: string[] }[]>();
  const listeners = new Set<(e: AppEvent) => void>();
  const calls: MockBackend["calls"] = [];
  const signedOut = new Set(opts.signedOut ?? []);
  const emit = (e: AppEvent) => listeners.forEach((cb) => cb(e));

  const rootOf = (storage: string): Node => {
    if (!storages.some((s) => s.name === storage)) throw new ApiError("not_found", `no storage ${storage}`);
    let r = roots.get(storage);
    if (!r) {
      r = folder("");
      for (const p of opts.files ?? []) {
        const segs = p.split("/");
        let n = r;
        segs.forEach((s, i) => {
          const last = i === segs.length - 1;
          let c = n.children!.get(s);
          if (!c) {
            c = last ? file(s) : folder(s);
            n.children!.set(s, c);
          }
          n = c;
        });
      }
      roots.set(storage, r);
    }
    return r;
  };
  const walk = (storage: string, path: string[]): Node => {
    let n = rootOf(storage);
    for (const s of path) {
      const c = n.children?.get(s);
      if (!c) throw new ApiError("not_found", `not found: ${path.join("/")}`);
      n = c;
    }
    return n;
  };

  const refusal = {
    message: "refusing to delete 3 of 4 destination files (75%): more than half of the destination",
    hint: "if this is intended, check the preview, then choose “Delete anyway”",
    deletes: 3,
    destinationFiles: 4,
    overridable: true,
  };
  const exportText = (run: number, format: unknown): string => {
    const r = runs.find((x) => x.id === run);
    if (!r) throw new ApiError("not_found", `no run ${run}`);
    const rows = files.get(run) ?? [];
    if (format === "json") return JSON.stringify({ run: r, files: rows });
    return ["path,action,bytes,result,error", ...rows.map((f) => [f.path, f.action, f.bytes, f.result, f.error ?? ""].join(","))].join("\r\n");
  };

  let settings: Settings = { ...defaultSettings, ...opts.settings };
  const nextRun = (t: Task): number | null => {
    const s = t.schedule;
    if (!s) return null;
    const anchor = Math.max(t.scheduleSinceMs ?? 0, t.lastRun?.startedMs ?? 0);
    if (s.type === "minutes") return anchor + s.minutes * 60_000;
    // A continuous task is watched, never due by the clock.
    if (s.type === "continuous") return null;
    return s.type === "hourly" ? anchor + s.hours * 3_600_000 : nextDaily(s.time, new Date(anchor)).getTime();
  };
  // Mounts: a saved or mounted one is "mounted" at once (the app's take a moment;
  // tests drive the other states with `emit({ kind: "mountChanged", … })`).
  let mounts: Mount[] = structuredClone(opts.mounts ?? []);
  let mountIds = mounts.reduce((n, m) => Math.max(n, Number(m.id) || 0), 100);
  const findMount = (id: unknown): Mount => {
    const m = mounts.find((x) => x.id === id);
    if (!m) throw new ApiError("not_found", `no mount with id ${String(id)}`);
    return m;
  };
  const putUp = (m: Mount, on: boolean): void => {
    m.mounted = on;
    const dav = m.access.via === "fileManager" ? `http://127.0.0.1:${m.access.port ?? 41234}/` : null;
    const st: MountStatus = {
      state: on ? "mounted" : "stopped",
      location: !on ? null : m.access.via === "folder" ? { via: "folder", path: m.access.mountpoint } : { via: "webDav", url: dav! },
      cachedBytes: m.status?.cachedBytes ?? 0,
      pendingUploads: on ? (m.status?.pendingUploads ?? 0) : 0,
      failedUploads: 0,
      problem: null,
      retryAtMs: null,
    };
    m.status = st;
    m.webdav = on && dav ? { url: dav, user: "fjordsync", pass: `mock-pass-${m.id}` } : null;
    emit({ kind: "mountChanged", mount: m.id, status: structuredClone(st) });
  };
  const status = () => ({ paused: settings.paused, running: [...holds.keys()], scheduledBy: opts.scheduledBy ?? null });

  const handlers: Handlers = {
    export_run_text: (a) => exportText(Number(a.run), a.format),
    export_run: (a) => {
      exportText(Number(a.run), a.format);
      return String(a.path);
    },
    create_backup: (a) => {
      const t = structuredClone(a.task) as Task;
      if (!a.password) throw new ApiError("invalid", "give the repository a password");
      if (!t.backup?.folders.length) throw new ApiError("invalid", "choose at least one folder to back up");
      t.kind = "backup";
      t.direction = "upload";
      t.id = String(tasks.length + 1);
      t.lastRun = null;
      t.scheduleSinceMs = t.schedule ? Date.now() : null;
      tasks.push(t);
      backupPasswords.set(t.id, String(a.password));
      if (!t.backup.rememberPassword) opened.delete(t.id);
      else opened.add(t.id);
      return { ...t, nextRunMs: nextRun(t) };
    },
    run_backup: (a) => {
      const t = findTask(a.id);
      unlock(t.id, a.password);
      const cb = progressCbs.get(t.id);
      cb?.({ type: "started", run: runs.length + 1 });
      cb?.({ type: "progress", bytesDone: 512, bytesTotal: 1024, filesDone: 0, filesTotal: 0, rate: 512, eta: 1, current: ["backing up"], failed: 0 });
      const counters = { ...zeroCounters, uploaded: 2, unchanged: 1, bytes: 1024 };
      const run = record(t, "backup", "ok", counters, null, []);
      snapshots.unshift({
        id: `5a${String(snapshots.length).padStart(6, "0")}`.padEnd(64, "f"),
        shortId: `5a${String(snapshots.length).padStart(6, "0")}`,
        timeMs: Date.now(),
        host: "mock-host",
        paths: t.backup?.folders ?? [],
        files: 3,
        size: 3072,
      });
      cb?.({ type: "finished", run: run.id, outcome: "ok", durationMs: 10, counters });
      return run;
    },
    list_snapshots: (a) => {
      unlock(String(a.task), a.password);
      return structuredClone(snapshots);
    },
    diff_snapshots: (a) => {
      unlock(String(a.task), a.password);
      if (![a.from, a.to].every((id) => snapshots.some((s) => s.id === id))) {
        throw new ApiError("not_found", "no such snapshot");
      }
      return {
        added: 1,
        removed: 0,
        modified: 1,
        items: [
          { change: "modified", path: "/home/a.txt", folder: false },
          { change: "added", path: "/home/new.txt", folder: false },
        ],
      };
    },
    snapshot_folder: (a) => {
      unlock(String(a.task), a.password);
      const path = String(a.path).replace(/\/+$/, "");
      if (path === "" || path === "/") return [{ path: "/home", name: "home", folder: true, size: 0, modified: null }];
      return [
        { path: `${path}/sub`, name: "sub", folder: true, size: 0, modified: null },
        { path: `${path}/a.txt`, name: "a.txt", folder: false, size: 12, modified: "2026-01-02T03:04:05Z" },
      ];
    },
    restore_snapshot: (a) => {
      unlock(String(a.task), a.password);
      progressCbs.get(String(a.task))?.({
        type: "progress",
        bytesDone: 6,
        bytesTotal: 12,
        filesDone: 0,
        filesTotal: 0,
        rate: 6,
        eta: 1,
        current: ["restoring file contents"],
        failed: 0,
      });
      const name = String(a.path).split("/").pop() ?? "";
      const target = `${String(a.folder)}/${name}`;
      if (restored.has(target) && !a.overwrite) throw new ApiError("would_overwrite", "restoring would overwrite 1 existing file(s) in the target folder");
      restored.add(target);
      return { target, filesRestored: 1, filesUnchanged: 0, filesReplaced: a.overwrite ? 1 : 0, bytes: 12 };
    },
    check_backup: async (a) => {
      const task = String(a.task);
      unlock(task, a.password);
      const share = Number(a.readDataPercent);
      if (!(share >= 0 && share <= 100)) throw new ApiError("invalid", `read-data share ${share} is not 0..100 percent`);
      progressCbs.get(task)?.({
        type: "progress",
        bytesDone: 1024,
        bytesTotal: 4096,
        filesDone: 0,
        filesTotal: 0,
        rate: 1024,
        eta: 3,
        current: ["reading pack data"],
        failed: 0,
      });
      // Held like a run: Stop (cancel_task) ends it as the app does.
      if (opts.holdRuns) {
        await new Promise<void>((resolve) => holds.set(task, resolve));
        throw new ApiError("cancelled", "cancelled");
      }
      return { readDataPercent: share, warnings: [] };
    },
    forget_snapshots: (a) => {
      const t = findTask(a.task);
      unlock(t.id, a.password);
      const keep = t.backup?.retention.keepLast ?? 0;
      if (!keep) throw new ApiError("invalid", "this backup keeps every version: choose versions to keep first");
      const removed = snapshots.slice(keep);
      const kept = snapshots.slice(0, keep).map((snapshot) => ({ snapshot, reasons: ["last"] }));
      if (!a.dryRun) snapshots.splice(keep);
      const prune = a.dryRun ? null : { packsRemoved: removed.length, packsRepacked: 0, packsKept: kept.length, bytesRemoved: 1024 * removed.length };
      return structuredClone({ dryRun: Boolean(a.dryRun), removed, kept, prune });
    },
    prune_backup: (a) => {
      unlock(String(a.task), a.password);
      return { packsRemoved: 0, packsRepacked: 0, packsKept: snapshots.length, bytesRemoved: 0 };
    },
    change_backup_password: (a) => {
      unlock(String(a.task), a.password);
      if (!a.newPassword) throw new ApiError("invalid", "give the repository a new password");
      backupPasswords.set(String(a.task), String(a.newPassword));
      return null;
    },
    backup_size: (a) => {
      unlock(String(a.task), a.password);
      const snapshotBytes = snapshots.reduce((n, s) => n + (s.size ?? 0), 0);
      const packBytes = snapshots.length ? 1024 : 0;
      return { bytes: packBytes + 200, files: snapshots.length + 3, packBytes, snapshots: snapshots.length, snapshotBytes, dedupRatio: packBytes ? (opts.dedupRatio ?? snapshotBytes / packBytes) : null };
    },
    list_tasks: () =>
      structuredClone(tasks).map((t) => ({ ...t, nextRunMs: nextRun(t), conflicts: openConflicts(t.id), keptAside: asideCount(t.id) })),
    list_kept_aside: (a): KeptAside[] => structuredClone(keptAside[String(a.id)] ?? []),
    retry_kept_aside: (a): Run => {
      const t = findTask(a.id);
      if (t.kind !== "bisync") throw new ApiError("invalid", `"${t.name}" is not a two-way sync task: it keeps nothing aside`);
      const list = keptAside[t.id] ?? [];
      const again = list.filter((k) => opts.failAgain?.includes(k.path)).map((k) => ({ ...k, attempts: 1, firstMs: Date.now(), lastMs: Date.now() }));
      keptAside[t.id] = again;
      return record(t, t.kind, "ok", { ...zeroCounters, uploaded: list.length - again.length, skipped: again.length }, null, []);
    },
    list_conflicts: (a): Conflict[] => structuredClone(conflicts[String(a.id)] ?? []),
    resolve_conflict: (a): Run => {
      const t = findTask(a.id);
      const list = conflicts[t.id] ?? [];
      if (!list.some((c) => c.id === a.conflict)) throw new ApiError("not_found", `no open conflict ${String(a.conflict)}`);
      if (opts.changedConflicts?.includes(Number(a.conflict))) {
        throw new ApiError("conflict_changed", "a.txt changed since the conflict was found; sync first, then resolve what is left");
      }
      conflicts[t.id] = list.filter((c) => c.id !== a.conflict);
      return record(t, t.kind, "ok", { ...zeroCounters, uploaded: 1 }, null, []);
    },
    get_settings: () => ({ ...settings }),
    save_settings: (a) => {
      const s = a.settings as Settings;
      if (s.transfers < 1 || s.transfers > 16) throw new ApiError("invalid", "parallel transfers must be 1 to 16");
      settings = { ...s, paused: settings.paused };
      emit({ kind: "settingsChanged" });
      return { ...settings };
    },
    app_status: status,
    pause_all: () => {
      settings.paused = true;
      emit({ kind: "statusChanged", paused: true });
      return status();
    },
    resume_all: () => {
      settings.paused = false;
      emit({ kind: "statusChanged", paused: false });
      return status();
    },
    sync_all_now: () => tasks.length,
    overview: (): OverviewTask[] =>
      tasks.map((t) => {
        const mine = runs.filter((r) => r.task === t.id && r.kind !== "undo" && r.parent === null).reverse();
        const okIdx = mine.findIndex((r) => r.outcome === "ok");
        const ok = okIdx >= 0 ? mine[okIdx] : undefined;
        const before = okIdx >= 0 ? mine.slice(0, okIdx) : mine;
        return {
          id: t.id,
          name: t.name,
          kind: t.kind,
          storage: t.storage,
          schedule: t.schedule ?? null,
          nextRunMs: nextRun(t),
          scheduleSinceMs: t.scheduleSinceMs ?? null,
          lastSuccessMs: ok ? (ok.endedMs ?? ok.startedMs) : null,
          lastRun: t.lastRun,
          failures: before.filter((r) => ["failed", "crashed", "interrupted"].includes(r.outcome)).length,
          refusals: before.filter((r) => r.outcome === "refused").length,
          running: holds.has(t.id),
          conflicts: openConflicts(t.id),
          keptAside: asideCount(t.id),
          paused: t.paused,
          watch: t.watch ?? null,
        };
      }),
    save_task: (a) => {
      const t = structuredClone(a.task) as Task;
      if (!t.name.trim()) throw new ApiError("invalid", "give the task a name");
      const old = tasks.find((x) => x.id === t.id);
      t.scheduleSinceMs = t.schedule
        ? JSON.stringify(t.schedule) === JSON.stringify(old?.schedule ?? null)
          ? (old?.scheduleSinceMs ?? Date.now())
          : Date.now()
        : null;
      if (t.kind !== "backup" && !t.local.startsWith("/")) throw new ApiError("invalid", "the local folder must be a full path");
      if (a.createLocal !== undefined && t.kind !== "backup" && t.direction === "upload" && missingLocal.has(t.local)) {
        if (!a.createLocal) throw new ApiError("local_missing", `the folder ${t.local} does not exist`);
        missingLocal.delete(t.local);
      }
      if (!t.id) {
        t.id = String(tasks.length + 1);
        t.lastRun = null;
        tasks.push(t);
      } else {
        tasks = tasks.map((x) => (x.id === t.id ? { ...t, lastRun: x.lastRun } : x));
      }
      return { ...t, nextRunMs: nextRun(t) };
    },
    delete_task: (a) => {
      findTask(a.id);
      tasks = tasks.filter((x) => x.id !== a.id);
    },
    preview_task: (a): Preview => {
      const t = findTask(a.id);
      return {
        creates: 2,
        updates: 1,
        retimes: 0,
        deletes: t.kind === "sync" ? 3 : 0,
        mkdirs: 1,
        unchanged: 4,
        bytes: 3072,
        files: 3,
        quotaBytes: 3072,
        quotaFree: null,
        problems: [],
        refusal: opts.refuseDeletes ? refusal : null,
        steps: [
          { action: "mkdir", path: "new", bytes: 0 },
          { action: "create", path: "new/a.txt", bytes: 1024 },
          { action: "update", path: "b.txt", bytes: 2048 },
        ],
        moreSteps: 0,
        notes: [],
      };
    },
    run_task: async (a) => {
      const t = findTask(a.id);
      const cb = progressCbs.get(t.id);
      cb?.({ type: "started", run: runs.length + 1 });
      if (opts.refuseDeletes && !a.allowDeletes) {
        const run = record(t, t.kind, "refused", zeroCounters, null, []);
        cb?.({ type: "finished", run: run.id, outcome: "refused", durationMs: 10, counters: zeroCounters });
        return { ...run, refusal };
      }
      if (opts.diskFull) {
        const counters = { ...zeroCounters, failed: 1 };
        const run = record(t, t.kind, "failed", counters, null, []);
        cb?.({ type: "finished", run: run.id, outcome: "failed", durationMs: 10, counters });
        const stopped = {
          message: "the disk is full: no space left to write big.iso; the run stopped",
          hint: "free space on that disk (or choose a destination on another disk), then run the task again",
        };
        return { ...run, stopped };
      }
      cb?.({
        type: "progress",
        bytesDone: 1024,
        bytesTotal: 3072,
        filesDone: 1,
        filesTotal: 3,
        rate: 2048,
        eta: 1,
        current: ["b.txt"],
        failed: 0,
      });
      let outcome = "ok";
      if (opts.holdRuns) {
        outcome = await new Promise<string>((resolve) => holds.set(t.id, () => resolve("cancelled")));
      }
      if (opts.cleanRuns && outcome === "ok") {
        const counters = { ...zeroCounters, uploaded: 1, bytes: 1024 };
        const run = record(t, t.kind, "ok", counters, null, [{ path: "new/a.txt", action: "upload", bytes: 1024, result: "completed", error: null }]);
        cb?.({ type: "finished", run: run.id, outcome: "ok", durationMs: 1500, counters });
        return run;
      }
      const counters = { ...zeroCounters, uploaded: 1, updated: 1, failed: 1, skipped: 1, bytes: 3072 };
      const run = record(t, t.kind, outcome === "ok" ? "failed" : outcome, counters, null, [
        { path: "new/a.txt", action: "upload", bytes: 1024, result: "completed", error: null },
        { path: "b.txt", action: "update", bytes: 2048, result: "completed", error: null },
        { path: "c.txt", action: "upload", bytes: 0, result: "failed", error: "the service refused the name" },
        { path: "link", action: "skip", bytes: 0, result: "skipped", error: "symbolic link" },
      ]);
      cb?.({ type: "finished", run: run.id, outcome: run.outcome, durationMs: 1500, counters });
      return run;
    },
    cancel_task: (a) => {
      const h = holds.get(String(a.id));
      holds.delete(String(a.id));
      h?.();
      return !!h;
    },
    running_tasks: () => [...holds.keys()],
    list_runs: (a) => {
      findTask(a.task);
      return runs
        .filter((r) => r.task === a.task)
        .reverse()
        .map((r): Run => {
          const { task, ...run } = r;
          void task;
          return run;
        });
    },
    run_files: (a) =>
      (files.get(Number(a.run)) ?? []).filter(
        (f) =>
          (!a.result || f.result === a.result) &&
          (!a.text || f.path.toLowerCase().includes(String(a.text).toLowerCase())),
      ),
    undo_run: (a) => {
      const t = findTask(a.task);
      const cb = progressCbs.get(t.id);
      cb?.({ type: "started", run: runs.length + 1 });
      const run = record(t, "undo", "ok", { ...zeroCounters, deleted: 1 }, Number(a.run), [
        { path: "new/a.txt", action: "delete", bytes: 0, result: "completed", error: null },
      ]);
      cb?.({ type: "finished", run: run.id, outcome: "ok", durationMs: 10, counters: run.counters });
      return run;
    },
    retry_run: (a) => {
      const t = findTask(a.task);
      const cb = progressCbs.get(t.id);
      cb?.({ type: "started", run: runs.length + 1 });
      cb?.({ type: "progress", bytesDone: 5, bytesTotal: 10, filesDone: 0, filesTotal: 1, rate: 5, eta: 1, current: ["c.txt"], failed: 0 });
      const run = record(t, t.kind, "ok", { ...zeroCounters, uploaded: 1 }, Number(a.run), [
        { path: "c.txt", action: "upload", bytes: 10, result: "completed", error: null },
      ]);
      cb?.({ type: "finished", run: run.id, outcome: "ok", durationMs: 10, counters: run.counters });
      return run;
    },
    app_info: () => ({ version: "0.1.0", secretStore: keyringMissing ? "keyring" : "keyring", configDir: "/mock" }),
    use_file_store: () => {
      keyringMissing = false;
      return { version: "0.1.0", secretStore: "file", configDir: "/mock" };
    },
    list_storages: () => storages,
    list_services: () => [
      { key: "jottacloud", name: "Jottacloud", loginTokenUrl: "https://www.jottacloud.com/web/secure", legacy: false },
      { key: "elkjop", name: "Elkjøp Cloud (Norway)", loginTokenUrl: null, legacy: true },
      { key: "telia_no", name: "Telia Sky (Norway)", loginTokenUrl: null, legacy: false },
    ],
    storage_quota: (a) => {
      rootOf(String(a.storage));
      return {
        used: 1_500_000_000,
        total: 5_368_709_120,
        writeLocked: false,
        readLocked: false,
        devices: [{ name: "Jotta", size: 1_500_000_000, mountpoints: [{ name: "Archive", size: 1_500_000_000 }] }],
      };
    },
    remove_storage: (a) => {
      storages = storages.filter((s) => s.name !== a.storage);
      emit({ kind: "storagesChanged" });
    },
    start_demo: () => {
      if (keyringMissing) {
        throw new ApiError("keyring_unavailable", "the OS keyring is not available (no D-Bus)");
      }
      if (!storages.some((s) => s.name === "demo")) storages.push(demoStorage);
      emit({ kind: "storagesChanged" });
      return demoStorage;
    },
    demo_sign_in: () => demoSignIn,
    wizard_login_token: (a) => {
      if (opts.offline) throw new ApiError("offline", "http: error sending request for url (https://id.jottacloud.com/auth/realms/jottacloud/.well-known/openid-configuration)");
      if (a.loginToken !== "good-token") throw new ApiError("bad_login_token", "personal login token is not valid base64");
      return {
        pendingId: "p1",
        username: "someone",
        devices: [
          { name: "Jotta", size: 0, mountpoints: [{ name: "Archive", size: 0 }, { name: "Sync", size: 0 }] },
          { name: "Laptop", size: 0, mountpoints: [{ name: "Backup", size: 0 }] },
        ],
      };
    },
    wizard_legacy: (a) => {
      if (a.service !== "elkjop") throw new ApiError("invalid", "no legacy sign-in");
      if (a.username !== "someone" || a.password !== "secret") throw new ApiError("bad_credentials", "Invalid user credentials");
      if (!a.code) throw new ApiError("otp_required", "the service sent a code by SMS");
      if (String(a.code).replace(/-/g, "") !== "123456") throw new ApiError("bad_otp", "Invalid one-time code");
      return {
        pendingId: "p2",
        username: "someone",
        devices: [{ name: "Jotta", size: 0, mountpoints: [{ name: "Archive", size: 0 }, { name: "Sync", size: 0 }] }],
      };
    },
    wizard_browser: () => {
      if (opts.browserFails) {
        emit({ kind: "signInUrl", url: longSignInUrl });
        emit({ kind: "browserFailed", url: longSignInUrl, detail: "xdg-open failed with ExitStatus(unix_wait_status(1024))" });
      }
      return new Promise(() => undefined);
    },
    wizard_cancel: () => undefined,
    wizard_save: (a) => {
      const name = String(a.name);
      if (storages.some((s) => s.name === name)) throw new ApiError("already_exists", `remote ${name} already exists`);
      const s: Storage = {
        ...demoStorage,
        name,
        demo: false,
        device: String(a.device),
        mountpoint: String(a.mountpoint),
      };
      storages.push(s);
      emit({ kind: "storagesChanged" });
      return s;
    },
    reconnect_login_token: (a) => {
      if (a.loginToken !== "good-token") throw new ApiError("bad_login_token", "personal login token is not valid base64");
      const s = storages.find((x) => x.name === a.storage);
      if (!s) throw new ApiError("not_found", `no storage named ${String(a.storage)}`);
      signedOut.delete(s.name);
      return s;
    },
    reconnect_browser: () => new Promise(() => undefined),
    list_folder: (a) => {
      if (signedOut.has(String(a.storage))) throw new ApiError("reconnect_needed", "reconnect needed: invalid_grant");
      const path = a.path as string[];
      const n = walk(String(a.storage), path);
      const entries = [...(n.children?.values() ?? [])].map((c) => (isRepository(c) ? { ...c.entry, backup: true } : c.entry));
      entries.sort((x, y) => Number(y.folder) - Number(x.folder) || x.displayName.localeCompare(y.displayName));
      return { path, entries };
    },
    create_folder: (a) => {
      const parent = walk(String(a.storage), a.parent as string[]);
      const name = String(a.name);
      if (parent.children!.has(name)) throw new ApiError("already_exists", `"${name}" already exists here`);
      parent.children!.set(name, folder(name));
      return [...(a.parent as string[]), name];
    },
    move_item: (a) => {
      const path = a.path as string[];
      const from = walk(String(a.storage), path.slice(0, -1));
      const node = walk(String(a.storage), path);
      const to = walk(String(a.storage), a.toParent as string[]);
      const name = String(a.newName);
      if (to.children!.has(name)) throw new ApiError("already_exists", `"${name}" already exists there`);
      from.children!.delete(path[path.length - 1]!);
      node.entry = { ...node.entry, name, displayName: name };
      to.children!.set(name, node);
      return [...(a.toParent as string[]), name];
    },
    delete_item: (a) => {
      const storage = String(a.storage);
      const path = a.path as string[];
      const parent = walk(storage, path.slice(0, -1));
      const node = walk(storage, path);
      parent.children!.delete(path[path.length - 1]!);
      const list = trash.get(storage) ?? [];
      list.push({
        node,
        parent: path.slice(0, -1),
        item: {
          path: ["Jotta", "Archive", ...path],
          place: ["Jotta", "Archive", ...path.slice(0, -1)].join(" / "),
          displayName: node.entry.displayName,
          folder: node.entry.folder,
          size: node.entry.size,
          deleted: new Date().toISOString(),
        },
      });
      trash.set(storage, list);
    },
    download: (a) => `${String(a.folder)}/${(a.path as string[]).at(-1)}`,
    list_revisions: (a) => {
      const n = walk(String(a.storage), a.path as string[]);
      if (n.entry.folder) throw new ApiError("not_found", "not a file");
      const current = revisions.get(n) ?? 2;
      return Array.from({ length: current }, (_, i) => current - i).map((number) => ({
        number,
        current: number === current,
        state: "completed",
        size: number * 10,
        md5: String(number).repeat(32),
        created: "2026-01-02T03:04:05Z",
        modified: `2026-01-0${Math.min(number, 9)}T10:00:00Z`,
        uploaded: `2026-01-0${Math.min(number, 9)}T10:00:01Z`,
      }));
    },
    download_revision: (a) => {
      const name = (a.path as string[]).at(-1)!;
      const dot = name.lastIndexOf(".");
      const versioned = dot > 0 ? `${name.slice(0, dot)} (version ${String(a.number)})${name.slice(dot)}` : `${name} (version ${String(a.number)})`;
      return `${String(a.folder)}/${versioned}`;
    },
    restore_revision: (a) => {
      const n = walk(String(a.storage), a.path as string[]);
      const current = revisions.get(n) ?? 2;
      if (Number(a.number) < 1 || Number(a.number) > current) throw new ApiError("not_found", "no such version");
      revisions.set(n, current + 1);
      n.entry = { ...n.entry, size: Number(a.number) * 10 };
      emit({ kind: "storageChanged", storage: String(a.storage) });
      return n.entry;
    },
    set_share: (a) => (a.on ? { url: "https://www.jottacloud.com/s/mock" } : null),
    list_trash: (a) => (trash.get(String(a.storage)) ?? []).map((t) => t.item),
    restore_trash_item: (a) => {
      const storage = String(a.storage);
      const list = trash.get(storage) ?? [];
      const key = JSON.stringify(a.path);
      const i = list.findIndex((t) => JSON.stringify(t.item.path) === key);
      if (i < 0) throw new ApiError("not_found", "not in the trash");
      const [t] = list.splice(i, 1);
      walk(storage, t!.parent).children!.set(t!.node.entry.name, t!.node);
    },
    delete_trash_item: (a) => {
      const list = trash.get(String(a.storage)) ?? [];
      const key = JSON.stringify(a.path);
      trash.set(String(a.storage), list.filter((t) => JSON.stringify(t.item.path) !== key));
    },
    list_mounts: () => structuredClone(mounts),
    save_mount: (a) => {
      const f = structuredClone(a.mount) as Mount;
      // The app's checks, in its words (crates/engine/src/mount/spec.rs).
      if (!f.name.trim()) throw new ApiError("invalid_name", "give the mount a name");
      if (!f.storage.trim()) throw new ApiError("invalid", "a mount needs a storage");
      if (f.cacheMaxSize !== null && f.cacheMaxSize < 64 * 1024 * 1024) {
        throw new ApiError("invalid_cache", "the cache needs at least 64 MiB, so a file being read is not dropped from it");
      }
      if (f.access.via === "folder" && !f.access.mountpoint.startsWith("/")) {
        throw new ApiError("invalid_mountpoint", `${f.access.mountpoint}: the folder to mount on must be a full path`);
      }
      if (f.access.via === "fileManager" && f.access.port !== undefined && f.access.port < 1024) {
        throw new ApiError("invalid_port", `port ${f.access.port} is reserved for the system: choose one from 1024 up`);
      }
      if (signedOut.has(f.storage)) throw new ApiError("reconnect_needed", "reconnect needed: invalid_grant");
      const folder = f.folder.trim().replace(/^\/+|\/+$/g, "");
      try {
        walk(f.storage, folder ? folder.split("/") : []);
      } catch (e) {
        if (ApiError.from(e).code !== "not_found") throw e;
        throw new ApiError("no_folder", `${f.storage}:${folder}: no such folder on the storage`);
      }
      const old = f.id ? findMount(f.id) : null;
      const m: Mount = { ...f, name: f.name.trim(), folder, id: old?.id ?? String(++mountIds), mounted: true, status: old?.status ?? null, webdav: null };
      mounts = old ? mounts.map((x) => (x.id === m.id ? m : x)) : [...mounts, m];
      putUp(m, true);
      return structuredClone(m);
    },
    delete_mount: (a) => {
      const m = findMount(a.id);
      mounts = mounts.filter((x) => x.id !== a.id);
      // As the app: it stops, and is gone once its uploads are done (tests announce those).
      const pending = m.status?.pendingUploads ?? 0;
      const st: MountStatus | null = pending > 0 ? { ...m.status!, state: "stopping", location: null } : null;
      emit({ kind: "mountChanged", mount: String(a.id), status: st });
    },
    set_mounted: (a) => {
      const m = findMount(a.id);
      putUp(m, !!a.on);
      return structuredClone(m);
    },
    open_mount: (a) => {
      const m = findMount(a.id);
      if (m.status?.state !== "mounted") throw new ApiError("not_mounted", "this folder is not mounted now: mount it first");
      if (opts.openFails) throw new ApiError("open_failed", "could not open the folder: no file manager (xdg-open exited with 3)");
    },
    pending_mount_uploads: () => mounts.reduce((n, m) => n + (m.status?.pendingUploads ?? 0), 0),
    quit_app: () => {
      if (opts.quitUnsupported) {
        throw new ApiError("unsupported", "this Fjordsync program is not quit from its window: stop it where it was started");
      }
    },
    empty_trash: (a) => {
      const list = trash.get(String(a.storage)) ?? [];
      trash.set(String(a.storage), []);
      return { folders: list.filter((t) => t.item.folder).length, files: list.filter((t) => !t.item.folder).length };
    },
  };

  const backend = createBackend(
    async (command, args = {}) => {
      calls.push({ command, args });
      const h = handlers[command];
      if (!h) throw new ApiError("unknown_command", command);
      return h(args);
    },
    {
      canPickFolder: opts.canPickFolder ?? true,
      pickFolder: async () => "/home/me/Downloads",
      openUrl: async () => undefined,
      copyText: async () => undefined,
      onEvent(cb) {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
      async exportRun(run, format, call) {
        return (await call("export_run", { run, format, path: `/home/me/fjordsync-run-${run}.${format}` })) as string;
      },
      progress(task, cb) {
        progressCbs.set(task, cb);
        return { args: {}, close: () => progressCbs.delete(task) };
      },
    },
  );
  // What a test announces is what the app would list from then on.
  const announce = (e: AppEvent): void => {
    if (e.kind === "mountChanged") {
      const m = mounts.find((x) => x.id === e.mount);
      if (m) m.status = structuredClone(e.status);
    }
    emit(e);
  };
  return Object.assign(backend, { calls, emit: announce });
}
