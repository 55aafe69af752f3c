// Shared wording for task cards and the run log.

import type { Counters, Run, Task } from "./api/types";
import { formatBytes, formatDate } from "./format";
import { en, type MessageKey } from "./i18n/en";
import { i18n, t } from "./i18n/index.svelte";

/** "Done", "Stopped", ...; unknown outcomes as the engine spells them. */
export function outcomeLabel(outcome: string): string {
  const key = `tasks.outcome.${outcome}`;
  return key in en ? t(key as MessageKey) : outcome;
}

/** One line of counters. */
export function countersLine(c: Counters): string {
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
  };
}
