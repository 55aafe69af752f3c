// Formatting shared by the screens: sizes, dates, sorting.

import type { Entry } from "./api/types";

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** 1536 → "1.5 KiB" (binary units, as the service counts them). */
export function formatBytes(n: number | null | undefined, locale = "en"): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  const num = new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(v);
  return `${num} ${UNITS[u]}`;
}

/** An RFC 3339 time as a short local date and time; "—" when unknown. */
export function formatDate(iso: string | null | undefined, locale = "en"): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** Whole percent used, or null for unlimited accounts. */
export function percentUsed(used: number, total: number | null): number | null {
  if (!total || total <= 0) return null;
  return Math.min(100, Math.round((used / total) * 100));
}

export type SortKey = "name" | "size" | "modified";

/** Folders first, then by the key (ties by name); `desc` reverses within each group. */
export function sortEntries(entries: readonly Entry[], key: SortKey, desc = false, locale = "en"): Entry[] {
  const collator = new Intl.Collator(locale, { numeric: true, sensitivity: "base" });
  const byName = (a: Entry, b: Entry) => collator.compare(a.displayName, b.displayName);
  const cmp = (a: Entry, b: Entry): number => {
    if (key === "size") return (a.size ?? -1) - (b.size ?? -1) || byName(a, b);
    if (key === "modified") return (a.modified ?? "").localeCompare(b.modified ?? "") || byName(a, b);
    return byName(a, b);
  };
  return [...entries].sort((a, b) => {
    if (a.folder !== b.folder) return a.folder ? -1 : 1;
    return desc ? -cmp(a, b) : cmp(a, b);
  });
}

/** Local name typed by the user, as path segments ("a/b" → ["a", "b"]). */
export function splitPath(text: string): string[] {
  return text
    .split("/")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** 75_000 ms → "1 min 15 s"; under a second "0 s"; "—" when unknown. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** Under this many seconds a run is "almost done": a count would only flicker 3, 2, 1, 0. */
const ALMOST_DONE_S = 5;

/**
 * The time left of a run as people say it, rounded so it does not jump
 * about with every progress tick: "45 sec" (steps of 5 under a minute),
 * "12 min", "1 hr 20 min" (steps of 10 minutes), "14 hr". Null when it is
 * unknown or under a few seconds: the caller says "almost done" (never
 * "about 0 s left"). Units are the locale's own (Intl), so no dictionary
 * needs them.
 */
export function formatEta(seconds: number | null | undefined, locale = "en"): string | null {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < ALMOST_DONE_S) return null;
  const unit = (u: "second" | "minute" | "hour", n: number) =>
    new Intl.NumberFormat(locale, { style: "unit", unit: u, unitDisplay: "short" }).format(n);
  const fives = Math.round(seconds / 5) * 5;
  if (fives < 60) return unit("second", fives);
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return unit("minute", minutes);
  if (minutes >= 10 * 60) return unit("hour", Math.round(minutes / 60));
  const tens = Math.round(minutes / 10) * 10;
  const h = Math.floor(tens / 60);
  const m = tens % 60;
  return m === 0 ? unit("hour", h) : `${unit("hour", h)} ${unit("minute", m)}`;
}
