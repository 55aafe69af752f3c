import { afterEach, describe, expect, it } from "vitest";
import { en } from "./en";
import { nb } from "./nb";
import { detectLocale, setLocale, t, tn } from "./index.svelte";

afterEach(() => setLocale("en"));

describe("i18n", () => {
  it("has every English key in bokmål, none empty, with the same placeholders", () => {
    const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(nb[key], key).toBeTruthy();
      expect(vars(nb[key]), key).toEqual(vars(en[key]));
    }
    expect(Object.keys(nb).sort()).toEqual(Object.keys(en).sort());
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("quota.used", { used: "1 GiB", total: "5 GiB" })).toBe("1 GiB of 5 GiB used");
    expect(t("quota.used", { used: "1 GiB" })).toBe("1 GiB of {total} used");
  });

  it("switches language", () => {
    setLocale("nb");
    expect(t("nav.trash")).toBe("Papirkurv");
    setLocale("en");
    expect(t("nav.trash")).toBe("Trash");
  });

  it("counts with the language's plural rules", () => {
    expect(tn("browse.files", 1)).toBe("1 file");
    expect(tn("browse.files", 0)).toBe("0 files");
    expect(tn("browse.folders", 100000)).toBe("100,000 folders");
    setLocale("nb");
    expect(tn("browse.files", 2)).toBe("2 filer");
  });

  it("detects Norwegian in any of its codes", () => {
    expect(detectLocale(["nn-NO"])).toBe("nb");
    expect(detectLocale(["no"])).toBe("nb");
    expect(detectLocale(["de-DE", "nb"])).toBe("nb");
    expect(detectLocale(["de-DE"])).toBe("en");
    expect(detectLocale(["en-GB", "nb"])).toBe("en");
  });
});
