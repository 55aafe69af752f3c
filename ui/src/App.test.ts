import { describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "./App.svelte";
import { demoStorage, mockBackend } from "./lib/api/mock";

const files = ["Documents/Welcome.txt", "Documents/Budget.csv", "Photos/2026/Lofoten.txt", "notes.txt"];

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
