// The words for an API error. The backend's `message` is technical (a
// library's error, an address, a status): it goes under "Details", never in
// the sentence. The sentence is chosen by `code`, in the user's language, and
// says what happened and what to do. A code this table does not know gets a
// general sentence, so nothing technical ever becomes the message.

import type { ApiError } from "./api/types";
import { t } from "./i18n/index.svelte";
import type { MessageKey } from "./i18n/en";

const WORDS: Record<string, MessageKey> = {
  offline: "error.offline",
  timeout: "error.timeout",
  network: "error.network",
  keyring_unavailable: "error.keyringUnavailable",
  secret_store: "error.secretStore",
  bad_login_token: "error.badLoginToken",
  bad_credentials: "error.badCredentials",
  bad_otp: "error.badOtp",
  sign_in_failed: "error.signInFailed",
  reconnect_needed: "error.reconnectNeeded",
  not_found: "error.notFound",
  already_exists: "error.alreadyExists",
  quota_exceeded: "error.quotaExceeded",
  write_locked: "error.writeLocked",
  invalid: "error.invalid",
  bad_name: "error.badName",
  inside_backup: "error.insideBackup",
  conflict_changed: "error.conflictChanged",
  expired: "error.expired",
  demo: "error.demo",
  service: "error.service",
  io: "error.io",
  config: "error.config",
  not_mounted: "error.notMounted",
  open_failed: "error.openFailed",
  unsupported: "error.unsupported",
};

/** The sentence for an error: what happened and what to do, by its code. */
export function describeError(e: Pick<ApiError, "code">): string {
  return t(WORDS[e.code] ?? "error.unknown");
}

/** True when the UI has its own sentence for this code. */
export function knownError(code: string): boolean {
  return code in WORDS;
}
