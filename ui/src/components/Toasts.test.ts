// The toasts (issue 13, point 1): results that stay in view wherever the page
// is scrolled. Successes are polite and go by themselves; failures are alerts
// in the user's words with Details, and stay until closed; one per thing, and
// never more than a few.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { flushSync } from "svelte";
import ToastsHarness from "./testing/ToastsHarness.svelte";
import { mockBackend } from "../lib/api/mock";
import { ApiError } from "../lib/api/types";
import { MAX_TOASTS, TOAST_MS, Toaster } from "../lib/toasts.svelte";

function mount(): Toaster {
  const toaster = new Toaster();
  render(ToastsHarness, { props: { backend: mockBackend(), toaster } });
  return toaster;
}

/** Changes to the toaster outside an event handler show once flushed. */
const act = (f: () => void) => {
  f();
  flushSync();
};

describe("toasts", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a success is a polite status that goes by itself; it can be dismissed sooner", () => {
    const toaster = mount();
    const region = screen.getByRole("status");
    expect(region.getAttribute("aria-live")).toBe("polite");
    act(() => toaster.say("“a.txt” moved to the trash."));
    expect(region.textContent).toContain("“a.txt” moved to the trash.");
    act(() => vi.advanceTimersByTime(TOAST_MS + 1));
    expect(region.textContent).not.toContain("a.txt");
    act(() => toaster.say("Saved to /tmp/a.txt"));
    expect(region.textContent).toContain("Saved to /tmp/a.txt");
    act(() => within(region).getByRole("button", { name: "Dismiss" }).click());
    expect(region.textContent).not.toContain("Saved to");
  });

  it("a failure is an alert in the user's words with the detail behind Details, and stays until closed", async () => {
    const toaster = mount();
    act(() => toaster.fail(new ApiError("quota_exceeded", "HTTP 507 from https://up.example/upload: insufficient storage")));
    const alert = screen.getByRole("alert");
    expect(alert.dataset.code).toBe("quota_exceeded");
    expect(within(alert).getByTestId("error-text").textContent).toBe(
      "The storage is full. Free up space or get more storage, then try again.",
    );
    expect(within(alert).getByTestId("error-detail").textContent).toContain("HTTP 507");
    act(() => vi.advanceTimersByTime(TOAST_MS * 10));
    expect(screen.getByRole("alert")).toBe(alert);
    await fireEvent.click(within(alert).getByRole("button", { name: "Close" }));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("one toast per thing: a new one with the same key replaces the old", () => {
    const toaster = mount();
    act(() => toaster.say("Run 2: Done", { key: "run:7" }));
    act(() => toaster.say("Run 3: Done", { key: "run:7" }));
    const region = screen.getByRole("status");
    expect(region.textContent).toContain("Run 3: Done");
    expect(region.textContent).not.toContain("Run 2: Done");
    expect(toaster.items).toHaveLength(1);
  });

  it("never more than a few: the oldest success goes first, failures are kept", () => {
    const toaster = mount();
    act(() => toaster.fail(new ApiError("offline", "connect refused")));
    for (let i = 1; i <= MAX_TOASTS + 2; i++) act(() => toaster.say(`Result ${i}`));
    expect(toaster.items).toHaveLength(MAX_TOASTS);
    expect(screen.getByRole("alert").dataset.code).toBe("offline");
    const region = screen.getByRole("status");
    expect(region.textContent).not.toContain("Result 1");
    expect(region.textContent).toContain(`Result ${MAX_TOASTS + 2}`);
  });
});
