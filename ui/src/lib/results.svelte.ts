// What an action answered, kept where it was taken. A screen keeps one
// current result per place ("run:7", "restore:7", "save"): a new result
// replaces the old one, so "Run 2: Done" never stays above "Run 3: Done".
// `ResultLine.svelte` shows one next to the button that was pressed.

import type { ApiError } from "./api/types";
import type { Tone } from "./tasks";

/** A result in words (`tone` colours it), or a failure worded by its code (`text` overrides the words). */
export type Result = { tone: Tone; text: string; error?: undefined } | { tone: "error"; error: ApiError; text?: string };

export class Results {
  #by = $state<Record<string, Result>>({});

  /** The current result of `place`, if any. */
  of(place: string): Result | undefined {
    return this.#by[place];
  }

  /** A result in words: replaces whatever `place` showed. */
  say(place: string, text: string, tone: Tone = "ok"): void {
    this.#by[place] = { tone, text };
  }

  /** A failure: replaces whatever `place` showed. */
  fail(place: string, error: ApiError, text?: string): void {
    this.#by[place] = { tone: "error", error, text };
  }

  clear(place: string): void {
    delete this.#by[place];
  }
}
