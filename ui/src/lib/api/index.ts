// Picks the backend: Tauri inside the app window, the web bridge in a browser.

import type { Backend } from "./backend";
import { inTauri, tauriBackend } from "./tauri";
import { webBackend } from "./web";

export type { Backend } from "./backend";
export * from "./types";

export function defaultBackend(): Backend {
  return inTauri() ? tauriBackend() : webBackend();
}
