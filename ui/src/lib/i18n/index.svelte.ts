// A tiny typed i18n layer: one dictionary per language, `t(key, vars)` with
// {name} placeholders. Reactive: components re-render when the locale changes
// because `t` reads the locale rune.

import { en, type MessageKey } from "./en";
import { da } from "./da";
import { fi } from "./fi";
import { nb } from "./nb";
import { sv } from "./sv";

export type Locale = "en" | "nb" | "sv" | "da" | "fi";

/** The languages offered, each named in itself (the picker shows these). */
export const LOCALES: readonly { code: Locale; name: string }[] = [
  { code: "en", name: "English" },
  { code: "nb", name: "Norsk bokmål" },
  { code: "sv", name: "Svenska" },
  { code: "da", name: "Dansk" },
  { code: "fi", name: "Suomi" },
];

export const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, nb, sv, da, fi };
const STORAGE_KEY = "fjordsync.locale";

/**
 * A system language's primary subtag and the dictionary it reads. Norwegian
 * in any of its codes (nb, the macro-language no, and nynorsk nn, for which
 * there is no dictionary) reads bokmål.
 */
const BY_LANGUAGE: Record<string, Locale> = { en: "en", nb: "nb", no: "nb", nn: "nb", sv: "sv", da: "da", fi: "fi" };

export function isLocale(s: unknown): s is Locale {
  return typeof s === "string" && Object.hasOwn(dictionaries, s);
}

/** The first of the user's languages that we have (sv-FI → sv, nn-NO → nb); English otherwise. */
export function detectLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const hit = BY_LANGUAGE[l.toLowerCase().split(/[-_.@]/)[0] ?? ""];
    if (hit) return hit;
  }
  return "en";
}

function initial(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (isLocale(saved)) return saved;
  } catch {
    // No storage (tests, private mode): fall through to the browser's languages.
  }
  return detectLocale(globalThis.navigator?.languages ?? ["en"]);
}

export const i18n = $state({ locale: initial() });

export function setLocale(l: Locale): void {
  i18n.locale = l;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, l);
  } catch {
    // Not persisted; the choice still holds for this session.
  }
  if (typeof document !== "undefined") document.documentElement.lang = l;
}

/** The message for `key` in the current language, with {vars} filled in. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = dictionaries[i18n.locale][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/**
 * The plural forms a counted message has in every dictionary: a `.one` and
 * an `.other` key. A language whose rule needs more (Slavic "few", Arabic
 * "two"...) would need more keys; the i18n test checks every offered
 * language's rule against this list.
 */
export const PLURAL_FORMS = ["one", "other"] as const;
export type PluralForm = (typeof PLURAL_FORMS)[number];

/**
 * Each language's plural rule: CLDR's, as the platform ships it in
 * Intl.PluralRules (en, sv, fi: one is "1" without decimals; nb: n = 1;
 * da: n = 1, or 0.x and 1.x with decimals shown).
 */
const pluralRules = Object.fromEntries(
  LOCALES.map(({ code }) => [code, new Intl.PluralRules(code, { type: "cardinal" })]),
) as Record<Locale, Intl.PluralRules>;

/** Which form of a counted message `n` takes in `locale`. */
export function pluralForm(locale: Locale, n: number): PluralForm {
  const category = pluralRules[locale].select(n);
  return (PLURAL_FORMS as readonly string[]).includes(category) ? (category as PluralForm) : "other";
}

/** The plural categories the language's rule can give (the test compares these with PLURAL_FORMS). */
export function pluralCategories(locale: Locale): string[] {
  return pluralRules[locale].resolvedOptions().pluralCategories;
}

/** Keys that come in a `.one` / `.other` pair, named without the suffix. */
type PluralBase = MessageKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/** A counted message ("1 file", "3 files"), chosen by the language's plural rules; `vars` fill its other places. */
export function tn(base: PluralBase, n: number, vars: Record<string, string | number> = {}): string {
  return t(`${base}.${pluralForm(i18n.locale, n)}` as MessageKey, { ...vars, n: n.toLocaleString(i18n.locale) });
}
