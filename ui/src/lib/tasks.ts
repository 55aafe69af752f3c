// Shared wording for task cards and the run log.

import type { Counters, Retention, Run, Task } from "./api/types";
import { formatBytes, formatDate } from "./format";
import { en, type MessageKey } from "./i18n/en";
import { i18n, t } from "./i18n/index.svelte";

/** "Done", "Stopped", ...; unknown outcomes as the engine spells them. */
export function outcomeLabel(outcome: string): string {
  const key = `tasks.outcome.${outcome}`;
  return key in en ? t(key as MessageKey) : outcome;
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
  return t("tasks.counters", {
    done: c.uploaded + c.downloaded + c.updated + c.copied + c.retimed,
    deleted: c.deleted,
    failed: c.failed,
    bytes: formatBytes(c.bytes, i18n.locale),
  });
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

/** A blank task for the editor. */
export function blankTask(storage: string): Task {
  return {
    id: "",
    name: "",
    kind: "sync",
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
  };
}
