// What the parts of the Backup screen share: the banner's error and notice,
// the password prompt for a repository whose password is not kept, and long
// operations (a restore, a check) owned like runs.

import { ApiError, type Task, type TaskProgress } from "../../lib/api/types";
import type { TaskRuns } from "../../lib/runs.svelte";
import { outcomeLabel, type Tone } from "../../lib/tasks";

/** A repository's password asked for, and what to do with it. */
export interface Asking {
  task: Task;
  then: (pw: string) => Promise<void>;
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

  constructor(readonly runs: TaskRuns) {}

  /** Runs `f`; when the repository wants its password, asks and runs it again with it. */
  async withPassword(task: Task, f: (pw: string | null) => Promise<void>): Promise<void> {
    try {
      await f(null);
    } catch (e) {
      const err = ApiError.from(e);
      if (err.code === "password_required") {
        this.asking = { task, then: (pw) => f(pw) };
      } else {
        this.error = err;
      }
    }
  }

  /**
   * Runs a long operation of `task` (a restore, a check) owned like a run:
   * its progress shows and Stop cancels it the same way. A stop is what the
   * user asked for, so it ends as a notice, not an error (`null`).
   */
  async stoppable<T>(task: Task, f: (onProgress: (p: TaskProgress) => void) => Promise<T>): Promise<T | null> {
    try {
      return await this.runs.own(task.id, f);
    } catch (e) {
      if (ApiError.from(e).code !== "cancelled") throw e;
      this.notice = outcomeLabel("cancelled");
      return null;
    }
  }
}
