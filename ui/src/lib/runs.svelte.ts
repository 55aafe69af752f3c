// The task list with the runs going on, for the screens that start runs
// (Tasks, Backup): runs a screen starts stream their progress to it; runs it
// did not start (schedules, Sync all now, the tray) are followed through
// events and polled until they end.

import { SvelteSet } from "svelte/reactivity";
import type { Backend } from "./api/backend";
import { ApiError, type Task, type TaskProgress } from "./api/types";

export type Live = Extract<TaskProgress, { type: "progress" }>;

/** How far a run is, in percent (bytes when known, else files). */
export const percent = (p: Live): number =>
  p.bytesTotal > 0 ? Math.round((p.bytesDone / p.bytesTotal) * 100) : p.filesTotal > 0 ? Math.round((p.filesDone / p.filesTotal) * 100) : 0;

export class TaskRuns {
  tasks = $state<Task[] | null>(null);
  paused = $state(false);
  running = $state<Record<string, Live | "starting">>({});
  /** Runs this screen started (their progress comes to it). */
  readonly owned = new SvelteSet<string>();
  // Loads overlap (poll, events, actions): only the newest one applies.
  private loads = 0;

  constructor(
    private readonly backend: Backend,
    private readonly onerror: (e: ApiError) => void,
  ) {}

  async load(): Promise<void> {
    const seq = ++this.loads;
    try {
      // The status already says which tasks are running.
      const [list, status] = await Promise.all([this.backend.listTasks(), this.backend.appStatus()]);
      if (seq !== this.loads) return;
      this.tasks = list;
      this.paused = status.paused;
      const now = status.running;
      for (const id of now) this.running[id] ??= "starting";
      for (const id of Object.keys(this.running)) if (!this.owned.has(id) && !now.includes(id)) delete this.running[id];
    } catch (e) {
      this.onerror(ApiError.from(e));
      this.tasks ??= [];
    }
  }

  /** Runs `f` as a run of `id` this screen owns: its progress shows; the list reloads after. */
  async own<T>(id: string, f: (onProgress: (p: TaskProgress) => void) => Promise<T>): Promise<T> {
    this.running[id] = "starting";
    this.owned.add(id);
    try {
      return await f((p) => {
        if (p.type === "progress") this.running[id] = p;
      });
    } finally {
      this.owned.delete(id);
      delete this.running[id];
      await this.load();
    }
  }

  /**
   * Stops whatever holds task `id` (a run, restore or check); its caller sees
   * `cancelled`. The refusal when the app could not stop it (for the place of the Stop button).
   */
  async cancel(id: string): Promise<ApiError | null> {
    try {
      await this.backend.cancelTask(id);
      return null;
    } catch (e) {
      return ApiError.from(e);
    }
  }

  /** Deletes task `id` (the user has confirmed) and reloads; the refusal when the app refused (for the task's card). */
  async remove(id: string): Promise<ApiError | null> {
    try {
      await this.backend.deleteTask(id);
    } catch (e) {
      return ApiError.from(e);
    }
    await this.load();
    return null;
  }

  /** Loads, then follows runs started elsewhere; returns the stop function (for onMount). */
  watch(): () => void {
    void this.load();
    const poll = setInterval(() => {
      if (Object.keys(this.running).some((id) => !this.owned.has(id))) void this.load();
    }, 1500);
    const off = this.backend.onEvent((e) => {
      if (e.kind === "statusChanged") this.paused = e.paused;
      else if (e.kind === "taskWatch") {
        const task = this.tasks?.find((x) => x.id === e.task);
        if (task) task.watch = e.watch;
      }
      else if (e.kind === "taskStarted" && !this.owned.has(e.task)) this.running[e.task] ??= "starting";
      else if (e.kind === "taskProgress" && !this.owned.has(e.task) && e.progress.type === "progress") this.running[e.task] = e.progress;
      else if (e.kind === "taskFinished" && !this.owned.has(e.task)) {
        delete this.running[e.task];
        void this.load();
      }
    });
    return () => {
      clearInterval(poll);
      off();
    };
  }
}
