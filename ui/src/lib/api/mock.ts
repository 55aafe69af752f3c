// An in-memory backend for unit and component tests: a tiny model of
// storages, folders, files and a trash, answering the same commands with the
// same error codes. Never used by the app itself.

import { createBackend, type Backend } from "./backend";
import { ApiError, type AppEvent, type Entry, type Storage, type TrashItem } from "./types";

interface Node {
  entry: Entry;
  children?: Map<string, Node>;
}

export interface MockOptions {
  storages?: Storage[];
  /** Files to create, as "a/b/c.txt" paths, in every storage. */
  files?: string[];
  /** Make the secret store fail like a machine without a keyring. */
  keyringMissing?: boolean;
  /** Storages whose sign-in ended (listings fail with reconnect_needed). */
  signedOut?: string[];
}

export interface MockBackend extends Backend {
  /** Calls made, for assertions. */
  calls: { command: string; args: Record<string, unknown> }[];
  emit(e: AppEvent): void;
}

const folder = (name: string): Node => ({
  entry: { name, displayName: name, folder: true, size: null, md5: null, created: null, modified: null, uploaded: null, mime: null },
  children: new Map(),
});

const file = (name: string, size = 10): Node => ({
  entry: {
    name,
    displayName: name,
    folder: false,
    size,
    md5: "0123456789abcdef0123456789abcdef",
    created: "2026-01-02T03:04:05Z",
    modified: "2026-01-02T03:04:05Z",
    uploaded: "2026-01-03T00:00:00Z",
    mime: "text/plain",
  },
});

export const demoStorage: Storage = {
  name: "demo",
  service: "jottacloud",
  serviceName: "Jottacloud",
  signIn: "standard",
  device: "Jotta",
  mountpoint: "Archive",
  username: "demo-user",
  demo: true,
};

export function mockBackend(opts: MockOptions = {}): MockBackend {
  let storages = [...(opts.storages ?? [])];
  let keyringMissing = opts.keyringMissing ?? false;
  const roots = new Map<string, Node>();
  const trash = new Map<string, { item: TrashItem; node: Node; parent: string[] }[]>();
  const listeners = new Set<(e: AppEvent) => void>();
  const calls: MockBackend["calls"] = [];
  const signedOut = new Set(opts.signedOut ?? []);
  const emit = (e: AppEvent) => listeners.forEach((cb) => cb(e));

  const rootOf = (storage: string): Node => {
    if (!storages.some((s) => s.name === storage)) throw new ApiError("not_found", `no storage ${storage}`);
    let r = roots.get(storage);
    if (!r) {
      r = folder("");
      for (const p of opts.files ?? []) {
        const segs = p.split("/");
        let n = r;
        segs.forEach((s, i) => {
          const last = i === segs.length - 1;
          let c = n.children!.get(s);
          if (!c) {
            c = last ? file(s) : folder(s);
            n.children!.set(s, c);
          }
          n = c;
        });
      }
      roots.set(storage, r);
    }
    return r;
  };
  const walk = (storage: string, path: string[]): Node => {
    let n = rootOf(storage);
    for (const s of path) {
      const c = n.children?.get(s);
      if (!c) throw new ApiError("not_found", `not found: ${path.join("/")}`);
      n = c;
    }
    return n;
  };

  const handlers: Record<string, (a: Record<string, unknown>) => unknown> = {
    app_info: () => ({ version: "0.1.0", secretStore: keyringMissing ? "keyring" : "keyring", configDir: "/mock" }),
    use_file_store: () => {
      keyringMissing = false;
      return { version: "0.1.0", secretStore: "file", configDir: "/mock" };
    },
    list_storages: () => storages,
    list_services: () => [
      { key: "jottacloud", name: "Jottacloud", loginTokenUrl: "https://www.jottacloud.com/web/secure" },
      { key: "telia_no", name: "Telia Sky (Norway)", loginTokenUrl: null },
    ],
    storage_quota: (a) => {
      rootOf(String(a.storage));
      return {
        used: 1_500_000_000,
        total: 5_368_709_120,
        writeLocked: false,
        readLocked: false,
        devices: [{ name: "Jotta", size: 1_500_000_000, mountpoints: [{ name: "Archive", size: 1_500_000_000 }] }],
      };
    },
    remove_storage: (a) => {
      storages = storages.filter((s) => s.name !== a.storage);
      emit({ kind: "storagesChanged" });
    },
    start_demo: () => {
      if (keyringMissing) {
        throw new ApiError("keyring_unavailable", "the OS keyring is not available (no D-Bus)");
      }
      if (!storages.some((s) => s.name === "demo")) storages.push(demoStorage);
      emit({ kind: "storagesChanged" });
      return demoStorage;
    },
    wizard_login_token: (a) => {
      if (a.loginToken !== "good-token") throw new ApiError("bad_login_token", "personal login token is not valid base64");
      return {
        pendingId: "p1",
        username: "someone",
        devices: [
          { name: "Jotta", size: 0, mountpoints: [{ name: "Archive", size: 0 }, { name: "Sync", size: 0 }] },
          { name: "Laptop", size: 0, mountpoints: [{ name: "Backup", size: 0 }] },
        ],
      };
    },
    wizard_browser: () => new Promise(() => undefined),
    wizard_cancel: () => undefined,
    wizard_save: (a) => {
      const name = String(a.name);
      if (storages.some((s) => s.name === name)) throw new ApiError("already_exists", `remote ${name} already exists`);
      const s: Storage = {
        ...demoStorage,
        name,
        demo: false,
        device: String(a.device),
        mountpoint: String(a.mountpoint),
      };
      storages.push(s);
      emit({ kind: "storagesChanged" });
      return s;
    },
    reconnect_login_token: (a) => {
      if (a.loginToken !== "good-token") throw new ApiError("bad_login_token", "personal login token is not valid base64");
      signedOut.delete(String(a.storage));
      return storages.find((s) => s.name === a.storage);
    },
    reconnect_browser: () => new Promise(() => undefined),
    list_folder: (a) => {
      if (signedOut.has(String(a.storage))) throw new ApiError("reconnect_needed", "reconnect needed: invalid_grant");
      const path = a.path as string[];
      const n = walk(String(a.storage), path);
      const entries = [...(n.children?.values() ?? [])].map((c) => c.entry);
      entries.sort((x, y) => Number(y.folder) - Number(x.folder) || x.displayName.localeCompare(y.displayName));
      return { path, entries };
    },
    create_folder: (a) => {
      const parent = walk(String(a.storage), a.parent as string[]);
      const name = String(a.name);
      if (parent.children!.has(name)) throw new ApiError("already_exists", `"${name}" already exists here`);
      parent.children!.set(name, folder(name));
      return [...(a.parent as string[]), name];
    },
    move_item: (a) => {
      const path = a.path as string[];
      const from = walk(String(a.storage), path.slice(0, -1));
      const node = walk(String(a.storage), path);
      const to = walk(String(a.storage), a.toParent as string[]);
      const name = String(a.newName);
      if (to.children!.has(name)) throw new ApiError("already_exists", `"${name}" already exists there`);
      from.children!.delete(path[path.length - 1]!);
      node.entry = { ...node.entry, name, displayName: name };
      to.children!.set(name, node);
      return [...(a.toParent as string[]), name];
    },
    delete_item: (a) => {
      const storage = String(a.storage);
      const path = a.path as string[];
      const parent = walk(storage, path.slice(0, -1));
      const node = walk(storage, path);
      parent.children!.delete(path[path.length - 1]!);
      const list = trash.get(storage) ?? [];
      list.push({
        node,
        parent: path.slice(0, -1),
        item: {
          path: ["Jotta", "Archive", ...path],
          place: ["Jotta", "Archive", ...path.slice(0, -1)].join(" / "),
          displayName: node.entry.displayName,
          folder: node.entry.folder,
          size: node.entry.size,
          deleted: new Date().toISOString(),
        },
      });
      trash.set(storage, list);
    },
    download: (a) => `${String(a.folder)}/${(a.path as string[]).at(-1)}`,
    set_share: (a) => (a.on ? { url: "https://www.jottacloud.com/s/mock" } : null),
    list_trash: (a) => (trash.get(String(a.storage)) ?? []).map((t) => t.item),
    restore_trash_item: (a) => {
      const storage = String(a.storage);
      const list = trash.get(storage) ?? [];
      const key = JSON.stringify(a.path);
      const i = list.findIndex((t) => JSON.stringify(t.item.path) === key);
      if (i < 0) throw new ApiError("not_found", "not in the trash");
      const [t] = list.splice(i, 1);
      walk(storage, t!.parent).children!.set(t!.node.entry.name, t!.node);
    },
    delete_trash_item: (a) => {
      const list = trash.get(String(a.storage)) ?? [];
      const key = JSON.stringify(a.path);
      trash.set(String(a.storage), list.filter((t) => JSON.stringify(t.item.path) !== key));
    },
    empty_trash: (a) => {
      const list = trash.get(String(a.storage)) ?? [];
      trash.set(String(a.storage), []);
      return { folders: list.filter((t) => t.item.folder).length, files: list.filter((t) => !t.item.folder).length };
    },
  };

  const backend = createBackend(
    async (command, args = {}) => {
      calls.push({ command, args });
      const h = handlers[command];
      if (!h) throw new ApiError("unknown_command", command);
      return h(args);
    },
    {
      pickFolder: async () => "/home/me/Downloads",
      openUrl: async () => undefined,
      copyText: async () => undefined,
      onEvent(cb) {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
    },
  );
  return Object.assign(backend, { calls, emit });
}
