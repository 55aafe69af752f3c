import { afterEach, describe, expect, it } from "vitest";
import { en, type MessageKey } from "./en";
import type { Settings } from "../api/types";
import {
  LOCALES,
  PLURAL_FORMS,
  detectLocale,
  dictionaries,
  pluralCategories,
  pluralForm,
  setLocale,
  t,
  tn,
  type Locale,
} from "./index.svelte";

afterEach(() => setLocale("en"));

const translations = LOCALES.filter((l) => l.code !== "en");
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

// The settings' language and the dictionaries name the same languages
// (svelte-check fails on these two lines otherwise).
const fromSettings: Locale[] = [] as Exclude<Settings["language"], "">[];
const toSettings: Exclude<Settings["language"], "">[] = [] as Locale[];

/** Texts rightly the same as in English (a product name, words the languages share). */
const sameAsEnglish: Record<Locale, MessageKey[]> = {
  en: [],
  nb: ["app.title", "storage.demo", "browse.type"],
  sv: ["app.title", "storage.demo", "versions.number", "backup.col.id", "backup.browseTitle", "backup.checkRead.100", "backup.versions.one"],
  da: [
    "app.title",
    "storage.demo",
    "browse.type",
    "browse.download",
    "tasks.cancel",
    "versions.number",
    "versions.download",
    "backup.col.id",
    "backup.browseTitle",
    "backup.versions.one",
  ],
  fi: ["app.title", "storage.demo"],
};

describe("i18n", () => {
  it("offers five languages, each named in itself", () => {
    expect(LOCALES.map((l) => `${l.code}: ${l.name}`)).toEqual([
      "en: English",
      "nb: Norsk bokmål",
      "sv: Svenska",
      "da: Dansk",
      "fi: Suomi",
    ]);
    expect(Object.keys(dictionaries).sort()).toEqual(LOCALES.map((l) => l.code).sort());
    expect([fromSettings, toSettings]).toEqual([[], []]);
  });

  describe.each(translations)("$name ($code)", ({ code }) => {
    const dict: Record<string, string> = dictionaries[code];

    it("has every English key and no other", () => {
      expect(Object.keys(en).filter((k) => !(k in dict)), "missing").toEqual([]);
      expect(Object.keys(dict).filter((k) => !(k in en)), "not in English").toEqual([]);
    });

    it("has no empty text, and the same placeholders as English in every text", () => {
      for (const key of Object.keys(en) as MessageKey[]) {
        expect(dict[key]?.trim(), key).toBeTruthy();
        expect(placeholders(dict[key] ?? ""), key).toEqual(placeholders(en[key]));
      }
    });

    it("leaves no English untranslated, beyond words the languages share", () => {
      const same = (Object.keys(en) as MessageKey[]).filter((k) => dict[k] === en[k] && /[a-z]{3,}/.test(en[k].replace(/\{\w+\}/g, "")));
      expect(same).toEqual(sameAsEnglish[code]);
    });
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("quota.used", { used: "1 GiB", total: "5 GiB" })).toBe("1 GiB of 5 GiB used");
    expect(t("quota.used", { used: "1 GiB" })).toBe("1 GiB of {total} used");
  });

  it("switches language", () => {
    const trash: Record<Locale, string> = { en: "Trash", nb: "Papirkurv", sv: "Papperskorg", da: "Papirkurv", fi: "Roskakori" };
    for (const { code } of LOCALES) {
      setLocale(code);
      expect(t("nav.trash")).toBe(trash[code]);
      expect(document.documentElement.lang).toBe(code);
    }
  });

  // Each language's rule (Intl.PluralRules, from CLDR) may give only the
  // forms the dictionaries have, or a count would silently read "other".
  it.each(LOCALES)("$code: the plural rule needs only the forms we have (one, other)", ({ code }) => {
    expect([...pluralCategories(code)].sort()).toEqual([...PLURAL_FORMS].sort());
  });

  // The expected forms are CLDR's rules (unicode.org/cldr plurals chart):
  // en, sv, fi "one: i = 1 and v = 0"; nb "one: n = 1"; da "one: n = 1 or
  // t != 0 and i = 0,1". For whole numbers all five say one for 1 only: 21
  // is "other" (unlike Russian), 0 is "other" (unlike French).
  const cldr: Record<Locale, Record<number, string>> = {
    en: { 0: "other", 1: "one", 2: "other", 5: "other", 21: "other" },
    nb: { 0: "other", 1: "one", 2: "other", 5: "other", 21: "other" },
    sv: { 0: "other", 1: "one", 2: "other", 5: "other", 21: "other" },
    da: { 0: "other", 1: "one", 2: "other", 5: "other", 21: "other" },
    fi: { 0: "other", 1: "one", 2: "other", 5: "other", 21: "other" },
  };
  const files: Record<Locale, string[]> = {
    en: ["0 files", "1 file", "2 files", "5 files", "21 files"],
    nb: ["0 filer", "1 fil", "2 filer", "5 filer", "21 filer"],
    sv: ["0 filer", "1 fil", "2 filer", "5 filer", "21 filer"],
    da: ["0 filer", "1 fil", "2 filer", "5 filer", "21 filer"],
    fi: ["0 tiedostoa", "1 tiedosto", "2 tiedostoa", "5 tiedostoa", "21 tiedostoa"],
  };
  it.each(LOCALES)("$code: counts 0, 1, 2, 5, 21 by its plural rule", ({ code }) => {
    const counts = [0, 1, 2, 5, 21];
    expect(Object.fromEntries(counts.map((n) => [n, pluralForm(code, n)]))).toEqual(cldr[code]);
    setLocale(code);
    expect(counts.map((n) => tn("browse.files", n))).toEqual(files[code]);
  });

  it("the rule is the language's own: Danish counts 1.5 as one, the others do not", () => {
    expect(pluralForm("da", 1.5)).toBe("one");
    expect(pluralForm("sv", 1.5)).toBe("other");
    expect(pluralForm("en", 1.5)).toBe("other");
  });

  it("writes counts as the language does", () => {
    expect(tn("browse.folders", 100000)).toBe("100,000 folders");
    setLocale("fi");
    expect(tn("browse.folders", 100000)).toBe("100\u00a0000 kansiota");
    setLocale("sv");
    expect(tn("schedule.hourly", 1)).toBe("Varje timme");
    expect(tn("schedule.hourly", 6)).toBe("Med 6 timmars mellanrum");
  });

  it("maps the system's languages to ours", () => {
    expect(detectLocale(["nn-NO"])).toBe("nb");
    expect(detectLocale(["no"])).toBe("nb");
    expect(detectLocale(["nb_NO.UTF-8"])).toBe("nb");
    expect(detectLocale(["de-DE", "nb"])).toBe("nb");
    expect(detectLocale(["sv-SE"])).toBe("sv");
    expect(detectLocale(["sv-FI"])).toBe("sv");
    expect(detectLocale(["da-DK"])).toBe("da");
    expect(detectLocale(["fi-FI"])).toBe("fi");
    expect(detectLocale(["FI"])).toBe("fi");
    expect(detectLocale(["se-NO", "nb-NO"])).toBe("nb"); // Northern Sami: not Swedish
    expect(detectLocale(["de-DE"])).toBe("en");
    expect(detectLocale(["en-GB", "nb"])).toBe("en");
    expect(detectLocale([])).toBe("en");
  });
});
