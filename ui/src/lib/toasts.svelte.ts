// Toasts: results whose place is gone once they arrive (a deleted file's
// details, a closed form, an item that left the list). One small stack at
// the window's corner, always in view: successes go by themselves after a
// while; failures (worded by code, with "Details") stay until dismissed.
// A toast with a `key` replaces the one before it with that key (one
// current status per thing), and there are never more than MAX_TOASTS.

import { getContext, setContext } from "svelte";
import type { ApiError } from "./api/types";
import type { Tone } from "./tasks";

export interface Toast {
  id: number;
  key: string | null;
  tone: Tone;
  /** The words of a result; for a failure, words that replace its code's. */
  text?: string;
  error?: ApiError;
}

export const MAX_TOASTS = 4;
/** How long a success stays (failures stay until dismissed). */
export const TOAST_MS = 6000;

export class Toaster {
  items = $state<Toast[]>([]);
  #next = 1;
  // Not state: timers are bookkeeping, nothing shows them.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  /** A result: a success goes by itself after TOAST_MS; a warning stays like a failure. */
  say(text: string, opts: { key?: string; tone?: Exclude<Tone, "error"> } = {}): void {
    this.#add({ tone: opts.tone ?? "ok", text, key: opts.key ?? null });
  }

  /** A failure, worded by its code (or `text`): stays until dismissed. */
  fail(error: ApiError, opts: { key?: string; text?: string } = {}): void {
    this.#add({ tone: "error", error, text: opts.text, key: opts.key ?? null });
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((x) => x.id !== id);
  }

  /** Drops every toast and its timer (the window's UI goes away). */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.items = [];
  }

  #add(toast: Omit<Toast, "id">): void {
    if (toast.key !== null) for (const old of this.items.filter((x) => x.key === toast.key)) this.dismiss(old.id);
    const id = this.#next++;
    this.items.push({ ...toast, id });
    // Bounded: the oldest success goes first, else the oldest of all.
    while (this.items.length > MAX_TOASTS) this.dismiss((this.items.find((x) => x.tone === "ok") ?? this.items[0]!).id);
    if (toast.tone === "ok") this.#timers.set(id, setTimeout(() => this.dismiss(id), TOAST_MS));
  }
}

const KEY = Symbol("toasts");

export function provideToasts(t: Toaster): void {
  setContext(KEY, t);
}

export function useToasts(): Toaster {
  const t = getContext<Toaster | undefined>(KEY);
  if (!t) throw new Error("no toaster in context");
  return t;
}
