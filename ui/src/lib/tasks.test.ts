import { describe, expect, it } from "vitest";
import { blankBackup, countersLine, retention, retentionLine } from "./tasks";
import { zeroCounters } from "./api/mock";

describe("backup wording", () => {
  it("a backup run's counters are new / changed / unmodified files and bytes added", () => {
    const c = { ...zeroCounters, uploaded: 3, updated: 2, unchanged: 9, bytes: 2048 };
    expect(countersLine(c, "backup")).toBe("3 new, 2 changed, 9 unmodified files, 2 KiB added");
    expect(countersLine(c)).toBe("5 done, 0 deleted, 0 failed, 2 KiB sent");
  });

  it("retention in words, rules that are off left out", () => {
    expect(retentionLine(retention({ keepLast: 3, keepDaily: 0, keepWeekly: null, keepYearly: 2 }))).toBe("Keeps: Latest 3, Yearly 2");
    expect(retentionLine(retention())).toBe("Keeps every version");
    expect(retentionLine(undefined)).toBe("");
  });

  it("a new backup goes to Backup in the storage and remembers its password", () => {
    const b = blankBackup("demo");
    expect(b).toMatchObject({ kind: "backup", storage: "demo", remote: "Backup" });
    expect(b.backup).toMatchObject({ folders: [], repoLocal: null, rememberPassword: true });
  });
});
