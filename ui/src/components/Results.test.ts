// Results where the user looks (issue 13, point 1), on the mock backend: form
// errors at their field (aria-invalid, aria-describedby to the message, focus
// there), results next to the button pressed, one current result per thing,
// and toasts for results whose place is gone.
import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoFiles, demoStorage, mockBackend } from "../lib/api/mock";

vi.mock("virtua/svelte", async () => ({ VList: (await import("./testing/AllRows.svelte")).default }));

async function openTab(tab: string, opts = {}) {
  const backend = mockBackend({ storages: [demoStorage], files: demoFiles, canPickFolder: false, ...opts });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: tab }));
  return backend;
}

/** The message a field points at with aria-describedby (and says it is invalid). */
function messageOf(field: HTMLElement): string {
  expect(field.getAttribute("aria-invalid")).toBe("true");
  const id = field.getAttribute("aria-describedby");
  expect(id).toBeTruthy();
  return document.getElementById(id!)?.textContent ?? "";
}

async function fillBackup(password: string, again: string, minSize = "") {
  await fireEvent.click(await screen.findByRole("button", { name: "+ New backup" }));
  const form = screen.getByRole("form", { name: "New backup" });
  const f = within(form);
  await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
  await fireEvent.input(f.getByRole("textbox", { name: /^Folders on this computer/ }), { target: { value: "/home/me/Docs" } });
  if (minSize) await fireEvent.input(f.getByRole("textbox", { name: /^Only files of at least/ }), { target: { value: minSize } });
  await fireEvent.input(f.getByLabelText("Password"), { target: { value: password } });
  await fireEvent.input(f.getByLabelText("Password again"), { target: { value: again } });
  await fireEvent.click(f.getByRole("button", { name: "Create backup" }));
  return form;
}

describe("form errors at their field", () => {
  it("two different backup passwords: said at “Password again”, which gets the focus; nothing at the top", async () => {
    const backend = await openTab("Backup");
    const form = await fillBackup("one", "two");
    const again = within(form).getByLabelText("Password again");
    await waitFor(() => expect(document.activeElement).toBe(again));
    expect(messageOf(again)).toBe("The two passwords differ.");
    expect(within(form).getByLabelText("Password").getAttribute("aria-invalid")).not.toBe("true");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(backend.calls.some((c) => c.command === "create_backup")).toBe(false);
    // Typing again takes the mark away.
    await fireEvent.input(again, { target: { value: "one" } });
    expect(again.getAttribute("aria-invalid")).not.toBe("true");
  });

  it("a size limit that cannot be read: said at that field", async () => {
    await openTab("Backup");
    const form = await fillBackup("pw", "pw", "ten");
    const field = within(form).getByRole("textbox", { name: /^Only files of at least/ });
    await waitFor(() => expect(document.activeElement).toBe(field));
    expect(messageOf(field)).toMatch(/^“ten” cannot be read/);
  });

  it("two different new passwords in maintenance: said at the second field", async () => {
    await openTab("Backup");
    await fillBackup("pw", "pw");
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Maintenance" }));
    const panel = await screen.findByLabelText("Maintenance: Docs");
    const pw = within(within(panel).getByRole("form", { name: "Change password" }));
    await fireEvent.input(pw.getByLabelText("New password"), { target: { value: "fresh" } });
    await fireEvent.input(pw.getByLabelText("New password again"), { target: { value: "other" } });
    await fireEvent.click(pw.getByRole("button", { name: "Change password" }));
    const again = pw.getByLabelText("New password again");
    await waitFor(() => expect(document.activeElement).toBe(again));
    expect(messageOf(again)).toBe("The two passwords differ.");
  });

  it("a new folder whose name is taken: said at the name field, not as a banner or toast", async () => {
    const backend = await openTab("Files");
    await screen.findByRole("button", { name: "Photos" });
    await fireEvent.click(screen.getByRole("button", { name: "+ New folder" }));
    const name = screen.getByRole("textbox", { name: "Folder name" });
    await fireEvent.input(name, { target: { value: "Photos" } });
    await fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(messageOf(name)).toBe("Something with that name already exists. Choose another name."));
    expect(screen.queryByRole("alert")).toBeNull();
    expect(backend.calls.some((c) => c.command === "create_folder")).toBe(true);
  });
});

describe("results next to the button pressed", () => {
  it("a task the app refuses to save: said in the form, next to Save, in the app's words with Details", async () => {
    await openTab("Tasks");
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const form = screen.getByRole("form", { name: "New task" });
    const f = within(form);
    await fireEvent.input(f.getByRole("textbox", { name: "Task name" }), { target: { value: "Docs" } });
    await fireEvent.input(f.getByRole("textbox", { name: "Folder on this computer" }), { target: { value: "relative/docs" } });
    await fireEvent.click(f.getByRole("button", { name: "Save" }));
    const alert = await f.findByRole("alert");
    expect(alert.dataset.code).toBe("invalid");
    expect(within(alert).getByTestId("error-text").textContent).toBe("That cannot be done as given. Check what you entered and try again.");
    expect(within(alert).getByTestId("error-detail").textContent).toBe("invalid: the local folder must be a full path");
    expect(f.getByRole("button", { name: "Save" }).compareDocumentPosition(alert) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getAllByRole("alert")).toEqual([alert]);
  });

  it("a second backup run replaces the first run's result on its card", async () => {
    await openTab("Backup");
    await fillBackup("pw", "pw");
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    await within(card).findByText(/^Run 1: Done/);
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    await within(card).findByText(/^Run 2: Done/);
    const shown = screen.queryAllByRole("status").filter((e) => /Run \d+:/.test(e.textContent ?? ""));
    expect(shown.map((e) => e.dataset.testid)).toEqual(["run-result"]);
    expect(within(card).getByTestId("run-result").textContent).toMatch(/^Run 2: Done/);
  });

  it("a finished restore says so under its Restore button, in the version browser", async () => {
    await openTab("Backup");
    await fillBackup("pw", "pw");
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Back up now" }));
    await within(card).findByText(/^Run 1: Done/);
    await fireEvent.click(within(card).getByRole("button", { name: "Versions" }));
    const versions = await screen.findByLabelText("Versions of “Docs”");
    await fireEvent.click(await within(versions).findByRole("button", { name: "Browse" }));
    const browser = await screen.findByLabelText(/^Version [0-9a-f]{8}$/);
    await fireEvent.click(await within(browser).findByRole("button", { name: "home/" }));
    await fireEvent.click(await within(browser).findByRole("radio", { name: "Select a.txt" }));
    await fireEvent.input(within(browser).getByRole("textbox", { name: "Restore into this folder" }), { target: { value: "/tmp/out" } });
    const button = within(browser).getByRole("button", { name: "Restore" });
    await fireEvent.click(button);
    const result = await within(browser).findByTestId("restore-result");
    expect(result.getAttribute("role")).toBe("status");
    expect(result.textContent).toBe("Restored 1 file (12 B) to /tmp/out/a.txt.");
    // After the button in the page's order.
    expect(button.compareDocumentPosition(result) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    // A failure takes the same place (and the success is gone).
    await fireEvent.click(within(browser).getByRole("button", { name: "Restore" }));
    await waitFor(() => expect(within(browser).getByRole("alert").dataset.code).toBe("would_overwrite"));
    expect(within(browser).queryByTestId("restore-result")?.getAttribute("role")).toBe("alert");
  });

  it("settings: “Settings saved.” next to Save", async () => {
    const backend = mockBackend({ storages: [demoStorage] });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Settings" }));
    const form = await screen.findByRole("form", { name: "Settings" });
    await fireEvent.click(within(form).getByRole("button", { name: "Save" }));
    expect((await within(form).findByRole("status")).textContent).toBe("Settings saved.");
  });
});

describe("toasts for results whose place is gone", () => {
  it("a deleted backup task takes its card with it: a toast says it is gone", async () => {
    await openTab("Backup");
    await fillBackup("pw", "pw");
    const card = await screen.findByRole("listitem", { name: "Docs" });
    await fireEvent.click(within(card).getByRole("button", { name: "Delete task" }));
    await fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete task" }));
    const toasts = screen.getByRole("region", { name: "Messages" });
    await within(toasts).findByText("“Docs” deleted. Its runs stay in the log.");
    expect(screen.queryByRole("listitem", { name: "Docs" })).toBeNull();
  });

  it("moving a file to the trash closes its details: a toast says it happened", async () => {
    await openTab("Files");
    const row = await waitFor(() => {
      const r = document.querySelector<HTMLElement>('[role=row][data-name="notes.txt"]');
      expect(r).toBeTruthy();
      return r!;
    });
    await fireEvent.click(row);
    await fireEvent.click(screen.getByRole("button", { name: "Move to trash" }));
    await fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Move to trash" }));
    const toasts = screen.getByRole("region", { name: "Messages" });
    await within(toasts).findByText("“notes.txt” moved to the trash.");
  });
});
