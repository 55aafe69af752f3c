// Wording and form rules of the Mount screen: what a mount is doing in the
// user's words (with a colour that says the same), its problems worded by
// code, where it is reached, and the form's fields read into what
// `save_mount` takes (or the field that cannot be read, and why).

import type { Mount, MountAccess, MountForm, MountProblem } from "./api/types";
import { ApiError } from "./api/types";
import { describeError } from "./errors";
import { parseSize, sizeText } from "./filters";
import type { MessageKey } from "./i18n/en";
import { t, tn } from "./i18n/index.svelte";
import { durationText } from "./schedule";
import type { Tone } from "./tasks";

/** A card's state colour: `busy` on its way somewhere, `off` unmounted as asked. */
export type MountTone = Tone | "busy" | "off";

/** A mount's state as its card says it first; `problem` is why (worded by `problemText`). */
export interface MountWords {
  tone: MountTone;
  text: string;
  problem?: MountProblem;
}

/** The read cache's limit when none is set (the engine's default). */
export const DEFAULT_CACHE_BYTES = 1024 ** 3;
/** The smallest cache the engine accepts (`MIN_CACHE_BYTES`). */
export const MIN_CACHE_BYTES = 64 * 1024 ** 2;

/**
 * "Mounted", "Starting", "Trying again in 2 minutes", "Unmounting · 3
 * uploads left", "Not mounted": what a mount is doing. `scheduledBy` names
 * another Fjordsync program that keeps the mounts (then this one has no
 * status for it); `now` counts down a retry.
 */
export function mountWords(m: Pick<Mount, "mounted" | "status">, now: number, scheduledBy: string | null = null): MountWords {
  const s = m.status;
  if (!s) {
    if (!m.mounted) return { tone: "off", text: t("mount.status.stopped") };
    return scheduledBy ? { tone: "busy", text: t("mount.status.elsewhere", { who: scheduledBy }) } : { tone: "busy", text: t("mount.status.starting") };
  }
  const problem = s.problem ?? undefined;
  switch (s.state) {
    case "mounted":
      return { tone: "ok", text: t("mount.status.mounted"), problem };
    case "starting":
      return { tone: "busy", text: t("mount.status.starting"), problem };
    case "retrying": {
      const wait = durationText(Math.max(1, ((s.retryAtMs ?? now) - now) / 1000));
      return { tone: "warn", text: t("mount.status.retrying", { wait }), problem };
    }
    case "stopping":
      return {
        tone: "busy",
        text: s.pendingUploads > 0 ? tn("mount.status.stoppingUploads", s.pendingUploads) : t("mount.status.stopping"),
        problem,
      };
    case "stopped":
      // Unmounted as asked is quiet; stopped by a problem is an error, and says why.
      return { tone: problem ? "error" : "off", text: t("mount.status.stopped"), problem };
  }
}

/** The problem codes the mount screen words itself; any other is worded as an API error. */
const PROBLEMS: Record<string, MessageKey> = {
  upload_failed: "mount.problem.uploadFailed",
  storage_full: "mount.problem.storageFull",
  no_folder: "mount.problem.noFolder",
  mountpoint: "mount.problem.mountpoint",
  unreachable: "mount.problem.unreachable",
  reconnect: "mount.problem.reconnect",
  failed: "mount.problem.failed",
};

/** A mount's problem in the user's words, by its code (the message goes under "Details"). */
export function problemText(p: Pick<MountProblem, "code">): string {
  const key = PROBLEMS[p.code];
  return key ? t(key) : describeError(p);
}

/** A problem as the error "Details" shows. */
export const problemError = (p: MountProblem): ApiError => new ApiError(p.code, p.message);

/** A problem's banner colour: a failed upload is kept and retried, so it warns; the rest stop the mount. */
export const problemTone = (p: MountProblem, words: MountWords): Tone =>
  p.code === "upload_failed" || words.tone === "warn" || words.tone === "ok" ? "warn" : "error";

/** Where a mount is reached: its mount point, or the file manager (with its port when fixed). */
export function reachedAt(a: MountAccess): string {
  if (a.via === "folder") return t("mount.reached.folder", { path: a.mountpoint });
  return a.port !== undefined ? t("mount.reached.webdavPort", { port: a.port }) : t("mount.reached.webdav");
}

/** "demo:/Photos": the storage folder a mount shows. */
export const storageFolder = (m: Pick<Mount, "storage" | "folder">): string => `${m.storage}:/${m.folder.replace(/^\/+/, "")}`;

/**
 * Mounting on a folder needs FUSE, which only the Linux app has. A browser
 * on a system that is surely not Linux gets the file manager only; when
 * unsure (a Linux-like or unknown agent) both are offered and the app
 * refuses what it cannot do, with its reason at the field.
 */
export function folderAccessOffered(userAgent: string = globalThis.navigator?.userAgent ?? ""): boolean {
  return !/Windows|Macintosh|Mac OS X|iPhone|iPad|Android|CrOS/i.test(userAgent);
}

/** The form's fields as typed. */
export interface MountFields {
  id: string;
  name: string;
  storage: string;
  folder: string;
  via: MountAccess["via"];
  mountpoint: string;
  port: string;
  cache: string;
}

/** The fields of a new mount (`storage` chosen) or of an existing one. */
export function mountFields(m: Mount | null, storage: string, folderFirst = folderAccessOffered()): MountFields {
  if (!m) {
    return { id: "", name: "", storage, folder: "", via: folderFirst ? "folder" : "fileManager", mountpoint: "", port: "", cache: sizeText(DEFAULT_CACHE_BYTES) };
  }
  return {
    id: m.id,
    name: m.name,
    storage: m.storage,
    folder: m.folder,
    via: m.access.via,
    mountpoint: m.access.via === "folder" ? m.access.mountpoint : "",
    port: m.access.via === "fileManager" && m.access.port !== undefined ? String(m.access.port) : "",
    cache: sizeText(m.cacheMaxSize ?? DEFAULT_CACHE_BYTES),
  };
}

/** A field the form marks, and what to write there. */
export type MountField = "name" | "storage" | "folder" | "mountpoint" | "port" | "cache";
export interface FieldProblem {
  field: MountField;
  text: string;
}

/** The form as `save_mount` takes it, or the first field that cannot be used. */
export function readMountFields(f: MountFields): { ok: true; form: MountForm } | { ok: false; problem: FieldProblem } {
  const bad = (field: MountField, key: MessageKey, vars: Record<string, string> = {}) => ({ ok: false as const, problem: { field, text: t(key, vars) } });
  if (!f.name.trim()) return bad("name", "mount.form.nameNeeded");
  if (!f.storage) return bad("storage", "mount.form.storageNeeded");
  let access: MountAccess;
  if (f.via === "folder") {
    const path = f.mountpoint.trim();
    if (!path) return bad("mountpoint", "mount.form.mountpointNeeded");
    if (!path.startsWith("/")) return bad("mountpoint", "mount.form.mountpointFull");
    access = { via: "folder", mountpoint: path };
  } else {
    const port = f.port.trim();
    if (port && !(/^\d+$/.test(port) && Number(port) >= 1024 && Number(port) <= 65535)) return bad("port", "mount.form.badPort");
    access = port ? { via: "fileManager", port: Number(port) } : { via: "fileManager" };
  }
  const cache = parseSize(f.cache);
  if (!cache.ok) return bad("cache", "mount.form.badCache", { value: f.cache.trim() });
  if (cache.value !== null && cache.value < MIN_CACHE_BYTES) return bad("cache", "mount.form.cacheMin");
  return {
    ok: true,
    form: {
      id: f.id,
      name: f.name.trim(),
      storage: f.storage,
      folder: f.folder.trim().replace(/^\/+|\/+$/g, ""),
      access,
      cacheMaxSize: cache.value,
    },
  };
}

/**
 * The field a refusal of `save_mount` is about, with words for it; null
 * when it is about no one field (then it shows next to Save). The app
 * names the field by the error's code (crates/api/src/mounts/mod.rs).
 */
export function fieldOfRefusal(e: ApiError, f: MountFields): FieldProblem | null {
  switch (e.code) {
    case "no_folder":
      return { field: "folder", text: t("mount.form.noFolder", { folder: `/${f.folder.trim().replace(/^\/+|\/+$/g, "")}`, storage: f.storage }) };
    case "invalid_mountpoint":
      return { field: "mountpoint", text: /as a folder here/.test(e.message) ? t("mount.form.folderUnsupported") : t("mount.form.mountpointFull") };
    case "invalid_port":
      return { field: "port", text: t("mount.form.badPort") };
    case "invalid_cache":
      return { field: "cache", text: t("mount.form.cacheMin") };
    case "invalid_name":
      return { field: "name", text: t("mount.form.nameNeeded") };
  }
  // A reason this screen has no words for: said next to Save, in the app's words.
  return null;
}
