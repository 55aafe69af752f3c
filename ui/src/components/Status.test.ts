// Status that agrees with itself (issue 13, point 4) and safe defaults in the
// task form (point 5), on the mock backend.
import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoStorage, mockBackend, type MockOptions } from "../lib/api/mock";
import type { Task } from "../lib/api/types";
import { blankTask } from "../lib/tasks";

const photos: Task = {
  ...blankTask("demo"),
  id: "t1",
  name: "Photos",
  kind: "sync",
  direction: "upload",
  local: "/home/me/Photos",
  storage: "demo",
  remote: "Photos",
  include: [],
  exclude: [],
  lastRun: null,
};

async function openTasks(opts: MockOptions = {}) {
  const backend = mockBackend({ storages: [demoStorage], ...opts });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: "Tasks" }));
  return backend;
}

/** The run results on screen ("Run 2: …", "Undo of run …"). */
const results = () => screen.queryAllByRole("status").filter((e) => /Run \d+:|of run \d+/.test(e.textContent ?? ""));

describe("status that agrees with itself", () => {
  it("a refused run is never green", async () => {
    await openTasks({ tasks: [photos], refuseDeletes: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    await within(card).findByTestId("run-refused");
    expect(document.querySelector(".banner.ok")).toBeNull();
    expect(within(card).getByText(/Last run .*: Refused/)).toBeTruthy();
  });

  it("a failed run's result is red and counts its skipped files; a new result replaces the old", async () => {
    await openTasks({ tasks: [photos] });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    const first = await within(card).findByTestId("run-result");
    expect(first.className).toContain("error");
    expect(first.textContent).toBe("Run 1: Finished with failures");
    expect(within(card).getByText(/Last run/).textContent).toContain("1 skipped");
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    await within(card).findByText(/Run 2: Finished with failures/);
    expect(results().map((e) => e.textContent)).toEqual([expect.stringMatching(/^Run 2:/)]);
  });

  it("an undo or retry shows as what it is, as the task's one status next to its button, and is never its last run", async () => {
    await openTasks({ tasks: [photos] });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    await within(card).findByText(/Run 1: Finished with failures/);
    await fireEvent.click(within(card).getByRole("button", { name: "Log" }));
    const log = await screen.findByRole("region", { name: "Runs of “Photos”" });
    await within(log).findByText("b.txt");
    await fireEvent.click(within(log).getByRole("button", { name: "Retry failed only" }));
    // The answer is next to the button pressed (in the log); the card's result of run 1 is gone.
    const retried = await within(log).findByText(/Retry of run 1 \(run 2\): Done/);
    expect(retried.textContent).toContain("1 done, 0 deleted, 0 failed");
    expect(results()).toHaveLength(1);
    expect(within(card).queryByTestId("run-result")).toBeNull();
    await fireEvent.click(within(log).getByRole("button", { name: "Undo this run" }));
    await fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Undo this run" }));
    await within(log).findByText(/Undo of run 2 \(run 3\): Done/);
    expect(results()).toHaveLength(1);
    // The card's last run is still the task's own run.
    await waitFor(() => expect(within(card).getByText(/Last run .*: Finished with failures/)).toBeTruthy());
  });

  it("the overview counts refusals as refusals, not as failed runs", async () => {
    const backend = mockBackend({ storages: [demoStorage], tasks: [photos], refuseDeletes: true });
    for (let i = 0; i < 3; i++) await backend.runTask("t1", () => {});
    render(App, { props: { backend } });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    expect((await within(card).findByTestId("refusals")).textContent).toBe("3 refused runs since (nothing was changed)");
    expect(within(card).queryByTestId("failures")).toBeNull();
    expect(card.dataset.safe).toBe("false");
  });
});

describe("safe defaults in the task form", () => {
  it("a new task copies (never deletes at the destination) unless the user chooses otherwise", async () => {
    await openTasks();
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const form = screen.getByRole("form", { name: "New task" });
    expect((within(form).getByRole("combobox", { name: "What to do" }) as HTMLSelectElement).value).toBe("copy");
  });

  it("warns before saving a second task into the same storage folder (or one inside it)", async () => {
    const backend = await openTasks({ tasks: [photos] });
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const f = within(screen.getByRole("form", { name: "New task" }));
    await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Summer" } });
    await fireEvent.input(f.getByRole("textbox", { name: "Folder on this computer" }), { target: { value: "/home/me/Summer" } });
    await fireEvent.input(f.getByRole("textbox", { name: /Folder in demo/ }), { target: { value: "/Photos/2026/" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    const warning = await f.findByTestId("overlap");
    expect(warning.textContent).toContain("“Photos”");
    expect(warning.textContent).toContain("/Photos in demo");
    expect(backend.calls.some((c) => c.command === "save_task")).toBe(false);
    await fireEvent.click(within(warning).getByRole("button", { name: "Save anyway" }));
    await screen.findByRole("listitem", { name: "Summer" });
  });

  it("flags a missing local folder at save and creates it when asked", async () => {
    const backend = await openTasks({ missingLocal: ["/home/me/Nowhere"] });
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const f = within(screen.getByRole("form", { name: "New task" }));
    await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
    await fireEvent.input(f.getByRole("textbox", { name: "Folder on this computer" }), { target: { value: "/home/me/Nowhere" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    const flag = await f.findByTestId("local-missing");
    expect(flag.textContent).toContain("The folder /home/me/Nowhere does not exist on this computer.");
    expect(screen.queryByRole("listitem", { name: "Docs" })).toBeNull();
    await fireEvent.click(within(flag).getByRole("button", { name: "Create it" }));
    await screen.findByRole("listitem", { name: "Docs" });
    expect(backend.calls.filter((c) => c.command === "save_task").map((c) => c.args.createLocal)).toEqual([false, true]);
  });

  it("an edit takes away the previous run's “Delete anyway…”", async () => {
    await openTasks({ tasks: [photos], refuseDeletes: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    await within(card).findByRole("button", { name: "Delete anyway…" });
    await fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const f = within(screen.getByRole("form", { name: "Edit" }));
    await fireEvent.input(f.getByRole("textbox", { name: /Folder in demo/ }), { target: { value: "Elsewhere" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit" })).toBeNull());
    expect(within(card).queryByRole("button", { name: "Delete anyway…" })).toBeNull();
    expect(within(card).queryByTestId("run-refused")).toBeNull();
  });
});
