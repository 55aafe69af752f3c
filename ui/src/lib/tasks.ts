// Shared wording for task cards and the run log.

import type { Counters, Retention, Run, Task } from "./api/types";
import { formatBytes, formatDate } from "./format";
import { en, type MessageKey } from "./i18n/en";
import { i18n, t, tn } from "./i18n/index.svelte";
import { describeError } from "./errors";
import { durationText } from "./schedule";

/** "Done", "Stopped", ...; unknown outcomes as the engine spells them. */
export function outcomeLabel(outcome: string): string {
  const key = `tasks.outcome.${outcome}`;
  return key in en ? t(key as MessageKey) : outcome;
}

/** A banner's colour: only a run that did all it should is green; refused and stopped runs warn; failures are red. */
export type Tone = "ok" | "warn" | "error";

export function outcomeTone(outcome: string): Tone {
  if (outcome === "ok") return "ok";
  if (outcome === "refused" || outcome === "cancelled" || outcome === "running") return "warn";
  return "error";
}

/** An undo or a retry answers an earlier run: shown as what it is, never as a task's last run. */
export const isFollowUp = (r: Pick<Run, "kind" | "parent">): boolean => r.kind === "undo" || (r.parent ?? null) !== null;

/** "Run 3: Done", "Undo of run 2 (run 3): Done", "Retry of run 2 (run 3): Done". */
export function runResultLine(r: Pick<Run, "id" | "kind" | "parent" | "outcome">): string {
  const outcome = outcomeLabel(r.outcome);
  if (r.kind === "undo") return t("log.doneUndo", { run: r.id, of: r.parent ?? "?", outcome });
  if (isFollowUp(r)) return t("log.doneRetry", { run: r.id, of: r.parent ?? "?", outcome });
  return t("log.done", { run: r.id, outcome });
}

/** One line of counters (a backup run's: new / changed / unmodified files, bytes added). */
export function countersLine(c: Counters, kind?: string): string {
  if (kind === "backup") {
    return t("backup.counters", {
      new: c.uploaded,
      changed: c.updated,
      unmodified: c.unchanged,
      bytes: formatBytes(c.bytes, i18n.locale),
    });
  }
  const line = t("tasks.counters", {
    done: c.uploaded + c.downloaded + c.updated + c.copied + c.retimed,
    deleted: c.deleted,
    failed: c.failed,
    bytes: formatBytes(c.bytes, i18n.locale),
  });
  // Skipped files (links, unreadable names) are part of what a run did.
  return c.skipped > 0 ? `${line}, ${t("tasks.counters.skipped", { n: c.skipped })}` : line;
}

/** "Last run <when>: <outcome>" for a task card. */
export function lastRunLine(r: Run | null): string {
  if (!r) return t("tasks.never");
  return t("tasks.last", {
    when: formatDate(new Date(r.endedMs ?? r.startedMs).toISOString(), i18n.locale),
    outcome: outcomeLabel(r.outcome),
  });
}

/** A blank backup task for the wizard: into `Backup` in the storage, a month of dailies. */
export function blankBackup(storage: string): Task {
  return {
    ...blankTask(storage),
    kind: "backup",
    remote: "Backup",
    backup: {
      folders: [],
      repoLocal: null,
      retention: retention({ keepLast: 10, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }),
      rememberPassword: true,
      minSize: null,
      maxSize: null,
      minAgeSecs: null,
      maxAgeSecs: null,
    },
  };
}

/** Keep rules: the given ones, every other rule off (null, as the app sends it). */
export function retention(rules: Partial<Retention> = {}): Retention {
  return { keepLast: null, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null, ...rules };
}

/** The retention rules in words ("" when everything is kept). */
export function retentionLine(r: Retention | undefined): string {
  if (!r) return "";
  const parts: string[] = [];
  for (const k of ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"] as const) {
    const n = r[k];
    if (n) parts.push(t(`backup.retention.${k}`) + " " + String(n));
  }
  return parts.length ? t("backup.retention.line", { rules: parts.join(", ") }) : t("backup.retention.all");
}

/** Splits a textarea into patterns. */
export function patterns(text: string): string[] {
  return text
    .split("\n")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A two-way sync task's state in a word or two, for its card (and a second line when it needs one). */
export type SyncStatus = { tone: Tone | "busy"; text: string; detail?: string };

/**
 * "Syncing 12 files", "3 conflicts", "2 files could not sync", "Paused", "Up to date · watching for
 * changes", "Could not sync · trying again in 2 minutes" (or the last run's
 * outcome when it did not go well): what a two-way task's card says first.
 * `live` is its run now, if any; `paused` the task's or everything's;
 * `task.watch` its watcher when it runs continuously.
 */
export function syncStatus(
  task: Pick<Task, "conflicts" | "keptAside" | "lastRun" | "paused" | "watch">,
  live: { filesTotal: number } | "starting" | undefined,
  paused: boolean,
  now: number,
): SyncStatus {
  const w = task.watch;
  const notice = w?.notice ? t(`sync.notice.${w.notice}` as MessageKey) : undefined;
  if (live) return { tone: "busy", text: live === "starting" || live.filesTotal === 0 ? t("sync.status.checking") : tn("sync.status.syncing", live.filesTotal) };
  if (task.conflicts > 0) return { tone: "warn", text: tn("sync.status.conflicts", task.conflicts) };
  if (task.keptAside > 0) return { tone: "warn", text: tn("sync.status.keptAside", task.keptAside) };
  if (paused || task.paused) return { tone: "warn", text: t("sync.status.paused") };
  if (w?.state === "retrying") {
    const wait = durationText(Math.max(1, ((w.retryAtMs ?? now) - now) / 1000));
    return { tone: "warn", text: t("sync.status.retrying", { wait }), detail: w.error ? describeError(w.error) : undefined };
  }
  if (w?.state === "stopped") return { tone: "error", text: t("sync.status.stopped"), detail: w.error ? describeError(w.error) : undefined };
  if (!task.lastRun) return { tone: w ? "busy" : "warn", text: t(w ? "sync.status.starting" : "sync.status.never") };
  if (task.lastRun.outcome !== "ok") return { tone: outcomeTone(task.lastRun.outcome), text: outcomeLabel(task.lastRun.outcome), detail: notice };
  if (w) return { tone: "ok", text: t("sync.status.watching"), detail: notice };
  return { tone: "ok", text: t("sync.status.upToDate") };
}

/** A blank task for the editor. */
export function blankTask(storage: string): Task {
  return {
    id: "",
    name: "",
    // Copy deletes nothing at the destination: a mirror is the user's choice.
    kind: "copy",
    direction: "upload",
    local: "",
    storage,
    remote: "",
    include: [],
    exclude: [],
    lastRun: null,
    schedule: null,
    scheduleSinceMs: null,
    nextRunMs: null,
    noVersions: false,
    paused: false,
    conflicts: 0,
    keptAside: 0,
    watch: null,
  };
}

/** A storage path without its outer slashes ("" for the root). */
const bare = (p: string): string => p.trim().replace(/^\/+|\/+$/g, "");

/**
 * Another upload task of the same storage that writes into `task`'s storage
 * folder, a folder inside it, or a folder around it (two tasks mirroring one
 * folder undo each other's work); null when none does.
 */
export function overlapping(task: Task, all: Task[]): Task | null {
  if (task.kind === "backup" || task.direction === "download") return null;
  const mine = bare(task.remote);
  const inside = (a: string, b: string) => a === b || b === "" || a.startsWith(b + "/");
  return (
    all.find(
      (o) =>
        o.id !== task.id &&
        o.kind !== "backup" &&
        o.direction !== "download" &&
        o.storage === task.storage &&
        (inside(mine, bare(o.remote)) || inside(bare(o.remote), mine)),
    ) ?? null
  );
}
