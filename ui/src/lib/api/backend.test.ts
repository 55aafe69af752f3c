import { describe, expect, it } from "vitest";
import { createBackend } from "./backend";
import { ApiError } from "./types";

const platform = {
  canPickFolder: false,
  pickFolder: async () => null,
  openUrl: async () => undefined,
  copyText: async () => undefined,
  onEvent: () => () => undefined,
  progress: () => ({ args: {}, close: () => undefined }),
  exportRun: async () => null,
};

describe("createBackend", () => {
  it("passes camelCase arguments by command name", async () => {
    const seen: unknown[] = [];
    const b = createBackend(async (c, a) => (seen.push([c, a]), null), platform);
    await b.moveItem("demo", ["a"], ["b"], "c");
    await b.wizardLoginToken("jottacloud", "tok");
    expect(seen).toEqual([
      ["move_item", { storage: "demo", path: ["a"], toParent: ["b"], newName: "c" }],
      ["wizard_login_token", { service: "jottacloud", loginToken: "tok", endpoint: null }],
    ]);
  });

  it("turns {code, message} rejections into ApiError", async () => {
    const b = createBackend(async () => Promise.reject({ code: "not_found", message: "gone" }), platform);
    const err = await b.listStorages().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("not_found");
    expect((err as ApiError).message).toBe("gone");
  });

  it("keeps other failures as internal errors", async () => {
    const b = createBackend(async () => Promise.reject(new Error("boom")), platform);
    await expect(b.appInfo()).rejects.toMatchObject({ code: "internal", message: "boom" });
  });

  it("runs a task with the platform's progress argument and closes it after", async () => {
    const seen: unknown[] = [];
    let closed = false;
    const b = createBackend(async (c, a) => (seen.push([c, a]), { id: 1 }), {
      ...platform,
      progress: () => ({ args: { onProgress: "channel" }, close: () => void (closed = true) }),
    });
    await b.runTask("t1", () => undefined);
    await b.runFiles(1, null, "");
    expect(seen).toEqual([
      ["run_task", { id: "t1", allowDeletes: false, onProgress: "channel" }],
      ["run_files", { run: 1, result: null, text: null }],
    ]);
    expect(closed).toBe(true);
  });

  it("passes the delete-guard override and streams undo and retry progress the same way", async () => {
    const seen: unknown[] = [];
    let opened = 0;
    const b = createBackend(async (c, a) => (seen.push([c, a]), { id: 2 }), {
      ...platform,
      progress: () => (opened++, { args: { onProgress: "channel" }, close: () => undefined }),
    });
    await b.runTask("t1", () => undefined, { allowDeletes: true });
    await b.undoRun("t1", 1, () => undefined);
    await b.retryRun("t1", 1);
    expect(seen).toEqual([
      ["run_task", { id: "t1", allowDeletes: true, onProgress: "channel" }],
      ["undo_run", { task: "t1", run: 1, onProgress: "channel" }],
      ["retry_run", { task: "t1", run: 1, onProgress: "channel" }],
    ]);
    expect(opened).toBe(3);
  });

  it("streams a restore's and a check's progress through the platform's argument", async () => {
    const seen: unknown[] = [];
    let closed = 0;
    const b = createBackend(async (c, a) => (seen.push([c, a]), {}), {
      ...platform,
      progress: () => ({ args: { onProgress: "channel" }, close: () => void closed++ }),
    });
    await b.restoreSnapshot("t1", "s1", "/a", "/out", false, null, () => undefined);
    await b.checkBackup("t1", 100, "pw", () => undefined);
    expect(seen).toEqual([
      ["restore_snapshot", { task: "t1", snapshot: "s1", path: "/a", folder: "/out", overwrite: false, password: null, onProgress: "channel" }],
      ["check_backup", { task: "t1", readDataPercent: 100, password: "pw", onProgress: "channel" }],
    ]);
    expect(closed).toBe(2);
  });

  it("names the file version commands' arguments", async () => {
    const seen: unknown[] = [];
    const b = createBackend(async (c, a) => (seen.push([c, a]), null), platform);
    await b.listRevisions("demo", ["a.txt"]);
    await b.downloadRevision("demo", ["a.txt"], 1, "/tmp");
    await b.restoreRevision("demo", ["a.txt"], 1);
    expect(seen).toEqual([
      ["list_revisions", { storage: "demo", path: ["a.txt"] }],
      ["download_revision", { storage: "demo", path: ["a.txt"], number: 1, folder: "/tmp" }],
      ["restore_revision", { storage: "demo", path: ["a.txt"], number: 1 }],
    ]);
  });

  it("exports through the platform: the window saves, the browser downloads", async () => {
    const seen: unknown[] = [];
    const b = createBackend(async (c, a) => (seen.push([c, a]), "/tmp/r.json"), {
      ...platform,
      exportRun: async (run, format, call) => (await call("export_run", { run, format, path: "/tmp/r.json" })) as string,
    });
    expect(await b.exportRun(3, "json")).toBe("/tmp/r.json");
    expect(seen).toEqual([["export_run", { run: 3, format: "json", path: "/tmp/r.json" }]]);
  });
});
