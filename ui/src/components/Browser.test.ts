import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoFiles, demoStorage, mockBackend, type MockOptions } from "../lib/api/mock";
import type { Task } from "../lib/api/types";
import { blankBackup } from "../lib/tasks";

// Every row rendered: the rows themselves are what these tests look at.
vi.mock("virtua/svelte", async () => ({ VList: (await import("./testing/AllRows.svelte")).default }));

const laptopBackup: Task = {
  ...blankBackup("demo"),
  id: "b1",
  name: "Laptop backup",
  kind: "backup",
  direction: "upload",
  local: "",
  storage: "demo",
  remote: "Backups/laptop",
  include: [],
  exclude: [],
  lastRun: null,
  backup: { ...blankBackup("demo").backup!, folders: ["/home/me"], repoLocal: null, rememberPassword: true },
};

/** The app on the demo storage's files, opened in the folder Backups. */
async function openBackups(opts: MockOptions = {}) {
  const backend = mockBackend({ storages: [demoStorage], files: demoFiles, ...opts });
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
  await fireEvent.click(await screen.findByRole("tab", { name: "Files" }));
  await fireEvent.click(await screen.findByRole("button", { name: "Backups" }));
  const row = await waitFor(() => {
    const r = document.querySelector<HTMLElement>('[role=row][data-name="laptop"]');
    expect(r).toBeTruthy();
    return r!;
  });
  return { backend, row };
}

describe("encrypted backups in the storage browser", () => {
  it("shows a repository as one item that is not walked into, and deletes it only after its name is typed", async () => {
    const { backend, row } = await openBackups();
    expect(row.dataset.backup).toBe("true");
    expect(within(row).getByText("Encrypted backup")).toBeTruthy();
    expect(within(row).queryByRole("button", { name: "laptop" }), "no link into it").toBeNull();
    await fireEvent.dblClick(row);
    await fireEvent.keyDown(row, { key: "Enter" });
    const listed = backend.calls.filter((c) => c.command === "list_folder").map((c) => (c.args.path as string[]).join("/"));
    expect(listed).not.toContain("Backups/laptop");

    const details = within(await screen.findByRole("complementary", { name: "Details" }));
    expect(details.getByText(/An encrypted backup made by Fjordsync or restic/)).toBeTruthy();
    expect(details.queryByRole("button", { name: "Rename or move" })).toBeNull();
    expect(details.queryByRole("button", { name: "Create link" })).toBeNull();
    await fireEvent.click(details.getByRole("button", { name: "Move backup to trash" }));
    const dialog = within(await screen.findByRole("dialog"));
    expect(dialog.getByText(/“laptop” is an encrypted backup/)).toBeTruthy();
    const confirm = dialog.getByRole("button", { name: "Move backup to trash" }) as HTMLButtonElement;
    const typed = dialog.getByRole("textbox", { name: "The folder’s name" });
    expect(confirm.disabled).toBe(true);
    await fireEvent.input(typed, { target: { value: "Laptop" } });
    expect(confirm.disabled, "the name must match exactly").toBe(true);
    await fireEvent.click(confirm);
    expect(backend.calls.some((c) => c.command === "delete_item")).toBe(false);
    await fireEvent.input(typed, { target: { value: "laptop" } });
    expect(confirm.disabled).toBe(false);
    await fireEvent.click(confirm);
    await waitFor(() =>
      expect(backend.calls.find((c) => c.command === "delete_item")?.args).toMatchObject({ path: ["Backups", "laptop"] }),
    );
  });

  it("an ordinary folder keeps its usual delete", async () => {
    await openBackups();
    await fireEvent.click(screen.getByRole("button", { name: "demo" }));
    const photos = await waitFor(() => document.querySelector<HTMLElement>('[role=row][data-name="Photos"]')!);
    expect(photos.dataset.backup).toBeUndefined();
    await fireEvent.click(photos);
    const details = within(await screen.findByRole("complementary", { name: "Details" }));
    await fireEvent.click(details.getByRole("button", { name: "Move to trash" }));
    const dialog = within(await screen.findByRole("dialog"));
    expect(dialog.queryByRole("textbox")).toBeNull();
    expect((dialog.getByRole("button", { name: "Move to trash" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("opens the backup task that uses the repository", async () => {
    const { row } = await openBackups({ tasks: [laptopBackup] });
    await fireEvent.click(row);
    await fireEvent.click(await screen.findByRole("button", { name: "Open in Backup" }));
    await screen.findByLabelText("Versions of “Laptop backup”");
    expect(screen.getByRole("tab", { name: "Backup" }).getAttribute("aria-selected")).toBe("true");
  });

  it("says how to add a repository no task uses", async () => {
    const { row } = await openBackups();
    await fireEvent.click(row);
    await fireEvent.click(await screen.findByRole("button", { name: "Open in Backup" }));
    await screen.findByText(/No backup task uses Backups\/laptop yet\. To open it, choose “New backup”/);
  });

  it("the folder picker does not offer a repository as a sync destination", async () => {
    const backend = mockBackend({ storages: [demoStorage], files: demoFiles });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
    await fireEvent.click(await screen.findByRole("tab", { name: "Tasks" }));
    await fireEvent.click(await screen.findByRole("button", { name: "+ New task" }));
    const form = within(screen.getByRole("form", { name: "New task" }));
    await fireEvent.click(form.getByRole("button", { name: "Choose folder…" }));
    const picker = within(await screen.findByRole("dialog", { name: "Choose a folder in demo" }));
    await fireEvent.click(await picker.findByRole("button", { name: "Backups" }));
    const row = await waitFor(() => {
      const r = document.querySelector<HTMLElement>('[role=dialog] [role=row][data-name="laptop"]');
      expect(r).toBeTruthy();
      return r!;
    });
    expect(row.getAttribute("aria-disabled")).toBe("true");
    expect(within(row).getByText("Encrypted backup: cannot be chosen")).toBeTruthy();
    await fireEvent.dblClick(row);
    await fireEvent.keyDown(row, { key: "Enter" });
    expect(picker.getByTestId("picked-path").textContent).toBe("Chosen: /Backups");
    const listed = backend.calls.filter((c) => c.command === "list_folder").map((c) => (c.args.path as string[]).join("/"));
    expect(listed).not.toContain("Backups/laptop");
  });
});
