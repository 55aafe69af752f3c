import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoStorage, mockBackend, type MockOptions } from "../lib/api/mock";
import type { Conflict, KeptAside, Run, Task, Watch } from "../lib/api/types";
import { blankTask, syncStatus } from "../lib/tasks";
import { setLocale } from "../lib/i18n/index.svelte";

const okRun: Run = {
  id: 1,
  kind: "bisync",
  source: "/home/me/Docs",
  destination: "demo:Docs",
  startedMs: 1_000,
  endedMs: 2_000,
  outcome: "ok",
  counters: { uploaded: 1, downloaded: 0, updated: 0, retimed: 0, copied: 0, deleted: 0, moved: 0, unchanged: 0, skipped: 0, failed: 0, deduplicated: 0, bytes: 10 },
  parent: null,
  refusal: null,
  stopped: null,
  warning: null,
} as Run;

const twoWay: Task = {
  ...blankTask("demo"),
  id: "7",
  name: "Docs",
  kind: "bisync",
  direction: "both",
  local: "/home/me/Docs",
  remote: "Docs",
  schedule: { type: "minutes", minutes: 15 },
  lastRun: okRun,
};

const conflict: Conflict = {
  id: 4,
  foundMs: 2_000,
  mine: { path: "report (conflicted copy laptop 2026-12-06 011500).txt", size: 2048, modifiedMs: 1_700_000_000_000 },
  theirs: { path: "report.txt", size: 1024, modifiedMs: 1_700_000_100_000 },
};

const full: KeptAside = {
  path: "video/holiday.mp4",
  side: "storage",
  reason: "storage_full",
  message: "the storage is full (quota exceeded)",
  firstMs: 1_700_000_000_000,
  lastMs: 1_700_000_000_000,
  attempts: 1,
  nextMs: null,
};
const flaky: KeptAside = { ...full, path: "notes.txt", side: "local", reason: "retry", message: "connection reset", attempts: 3, nextMs: 1_700_000_600_000 };

async function openTasks(opts: MockOptions = {}) {
  const backend = mockBackend({ storages: [demoStorage], ...opts });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: "Tasks" }));
  return backend;
}

describe("two-way sync", () => {
  it("words a two-way task's status: syncing, conflicts, paused, up to date", () => {
    setLocale("en");
    const t = { conflicts: 0, keptAside: 0, lastRun: okRun, paused: false, watch: null };
    const now = 1_000_000;
    expect(syncStatus(t, { filesTotal: 12 }, false, now)).toEqual({ tone: "busy", text: "Syncing 12 files" });
    expect(syncStatus({ ...t, conflicts: 3 }, undefined, false, now)).toEqual({ tone: "warn", text: "3 conflicts" });
    expect(syncStatus({ ...t, conflicts: 1 }, undefined, false, now).text).toBe("1 conflict");
    expect(syncStatus({ ...t, keptAside: 2 }, undefined, false, now)).toEqual({ tone: "warn", text: "2 files could not sync" });
    expect(syncStatus(t, undefined, true, now)).toEqual({ tone: "warn", text: "Paused" });
    expect(syncStatus({ ...t, paused: true }, undefined, false, now).text).toBe("Paused");
    expect(syncStatus(t, undefined, false, now)).toEqual({ tone: "ok", text: "Up to date" });
    expect(syncStatus({ ...t, lastRun: null }, undefined, false, now).text).toBe("Not synced yet");
  });

  it("words a continuous task's watcher: watching, starting, retrying with the reason, stopped", () => {
    setLocale("en");
    const now = 1_000_000;
    const watch = (state: Watch["state"], extra: Partial<Watch> = {}): Watch => ({
      state,
      sinceMs: now,
      retryAtMs: null,
      error: null,
      notice: null,
      ...extra,
    });
    const t = { conflicts: 0, keptAside: 0, lastRun: okRun, paused: false, watch: watch("idle") };
    expect(syncStatus(t, undefined, false, now)).toEqual({ tone: "ok", text: "Up to date · watching for changes" });
    expect(syncStatus({ ...t, lastRun: null, watch: watch("starting") }, undefined, false, now).text).toBe("Starting to watch");
    const offline = watch("retrying", { retryAtMs: now + 120_000, error: { code: "offline", message: "no answer" } });
    const st = syncStatus({ ...t, watch: offline }, undefined, false, now);
    expect(st.tone).toBe("warn");
    expect(st.text).toBe("Could not sync · trying again in 2 minutes");
    expect(st.detail).toBeTruthy();
    expect(st.detail).not.toContain("no answer");
    const gone = syncStatus({ ...t, watch: watch("stopped", { error: { code: "invalid", message: "x" } }) }, undefined, false, now);
    expect(gone.tone).toBe("error");
    expect(gone.text).toBe("Not watching: it will try again within the hour");
    const degraded = syncStatus({ ...t, watch: watch("idle", { notice: "watch_limit" }) }, undefined, false, now);
    expect(degraded.detail).toMatch(/limit on watched folders/);
    // Conflicts and a pause still come first.
    expect(syncStatus({ ...t, conflicts: 2 }, undefined, false, now).text).toBe("2 conflicts");
    expect(syncStatus(t, undefined, true, now).text).toBe("Paused");
  });

  it("makes a two-way task from the form: both ways, continuously, deletions said", async () => {
    const backend = await openTasks();
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const f = within(screen.getByRole("form", { name: "New task" }));
    // Copy stays the default: it never deletes.
    expect((f.getByRole("combobox", { name: "What to do" }) as HTMLSelectElement).value).toBe("copy");
    await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
    await fireEvent.change(f.getByRole("combobox", { name: "What to do" }), { target: { value: "bisync" } });
    expect(f.getByTestId("two-way-help").textContent).toMatch(/deleted on either side is .*deleted on the other/);
    expect(f.queryByRole("combobox", { name: "Direction" })).toBeNull();
    // Continuous by default, the storage checked every 30 seconds.
    expect((f.getByRole("combobox", { name: "Schedule" }) as HTMLSelectElement).value).toBe("continuous");
    expect((f.getByRole("combobox", { name: "Check the storage for changes every" }) as HTMLSelectElement).value).toBe("30");
    await fireEvent.change(f.getByRole("combobox", { name: "Check the storage for changes every" }), { target: { value: "60" } });
    await fireEvent.input(f.getByRole("textbox", { name: "Folder on this computer" }), { target: { value: "/home/me/Docs" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    const card = await screen.findByRole("listitem", { name: "Docs" });
    expect(within(card).getByTestId("schedule").textContent).toBe("Continuously · storage checked every 1 minute");
    expect(within(card).getByText("/home/me/Docs ⇄ demo:/")).toBeTruthy();
    const call = backend.calls.find((c) => c.command === "save_task")!;
    expect(call.args.task).toMatchObject({ kind: "bisync", direction: "both", schedule: { type: "continuous", pollSeconds: 60 }, noVersions: false });
  });

  it("shows the conflicts on the card and resolves one from the Conflicts view", async () => {
    const backend = await openTasks({ tasks: [twoWay], conflicts: { "7": [conflict] } });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    expect(within(card).getByTestId("sync-status").textContent).toBe("1 conflict");
    await fireEvent.click(within(card).getByRole("button", { name: /^Conflicts/ }));
    const view = await screen.findByRole("region", { name: "Conflicts in Docs" });
    const item = await within(view).findByRole("listitem", { name: "report.txt" });
    // Both versions side by side, with their facts.
    expect(within(item).getByText("Yours (this computer)")).toBeTruthy();
    expect(within(item).getByText("Theirs (demo)")).toBeTruthy();
    expect(within(item).getByText(conflict.mine.path)).toBeTruthy();
    expect(within(item).getByText(/^2(\.0)? KiB, changed /)).toBeTruthy();
    await fireEvent.click(within(item).getByRole("button", { name: "Keep mine" }));
    await waitFor(() => expect(within(view).getByTestId("conflicts-result").textContent).toMatch(/^Kept your version of report.txt on both sides\. Run \d+: Done/));
    expect(within(view).getByTestId("no-conflicts")).toBeTruthy();
    const call = backend.calls.find((c) => c.command === "resolve_conflict")!;
    expect(call.args).toMatchObject({ id: "7", conflict: 4, resolution: "keep_mine" });
    await waitFor(() => expect(within(card).getByTestId("sync-status").textContent).toBe("Up to date"));
  });

  it("says a changed version refuses the resolution, next to its buttons", async () => {
    await openTasks({ tasks: [twoWay], conflicts: { "7": [conflict] }, changedConflicts: [4] });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: /^Conflicts/ }));
    const item = await screen.findByRole("listitem", { name: "report.txt" });
    await fireEvent.click(within(item).getByRole("button", { name: "Keep theirs" }));
    const failure = await within(item).findByTestId("conflict-failure");
    expect(failure.getAttribute("data-code")).toBe("conflict_changed");
    expect(failure.textContent).toMatch(/Sync first, then resolve what is left/);
    expect(within(card).getByTestId("sync-status").textContent).toBe("1 conflict");
  });

  it("keeps a task with open conflicts off green on the overview", async () => {
    const backend = mockBackend({ storages: [demoStorage], tasks: [twoWay], conflicts: { "7": [conflict] } });
    render(App, { props: { backend } });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await waitFor(() => expect(card.getAttribute("data-safe")).toBe("false"));
    expect(within(card).getByTestId("conflicts").textContent).toBe("1 conflict to resolve");
  });

  it("lists the files that could not sync with what to do, and tries them again at the user's word", async () => {
    setLocale("en");
    const backend = await openTasks({ tasks: [twoWay], keptAside: { "7": [full, flaky] }, failAgain: ["notes.txt"] });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    expect(within(card).getByTestId("sync-status").textContent).toBe("2 files could not sync");
    const scrolled: Element[] = [];
    const before = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
    let view: HTMLElement;
    try {
      await fireEvent.click(within(card).getByRole("button", { name: /^Not synced.\(2\)$/ }));
      view = await screen.findByRole("region", { name: "Files in Docs that could not sync" });
      // It opens below the cards: brought into view where the user looks next.
      await waitFor(() => expect(scrolled).toContain(view));
    } finally {
      Element.prototype.scrollIntoView = before;
    }
    const video = await within(view).findByRole("listitem", { name: "video/holiday.mp4" });
    expect(within(video).getByText("Could not change it in demo.")).toBeTruthy();
    expect(within(video).getByText("demo is full. Free some space there, then try again.")).toBeTruthy();
    expect(within(video).getByText(/^Failed 1 time, first at /)).toBeTruthy();
    const notes = within(view).getByRole("listitem", { name: "notes.txt" });
    expect(within(notes).getByText("Could not change it on this computer.")).toBeTruthy();
    expect(within(notes).getByText(/^It is tried again by itself at /)).toBeTruthy();
    expect(within(notes).getByText(/^Failed 3 times/)).toBeTruthy();

    await fireEvent.click(within(view).getByRole("button", { name: "Try them again now" }));
    await waitFor(() => expect(within(view).getByTestId("aside-result").textContent).toMatch(/^1 file still could not sync\. Run \d+/));
    expect(backend.calls.some((c) => c.command === "retry_kept_aside" && c.args.id === "7")).toBe(true);
    expect(within(view).queryByRole("listitem", { name: "video/holiday.mp4" })).toBeNull();
    expect(within(view).getByRole("listitem", { name: "notes.txt" })).toBeTruthy();
    await waitFor(() => expect(within(card).getByTestId("sync-status").textContent).toBe("1 file could not sync"));
  });

  it("does not show a run that left files aside as all green", async () => {
    setLocale("en");
    await openTasks({ tasks: [twoWay, { ...twoWay, id: "8", name: "Notes", local: "/home/me/Notes", remote: "Notes" }], keptAside: { "7": [full] }, cleanRuns: true });
    // A run with nothing left aside is green.
    const notes = await screen.findByRole("listitem", { name: "Notes" });
    await fireEvent.click(within(notes).getByRole("button", { name: "Run now" }));
    const clean = await within(notes).findByTestId("run-result");
    expect(clean.textContent).toMatch(/^Run \d+: Done$/);
    expect(clean.classList.contains("ok")).toBe(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    const result = await within(card).findByTestId("run-result");
    expect(result.textContent).toMatch(/^Run \d+: Done.· 1 file could not sync/);
    expect(result.classList.contains("warn")).toBe(true);
  });

  it("keeps a task with files that could not sync off green on the overview", async () => {
    const backend = mockBackend({ storages: [demoStorage], tasks: [twoWay], keptAside: { "7": [full] } });
    render(App, { props: { backend } });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await waitFor(() => expect(card.getAttribute("data-safe")).toBe("false"));
    expect(within(card).getByTestId("kept-aside").textContent).toBe("1 file could not sync");
  });

  it("keeps a continuous task that cannot sync now off green on the overview, saying it tries again", async () => {
    const retrying: Task = {
      ...twoWay,
      schedule: { type: "continuous", pollSeconds: 30 },
      watch: { state: "retrying", sinceMs: Date.now(), retryAtMs: Date.now() + 60_000, error: { code: "offline", message: "x" }, notice: null },
    };
    const backend = mockBackend({ storages: [demoStorage], tasks: [retrying] });
    render(App, { props: { backend } });
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await waitFor(() => expect(card.getAttribute("data-safe")).toBe("false"));
    expect(within(card).getByTestId("watch").textContent).toMatch(/^Could not sync · trying again in/);
  });
});
