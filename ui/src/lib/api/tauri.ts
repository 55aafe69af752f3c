// The desktop app: Tauri IPC plus the plugins' JS guests. The only file
// that imports @tauri-apps/*.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open, save } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { createBackend, type Backend } from "./backend";
import type { AppEvent, TaskProgress } from "./types";

export function tauriBackend(): Backend {
  return createBackend((command, args) => invoke(command, args), {
    canPickFolder: true,
    async pickFolder() {
      const dir = await open({ directory: true, multiple: false });
      return typeof dir === "string" ? dir : null;
    },
    openUrl: (url) => openUrl(url),
    copyText: (text) => writeText(text),
    onEvent(cb) {
      const un = listen<AppEvent>("fjordsync://event", (e) => cb(e.payload));
      return () => void un.then((f) => f());
    },
    async exportRun(run, format, call) {
      const path = await save({
        defaultPath: `fjordsync-run-${run}.${format}`,
        filters: [{ name: format.toUpperCase(), extensions: [format] }],
      });
      if (!path) return null;
      return (await call("export_run", { run, format, path })) as string;
    },
    progress(_task, cb) {
      const onProgress = new Channel<TaskProgress>();
      onProgress.onmessage = cb;
      return { args: { onProgress }, close: () => undefined };
    },
  });
}

/** True inside the Tauri window. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
