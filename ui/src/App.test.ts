import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "./App.svelte";
import { demoStorage, mockBackend } from "./lib/api/mock";
import { blankTask } from "./lib/tasks";
import { webBackend } from "./lib/api/web";

const files = ["Documents/Welcome.txt", "Documents/Budget.csv", "Photos/2026/Lofoten.txt", "notes.txt"];

/** With storages the app lands on the overview: open one from the sidebar. */
async function openStorage(name: string): Promise<void> {
  await screen.findByRole("heading", { name: "Is my data safe?" });
  await fireEvent.click(screen.getByRole("button", { name: new RegExp(`^${name}`) }));
}

describe("first start", () => {
  it("offers demo storage and lands in the browser", async () => {
    const backend = mockBackend({ files });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Try with demo storage" }));
    expect(await screen.findByRole("heading", { name: "demo" })).toBeTruthy();
    // The virtualized rows need real layout (Playwright checks them); the count does not.
    await screen.findByText("2 folders, 1 file");
    expect(backend.calls.map((c) => c.command)).toContain("start_demo");
  });

  it("explains a missing keyring and offers the file store only as a choice", async () => {
    const backend = mockBackend({ files, keyringMissing: true });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Try with demo storage" }));
    const alert = await screen.findByText("Your keyring is not available");
    expect(alert).toBeTruthy();
    expect(backend.calls.map((c) => c.command)).not.toContain("use_file_store");
    await fireEvent.click(screen.getByRole("button", { name: "Keep tokens in a file" }));
    await waitFor(() => expect(backend.calls.map((c) => c.command)).toContain("use_file_store"));
    await waitFor(() => expect(screen.queryByText("Your keyring is not available")).toBeNull());
  });
});

describe("in a browser through the web bridge", () => {
  it("opened without the printed link: says where the link is instead of a broken app", async () => {
    render(App, { props: { backend: webBackend("", null) } });
    expect(await screen.findByRole("heading", { name: "Open the link Fjordsync printed" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Try with demo storage" })).toBeNull();
  });
});

describe("add-storage wizard", () => {
  it("shows a bad token, then signs in, picks a place, names and saves", async () => {
    const backend = mockBackend({ files });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Add my storage" }));
    await screen.findByText("Telia Sky (Norway)");
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    const token = screen.getByRole("textbox", { name: "Personal login token" });
    await fireEvent.input(token, { target: { value: "nonsense" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("bad_login_token");
    await fireEvent.input(token, { target: { value: "good-token" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("Signed in as someone.");
    const device = screen.getByRole("combobox", { name: "Device" }) as HTMLSelectElement;
    expect(device.value).toBe("Jotta");
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    const name = screen.getByRole("textbox", { name: "Name for this storage" }) as HTMLInputElement;
    expect(name.value).toBe("jotta");
    await fireEvent.click(screen.getByRole("button", { name: "Test and save" }));
    expect(await screen.findByRole("heading", { name: "jotta" })).toBeTruthy();
    const save = backend.calls.find((c) => c.command === "wizard_save");
    expect(save?.args).toEqual({ pendingId: "p1", name: "jotta", device: "Jotta", mountpoint: "Archive", create: false });
  });
});

describe("add-storage wizard: username and password", () => {
  it("is offered only for legacy services, asks for the SMS code, and makes a new device", async () => {
    const backend = mockBackend({ files });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Add my storage" }));
    await screen.findByText("Telia Sky (Norway)");
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(screen.queryByRole("radio", { name: /Username and password/ })).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Back" }));
    await fireEvent.click(screen.getByRole("radio", { name: "Elkjøp Cloud (Norway)" }));
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await fireEvent.click(screen.getByRole("radio", { name: /Username and password/ }));
    await fireEvent.input(screen.getByRole("textbox", { name: "Username or e-mail" }), { target: { value: "someone" } });
    const password = screen.getByLabelText("Password");
    await fireEvent.input(password, { target: { value: "wrong" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).dataset.code).toBe("bad_credentials");
    await fireEvent.input(password, { target: { value: "secret" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const codeBox = await screen.findByRole("textbox", { name: "Code from the SMS" });
    await fireEvent.input(codeBox, { target: { value: "000-000" } });
    await fireEvent.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByRole("alert")).dataset.code).toBe("bad_otp");
    await fireEvent.input(codeBox, { target: { value: "123-456" } });
    await fireEvent.click(screen.getByRole("button", { name: "Verify" }));
    await screen.findByText("Signed in as someone.");
    const legacy = backend.calls.filter((c) => c.command === "wizard_legacy").map((c) => c.args.code);
    expect(legacy).toEqual([null, null, "000-000", "123-456"]);
    const device = screen.getByRole("combobox", { name: "Device" }) as HTMLSelectElement;
    await fireEvent.change(device, { target: { value: "__newdevice__" } });
    const next = screen.getByRole("button", { name: "Next" }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    await fireEvent.input(screen.getByRole("textbox", { name: "New device name" }), { target: { value: "Laptop" } });
    await fireEvent.input(screen.getByRole("textbox", { name: "New folder name" }), { target: { value: "Backup" } });
    await waitFor(() => expect(next.disabled).toBe(false));
    await fireEvent.click(next);
    await fireEvent.input(screen.getByRole("textbox", { name: "Name for this storage" }), { target: { value: "old" } });
    await fireEvent.click(screen.getByRole("button", { name: "Test and save" }));
    expect(await screen.findByRole("heading", { name: "old" })).toBeTruthy();
    const save = backend.calls.find((c) => c.command === "wizard_save");
    expect(save?.args).toEqual({ pendingId: "p2", name: "old", device: "Laptop", mountpoint: "Backup", create: true });
  });
});

describe("trash", () => {
  it("restores a deleted file after confirming the delete", async () => {
    const backend = mockBackend({ files, storages: [demoStorage] });
    render(App, { props: { backend } });
    await openStorage("demo");
    await backend.deleteItem("demo", ["notes.txt"]);
    await fireEvent.click(await screen.findByRole("tab", { name: "Trash" }));
    const row = await screen.findByText("notes.txt");
    const li = row.closest("li")!;
    expect(within(li).getByText(/From Jotta \/ Archive/)).toBeTruthy();
    await fireEvent.click(within(li).getByRole("button", { name: "Restore" }));
    await screen.findByText("The trash is empty.");
    const listing = await backend.listFolder("demo", []);
    expect(listing.entries.map((e) => e.name)).toContain("notes.txt");
  });

  it("asks before emptying", async () => {
    const backend = mockBackend({ files, storages: [demoStorage] });
    await backend.deleteItem("demo", ["notes.txt"]);
    render(App, { props: { backend } });
    await openStorage("demo");
    await fireEvent.click(await screen.findByRole("tab", { name: "Trash" }));
    await screen.findByText("notes.txt");
    await fireEvent.click(screen.getByRole("button", { name: "Empty trash" }));
    expect(backend.calls.map((c) => c.command)).not.toContain("empty_trash");
    const dialog = await screen.findByRole("dialog");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Empty trash" }));
    await screen.findByText("Removed 1 file and 0 folders.");
  });
});

describe("quota", () => {
  it("shows used of total and the per-device table", async () => {
    const backend = mockBackend({ files, storages: [demoStorage] });
    render(App, { props: { backend } });
    await openStorage("demo");
    await fireEvent.click(await screen.findByRole("tab", { name: "Quota" }));
    expect((await screen.findByTestId("quota-text")).textContent).toContain("1.4 GiB of 5 GiB used");
    expect(screen.getByText("Archive")).toBeTruthy();
    expect((await screen.findByTestId("quota-line")).textContent).toContain("1.4 GiB of 5 GiB used");
  });
});

describe("reconnect", () => {
  it("repeats only the sign-in step for a storage whose sign-in ended", async () => {
    const mine = { ...demoStorage, name: "mine", demo: false };
    const backend = mockBackend({ files, storages: [mine], signedOut: ["mine"] });
    render(App, { props: { backend } });
    await openStorage("mine");
    await screen.findByText("This storage needs you to sign in again.");
    await fireEvent.click(screen.getByRole("button", { name: "Reconnect" }));
    await fireEvent.input(screen.getByRole("textbox", { name: "Personal login token" }), { target: { value: "good-token" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("2 folders, 1 file");
    expect(backend.calls.find((c) => c.command === "reconnect_login_token")?.args).toEqual({
      storage: "mine",
      loginToken: "good-token",
    });
  });
});

describe("overview, pause and settings", () => {
  const now = Date.now();
  const run = (outcome: string, endedMs: number) => ({
    id: 1,
    kind: "sync",
    source: "/a",
    destination: "demo:a",
    startedMs: endedMs - 1000,
    endedMs,
    outcome,
    counters: { uploaded: 0, downloaded: 0, updated: 0, retimed: 0, copied: 0, deleted: 0, moved: 0, unchanged: 0, skipped: 0, failed: 0, deduplicated: 0, bytes: 0 },
    parent: null,
    refusal: null,
    warning: null,
    stopped: null,
  });

  it("lands on the overview with tasks, their safety and the quota", async () => {
    const task = {
      ...blankTask("demo"),
      id: "t1",
      name: "Photos",
      local: "/p",
      lastRun: run("failed", now - 3 * 3_600_000),
      schedule: { type: "hourly" as const, hours: 1 },
      scheduleSinceMs: now - 5 * 3_600_000,
    };
    const backend = mockBackend({ files, storages: [demoStorage], tasks: [task] });
    render(App, { props: { backend } });
    await screen.findByRole("heading", { name: "Is my data safe?" });
    const card = await screen.findByRole("listitem", { name: "Photos" });
    expect(within(card).getByTestId("last-success").textContent).toBe("Last success: never");
    expect(within(card).getByText("Not backed up for more than twice its schedule.")).toBeTruthy();
    expect(within(card).getByText("Every hour", { exact: false })).toBeTruthy();
    expect((await screen.findByTestId("overview-quota")).textContent).toContain("1.4 GiB of 5 GiB used");
  });

  it("pauses and resumes all from the sidebar, and syncs all now", async () => {
    const backend = mockBackend({ files, storages: [demoStorage] });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Pause all" }));
    await screen.findByText("Paused: scheduled runs wait.");
    expect((await backend.appStatus()).paused).toBe(true);
    await fireEvent.click(screen.getByRole("button", { name: "Resume all" }));
    await waitFor(() => expect(screen.queryByText("Paused: scheduled runs wait.")).toBeNull());
    await fireEvent.click(screen.getByRole("button", { name: "Sync all now" }));
    await screen.findByText("Started 0 tasks.");
  });

  it("saves settings and applies theme and language", async () => {
    const backend = mockBackend({ files, storages: [demoStorage] });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Settings" }));
    const form = await screen.findByRole("form", { name: "Settings" });
    await fireEvent.input(within(form).getByRole("spinbutton", { name: "Parallel transfers" }), { target: { value: "8" } });
    await fireEvent.change(within(form).getByRole("combobox", { name: "Theme" }), { target: { value: "dark" } });
    await fireEvent.change(within(form).getByRole("combobox", { name: "Language" }), { target: { value: "nb" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByText("Innstillingene er lagret.");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect((await backend.getSettings()).transfers).toBe(8);
    const again = within(await screen.findByRole("form", { name: "Innstillinger" }));
    await fireEvent.change(again.getByRole("combobox", { name: "Tema" }), { target: { value: "system" } });
    await fireEvent.change(again.getByRole("combobox", { name: "Språk" }), { target: { value: "en" } });
    await fireEvent.click(again.getByRole("button", { name: "Lagre" }));
    await screen.findByText("Settings saved.");
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });
});
