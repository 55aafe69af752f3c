// Errors as a person meets them: a sentence by code, in their language, that
// says what happened and what to do; the technical detail only behind
// "Details", copyable. And the demo storage can be added through the wizard
// like a real account.
import { afterEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoSignIn, longSignInUrl, mockBackend } from "../lib/api/mock";
import { ApiError } from "../lib/api/types";
import { describeError } from "../lib/errors";
import { setLocale } from "../lib/i18n/index.svelte";

afterEach(() => setLocale("en"));

/** The mock with its clipboard and URL opener recorded. */
function backendWith(opts: Parameters<typeof mockBackend>[0] = {}) {
  const backend = mockBackend(opts);
  const copied: string[] = [];
  const opened: string[] = [];
  backend.copyText = vi.fn(async (text: string) => void copied.push(text));
  backend.openUrl = vi.fn(async (url: string) => void opened.push(url));
  return { backend, copied, opened };
}

async function toSignIn(backend: ReturnType<typeof mockBackend>, service?: string): Promise<void> {
  render(App, { props: { backend } });
  await fireEvent.click(await screen.findByRole("button", { name: "Add my storage" }));
  await screen.findByText("Telia Sky (Norway)");
  if (service) await fireEvent.click(screen.getByRole("radio", { name: service }));
  await fireEvent.click(screen.getByRole("button", { name: "Next" }));
}

/** The visible sentence of an alert (not its Details). */
const sentence = (alert: HTMLElement) => within(alert).getByTestId("error-text").textContent ?? "";

describe("errors a person can meet", () => {
  it("a bad token: a sentence that says what to do, the library's words only under Details, copyable", async () => {
    const { backend, copied } = backendWith();
    await toSignIn(backend);
    await fireEvent.input(screen.getByRole("textbox", { name: "Personal login token" }), { target: { value: "nonsense" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("bad_login_token");
    expect(sentence(alert)).toBe(
      "This personal login token was not accepted. Make a new one in your account's security settings and paste all of it.",
    );
    expect(sentence(alert)).not.toMatch(/base64/);
    expect(within(alert).getByText("Details")).toBeTruthy();
    expect(within(alert).getByTestId("error-detail").textContent).toBe("bad_login_token: personal login token is not valid base64");
    await fireEvent.click(within(alert).getByRole("button", { name: "Copy" }));
    await waitFor(() => expect(copied).toEqual(["bad_login_token: personal login token is not valid base64"]));
    expect(within(alert).getByRole("button", { name: "Copied" })).toBeTruthy();
  });

  it("offline: says the service could not be reached, not the HTTP library's message", async () => {
    const { backend } = backendWith({ offline: true });
    await toSignIn(backend);
    await fireEvent.input(screen.getByRole("textbox", { name: "Personal login token" }), { target: { value: "good-token" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const alert = await screen.findByRole("alert");
    expect(alert.dataset.code).toBe("offline");
    expect(sentence(alert)).toMatch(/^Fjordsync could not reach the service\. Check that this computer is online/);
    expect(sentence(alert)).not.toMatch(/http|url/i);
  });

  it("in the user's language", async () => {
    const { backend } = backendWith({ offline: true, settings: { language: "nb" } });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Legg til min lagring" }));
    await screen.findByText("Telia Sky (Norway)");
    await fireEvent.click(screen.getByRole("button", { name: "Neste" }));
    await fireEvent.input(screen.getByRole("textbox", { name: "Personlig påloggingsnøkkel" }), { target: { value: "good-token" } });
    await fireEvent.click(screen.getByRole("button", { name: "Logg på" }));
    const alert = await screen.findByRole("alert");
    expect(sentence(alert)).toMatch(/^Fjordsync fikk ikke kontakt med tjenesten\./);
    expect(within(alert).getByText("Detaljer")).toBeTruthy();
  });

  it("a browser that cannot open: the sign-in keeps waiting and the link is there to copy or open", async () => {
    const { backend, copied } = backendWith({ browserFails: true });
    await toSignIn(backend);
    await fireEvent.click(screen.getByRole("radio", { name: /Sign in with the browser/ }));
    await fireEvent.click(screen.getByRole("button", { name: "Sign in with the browser" }));
    const link = await screen.findByTestId("signin-link");
    const alert = within(link).getByRole("alert");
    expect(alert.dataset.code).toBe("browser_failed");
    expect(sentence(alert)).toBe(
      "Fjordsync could not open a browser. Open this link in a browser on this computer to finish signing in:",
    );
    expect(sentence(alert)).not.toMatch(/ExitStatus/);
    expect(within(alert).getByTestId("error-detail").textContent).toMatch(/ExitStatus/);
    expect(within(link).getByTestId("signin-url").textContent).toBe(longSignInUrl);
    await fireEvent.click(within(link).getByRole("button", { name: "Copy link" }));
    expect(within(link).queryByRole("button", { name: "Open link" })).toBeNull();
    await waitFor(() => expect(copied).toEqual([longSignInUrl]));
    // Still waiting: the wizard's own cancel is offered, nothing failed.
    expect(screen.getByText("Waiting for the browser… Finish signing in there, then come back.")).toBeTruthy();
  });

  it("no keyring: the app's words, no D-Bus trace and no environment variable", async () => {
    const { backend } = backendWith({ keyringMissing: true });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Try with demo storage" }));
    const alert = await screen.findByRole("alert");
    expect(sentence(alert)).toBe("Fjordsync keeps sign-in tokens in the OS keyring, and it could not be reached.");
    const shown = alert.cloneNode(true) as HTMLElement;
    shown.querySelectorAll("details").forEach((d) => d.remove());
    const visible = shown.textContent ?? "";
    expect(visible).not.toMatch(/D-Bus|FJORDSYNC_|SECRET_STORE/);
    expect(within(alert).getByTestId("error-detail").textContent).toMatch(/D-Bus/);
  });

  it("a code the UI does not know still gets a sentence, never the raw message", () => {
    expect(describeError(new ApiError("something_new", "engine: frobnicator failed"))).toBe(
      "Something went wrong. Try again; if it keeps happening, copy the details and send them with your report.",
    );
    expect(describeError(new ApiError("bad_name", "invalid remote name \"a/b\""))).toBe("That name cannot be used. Use letters, digits, - and _.");
  });
});

describe("the demo storage in the add-storage wizard", () => {
  it("is a choice with everything filled in, and is added end to end", async () => {
    const { backend } = backendWith();
    await toSignIn(backend, "Demo storage on this computer (no account needed)");
    await screen.findByText(/Everything is filled in for the demo storage/);
    const token = screen.getByRole("textbox", { name: "Personal login token" }) as HTMLTextAreaElement;
    expect(token.value).toBe(demoSignIn.loginToken);
    const address = screen.getByRole("textbox", { name: /Server address/ }) as HTMLInputElement;
    expect(address.value).toBe(demoSignIn.endpoint);
    // For the browser sign-in: the account the demo's sign-in page asks for.
    const details = screen.getByTestId("demo-signin");
    expect(within(details).getByTestId("demo-username").textContent).toBe(demoSignIn.username);
    expect(within(details).getByTestId("demo-password").textContent).toBe(demoSignIn.password);
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByText("Signed in as someone.");
    await fireEvent.click(screen.getByRole("button", { name: "Next" }));
    const name = screen.getByRole("textbox", { name: "Name for this storage" }) as HTMLInputElement;
    expect(name.value).toBe("demo-account");
    await fireEvent.click(screen.getByRole("button", { name: "Test and save" }));
    expect(await screen.findByRole("heading", { name: "demo-account" })).toBeTruthy();
    expect(backend.calls.find((c) => c.command === "wizard_login_token")?.args).toEqual({
      service: "jottacloud",
      loginToken: demoSignIn.loginToken,
      endpoint: demoSignIn.endpoint,
    });
  });

  it("the first screen shows the demo's sign-in details where it names the demo", async () => {
    const { backend } = backendWith();
    render(App, { props: { backend } });
    const details = await screen.findByTestId("demo-signin");
    await fireEvent.click(within(details).getByText("Demo sign-in details"));
    (details as HTMLDetailsElement).open = true;
    details.dispatchEvent(new Event("toggle"));
    await waitFor(() => expect(within(details).getByTestId("demo-username").textContent).toBe(demoSignIn.username));
    expect(within(details).getByTestId("demo-endpoint").textContent).toBe(demoSignIn.endpoint);
    expect(within(details).getByTestId("demo-password").textContent).toBe(demoSignIn.password);
  });
});
