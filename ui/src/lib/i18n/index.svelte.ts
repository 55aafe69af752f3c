// A tiny typed i18n layer: one dictionary per language, `t(key, vars)` with
// {name} placeholders. Reactive: components re-render when the locale changes
// because `t` reads the locale rune.

import { en, type MessageKey } from "./en";
import { nb } from "./nb";

export type Locale = "en" | "nb";
export const LOCALES: { code: Locale; name: string }[] = [
  { code: "en", name: "English" },
  { code: "nb", name: "Norsk bokmål" },
];

const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, nb };
const STORAGE_KEY = "fjordsync.locale";

/** Norwegian (any of no, nb, nn) gets bokmål; everything else English. */
export function detectLocale(languages: readonly string[]): Locale {
  for (const l of languages) {
    const base = l.toLowerCase().split("-")[0];
    if (base === "nb" || base === "no" || base === "nn") return "nb";
    if (base === "en") return "en";
  }
  return "en";
}

function initial(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (saved === "en" || saved === "nb") return saved;
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

/** Keys that come in a `.one` / `.other` pair, named without the suffix. */
type PluralBase = MessageKey extends infer K ? (K extends `${infer B}.one` ? B : never) : never;

/** A counted message ("1 file", "3 files"), chosen by the language's plural rules. */
export function tn(base: PluralBase, n: number): string {
  const form = new Intl.PluralRules(i18n.locale).select(n) === "one" ? "one" : "other";
  return t(`${base}.${form}` as MessageKey, { n: n.toLocaleString(i18n.locale) });
}
