import { describe, expect, it } from "vitest";
import { ageText, limitFields, parseAge, parseSize, readLimits, sizeText } from "./filters";

describe("backup limits", () => {
  it("reads sizes like the CLI", () => {
    expect(parseSize("10M")).toEqual({ ok: true, value: 10 * 1024 * 1024 });
    expect(parseSize(" 512k ")).toEqual({ ok: true, value: 512 * 1024 });
    expect(parseSize("1.5KiB")).toEqual({ ok: true, value: 1536 });
    expect(parseSize("2 GB")).toEqual({ ok: true, value: 2 * 1024 ** 3 });
    expect(parseSize("100")).toEqual({ ok: true, value: 100 });
    expect(parseSize("")).toEqual({ ok: true, value: null });
    expect(parseSize("ten")).toEqual({ ok: false });
    expect(parseSize("-5M")).toEqual({ ok: false });
  });

  it("reads ages like the CLI", () => {
    expect(parseAge("7d")).toEqual({ ok: true, value: 7 * 86_400 });
    expect(parseAge("2w")).toEqual({ ok: true, value: 14 * 86_400 });
    expect(parseAge("90")).toEqual({ ok: true, value: 90 });
    expect(parseAge("10m")).toEqual({ ok: true, value: 600 });
    expect(parseAge(" ")).toEqual({ ok: true, value: null });
    expect(parseAge("1.5d")).toEqual({ ok: false });
    expect(parseAge("3y")).toEqual({ ok: false });
  });

  it("writes stored limits back in the shortest exact form", () => {
    expect(sizeText(10 * 1024 * 1024)).toBe("10M");
    expect(sizeText(1536)).toBe("1536");
    expect(sizeText(null)).toBe("");
    expect(ageText(14 * 86_400)).toBe("2w");
    expect(ageText(3 * 86_400)).toBe("3d");
    expect(ageText(90)).toBe("90s");
    expect(ageText(0)).toBe("0");
    for (const s of ["5G", "12K", "7"]) {
      const v = parseSize(s);
      expect(v.ok && sizeText(v.value)).toBe(s);
    }
  });

  it("reads the form's four fields, naming the one it cannot read", () => {
    const fields = limitFields({ minSize: 1024, maxAgeSecs: 86_400 });
    expect(fields).toEqual({ minSize: "1K", maxSize: "", minAge: "", maxAge: "1d" });
    expect(readLimits(fields)).toEqual({
      ok: true,
      limits: { minSize: 1024, maxSize: null, minAgeSecs: null, maxAgeSecs: 86_400 },
    });
    expect(readLimits({ ...fields, minAge: "soon" })).toEqual({ ok: false, field: "minAge" });
  });
});
