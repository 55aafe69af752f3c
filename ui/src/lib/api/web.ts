// The web bridge (crates/api/src/web.rs): POST /api/<command> with JSON,
// events over a WebSocket. Used by the browser end-to-end tests, which run
// the real engine against the emulator without a desktop window. Every call
// carries the bridge's access token (see bridge-token.ts); without one the
// calls fail with `unauthorized` and the app shows how to get the link.

import { createBackend, type Backend } from "./backend";
import { takeBridgeToken } from "./bridge-token";
import { ApiError, type AppEvent } from "./types";

/** The WebSocket subprotocols: the bridge's own, and the one carrying the token (a browser cannot set headers on a WebSocket). */
const eventProtocols = (token: string) => ["fjordsync", `fjordsync-token.${token}`];

export function webBackend(base = "", token: string | null = takeBridgeToken()): Backend {
  const listeners = new Set<(e: AppEvent) => void>();
  let socket: WebSocket | null = null;
  const connect = () => {
    if (socket || !token || typeof WebSocket === "undefined") return;
    const url = new URL(`${base}/api/events`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(url, eventProtocols(token));
    socket.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as AppEvent;
      listeners.forEach((cb) => cb(e));
    };
    socket.onclose = () => {
      socket = null;
      // Reconnect while someone listens (the bridge may restart in tests).
      if (listeners.size) setTimeout(connect, 1000);
    };
  };
  const onEvent = (cb: (e: AppEvent) => void) => {
    listeners.add(cb);
    connect();
    return () => void listeners.delete(cb);
  };
  return createBackend(
    async (command, args) => {
      if (!token) throw new ApiError("unauthorized", "this page was not opened from the link Fjordsync printed");
      const r = await fetch(`${base}/api/${command}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify(args ?? {}),
      });
      const body: unknown = await r.json().catch(() => null);
      if (!r.ok) throw ApiError.from(body ?? { code: "network", message: `HTTP ${r.status}` });
      return body;
    },
    {
      // A browser cannot show the OS folder picker: ask for a path instead
      // (forms that have a path field show no picker button at all).
      canPickFolder: false,
      pickFolder: async () => window.prompt("Folder (a path on the machine running the bridge)"),
      openUrl: async (url) => void window.open(url, "_blank", "noopener"),
      copyText: async (text) => {
        await navigator.clipboard?.writeText(text).catch(() => undefined);
      },
      onEvent,
      // A browser cannot write files where it likes: it downloads the text.
      async exportRun(run, format, call) {
        const text = (await call("export_run_text", { run, format })) as string;
        const name = `fjordsync-run-${run}.${format}`;
        const type = format === "json" ? "application/json" : "text/csv";
        const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
        const a = document.createElement("a");
        a.href = url;
        a.download = name;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        return name;
      },
      // The bridge streams a run's progress over the event WebSocket.
      progress(task, cb) {
        const close = onEvent((e) => {
          if (e.kind === "taskProgress" && e.task === task) cb(e.progress);
        });
        return { args: {}, close };
      },
    },
  );
}
