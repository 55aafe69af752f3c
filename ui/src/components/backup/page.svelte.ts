// What the parts of the Backup screen share: the screen's own error (a list
// that did not load) and notice, each action's result at the place it was
// taken (`results`, by place: "run:<task>", "restore:<task>", "maint:<task>",
// "password:<task>", "snapshots:<task>"), the password prompt for a
// repository whose password is not kept (shown at the place that asked),
// and long operations (a restore, a check) owned like runs.

import { ApiError, type Task, type TaskProgress } from "../../lib/api/types";
import { t } from "../../lib/i18n/index.svelte";
import { Results } from "../../lib/results.svelte";
import type { TaskRuns } from "../../lib/runs.svelte";
import { outcomeLabel, type Tone } from "../../lib/tasks";

/** A repository's password asked for at `place`, and what to do with it. */
export interface Asking {
  task: Task;
  place: string;
  then: (pw: string) => Promise<void>;
}

/** The words for the backup codes a user can act on; undefined for the general words of the code. */
export function backupErrorText(e: ApiError): string | undefined {
  if (e.code === "wrong_password") return t("backup.wrongPassword");
  if (e.code === "busy") return t("backup.busy");
  if (e.code === "check_failed") return t("backup.checkFailed", { message: e.message });
  return undefined;
}

export class BackupPage {
  error = $state<ApiError | null>(null);
  #notice = $state<string | null>(null);
  /** The notice's colour: a new notice is a success unless `tone` is set after it. */
  tone = $state<Tone>("ok");
  get notice(): string | null {
    return this.#notice;
  }
  set notice(v: string | null) {
    this.#notice = v;
    this.tone = "ok";
  }
  asking = $state<Asking | null>(null);
  readonly results = new Results();

  constructor(readonly runs: TaskRuns) {}

  /** A failure at `place`, in the backup's words when it has them. */
  fail(place: string, e: unknown): void {
    const err = ApiError.from(e);
    this.results.fail(place, err, backupErrorText(err));
  }

  /**
   * Runs `f` for an action taken at `place`; when the repository wants its
   * password, asks there and runs it again with it. A failure shows at `place`.
   */
  async withPassword(task: Task, place: string, f: (pw: string | null) => Promise<void>): Promise<void> {
    try {
      await f(null);
    } catch (e) {
      const err = ApiError.from(e);
      if (err.code === "password_required") {
        this.asking = { task, place, then: (pw) => f(pw) };
      } else {
        this.fail(place, err);
      }
    }
  }

  /**
   * Runs a long operation of `task` (a restore, a check) owned like a run:
   * its progress shows and Stop cancels it the same way. A stop is what the
   * user asked for, so it ends as a notice at `place`, not an error (`null`).
   */
  async stoppable<T>(task: Task, place: string, f: (onProgress: (p: TaskProgress) => void) => Promise<T>): Promise<T | null> {
    try {
      return await this.runs.own(task.id, f);
    } catch (e) {
      if (ApiError.from(e).code !== "cancelled") throw e;
      this.results.say(place, outcomeLabel("cancelled"), "warn");
      return null;
    }
  }
}
