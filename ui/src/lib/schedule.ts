// Schedules and the overview's ages and warnings, as pure functions (the
// clock is an argument) so they are unit-tested. The app decides when a task
// runs (crates/engine/src/tasks/schedule.rs); the UI only words it.

import type { OverviewTask, Quota, Schedule } from "./api/types";
import { formatDate, percentUsed } from "./format";
import { i18n, t, tn } from "./i18n/index.svelte";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** At or above this share of the quota the overview warns. */
export const NEAR_LIMIT_PERCENT = 90;

/** "30 seconds", "2 minutes": a short wait or interval in words. */
export function durationText(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s >= 60 && s % 60 === 0) return tn("duration.minutes", s / 60);
  if (s >= 90) return tn("duration.minutes", Math.round(s / 60));
  return tn("duration.seconds", s);
}

/** "Every 6 hours", "Daily at 07:30", "Continuously · …", "Only by hand". */
export function scheduleText(s: Schedule | null | undefined): string {
  if (!s) return t("schedule.none");
  if (s.type === "hourly") return tn("schedule.hourly", s.hours);
  if (s.type === "minutes") return tn("schedule.minutes", s.minutes);
  if (s.type === "continuous") return t("schedule.continuous", { every: durationText(s.pollSeconds) });
  return t("schedule.daily", { time: s.time });
}

/** "Next run: 23 Nov 2026, 07:30" (or paused). */
export function nextRunText(nextMs: number | null | undefined, paused = false): string {
  if (nextMs === null || nextMs === undefined) return "";
  if (paused) return t("schedule.nextPaused");
  return t("schedule.next", { when: formatDate(new Date(nextMs).toISOString(), i18n.locale) });
}

/** "Daily at 07:30 · Next run: …" for a card; just the schedule when there is no next run. */
export function scheduleLine(s: Schedule | null | undefined, nextMs: number | null | undefined, paused = false): string {
  const next = s ? nextRunText(nextMs, paused) : "";
  return next ? `${scheduleText(s)} · ${next}` : scheduleText(s);
}

/**
 * The nominal interval of a schedule (a day for daily ones; an hour for a
 * continuous one, which compares both folders in full at least hourly).
 */
export function intervalMs(s: Schedule): number {
  if (s.type === "minutes") return s.minutes * 60_000;
  if (s.type === "continuous") return HOUR;
  return s.type === "hourly" ? s.hours * HOUR : DAY;
}

/** "just now", "5 min ago", "3 hours ago", "2 days ago"; "never" for null. */
export function ageText(ms: number | null | undefined, now: number): string {
  if (ms === null || ms === undefined) return t("age.never");
  const d = Math.max(0, now - ms);
  if (d < 60_000) return t("age.now");
  if (d < HOUR) return tn("age.minutes", Math.floor(d / 60_000));
  if (d < DAY) return tn("age.hours", Math.floor(d / HOUR));
  return tn("age.days", Math.floor(d / DAY));
}

/**
 * A scheduled task that has not succeeded for twice its interval (counted
 * from when the schedule was set if it never did) is not safe.
 */
export function isStale(task: Pick<OverviewTask, "schedule" | "lastSuccessMs" | "scheduleSinceMs">, now: number): boolean {
  if (!task.schedule) return false;
  const since = task.lastSuccessMs ?? task.scheduleSinceMs;
  if (since === null || since === undefined) return false;
  return now - since > 2 * intervalMs(task.schedule);
}

/** True when a limited account is at or above NEAR_LIMIT_PERCENT. */
export function nearLimit(q: Pick<Quota, "used" | "total" | "writeLocked">): boolean {
  const p = percentUsed(q.used, q.total);
  return q.writeLocked || (p !== null && p >= NEAR_LIMIT_PERCENT);
}

/** The next HH:MM (local time) after `from`: the mock backend's stand-in for the app's rule. */
export function nextDaily(time: string, from: Date): Date {
  const [h, m] = time.split(":").map(Number);
  const d = new Date(from);
  d.setHours(h ?? 0, m ?? 0, 0, 0);
  if (d.getTime() <= from.getTime()) d.setDate(d.getDate() + 1);
  return d;
}

/** What the schedule editor chooses between. */
export type ScheduleKind = "none" | Schedule["type"];

/** A two-way sync task's interval when the user picks "every few minutes". */
export const TWO_WAY_MINUTES = 15;

/** How often a continuous task looks at the storage unless told otherwise. */
export const POLL_SECONDS = 30;

/** The storage check intervals the editor offers (the engine takes 10 s to 1 h). */
export const POLL_CHOICES = [10, 30, 60, 300, 900];

/** The editor's fields as a schedule (null: only by hand). */
export function scheduleOf(
  kind: ScheduleKind,
  hours: number,
  time: string,
  minutes = TWO_WAY_MINUTES,
  pollSeconds = POLL_SECONDS,
): Schedule | null {
  if (kind === "hourly") return { type: "hourly", hours: Number(hours) };
  if (kind === "minutes") return { type: "minutes", minutes: Number(minutes) };
  if (kind === "continuous") return { type: "continuous", pollSeconds: Number(pollSeconds) };
  if (kind === "daily") return { type: "daily", time };
  return null;
}

/** A schedule as the editor's fields (defaults where it has none). */
export function scheduleFields(s: Schedule | null | undefined): {
  kind: ScheduleKind;
  hours: number;
  time: string;
  minutes: number;
  pollSeconds: number;
} {
  return {
    kind: s?.type ?? "none",
    hours: s?.type === "hourly" ? s.hours : 24,
    minutes: s?.type === "minutes" ? s.minutes : TWO_WAY_MINUTES,
    pollSeconds: s?.type === "continuous" ? s.pollSeconds : POLL_SECONDS,
    time: s?.type === "daily" ? s.time : "02:00",
  };
}
