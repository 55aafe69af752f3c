// The Mount screen and the quit question, on the mock backend: a card's
// words and colour per state (never contradicting each other), problems
// worded by code with the details behind "Details", the WebDAV login with
// the password hidden, the buttons' commands and their results on the card,
// live updates from `mountChanged`, the form's errors at their field, and
// the question the tray's Quit asks while uploads wait.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoFiles, demoStorage, mockBackend, type MockOptions } from "../lib/api/mock";
import { ApiError, type Mount, type MountStatus } from "../lib/api/types";
import { fieldOfRefusal, folderAccessOffered, mountFields, mountWords, problemText } from "../lib/mounts";

vi.mock("virtua/svelte", async () => ({ VList: (await import("./testing/AllRows.svelte")).default }));

const status = (state: MountStatus["state"], extra: Partial<MountStatus> = {}): MountStatus => ({
  state,
  location: null,
  cachedBytes: 0,
  pendingUploads: 0,
  failedUploads: 0,
  problem: null,
  retryAtMs: null,
  ...extra,
});

const photos: Mount = {
  id: "7",
  name: "Photos",
  storage: "demo",
  folder: "Photos",
  access: { via: "folder", mountpoint: "/home/me/Jotta" },
  cacheMaxSize: null,
  mounted: true,
  status: status("mounted", { location: { via: "folder", path: "/home/me/Jotta" }, cachedBytes: 3 * 1024 * 1024, pendingUploads: 2 }),
  webdav: null,
};

const docs: Mount = {
  id: "8",
  name: "Docs",
  storage: "demo",
  folder: "Photos/2025",
  access: { via: "fileManager", port: 8642 },
  cacheMaxSize: 512 * 1024 * 1024,
  mounted: true,
  status: status("mounted", { location: { via: "webDav", url: "http://127.0.0.1:8642/" } }),
  webdav: { url: "http://127.0.0.1:8642/", user: "fjordsync", pass: "s3cret-pass" },
};

async function openMounts(opts: MockOptions = {}) {
  const backend = mockBackend({ storages: [demoStorage], files: demoFiles, ...opts });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: "Mounted folders" }));
  await screen.findByRole("heading", { name: "Mounted folders" });
  return backend;
}

const card = (name: string) => screen.findByRole("listitem", { name });
const stateOf = (c: HTMLElement) => {
  const el = within(c).getByTestId("mount-status");
  return { text: el.textContent, tone: el.dataset.tone };
};

/** The message a field points at with aria-describedby (and says it is invalid). */
function messageOf(field: HTMLElement): string {
  expect(field.getAttribute("aria-invalid")).toBe("true");
  const id = field.getAttribute("aria-describedby");
  expect(id).toBeTruthy();
  return document.getElementById(id!)?.textContent ?? "";
}

describe("mount words", () => {
  const now = 1_000_000;
  it("says each state in words with a colour that agrees", () => {
    const w = (s: MountStatus | null, mounted = true, by: string | null = null) => mountWords({ mounted, status: s }, now, by);
    expect(w(status("mounted"))).toMatchObject({ tone: "ok", text: "Mounted" });
    expect(w(status("starting"))).toMatchObject({ tone: "busy", text: "Starting" });
    const unreachable = { code: "unreachable", message: "error sending request for url (http://…)" };
    const retry = w(status("retrying", { retryAtMs: now + 120_000, problem: unreachable }));
    expect(retry).toMatchObject({ tone: "warn", text: "Trying again in 2 minutes", problem: unreachable });
    expect(w(status("stopping", { pendingUploads: 3 }))).toMatchObject({ tone: "busy", text: "Unmounting · 3 uploads left" });
    expect(w(status("stopping", { pendingUploads: 1 })).text).toBe("Unmounting · 1 upload left");
    expect(w(status("stopping")).text).toBe("Unmounting");
    // Unmounted as asked is quiet; stopped by a problem is red and says why.
    expect(w(status("stopped"), false)).toMatchObject({ tone: "off", text: "Not mounted" });
    expect(w(status("stopped", { problem: { code: "no_folder", message: "x" } }))).toMatchObject({ tone: "error", text: "Not mounted" });
    // Not started in this program: unmounted, starting, or kept by another one.
    expect(w(null, false)).toMatchObject({ tone: "off", text: "Not mounted" });
    expect(w(null)).toMatchObject({ tone: "busy", text: "Starting" });
    expect(w(null, true, "fjordsync daemon (pid 42)").text).toBe("Kept by fjordsync daemon (pid 42)");
  });

  it("words a problem by its code, never by its technical message", () => {
    expect(problemText({ code: "upload_failed" })).toMatch(/could not be uploaded.*tries again/);
    expect(problemText({ code: "no_folder" })).toMatch(/no longer on the storage/);
    expect(problemText({ code: "mountpoint" })).toMatch(/must be an empty folder/);
    expect(problemText({ code: "reconnect" })).toMatch(/Reconnect the storage/);
    // Any other code is an API error's.
    expect(problemText({ code: "quota_exceeded" })).toMatch(/^The storage is full/);
    expect(problemText({ code: "something_new" })).toMatch(/^Something went wrong/);
  });

  it("offers mounting on a folder except where the system surely cannot", () => {
    expect(folderAccessOffered("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")).toBe(true);
    expect(folderAccessOffered("")).toBe(true);
    expect(folderAccessOffered("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).toBe(false);
    expect(folderAccessOffered("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)")).toBe(false);
  });
});

describe("the Mount screen", () => {
  it("is its own entry in the navigation and says when there are no mounts", async () => {
    await openMounts();
    expect(screen.getByRole("button", { name: "Mounted folders" }).getAttribute("aria-current")).toBe("page");
    expect(screen.getByTestId("mounts-empty").textContent).toMatch(/^No mounted folders yet/);
  });

  it("shows each mount's folder, where it is reached, its state, cache and uploads", async () => {
    await openMounts({ mounts: [photos, docs] });
    const p = await card("Photos");
    expect(within(p).getByTestId("mount-folder").textContent).toBe("demo:/Photos");
    expect(within(p).getByTestId("mount-reached").textContent).toBe("On this computer at /home/me/Jotta");
    expect(stateOf(p)).toEqual({ text: "Mounted", tone: "ok" });
    expect(within(p).getByTestId("mount-cache").textContent).toBe("Cache: 3 MiB of 1 GiB");
    expect(within(p).getByTestId("mount-uploads").textContent).toBe("2 files waiting for upload");
    expect(within(p).queryByRole("group", { name: "WebDAV address and login" })).toBeNull();
    const d = await card("Docs");
    expect(within(d).getByTestId("mount-reached").textContent).toBe("In the file manager (WebDAV, port 8642)");
    expect(within(d).getByTestId("mount-cache").textContent).toBe("Cache: 0 B of 512 MiB");
    expect(within(d).getByTestId("mount-uploads").textContent).toBe("All changes uploaded");
  });

  it("shows a WebDAV mount's address and user; the password only when asked, and copies it", async () => {
    const backend = await openMounts({ mounts: [docs] });
    const copied = vi.spyOn(backend, "copyText");
    const d = await card("Docs");
    const login = within(d).getByRole("group", { name: "WebDAV address and login" });
    expect(within(login).getByTestId("webdav-url").textContent).toBe("http://127.0.0.1:8642/");
    expect(within(login).getByTestId("webdav-user").textContent).toBe("fjordsync");
    expect(within(login).getByTestId("webdav-password").textContent).not.toContain("s3cret-pass");
    expect(d.textContent).not.toContain("s3cret-pass");
    await fireEvent.click(within(login).getByRole("button", { name: "Copy password" }));
    expect(copied).toHaveBeenCalledWith("s3cret-pass");
    await waitFor(() => expect(within(d).getByTestId("mount-result").textContent).toBe("Password copied."));
    const show = within(login).getByRole("button", { name: "Show password" });
    await fireEvent.click(show);
    expect(show.getAttribute("aria-pressed")).toBe("true");
    expect(within(login).getByTestId("webdav-password").textContent).toBe("s3cret-pass");
  });

  it("Unmount and Mount call set_mounted; the card follows", async () => {
    const backend = await openMounts({ mounts: [docs] });
    const d = await card("Docs");
    await fireEvent.click(within(d).getByRole("button", { name: "Unmount" }));
    await waitFor(() => expect(stateOf(d)).toEqual({ text: "Not mounted", tone: "off" }));
    expect(backend.calls.find((c) => c.command === "set_mounted")?.args).toEqual({ id: "8", on: false });
    expect(within(d).queryByRole("button", { name: "Open" })).toBeNull();
    expect(within(d).queryByRole("group", { name: "WebDAV address and login" })).toBeNull();
    await fireEvent.click(within(d).getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(stateOf(d)).toEqual({ text: "Mounted", tone: "ok" }));
    expect(backend.calls.filter((c) => c.command === "set_mounted").at(-1)?.args).toEqual({ id: "8", on: true });
    await within(d).findByRole("group", { name: "WebDAV address and login" });
  });

  it("Open calls open_mount; a failure is said on the card, worded by its code, details behind Details", async () => {
    const backend = await openMounts({ mounts: [photos], openFails: true });
    const p = await card("Photos");
    await fireEvent.click(within(p).getByRole("button", { name: "Open" }));
    expect(backend.calls.find((c) => c.command === "open_mount")?.args).toEqual({ id: "7" });
    const result = await within(p).findByTestId("mount-result");
    expect(result.dataset.code).toBe("open_failed");
    expect(within(result).getByTestId("error-text").textContent).toMatch(/^The file manager could not be opened/);
    expect(within(result).getByTestId("error-detail").textContent).toContain("xdg-open exited with 3");
    await fireEvent.click(within(result).getByRole("button", { name: "Close" }));
    expect(within(p).queryByTestId("mount-result")).toBeNull();
  });

  it("Remove asks first, says pending uploads finish, and shows them going until they are done", async () => {
    const backend = await openMounts({ mounts: [photos] });
    const p = await card("Photos");
    await fireEvent.click(within(p).getByRole("button", { name: "Remove" }));
    const dialog = screen.getByRole("dialog");
    expect(dialog.textContent).toMatch(/files waiting for upload are uploaded before it goes/);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(backend.calls.some((c) => c.command === "delete_mount")).toBe(false);
    await fireEvent.click(within(p).getByRole("button", { name: "Remove" }));
    await fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(backend.calls.find((c) => c.command === "delete_mount")?.args).toEqual({ id: "7" }));
    // The card goes; its uploads still going show until they are done.
    await waitFor(() => expect(within(screen.getByRole("listitem", { name: "Photos" })).queryByRole("button")).toBeNull());
    expect(stateOf(screen.getByRole("listitem", { name: "Photos" })).text).toBe("Removing · 2 uploads left");
    await screen.findByText("“Photos” removed.");
    backend.emit({ kind: "mountChanged", mount: "7", status: status("stopping", { pendingUploads: 1 }) });
    await waitFor(() => expect(stateOf(screen.getByRole("listitem", { name: "Photos" })).text).toBe("Removing · 1 upload left"));
    backend.emit({ kind: "mountChanged", mount: "7", status: null });
    await waitFor(() => expect(screen.queryByRole("listitem", { name: "Photos" })).toBeNull());
  });

  it("follows mountChanged: retrying with its reason and countdown, unmounting with uploads left", async () => {
    const backend = await openMounts({ mounts: [photos] });
    const p = await card("Photos");
    backend.emit({
      kind: "mountChanged",
      mount: "7",
      status: status("retrying", { retryAtMs: Date.now() + 120_000, problem: { code: "unreachable", message: "dns error: no such host" } }),
    });
    await waitFor(() => expect(stateOf(p)).toEqual({ text: "Trying again in 2 minutes", tone: "warn" }));
    const problem = within(p).getByTestId("mount-problem");
    expect(problem.dataset.code).toBe("unreachable");
    expect(problem.className).toContain("warn");
    expect(within(problem).getByTestId("error-text").textContent).toMatch(/^The storage cannot be reached/);
    expect(within(problem).getByTestId("error-detail").textContent).toBe("unreachable: dns error: no such host");
    backend.emit({ kind: "mountChanged", mount: "7", status: status("stopping", { pendingUploads: 3 }) });
    await waitFor(() => expect(stateOf(p)).toEqual({ text: "Unmounting · 3 uploads left", tone: "busy" }));
    expect(within(p).queryByTestId("mount-problem")).toBeNull();
    backend.emit({ kind: "mountChanged", mount: "7", status: status("stopped", { problem: { code: "mountpoint", message: "/home/me/Jotta: not empty" } }) });
    await waitFor(() => expect(stateOf(p)).toEqual({ text: "Not mounted", tone: "error" }));
    expect(within(p).getByTestId("mount-problem").className).toContain("error");
    // A failed upload on a mounted folder: still mounted (green), the problem a warning beside it.
    backend.emit({
      kind: "mountChanged",
      mount: "7",
      status: status("mounted", { pendingUploads: 1, problem: { code: "upload_failed", message: "a.txt: 500" } }),
    });
    await waitFor(() => expect(stateOf(p)).toEqual({ text: "Mounted", tone: "ok" }));
    expect(within(p).getByTestId("mount-problem").className).toContain("warn");
    expect(within(p).getByTestId("mount-uploads").textContent).toBe("1 file waiting for upload");
  });
});

describe("the mount form", () => {
  async function newForm(opts: MockOptions = {}) {
    const backend = await openMounts(opts);
    await fireEvent.click(screen.getByRole("button", { name: "+ Mount a folder" }));
    const form = screen.getByRole("form", { name: "Mount a folder" });
    return { backend, form, f: within(form) };
  }

  it("adds a WebDAV mount of a storage folder; the card says Mounted with its address", async () => {
    const { backend, f } = await newForm();
    await fireEvent.input(f.getByRole("textbox", { name: "Name" }), { target: { value: "Notes" } });
    expect((f.getByRole("combobox", { name: "Storage" }) as HTMLSelectElement).value).toBe("demo");
    await fireEvent.input(f.getByRole("textbox", { name: /^Folder in demo/ }), { target: { value: "/Photos/" } });
    await fireEvent.click(f.getByRole("radio", { name: "In the file manager (WebDAV)" }));
    expect((f.getByRole("textbox", { name: /^Cache size limit/ }) as HTMLInputElement).value).toBe("1G");
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    const c = await card("Notes");
    expect(backend.calls.find((x) => x.command === "save_mount")?.args).toEqual({
      mount: { id: "", name: "Notes", storage: "demo", folder: "Photos", access: { via: "fileManager" }, cacheMaxSize: 1024 ** 3 },
    });
    await waitFor(() => expect(stateOf(c)).toEqual({ text: "Mounted", tone: "ok" }));
    expect(within(c).getByTestId("mount-reached").textContent).toBe("In the file manager (WebDAV)");
    await waitFor(() => expect(within(c).getByTestId("webdav-url").textContent).toBe("http://127.0.0.1:41234/"));
    expect(screen.queryByRole("form")).toBeNull();
    await screen.findByText("“Notes” added: it is being mounted.");
  });

  it("says what the form cannot use at its field, with the focus there, and sends nothing", async () => {
    const { backend, f } = await newForm();
    const name = f.getByRole("textbox", { name: "Name" });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(document.activeElement).toBe(name));
    expect(messageOf(name)).toBe("Give the mount a name.");
    await fireEvent.input(name, { target: { value: "Photos" } });
    expect(name.getAttribute("aria-invalid")).not.toBe("true");

    // On a folder (offered here): a full path.
    expect((f.getByRole("radio", { name: "As a folder on this computer (Linux)" }) as HTMLInputElement).checked).toBe(true);
    const point = f.getByRole("textbox", { name: "Folder on this computer to show it in" });
    await fireEvent.input(point, { target: { value: "Jotta" } });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(document.activeElement).toBe(point));
    expect(messageOf(point)).toMatch(/^Give a full path, starting with \//);
    await fireEvent.input(point, { target: { value: "/home/me/Jotta" } });

    const cache = f.getByRole("textbox", { name: /^Cache size limit/ });
    await fireEvent.input(cache, { target: { value: "10M" } });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(document.activeElement).toBe(cache));
    expect(messageOf(cache)).toMatch(/at least 64M/);
    await fireEvent.input(cache, { target: { value: "lots" } });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(messageOf(cache)).toBe("“lots” cannot be read: give a size like 512M or 2G."));

    await fireEvent.input(cache, { target: { value: "2G" } });
    await fireEvent.click(f.getByRole("radio", { name: "In the file manager (WebDAV)" }));
    const port = f.getByRole("textbox", { name: "Port (empty: any free one)" });
    await fireEvent.input(port, { target: { value: "80" } });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(document.activeElement).toBe(port));
    expect(messageOf(port)).toMatch(/^Give a port from 1024 to 65535/);
    expect(backend.calls.some((c) => c.command === "save_mount")).toBe(false);
  });

  it("a storage folder that is not there: the app's refusal is said at the folder field", async () => {
    const { backend, f } = await newForm();
    await fireEvent.input(f.getByRole("textbox", { name: "Name" }), { target: { value: "Music" } });
    const folder = f.getByRole("textbox", { name: /^Folder in demo/ });
    await fireEvent.input(folder, { target: { value: "Music" } });
    await fireEvent.input(f.getByRole("textbox", { name: "Folder on this computer to show it in" }), { target: { value: "/home/me/Music" } });
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    await waitFor(() => expect(document.activeElement).toBe(folder));
    expect(messageOf(folder)).toBe("There is no folder /Music in demo. Choose one from the list, or create it in Files first.");
    expect(backend.calls.find((c) => c.command === "save_mount")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("the app's other refusals go to the field they are about (or next to Save)", () => {
    const f = mountFields(null, "demo", true);
    const at = (code: string, message: string) => fieldOfRefusal(new ApiError(code, message), f);
    expect(at("invalid_mountpoint", "Jotta: the folder to mount on must be a full path")?.field).toBe("mountpoint");
    expect(at("invalid_mountpoint", "this system cannot show the storage as a folder here; open it in the file manager instead")).toEqual({
      field: "mountpoint",
      text: "This system cannot show the storage as a folder. Choose “In the file manager (WebDAV)” instead.",
    });
    expect(at("invalid_port", "port 80 is reserved for the system: choose one from 1024 up")?.field).toBe("port");
    expect(at("invalid_cache", "the cache needs at least 64 MiB, so a file being read is not dropped from it")?.field).toBe("cache");
    expect(at("invalid_name", "give the mount a name")?.field).toBe("name");
    expect(at("no_folder", "demo:Music: no such folder on the storage")?.field).toBe("folder");
    // The field comes from the code, not the words.
    expect(at("invalid", "the folder to mount on must be a full path")).toBeNull();
    // About no one field: next to Save.
    expect(at("invalid", "something else entirely")).toBeNull();
    expect(at("not_found", "no mount with id 9")).toBeNull();
    expect(at("offline", "no network")).toBeNull();
  });

  it("a refusal about no one field is said next to Save", async () => {
    const { f } = await newForm({ signedOut: ["demo"] });
    await fireEvent.input(f.getByRole("textbox", { name: "Name" }), { target: { value: "Docs" } });
    await fireEvent.click(f.getByRole("radio", { name: "In the file manager (WebDAV)" }));
    await fireEvent.click(f.getByRole("button", { name: "Mount" }));
    const result = await f.findByTestId("mount-save-result");
    expect(result.dataset.code).toBe("reconnect_needed");
    expect(within(result).getByTestId("error-text").textContent).toMatch(/^The sign-in for this storage has ended/);
  });

  it("the storage folder is picked in the storage browser; the mount point with the OS dialog", async () => {
    const { f } = await newForm();
    const folder = f.getByRole("textbox", { name: /^Folder in demo/ }) as HTMLInputElement;
    await fireEvent.click(f.getByRole("button", { name: "Choose folder…" }));
    const picker = within(await screen.findByRole("dialog", { name: "Choose a folder in demo" }));
    await fireEvent.click(await picker.findByRole("button", { name: "Photos" }));
    await waitFor(() => expect(picker.getByTestId("picked-path").textContent).toBe("Chosen: /Photos"));
    await fireEvent.click(picker.getByRole("button", { name: "Choose this folder" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(folder.value).toBe("Photos");
    await fireEvent.click(f.getByRole("button", { name: "Choose…" }));
    await waitFor(() => expect((f.getByRole("textbox", { name: "Folder on this computer to show it in" }) as HTMLInputElement).value).toBe("/home/me/Downloads"));
  });

  it("Edit changes a mount, keeping its id and showing its settings", async () => {
    const backend = await openMounts({ mounts: [docs] });
    await fireEvent.click(within(await card("Docs")).getByRole("button", { name: "Edit" }));
    const f = within(screen.getByRole("form", { name: "Change mount" }));
    expect((f.getByRole("textbox", { name: "Port (empty: any free one)" }) as HTMLInputElement).value).toBe("8642");
    expect((f.getByRole("textbox", { name: /^Cache size limit/ }) as HTMLInputElement).value).toBe("512M");
    await fireEvent.input(f.getByRole("textbox", { name: "Name" }), { target: { value: "Documents" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    await card("Documents");
    expect(backend.calls.find((c) => c.command === "save_mount")?.args).toEqual({
      mount: { id: "8", name: "Documents", storage: "demo", folder: "Photos/2025", access: { via: "fileManager", port: 8642 }, cacheMaxSize: 512 * 1024 ** 2 },
    });
    expect(screen.queryByRole("listitem", { name: "Docs" })).toBeNull();
  });
});

describe("the quit question", () => {
  async function ask(opts: MockOptions = {}, pending = 3) {
    const backend = mockBackend({ storages: [demoStorage], ...opts });
    render(App, { props: { backend } });
    await screen.findByRole("button", { name: "Mounted folders" });
    backend.emit({ kind: "quitRequested", pending });
    const dialog = await screen.findByRole("dialog", { name: "Quit Fjordsync?" });
    return { backend, dialog };
  }

  it("says how many files wait, takes the focus, and answers with quit_app", async () => {
    const { backend, dialog } = await ask();
    expect(within(dialog).getByTestId("quit-pending").textContent).toBe("3 files you saved in mounted folders are not uploaded yet.");
    const first = within(dialog).getByRole("button", { name: "Quit when uploads finish" });
    await waitFor(() => expect(document.activeElement).toBe(first));
    await fireEvent.click(first);
    expect(backend.calls.find((c) => c.command === "quit_app")?.args).toEqual({ when: "afterUploads" });
    await waitFor(() => expect(within(dialog).getByTestId("quit-result").textContent).toBe("Fjordsync quits as soon as the uploads are done."));
    await fireEvent.click(within(dialog).getByRole("button", { name: "Quit now (they upload next time Fjordsync starts)" }));
    expect(backend.calls.filter((c) => c.command === "quit_app").at(-1)?.args).toEqual({ when: "now" });
  });

  it("one file in the singular; Cancel and Escape close it without quitting", async () => {
    const { backend, dialog } = await ask({}, 1);
    expect(within(dialog).getByTestId("quit-pending").textContent).toBe("1 file you saved in mounted folders is not uploaded yet.");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    backend.emit({ kind: "quitRequested", pending: 2 });
    const again = await screen.findByRole("dialog", { name: "Quit Fjordsync?" });
    await fireEvent.keyDown(again, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(backend.calls.some((c) => c.command === "quit_app")).toBe(false);
  });

  it("where the program has no window to quit, says so in the dialog", async () => {
    const { dialog } = await ask({ quitUnsupported: true });
    await fireEvent.click(within(dialog).getByRole("button", { name: "Quit now (they upload next time Fjordsync starts)" }));
    const result = await within(dialog).findByTestId("quit-result");
    expect(result.dataset.code).toBe("unsupported");
    expect(within(result).getByTestId("error-text").textContent).toMatch(/without a window of its own/);
  });
});
