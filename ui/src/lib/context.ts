// The backend reaches components through Svelte context, so tests can mount
// any component with the mock backend.

import { getContext, setContext } from "svelte";
import type { Backend } from "./api/backend";

const KEY = Symbol("backend");

export function provideBackend(b: Backend): void {
  setContext(KEY, b);
}

export function useBackend(): Backend {
  const b = getContext<Backend | undefined>(KEY);
  if (!b) throw new Error("no backend in context");
  return b;
}
