// Transport types: mirror src-tauri/src/api/dto.rs (camelCase JSON).

export type SecretKind = "keyring" | "file";

export interface AppInfo {
  version: string;
  secretStore: SecretKind;
  configDir: string;
}

export interface Service {
  key: string;
  name: string;
  loginTokenUrl: string | null;
}

export interface Storage {
  name: string;
  service: string;
  serviceName: string;
  signIn: "standard" | "traditional" | "legacy";
  device: string;
  mountpoint: string;
  username: string | null;
  demo: boolean;
}

export interface Mountpoint {
  name: string;
  size: number | null;
}

export interface Device {
  name: string;
  size: number | null;
  mountpoints: Mountpoint[];
}

export interface Quota {
  used: number;
  total: number | null;
  writeLocked: boolean;
  readLocked: boolean;
  devices: Device[];
}

export interface WizardAccount {
  pendingId: string;
  username: string;
  devices: Device[];
}

export interface Entry {
  name: string;
  displayName: string;
  folder: boolean;
  size: number | null;
  md5: string | null;
  created: string | null;
  modified: string | null;
  uploaded: string | null;
  mime: string | null;
}

export interface Listing {
  path: string[];
  entries: Entry[];
}

export interface Share {
  url: string;
}

export interface TrashItem {
  path: string[] | null;
  /** Where it came from, for people ("Jotta / Archive / a: b"). */
  place: string | null;
  displayName: string;
  folder: boolean;
  size: number | null;
  deleted: string | null;
}

export interface Purge {
  folders: number;
  files: number;
}

export type AppEvent =
  | { kind: "storagesChanged" }
  | { kind: "storageChanged"; storage: string }
  | { kind: "signInUrl"; url: string };

/** The `{code, message}` error every command rejects with. */
export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "ApiError";
  }

  /** Anything thrown by a backend, as an ApiError. */
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
      return new ApiError(String(e.code), String(e.message));
    }
    return new ApiError("internal", e instanceof Error ? e.message : String(e));
  }
}
