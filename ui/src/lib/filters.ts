// The size and age limits of a backup task as the form shows them: the same
// short forms as the CLI's --min-size / --max-age flags ("10M", "512K",
// "7d", "2w"), stored as bytes and seconds.

/** A limit read from a form field: a number, none (empty field), or unreadable. */
export type Limit = { ok: true; value: number | null } | { ok: false };

/** Suffixes and what they multiply by, largest first. */
const SIZE_UNITS: [string, number][] = [
  ["T", 1024 ** 4],
  ["G", 1024 ** 3],
  ["M", 1024 ** 2],
  ["K", 1024],
];
const AGE_UNITS: [string, number][] = [
  ["w", 7 * 86_400],
  ["d", 86_400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];

const unitOf = (units: [string, number][], suffix: string): number =>
  units.find(([u]) => u === suffix)?.[1] ?? 1;

/** "10M", "1.5 GiB", "512k", "100" (bytes); binary units as the CLI. */
export function parseSize(text: string): Limit {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!text.trim()) return { ok: true, value: null };
  if (!m) return { ok: false };
  return { ok: true, value: Math.floor(Number(m[1]) * unitOf(SIZE_UNITS, (m[2] ?? "").toUpperCase())) };
}

/** "30s", "10m", "2h", "7d", "2w", or plain seconds. */
export function parseAge(text: string): Limit {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!text.trim()) return { ok: true, value: null };
  if (!m) return { ok: false };
  return { ok: true, value: Number(m[1]) * unitOf(AGE_UNITS, m[2] ?? "") };
}

/** The shortest exact text for a byte count (what parseSize reads back). */
export function sizeText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  for (const [u, unit] of SIZE_UNITS) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${u}`;
  }
  return String(bytes);
}

/** The shortest exact text for seconds (what parseAge reads back). */
export function ageText(secs: number | null | undefined): string {
  if (secs === null || secs === undefined) return "";
  for (const [u, unit] of AGE_UNITS) {
    if (secs >= unit && secs % unit === 0) return `${secs / unit}${u}`;
  }
  return String(secs);
}

/** The four limit fields of the backup form. */
export interface LimitFields {
  minSize: string;
  maxSize: string;
  minAge: string;
  maxAge: string;
}

export interface Limits {
  minSize: number | null;
  maxSize: number | null;
  minAgeSecs: number | null;
  maxAgeSecs: number | null;
}

/** The fields for stored limits. */
export function limitFields(l: Partial<Limits> | null | undefined): LimitFields {
  return {
    minSize: sizeText(l?.minSize),
    maxSize: sizeText(l?.maxSize),
    minAge: ageText(l?.minAgeSecs),
    maxAge: ageText(l?.maxAgeSecs),
  };
}

/** The limits in the fields, or the name of the first field that cannot be read. */
export function readLimits(f: LimitFields): { ok: true; limits: Limits } | { ok: false; field: keyof LimitFields } {
  const parsed = {
    minSize: parseSize(f.minSize),
    maxSize: parseSize(f.maxSize),
    minAge: parseAge(f.minAge),
    maxAge: parseAge(f.maxAge),
  };
  for (const field of ["minSize", "maxSize", "minAge", "maxAge"] as const) {
    if (!parsed[field].ok) return { ok: false, field };
  }
  const v = (l: Limit) => (l.ok ? l.value : null);
  return {
    ok: true,
    limits: {
      minSize: v(parsed.minSize),
      maxSize: v(parsed.maxSize),
      minAgeSecs: v(parsed.minAge),
      maxAgeSecs: v(parsed.maxAge),
    },
  };
}
