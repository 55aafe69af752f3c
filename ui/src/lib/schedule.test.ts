import { beforeEach, describe, expect, it } from "vitest";
import { ageText, durationText, intervalMs, isStale, nearLimit, nextDaily, nextRunText, scheduleFields, scheduleLine, scheduleOf, scheduleText } from "./schedule";
import { setLocale } from "./i18n/index.svelte";
import { formatDate } from "./format";

const H = 3_600_000;

describe("schedule wording", () => {
  beforeEach(() => setLocale("en"));

  it("says how often, in both languages", () => {
    expect(scheduleText(null)).toBe("Only when you run it");
    expect(scheduleText({ type: "hourly", hours: 1 })).toBe("Every hour");
    expect(scheduleText({ type: "hourly", hours: 6 })).toBe("Every 6 hours");
    expect(scheduleText({ type: "daily", time: "07:30" })).toBe("Daily at 07:30");
    setLocale("nb");
    expect(scheduleText({ type: "hourly", hours: 6 })).toBe("Hver 6. time");
    expect(scheduleText({ type: "daily", time: "07:30" })).toBe("Hver dag kl. 07:30");
  });

  it("shows the next run, or that it waits while paused", () => {
    const ms = Date.UTC(2026, 5, 1, 5, 30);
    expect(nextRunText(ms)).toBe(`Next run: ${formatDate(new Date(ms).toISOString(), "en")}`);
    expect(nextRunText(ms, true)).toBe("Paused: no scheduled runs until you resume");
    expect(nextRunText(null)).toBe("");
    expect(scheduleLine({ type: "hourly", hours: 2 }, ms)).toBe(`Every 2 hours · Next run: ${formatDate(new Date(ms).toISOString(), "en")}`);
    expect(scheduleLine(null, ms)).toBe("Only when you run it");
  });

  it("finds the next local HH:MM", () => {
    const from = new Date(2026, 0, 5, 8, 0);
    expect(nextDaily("09:15", from)).toEqual(new Date(2026, 0, 5, 9, 15));
    expect(nextDaily("08:00", from)).toEqual(new Date(2026, 0, 6, 8, 0));
    expect(intervalMs({ type: "daily", time: "01:00" })).toBe(24 * H);
  });
});

describe("overview ages and warnings", () => {
  beforeEach(() => setLocale("en"));
  const now = Date.UTC(2026, 0, 10);

  it("words ages", () => {
    expect(ageText(null, now)).toBe("never");
    expect(ageText(now - 10_000, now)).toBe("just now");
    expect(ageText(now - 60_000, now)).toBe("1 minute ago");
    expect(ageText(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(ageText(now - 3 * H, now)).toBe("3 hours ago");
    expect(ageText(now - 49 * H, now)).toBe("2 days ago");
    setLocale("nb");
    expect(ageText(now - 49 * H, now)).toBe("for 2 dager siden");
  });

  it("warns when a scheduled task has not succeeded for twice its interval", () => {
    const hourly = { type: "hourly" as const, hours: 6 };
    expect(isStale({ schedule: hourly, lastSuccessMs: now - 11 * H, scheduleSinceMs: null }, now)).toBe(false);
    expect(isStale({ schedule: hourly, lastSuccessMs: now - 13 * H, scheduleSinceMs: null }, now)).toBe(true);
    // Never succeeded: counted from when the schedule was set.
    expect(isStale({ schedule: hourly, lastSuccessMs: null, scheduleSinceMs: now - H }, now)).toBe(false);
    expect(isStale({ schedule: hourly, lastSuccessMs: null, scheduleSinceMs: now - 20 * H }, now)).toBe(true);
    // Unscheduled tasks are not judged.
    expect(isStale({ schedule: null, lastSuccessMs: null, scheduleSinceMs: null }, now)).toBe(false);
  });

  it("flags quotas near the limit", () => {
    expect(nearLimit({ used: 95, total: 100, writeLocked: false })).toBe(true);
    expect(nearLimit({ used: 50, total: 100, writeLocked: false })).toBe(false);
    expect(nearLimit({ used: 50, total: null, writeLocked: false })).toBe(false);
    expect(nearLimit({ used: 1, total: 100, writeLocked: true })).toBe(true);
  });
});

describe("schedule editor fields", () => {
  it("round-trip between a schedule and the editor's fields", () => {
    expect(scheduleOf("hourly", 6, "02:00")).toEqual({ type: "hourly", hours: 6 });
    expect(scheduleOf("daily", 24, "03:30")).toEqual({ type: "daily", time: "03:30" });
    expect(scheduleOf("none", 24, "02:00")).toBeNull();
    expect(scheduleOf("minutes", 24, "02:00", 30)).toEqual({ type: "minutes", minutes: 30 });
    expect(scheduleOf("continuous", 24, "02:00", 15, 60)).toEqual({ type: "continuous", pollSeconds: 60 });
    expect(scheduleFields({ type: "hourly", hours: 6 })).toEqual({ kind: "hourly", hours: 6, time: "02:00", minutes: 15, pollSeconds: 30 });
    expect(scheduleFields({ type: "minutes", minutes: 30 })).toEqual({ kind: "minutes", hours: 24, time: "02:00", minutes: 30, pollSeconds: 30 });
    expect(scheduleFields({ type: "continuous", pollSeconds: 10 })).toMatchObject({ kind: "continuous", pollSeconds: 10 });
    expect(scheduleFields(null)).toEqual({ kind: "none", hours: 24, time: "02:00", minutes: 15, pollSeconds: 30 });
  });

  it("words a continuous schedule and its check interval", () => {
    setLocale("en");
    expect(scheduleText({ type: "continuous", pollSeconds: 30 })).toBe("Continuously · storage checked every 30 seconds");
    expect(scheduleText({ type: "continuous", pollSeconds: 300 })).toBe("Continuously · storage checked every 5 minutes");
    expect(durationText(1)).toBe("1 second");
    expect(durationText(60)).toBe("1 minute");
    expect(durationText(119.6)).toBe("2 minutes");
    // Never due by the clock: stale only when no full comparison succeeded for two hours.
    const task = { schedule: { type: "continuous" as const, pollSeconds: 30 }, scheduleSinceMs: 0, lastSuccessMs: 0 };
    expect(isStale(task, 3_600_000)).toBe(false);
    expect(isStale(task, 2 * 3_600_000 + 1)).toBe(true);
  });
});
