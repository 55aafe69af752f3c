import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoStorage, mockBackend, type MockOptions } from "../lib/api/mock";
import type { Task } from "../lib/api/types";
import { blankTask } from "../lib/tasks";

const saved: Task = {
  ...blankTask("demo"),
  id: "t1",
  name: "Photos",
  kind: "sync",
  local: "/home/me/Photos",
  remote: "Photos",
  exclude: ["*.tmp"],
};

async function openTasks(opts: MockOptions = {}) {
  const backend = mockBackend({ storages: [demoStorage], ...opts });
  render(App, { props: { backend } });
  // With storages the app opens on the overview; go to the storage's tasks.
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: "Tasks" }));
  return backend;
}

/** Runs the "Photos" task (the mock records failures) and opens its log. */
async function runAndOpenLog(): Promise<HTMLElement> {
  const card = await screen.findByRole("listitem", { name: "Photos" });
  await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
  await waitFor(() => expect(within(card).getByText(/Last run .*: Finished with failures/)).toBeTruthy());
  await fireEvent.click(within(card).getByRole("button", { name: "Log" }));
  const log = await screen.findByRole("region", { name: "Runs of “Photos”" });
  await within(log).findByText("b.txt");
  return log;
}

describe("tasks", () => {
  it("creates a sync task with filters from the form", async () => {
    const backend = await openTasks();
    await screen.findByText(/No tasks yet/);
    await fireEvent.click(screen.getByRole("button", { name: "+ New task" }));
    const form = screen.getByRole("form", { name: "New task" });
    const f = within(form);
    await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
    await fireEvent.click(f.getByRole("button", { name: "Choose…" }));
    await waitFor(() => expect((f.getByRole("textbox", { name: "Folder on this computer" }) as HTMLInputElement).value).toBe("/home/me/Downloads"));
    await fireEvent.input(f.getByRole("textbox", { name: /Folder in demo/ }), { target: { value: "Backup/Docs" } });
    await fireEvent.input(f.getByRole("textbox", { name: /Leave out/ }), { target: { value: "*.tmp\n\n node_modules/ " } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    const card = await screen.findByRole("listitem", { name: "Docs" });
    expect(within(card).getByText("Not run yet.")).toBeTruthy();
    const call = backend.calls.find((c) => c.command === "save_task")!;
    expect(call.args.task).toMatchObject({
      name: "Docs",
      kind: "copy",
      direction: "upload",
      local: "/home/me/Downloads",
      storage: "demo",
      remote: "Backup/Docs",
      exclude: ["*.tmp", "node_modules/"],
    });
  });

  it("keeps no old versions only when the box is ticked, and only for uploads", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const f = within(screen.getByRole("form", { name: "Edit" }));
    const box = f.getByRole("checkbox", { name: "Keep no old versions in demo" }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    expect(f.getByText(/deleted for good \(not moved to the trash\).*not even with Undo/)).toBeTruthy();
    await fireEvent.click(box);
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.calls.some((c) => c.command === "save_task")).toBe(true));
    expect(backend.calls.find((c) => c.command === "save_task")?.args.task).toMatchObject({ noVersions: true });

    // A download replaces nothing in the storage: no box, saved off.
    await fireEvent.click(await within(card).findByRole("button", { name: "Edit" }));
    const g = within(screen.getByRole("form", { name: "Edit" }));
    expect((g.getByRole("checkbox", { name: "Keep no old versions in demo" }) as HTMLInputElement).checked).toBe(true);
    await fireEvent.change(g.getByRole("combobox", { name: "Direction" }), { target: { value: "download" } });
    await waitFor(() => expect(g.queryByRole("checkbox", { name: /Keep no old versions/ })).toBeNull());
    await fireEvent.click(g.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(backend.calls.filter((c) => c.command === "save_task").length).toBe(2));
    expect(backend.calls.filter((c) => c.command === "save_task")[1]!.args.task).toMatchObject({ noVersions: false });
  });

  it("sets a schedule and shows it with the next run on the card", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    expect(within(card).getByTestId("schedule").textContent?.trim()).toBe("Only when you run it");
    await fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const f = within(screen.getByRole("form", { name: "Edit" }));
    await fireEvent.change(f.getByRole("combobox", { name: "Schedule" }), { target: { value: "daily" } });
    const time = await f.findByLabelText("Time of day");
    await fireEvent.input(time, { target: { value: "07:30" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(card).getByTestId("schedule").textContent).toMatch(/^Daily at 07:30 · Next run: .*7:30/));
    expect(backend.calls.find((c) => c.command === "save_task")?.args.task).toMatchObject({
      schedule: { type: "daily", time: "07:30" },
    });
    // Paused: the card says runs wait.
    await backend.pauseAll();
    await within(card).findByText(/Paused: no scheduled runs/);
  });

  it("previews the plan with the delete guard's refusal", async () => {
    await openTasks({ tasks: [saved], refuseDeletes: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Preview" }));
    const plan = await within(card).findByLabelText("Plan preview");
    expect(plan.querySelector('[data-k="creates"]')!.textContent).toBe("2");
    expect(plan.querySelector('[data-k="deletes"]')!.textContent).toBe("3");
    expect(plan.querySelector('[data-k="bytes"]')!.textContent).toBe("3 KiB");
    expect(within(plan).getByRole("alert").textContent).toContain("would be refused");
    expect(within(plan).getByText("new/a.txt")).toBeTruthy();
  });

  it("says where the user looks why a run stopped early and what to do", async () => {
    await openTasks({ tasks: [saved], diskFull: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    const stop = await within(card).findByTestId("run-stopped");
    expect(stop.getAttribute("role")).toBe("alert");
    expect(stop.textContent).toContain("The run stopped");
    expect(stop.textContent).toContain("the disk is full");
    expect(stop.textContent).toContain("What to do: free space on that disk");
  });

  it("shows live progress, stops, and records the result on the card", async () => {
    const backend = await openTasks({ tasks: [saved], holdRuns: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    const live = await within(card).findByRole("status", { name: "Running" });
    await waitFor(() => expect(live.textContent).toContain("1 of 3 files"));
    expect(live.textContent).toContain("1 KiB of 3 KiB");
    expect(live.textContent).toContain("2 KiB/s");
    expect(live.textContent).toContain("b.txt");
    await fireEvent.click(within(card).getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(backend.calls.map((c) => c.command)).toContain("cancel_task"));
    await waitFor(() => expect(within(card).getByText(/Last run .*: Stopped/)).toBeTruthy());
  });

  it("still shows a run started before the screen was opened again, and its end", async () => {
    await openTasks({ tasks: [saved], holdRuns: true });
    let card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    await within(card).findByRole("status", { name: "Running" });
    await fireEvent.click(screen.getByRole("tab", { name: "Files" }));
    await fireEvent.click(screen.getByRole("tab", { name: "Tasks" }));
    card = await screen.findByRole("listitem", { name: "Photos" });
    await within(card).findByText("Starting…");
    await fireEvent.click(within(card).getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(within(card).getByText(/Last run .*: Stopped/)).toBeTruthy(), { timeout: 4000 });
    expect(within(card).queryByRole("status", { name: "Running" })).toBeNull();
  });

  it("lists runs, filters file rows, retries failed files and undoes a run", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const log = await runAndOpenLog();
    expect(log.querySelectorAll("[data-result]").length).toBe(4);
    await fireEvent.click(within(log).getByRole("button", { name: "Failed" }));
    await waitFor(() => expect(log.querySelectorAll("[data-result]").length).toBe(1));
    expect(within(log).getByText("the service refused the name")).toBeTruthy();
    await fireEvent.click(within(log).getByRole("button", { name: "All" }));
    await fireEvent.input(within(log).getByRole("searchbox", { name: "Filter by path" }), { target: { value: "NEW/" } });
    await waitFor(() => expect(log.querySelectorAll("[data-result]").length).toBe(1));
    await fireEvent.click(within(log).getByRole("button", { name: "Retry failed only" }));
    // Answered next to the button pressed, in the log.
    await within(log).findByText(/Retry of run 1 \(run 2\): Done/);
    expect(backend.calls.find((c) => c.command === "retry_run")!.args).toEqual({ task: "t1", run: 1 });
    const undo = within(log).getByRole("button", { name: "Undo this run" }) as HTMLButtonElement;
    await waitFor(() => expect(undo.disabled).toBe(false));
    await fireEvent.click(undo);
    const dialog = await screen.findByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Undo this run" }));
    await within(log).findByText(/Undo of run 2 \(run 3\): Done/);
    expect(backend.calls.find((c) => c.command === "undo_run")!.args).toEqual({ task: "t1", run: 2 });
    expect(log.querySelectorAll("[data-run]").length).toBe(3);
  });

  it("shows the delete guard's numbers and runs again with the override only after a confirm", async () => {
    const backend = await openTasks({ tasks: [saved], refuseDeletes: true });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    await fireEvent.click(within(card).getByRole("button", { name: "Preview" }));
    const plan = await within(card).findByLabelText("Plan preview");
    expect(within(plan).getByTestId("guard-numbers").textContent).toBe("It would delete 3 of the 4 files in the destination.");
    await fireEvent.click(within(card).getByRole("button", { name: "Run now" }));
    const refusedBox = await within(card).findByTestId("run-refused");
    expect(refusedBox.textContent).toContain("The delete guard stopped this run");
    expect(refusedBox.textContent).toContain("3 of the 4 files");
    await fireEvent.click(within(refusedBox).getByRole("button", { name: "Delete anyway…" }));
    let dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("delete 3 of the 4 files");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(backend.calls.filter((c) => c.command === "run_task").map((c) => c.args.allowDeletes)).toEqual([false]);
    await fireEvent.click(within(refusedBox).getByRole("button", { name: "Delete anyway…" }));
    dialog = await screen.findByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete anyway" }));
    await waitFor(() => expect(within(card).getByText(/Last run .*: Finished with failures/)).toBeTruthy());
    expect(backend.calls.filter((c) => c.command === "run_task").map((c) => c.args.allowDeletes)).toEqual([false, true]);
    expect(within(card).queryByTestId("run-refused")).toBeNull();
  });

  it("exports the selected run as CSV or JSON", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const log = await runAndOpenLog();
    await fireEvent.click(within(log).getByRole("button", { name: "Export JSON…" }));
    await within(log).findByText("Exported to /home/me/fjordsync-run-1.json");
    await fireEvent.click(within(log).getByRole("button", { name: "Export CSV…" }));
    await within(log).findByText("Exported to /home/me/fjordsync-run-1.csv");
    expect(backend.calls.filter((c) => c.command === "export_run").map((c) => c.args.format)).toEqual(["json", "csv"]);
  });

  it("deletes a task only after the confirmation, and closes its open log", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    expect(within(card).getByText("/home/me/Photos → demo:Photos")).toBeTruthy();
    await fireEvent.click(within(card).getByRole("button", { name: "Log" }));
    await screen.findByRole("region", { name: "Runs of “Photos”" });
    await fireEvent.click(within(card).getByRole("button", { name: "Delete task" }));
    let dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("Photos");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(backend.calls.some((c) => c.command === "delete_task")).toBe(false);
    await fireEvent.click(within(card).getByRole("button", { name: "Delete task" }));
    dialog = await screen.findByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete task" }));
    await screen.findByText(/No tasks yet/);
    expect(screen.queryByRole("region", { name: "Runs of “Photos”" })).toBeNull();
    expect(backend.calls.find((c) => c.command === "delete_task")!.args).toEqual({ id: "t1" });
  });

  it("shows undo progress while it runs", async () => {
    const backend = await openTasks({ tasks: [saved] });
    const seen: string[] = [];
    const undo = backend.undoRun.bind(backend);
    backend.undoRun = (task, run, cb) => undo(task, run, (p) => (seen.push(p.type), cb?.(p)));
    const log = await runAndOpenLog();
    await fireEvent.click(within(log).getByRole("button", { name: "Undo this run" }));
    await fireEvent.click(within(await screen.findByRole("dialog")).getByRole("button", { name: "Undo this run" }));
    await screen.findByText(/Undo of run 1 \(run 2\): Done/);
    expect(seen).toEqual(["started", "finished"]);
  });

  it("picks the remote folder with the storage browser (folders only, new folder allowed)", async () => {
    // Rows of the virtualized list need real layout (the e2e test opens
    // folders); here: folders only, a new folder, choose, cancel.
    const backend = await openTasks({ files: ["Photos/2025/a.jpg", "notes.txt"] });
    await screen.findByText(/No tasks yet/);
    await fireEvent.click(screen.getByRole("button", { name: "+ New task" }));
    const form = within(screen.getByRole("form", { name: "New task" }));
    const remote = form.getByRole("textbox", { name: /Folder in demo/ }) as HTMLInputElement;
    await fireEvent.input(remote, { target: { value: "Old" } });
    await fireEvent.click(form.getByRole("button", { name: "Choose folder…" }));
    let picker = within(await screen.findByRole("dialog", { name: "Choose a folder in demo" }));
    await picker.findByText("1 folder");
    await fireEvent.click(picker.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(remote.value).toBe("Old");
    await fireEvent.click(form.getByRole("button", { name: "Choose folder…" }));
    picker = within(await screen.findByRole("dialog", { name: "Choose a folder in demo" }));
    await picker.findByText("1 folder");
    expect(picker.queryByText(/file/)).toBeNull();
    await fireEvent.click(picker.getByRole("button", { name: "+ New folder" }));
    await fireEvent.input(picker.getByRole("textbox", { name: "Folder name" }), { target: { value: "Summer" } });
    await fireEvent.click(picker.getByRole("button", { name: "Create" }));
    await picker.findByText("2 folders");
    expect(picker.getByTestId("picked-path").textContent).toBe("Chosen: /");
    await fireEvent.click(picker.getByRole("button", { name: "Choose this folder" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(remote.value).toBe("");
    expect(backend.calls.find((c) => c.command === "create_folder")!.args).toMatchObject({ parent: [], name: "Summer" });
  });

  it("in a browser the local folder is typed: no picker button", async () => {
    await openTasks({ canPickFolder: false });
    await screen.findByText(/No tasks yet/);
    await fireEvent.click(screen.getByRole("button", { name: "+ New task" }));
    const form = within(screen.getByRole("form", { name: "New task" }));
    expect(form.queryByRole("button", { name: "Choose…" })).toBeNull();
    expect(form.getByRole("textbox", { name: "Folder on this computer" })).toBeTruthy();
  });

  it("has every text in Norwegian too", async () => {
    const { nb } = await import("../lib/i18n/nb");
    expect(nb["nav.tasks"]).toBe("Oppgaver");
    expect(nb["log.retry"]).toBeTruthy();
  });
});
