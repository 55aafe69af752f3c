import { describe, expect, it } from "vitest";
import { formatBytes, formatDate, formatDuration, formatEta, percentUsed, sortEntries, splitPath } from "./format";
import type { Entry } from "./api/types";

const e = (name: string, folder: boolean, size: number | null = null, modified: string | null = null): Entry => ({
  name,
  displayName: name,
  folder,
  size,
  md5: null,
  created: null,
  modified,
  uploaded: null,
  mime: null,
  backup: false,
});

describe("formatBytes", () => {
  it("uses binary units with sensible precision", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1,023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5 GiB");
    expect(formatBytes(150 * 1024 ** 2)).toBe("150 MiB");
  });
  it("follows the locale", () => {
    expect(formatBytes(1536, "nb")).toBe("1,5 KiB");
  });
  it("shows a dash for unknown sizes", () => {
    expect(formatBytes(null)).toBe("—");
  });
});

describe("formatDate", () => {
  it("formats RFC 3339 and rejects garbage", () => {
    expect(formatDate("2026-01-02T03:04:05Z")).toMatch(/2026/);
    expect(formatDate("not a date")).toBe("—");
    expect(formatDate(null)).toBe("—");
  });
});

describe("percentUsed", () => {
  it("rounds and caps, and knows unlimited accounts", () => {
    expect(percentUsed(50, 200)).toBe(25);
    expect(percentUsed(300, 200)).toBe(100);
    expect(percentUsed(5, null)).toBeNull();
  });
});

describe("sortEntries", () => {
  const list = [e("b.txt", false, 5, "2026-01-03"), e("Zeta", true), e("a10.txt", false, 50, "2026-01-01"), e("a9.txt", false, 1, "2026-01-02"), e("alpha", true)];
  it("puts folders first and sorts names naturally", () => {
    expect(sortEntries(list, "name").map((x) => x.name)).toEqual(["alpha", "Zeta", "a9.txt", "a10.txt", "b.txt"]);
  });
  it("sorts by size and reverses within groups", () => {
    expect(sortEntries(list, "size", true).map((x) => x.name)).toEqual(["Zeta", "alpha", "a10.txt", "b.txt", "a9.txt"]);
  });
  it("sorts by modification time", () => {
    expect(sortEntries(list, "modified").slice(2).map((x) => x.name)).toEqual(["a10.txt", "a9.txt", "b.txt"]);
  });
  it("sorts 100,000 entries quickly", () => {
    const many = Array.from({ length: 100_000 }, (_, i) => e(`file ${i}.txt`, i % 10 === 0, i));
    const t0 = performance.now();
    const out = sortEntries(many, "name");
    expect(out).toHaveLength(100_000);
    expect(out[0]!.folder).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("splitPath", () => {
  it("drops empty segments", () => {
    expect(splitPath(" Photos / 2026/ ")).toEqual(["Photos", "2026"]);
    expect(splitPath("")).toEqual([]);
  });
});

describe("formatDuration", () => {
  it("reads like a clock for people", () => {
    expect(formatDuration(400)).toBe("0 s");
    expect(formatDuration(75_000)).toBe("1 min 15 s");
    expect(formatDuration(3_720_000)).toBe("1 h 2 min");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("formatEta", () => {
  it("never says 0 s: under a few seconds it is almost done (null)", () => {
    for (const s of [0, 0.4, 1, 4.9]) expect(formatEta(s)).toBeNull();
    expect(formatEta(null)).toBeNull();
    expect(formatEta(Number.NaN)).toBeNull();
    expect(formatEta(-3)).toBeNull();
  });
  it("counts seconds in steps of 5 under a minute", () => {
    expect(formatEta(5)).toBe("5 sec");
    expect(formatEta(13)).toBe("15 sec");
    expect(formatEta(44)).toBe("45 sec");
    expect(formatEta(58)).toBe("1 min");
  });
  it("then whole minutes, then hours with minutes in steps of 10, then hours", () => {
    expect(formatEta(89)).toBe("1 min");
    expect(formatEta(12 * 60 + 20)).toBe("12 min");
    expect(formatEta(59 * 60 + 40)).toBe("1 hr");
    expect(formatEta(80 * 60 + 100)).toBe("1 hr 20 min");
    expect(formatEta(3 * 3600 + 56 * 60)).toBe("4 hr");
    expect(formatEta(14.4 * 3600)).toBe("14 hr");
  });
  it("uses the locale's own units", () => {
    expect(formatEta(45, "nb")).toBe("45 sek");
    expect(formatEta(80 * 60, "sv")).toBe("1 tim 20 min");
    expect(formatEta(45, "fi")).toBe("45 s");
  });
});
