import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoStorage, mockBackend, zeroCounters } from "../lib/api/mock";
import { blankBackup } from "../lib/tasks";

async function openBackup() {
  const backend = mockBackend({ storages: [demoStorage], canPickFolder: false });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: "Backup" }));
  return backend;
}

async function create(remember: boolean, password = "secret", again = password) {
  await fireEvent.click(await screen.findByRole("button", { name: "+ New backup" }));
  const f = within(screen.getByRole("form", { name: "New backup" }));
  await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
  await fireEvent.input(f.getByRole("textbox", { name: /^Folders on this computer/ }), {
    target: { value: "/home/me/Docs\n\n /home/me/Photos " },
  });
  await fireEvent.input(f.getByLabelText("Password"), { target: { value: password } });
  await fireEvent.input(f.getByLabelText("Password again"), { target: { value: again } });
  if (!remember) await fireEvent.click(f.getByRole("checkbox", { name: /^Remember the password/ }));
  await fireEvent.input(f.getByRole("spinbutton", { name: "Daily" }), { target: { value: "0" } });
  await fireEvent.click(f.getByRole("button", { name: "Create backup" }));
}

describe("backup", () => {
  it("the wizard creates a backup task with folders, repository, schedule and retention", async () => {
    const backend = await openBackup();
    await screen.findByText(/No backups yet/);
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    expect(within(card).getByText("Not run yet.")).toBeTruthy();
    expect(within(card).getByText("Keeps: Latest 10, Weekly 4, Monthly 12")).toBeTruthy();
    const call = backend.calls.find((c) => c.command === "create_backup")!;
    expect(call.args).toMatchObject({ password: "secret", create: true });
    expect(call.args.task).toMatchObject({
      kind: "backup",
      storage: "demo",
      remote: "Backup",
      schedule: { type: "daily", time: "02:00" },
      backup: {
        folders: ["/home/me/Docs", "/home/me/Photos"],
        repoLocal: null,
        rememberPassword: true,
        retention: { keepLast: 10, keepDaily: null, keepWeekly: 4, keepMonthly: 12 },
      },
    });
    // Backups are not listed with the sync tasks.
    await fireEvent.click(screen.getByRole("tab", { name: "Tasks" }));
    await screen.findByText(/No tasks yet/);
  });

  it("refuses two different passwords without calling the app", async () => {
    const backend = await openBackup();
    await create(true, "one", "two");
    await screen.findByText(/The two passwords differ\./);
    expect(backend.calls.some((c) => c.command === "create_backup")).toBe(false);
  });

  it("runs, lists versions, browses and restores; asks for a password that is not kept", async () => {
    const backend = await openBackup();
    await create(false);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    // Not remembered: the password is asked for, a wrong one is refused.
    const ask = await screen.findByRole("form", { name: "Password needed" });
    await fireEvent.input(within(ask).getByLabelText("Password"), { target: { value: "nope" } });
    await fireEvent.click(within(ask).getByRole("button", { name: "Unlock" }));
    await screen.findByText(/^Wrong password/);
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    const ask2 = await screen.findByRole("form", { name: "Password needed" });
    await fireEvent.input(within(ask2).getByLabelText("Password"), { target: { value: "secret" } });
    await fireEvent.click(within(ask2).getByRole("button", { name: "Unlock" }));
    await within(card).findByText(/2 new, 0 changed, 1 unmodified files, 1 KiB added/);

    await fireEvent.click(within(card).getByRole("button", { name: "Versions" }));
    const versions = await screen.findByLabelText("Versions of “Docs”");
    await fireEvent.click(await within(versions).findByRole("button", { name: "Browse" }));
    const browser = await screen.findByLabelText(/^Version 5a000000$/);
    await fireEvent.click(await within(browser).findByRole("button", { name: "home/" }));
    await fireEvent.click(await within(browser).findByRole("radio", { name: "Select a.txt" }));
    await fireEvent.input(within(browser).getByRole("textbox", { name: "Restore into this folder" }), {
      target: { value: "/tmp/out" },
    });
    await fireEvent.click(within(browser).getByRole("button", { name: "Restore" }));
    await screen.findByText("Restored 1 file (12 B) to /tmp/out/a.txt.");
    // Again: it would overwrite, so it stops unless asked.
    await fireEvent.click(within(browser).getByRole("button", { name: "Restore" }));
    await waitFor(() => expect(screen.getByRole("alert").dataset.code).toBe("would_overwrite"));
    await fireEvent.click(within(browser).getByRole("checkbox", { name: /^Replace files/ }));
    await fireEvent.click(within(browser).getByRole("button", { name: "Restore" }));
    await screen.findByText("Restored 1 file (12 B) to /tmp/out/a.txt.");
    const restores = backend.calls.filter((c) => c.command === "restore_snapshot");
    expect(restores.at(-1)!.args).toMatchObject({ path: "/home/a.txt", folder: "/tmp/out", overwrite: true });
  });

  it("shows what changed from one version to the next", async () => {
    const backend = await openBackup();
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    for (const n of [1, 2]) {
      await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
      await waitFor(() => expect(backend.calls.filter((c) => c.command === "run_backup").length).toBe(n));
      await within(card).findByRole("button", { name: "Back up now" });
    }
    await fireEvent.click(within(card).getByRole("button", { name: "Versions" }));
    const versions = await screen.findByLabelText("Versions of “Docs”");
    // Only the newer version has an older one to compare with.
    const buttons = await within(versions).findAllByRole("button", { name: "Changes" });
    expect(buttons.length).toBe(1);
    await fireEvent.click(buttons[0]!);
    const panel = await screen.findByLabelText(/^Changes from \w+ to \w+$/);
    within(panel).getByText("1 added, 0 removed, 1 changed");
    expect(within(panel).getAllByRole("listitem").map((li) => li.textContent)).toEqual(["M /home/a.txt", "+ /home/new.txt"]);
    const call = backend.calls.find((c) => c.command === "diff_snapshots")!;
    expect(call.args.from).not.toBe(call.args.to);
  });

  it("edits the schedule and retention of a saved backup", async () => {
    const backend = await openBackup();
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    const f = within(screen.getByRole("form", { name: "Edit" }));
    await fireEvent.change(f.getByRole("combobox", { name: "Schedule" }), { target: { value: "hourly" } });
    await fireEvent.input(f.getByRole("spinbutton", { name: "Hours between runs" }), { target: { value: "6" } });
    await fireEvent.input(f.getByRole("spinbutton", { name: "Latest" }), { target: { value: "3" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    await within(card).findByText("Keeps: Latest 3, Weekly 4, Monthly 12");
    await within(card).findByText(/^Every 6 hours/);
    const call = backend.calls.find((c) => c.command === "save_task")!;
    expect(call.args.task).toMatchObject({ kind: "backup", schedule: { type: "hourly", hours: 6 }, backup: { retention: { keepLast: 3 } } });
  });

  it("sends include globs and size and age limits, and refuses a limit it cannot read", async () => {
    const backend = await openBackup();
    await fireEvent.click(await screen.findByRole("button", { name: "+ New backup" }));
    const f = within(screen.getByRole("form", { name: "New backup" }));
    await fireEvent.input(f.getByRole("textbox", { name: /^Only these files/ }), { target: { value: "*.pdf\n" } });
    await fireEvent.input(f.getByRole("textbox", { name: /^Only files of at least/ }), { target: { value: "ten" } });
    await create(true);
    await screen.findByText(/“ten” cannot be read/);
    expect(backend.calls.some((c) => c.command === "create_backup")).toBe(false);
    await fireEvent.input(f.getByRole("textbox", { name: /^Only files of at least/ }), { target: { value: "10K" } });
    await fireEvent.input(f.getByRole("textbox", { name: /^Only files changed within/ }), { target: { value: "2w" } });
    await fireEvent.click(f.getByRole("button", { name: "Create backup" }));
    await screen.findByRole("listitem", { name: "Docs" });
    const call = backend.calls.find((c) => c.command === "create_backup")!;
    expect(call.args.task).toMatchObject({
      include: ["*.pdf"],
      backup: { minSize: 10240, maxSize: null, minAgeSecs: null, maxAgeSecs: 14 * 86_400 },
    });
  });

  it("maintenance: size, check, forget now after a preview, change password", async () => {
    const backend = await openBackup();
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Edit" }));
    await fireEvent.input(within(screen.getByRole("form", { name: "Edit" })).getByRole("spinbutton", { name: "Latest" }), {
      target: { value: "1" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    for (let i = 0; i < 2; i++) {
      await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
      await screen.findByText(/^Run \d+: Done/);
    }
    await fireEvent.click(within(card).getByRole("button", { name: "Maintenance" }));
    const panel = await screen.findByLabelText("Maintenance: Docs");
    await within(panel).findByText(/^Stored: .* the versions hold 6 KiB · 6× saved/);

    await fireEvent.change(within(panel).getByRole("combobox", { name: "Read back" }), { target: { value: "5" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Check" }));
    await screen.findByText("Check passed: the repository is sound (5 % of the data read back).");

    await fireEvent.click(within(panel).getByRole("button", { name: "Forget now" }));
    const preview = await within(panel).findByRole("group", { name: "Forget now" });
    expect(within(preview).getAllByRole("listitem")).toHaveLength(1);
    expect(backend.calls.filter((c) => c.command === "forget_snapshots").map((c) => c.args.dryRun)).toEqual([true]);
    await fireEvent.click(within(preview).getByRole("button", { name: "Remove these versions" }));
    await screen.findByText(/^Removed 1 version; 1 KiB freed\./);
    expect(backend.calls.filter((c) => c.command === "forget_snapshots").map((c) => c.args.dryRun)).toEqual([true, false]);

    const pw = within(within(panel).getByRole("form", { name: "Change password" }));
    await fireEvent.input(pw.getByLabelText("New password"), { target: { value: "fresh" } });
    await fireEvent.input(pw.getByLabelText("New password again"), { target: { value: "other" } });
    await fireEvent.click(pw.getByRole("button", { name: "Change password" }));
    await screen.findByText(/The two passwords differ\./);
    await fireEvent.input(pw.getByLabelText("New password again"), { target: { value: "fresh" } });
    await fireEvent.click(pw.getByRole("button", { name: "Change password" }));
    await screen.findByText(/^Password changed\./);
    expect(backend.calls.find((c) => c.command === "change_backup_password")!.args).toMatchObject({ newPassword: "fresh" });
  });

  it("a check shows its progress in the panel and Stop ends it as stopped, not as an error", async () => {
    const backend = mockBackend({ storages: [demoStorage], canPickFolder: false, holdRuns: true });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
    await fireEvent.click(await screen.findByRole("tab", { name: "Backup" }));
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Maintenance" }));
    const panel = await screen.findByLabelText("Maintenance: Docs");
    await fireEvent.change(within(panel).getByRole("combobox", { name: "Read back" }), { target: { value: "100" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Check" }));
    const live = await within(panel).findByRole("status", { name: "Running" });
    expect(within(live).getByText("reading pack data")).toBeTruthy();
    expect(within(panel).getByRole("button", { name: "Check" })).toHaveProperty("disabled", true);
    await fireEvent.click(within(panel).getByRole("button", { name: "Stop" }));
    await screen.findByText("Stopped");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(within(panel).queryByRole("status", { name: "Running" })).toBeNull();
    expect(backend.calls.find((c) => c.command === "check_backup")!.args).toMatchObject({ readDataPercent: 100 });
    expect(backend.calls.some((c) => c.command === "cancel_task")).toBe(true);
  });

  it("shows a good run's warning on its card", async () => {
    const backend = mockBackend({
      storages: [demoStorage],
      tasks: [
        {
          ...blankBackup("demo"),
          id: "t1",
          name: "Docs",
          lastRun: {
            id: 4,
            kind: "backup",
            source: "/home/me",
            destination: "demo:Backup",
            startedMs: 1,
            endedMs: 2,
            outcome: "ok",
            counters: zeroCounters,
            parent: null,
            refusal: null,
            warning: "snapshot saved; retention failed: disk full",
            stopped: null,
          },
        },
      ],
    });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
    await fireEvent.click(await screen.findByRole("tab", { name: "Backup" }));
    const card = await screen.findByRole("listitem", { name: "Docs" });
    within(card).getByText("Warning: snapshot saved; retention failed: disk full");
  });

  it("says what a check read and leaves out a saving of about 1×", async () => {
    const backend = mockBackend({ storages: [demoStorage], canPickFolder: false, dedupRatio: 1.02 });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
    await fireEvent.click(await screen.findByRole("tab", { name: "Backup" }));
    await create(true);
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    await screen.findByText(/^Run \d+: Done/);
    await fireEvent.click(within(card).getByRole("button", { name: "Maintenance" }));
    const panel = await screen.findByLabelText("Maintenance: Docs");
    const line = await within(panel).findByText(/^Stored: /);
    expect(line.textContent).not.toMatch(/saved|×/);
    await fireEvent.change(within(panel).getByRole("combobox", { name: "Read back" }), { target: { value: "0" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Check" }));
    const done = await screen.findByText(/^Check passed/);
    expect(done.textContent).toContain("structure is sound");
    expect(done.textContent).toContain("No data was read back");
    expect(done.textContent).not.toContain("the repository is sound");
  });
});
