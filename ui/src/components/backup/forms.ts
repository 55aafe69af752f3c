// The fields the new-backup wizard and the edit form share: filters (globs
// and size and age limits) and retention, from a task and back.

import { ApiError, type Retention, type Task } from "../../lib/api/types";
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

/** The form's filters as task fields; throws `invalid` naming a limit it cannot read. */
export function readFilters(f: FilterFields): { include: string[]; exclude: string[]; limits: Limits } {
  const read = readLimits(f.limits);
  if (!read.ok) throw new ApiError("invalid", t("backup.badLimit", { value: f.limits[read.field] }));
  return { include: patterns(f.include), exclude: patterns(f.exclude), limits: read.limits };
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
