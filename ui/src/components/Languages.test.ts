import { afterEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { demoStorage, mockBackend, zeroCounters } from "../lib/api/mock";
import type { Task } from "../lib/api/types";
import { blankTask } from "../lib/tasks";
import { en } from "../lib/i18n/en";
import { fi } from "../lib/i18n/fi";
import { setLocale } from "../lib/i18n/index.svelte";

afterEach(() => setLocale("en"));

const HOUR = 3_600_000;

/** A daily task whose last run, two hours ago, failed. */
const photos: Task = {
  ...blankTask("demo"),
  id: "t1",
  name: "Kuvat",
  local: "/home/me/Kuvat",
  remote: "Kuvat",
  schedule: { type: "daily", time: "07:30" },
  lastRun: {
    id: 3,
    kind: "sync",
    source: "/home/me/Kuvat",
    destination: "demo:Kuvat",
    startedMs: Date.now() - 2 * HOUR - 5000,
    endedMs: Date.now() - 2 * HOUR,
    outcome: "failed",
    counters: { ...zeroCounters, uploaded: 4, failed: 1, bytes: 2048 },
    parent: null,
    refusal: null,
    warning: null,
    stopped: null,
  },
};

/**
 * Texts on screen (text of elements without element children, and
 * accessible names) that are an English message word for word, where the
 * Finnish one differs: what a Finnish user would see untranslated.
 */
function englishOnScreen(): string[] {
  const english = new Set<string>(
    (Object.keys(en) as (keyof typeof en)[]).filter((k) => fi[k] !== en[k]).map((k) => en[k]),
  );
  const seen: string[] = [];
  for (const el of document.body.querySelectorAll("*")) {
    const texts = [el.getAttribute("aria-label"), el.getAttribute("title"), el.getAttribute("placeholder")];
    if (el.children.length === 0) texts.push(el.textContent);
    for (const text of texts) {
      const s = text?.replace(/^\+ /, "").trim();
      if (s && english.has(s)) seen.push(s);
    }
  }
  return seen;
}

describe("the window in Finnish", () => {
  it("shows the overview in Finnish, counts and dates included, and nothing in English", async () => {
    render(App, { props: { backend: mockBackend({ storages: [demoStorage], tasks: [photos], settings: { language: "fi" } }) } });
    await screen.findByRole("heading", { name: "Ovatko tietoni turvassa?" });
    expect(document.documentElement.lang).toBe("fi");
    const card = await screen.findByRole("listitem", { name: "Kuvat" });
    const c = within(card);
    expect(c.getByText("Vaatii huomiota")).toBeTruthy();
    expect(c.getByText("Viimeksi onnistunut: ei koskaan")).toBeTruthy();
    expect(c.getByText("Viimeisin ajo: Valmis, osa epäonnistui, 2 tuntia sitten")).toBeTruthy();
    expect(c.getByText(/^Päivittäin klo 07\.30|^Päivittäin klo 07:30/)).toBeTruthy();
    expect(c.getByRole("button", { name: "Avaa" })).toBeTruthy();
    for (const name of ["Yleiskatsaus", "+ Lisää tallennustila", "Synkronoi kaikki nyt", "Keskeytä kaikki", "Asetukset"]) {
      expect(screen.getByRole("button", { name }), name).toBeTruthy();
    }
    await waitFor(() => expect(screen.getByTestId("overview-quota").textContent).toMatch(/^[\d,\s\u00a0]+ [KMG]?i?B \/ [\d,\s\u00a0]+ [KMG]?i?B käytössä$/));
    expect(englishOnScreen()).toEqual([]);
  });

  it("browses a storage in Finnish, screen-reader labels included", async () => {
    const files = ["Kuvat/kesä.jpg", "Asiakirjat/lasku.pdf", "muistio.txt"];
    render(App, { props: { backend: mockBackend({ storages: [demoStorage], files, settings: { language: "fi" } }) } });
    await fireEvent.click(await screen.findByRole("button", { name: /^demo/ }));
    // The virtualized rows need real layout (the browser e2e checks them); the count does not.
    await screen.findByText("2 kansiota, 1 tiedosto");
    expect(screen.getByRole("navigation", { name: "Kansiopolku" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Käänteinen järjestys" })).toBeTruthy();
    for (const name of ["Tiedostot", "Tehtävät", "Varmuuskopio", "Roskakori", "Kiintiö"]) {
      expect(screen.getByRole("tab", { name }), name).toBeTruthy();
    }
    expect(englishOnScreen()).toEqual([]);
  });

  it("offers all five languages by their own names and switches at once", async () => {
    const backend = mockBackend({ storages: [demoStorage], settings: { language: "fi" } });
    render(App, { props: { backend } });
    await fireEvent.click(await screen.findByRole("button", { name: "Asetukset" }));
    const picker = (await screen.findByRole("combobox", { name: "Kieli" })) as HTMLSelectElement;
    expect([...picker.options].map((o) => `${o.value}: ${o.text}`)).toEqual([
      ": Järjestelmän mukaan",
      "en: English",
      "nb: Norsk bokmål",
      "sv: Svenska",
      "da: Dansk",
      "fi: Suomi",
    ]);
    expect(englishOnScreen()).toEqual([]);
    await fireEvent.change(picker, { target: { value: "sv" } });
    await fireEvent.click(screen.getByRole("button", { name: "Tallenna" }));
    await screen.findByRole("heading", { name: "Inställningar" });
    expect(screen.getByRole("button", { name: "Översikt" })).toBeTruthy();
    expect(backend.calls.find((x) => x.command === "save_settings")?.args.settings).toMatchObject({ language: "sv" });
  });
});

describe("who runs the schedules", () => {
  it("the overview names the other program that starts scheduled runs", async () => {
    const who = "fjordsync daemon (pid 42) at http://127.0.0.1:8090";
    render(App, { props: { backend: mockBackend({ storages: [demoStorage], tasks: [photos], scheduledBy: who }) } });
    const line = await screen.findByTestId("scheduled-by");
    expect(line.textContent).toBe(`Scheduled runs are started by ${who}; they show here as they happen.`);
  });

  it("says nothing when this program runs them", async () => {
    render(App, { props: { backend: mockBackend({ storages: [demoStorage], tasks: [photos] }) } });
    await screen.findByRole("listitem", { name: "Kuvat" });
    expect(screen.queryByTestId("scheduled-by")).toBeNull();
  });
});
