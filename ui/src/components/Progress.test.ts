// One progress bar everywhere (issue 13, point 7): no native <progress> or
// <meter> (grey in one engine, green in another, beside our blue ones), the
// ARIA a screen reader needs, and an ETA that never says "about 0 s left".
import { afterEach, describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/svelte";
import ProgressBar from "./ProgressBar.svelte";
import RunProgress from "./RunProgress.svelte";
import type { Live } from "../lib/runs.svelte";
import { setLocale } from "../lib/i18n/index.svelte";

afterEach(() => setLocale("en"));

const live = (over: Partial<Live> = {}): Live => ({
  type: "progress",
  filesDone: 3,
  filesTotal: 10,
  bytesDone: 512,
  bytesTotal: 2048,
  rate: 100,
  eta: 20,
  current: ["a.txt"],
  failed: 0,
  ...over,
});

describe("ProgressBar", () => {
  it("is a progressbar with its value, range and words", () => {
    render(ProgressBar, { props: { value: 3, max: 10, label: "Running", valueText: "3 of 10 files" } });
    const bar = screen.getByRole("progressbar", { name: "Running" });
    expect(bar.getAttribute("aria-valuenow")).toBe("3");
    expect(bar.getAttribute("aria-valuemin")).toBe("0");
    expect(bar.getAttribute("aria-valuemax")).toBe("10");
    expect(bar.getAttribute("aria-valuetext")).toBe("3 of 10 files");
    expect((bar.firstElementChild as HTMLElement).style.width).toBe("30%");
  });

  it("without a value it is indeterminate: no numbers for a screen reader", () => {
    render(ProgressBar, { props: { value: null, label: "Running" } });
    const bar = screen.getByRole("progressbar", { name: "Running" });
    expect(bar.classList.contains("indeterminate")).toBe(true);
    for (const a of ["aria-valuenow", "aria-valuemin", "aria-valuemax"]) expect(bar.hasAttribute(a)).toBe(false);
  });

  it("clamps what it is given and can be a meter (quota)", () => {
    render(ProgressBar, { props: { value: 140, label: "Quota", role: "meter", danger: true } });
    const bar = screen.getByRole("meter", { name: "Quota" });
    expect(bar.getAttribute("aria-valuenow")).toBe("100");
    expect(bar.classList.contains("danger")).toBe(true);
  });
});

describe("every screen", () => {
  it("draws bars with ProgressBar, not <progress> or <meter>", () => {
    const sources = import.meta.glob("../**/*.svelte", { query: "?raw", import: "default", eager: true }) as Record<string, string>;
    const native = Object.entries(sources)
      .filter(([, text]) => /<(progress|meter)[\s>]/.test(text.replace(/\/\/.*$/gm, "")))
      .map(([file]) => file);
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(native).toEqual([]);
  });
});

describe("RunProgress", () => {
  it("uses the styled bar, never a native one", () => {
    const { container } = render(RunProgress, { props: { live: live() } });
    expect(container.querySelector("progress, meter")).toBeNull();
    expect(screen.getByRole("progressbar").getAttribute("aria-valuenow")).toBe("25");
  });

  it("moves without a number while starting or before totals are known", () => {
    render(RunProgress, { props: { live: "starting" } });
    expect(screen.getByRole("progressbar").hasAttribute("aria-valuenow")).toBe(false);
  });

  it("says about how long is left, rounded", () => {
    render(RunProgress, { props: { live: live({ eta: 22 }) } });
    expect(screen.getByText("about 20 sec left")).toBeTruthy();
  });

  it("never says about 0 s left: almost done", () => {
    const { container } = render(RunProgress, { props: { live: live({ eta: 0 }) } });
    expect(screen.getByText("almost done")).toBeTruthy();
    expect(container.textContent).not.toMatch(/\b0 s(ec)?\b/);
  });

  it("in every language", () => {
    setLocale("nb");
    render(RunProgress, { props: { live: live({ eta: 2 }) } });
    expect(screen.getByText("snart ferdig")).toBeTruthy();
  });
});
