// The fields the new-backup wizard and the edit form share: filters (globs
// and size and age limits) and retention, from a task and back.

import type { Retention, Task } from "../../lib/api/types";
import { limitFields, readLimits, type LimitFields, type Limits } from "../../lib/filters";
import { t } from "../../lib/i18n/index.svelte";
import { patterns, retention } from "../../lib/tasks";

/** The retention rules, in the order the form shows them. */
export const RULES = ["keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly", "keepYearly"] as const;

/** The filters as the form edits them (text, one glob a line). */
export interface FilterFields {
  include: string;
  exclude: string;
  limits: LimitFields;
}

/** The include / exclude globs and size and age limits the forms show, from a task. */
export function filterFields(task: Task | null): FilterFields {
  return {
    include: task?.include.join("\n") ?? "",
    exclude: task?.exclude.join("\n") ?? "",
    limits: limitFields(task?.backup),
  };
}

/** A limit field the form cannot read, and what to write instead (shown at the field). */
export interface LimitProblem {
  field: keyof LimitFields;
  text: string;
}

/** The form's filters as task fields, or the first limit field it cannot read. */
export function readFilters(
  f: FilterFields,
): { ok: true; include: string[]; exclude: string[]; limits: Limits } | { ok: false; problem: LimitProblem } {
  const read = readLimits(f.limits);
  if (!read.ok) return { ok: false, problem: { field: read.field, text: t("backup.badLimit", { value: f.limits[read.field] }) } };
  return { ok: true, include: patterns(f.include), exclude: patterns(f.exclude), limits: read.limits };
}

/** Moves focus to the field with this id (a form error's field, so it is read with its message). */
export function focusField(id: string): void {
  queueMicrotask(() => document.getElementById(id)?.focus());
}

/** Numbers from the form; empty or 0 means the rule is off. */
export function cleanRetention(r: Retention): Retention {
  const out = retention();
  for (const k of RULES) {
    const n = Number(r[k] ?? 0);
    out[k] = Number.isFinite(n) && n > 0 ? Math.floor(n) : null;
  }
  return out;
}
