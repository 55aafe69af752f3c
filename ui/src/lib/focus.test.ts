import { afterEach, describe, expect, it, vi } from "vitest";
import { modal, rememberFocus, reveal } from "./focus";

/** A button on the page (the opener), and a dialog with two buttons. */
function page() {
  document.body.innerHTML = `
    <button id="opener">Open</button>
    <div id="dialog" tabindex="-1"><button id="a">A</button><button id="b">B</button></div>`;
  const get = (id: string) => document.getElementById(id) as HTMLElement;
  return { opener: get("opener"), dialog: get("dialog"), a: get("a"), b: get("b") };
}

const key = (el: HTMLElement, k: string, shiftKey = false) => {
  const e = new KeyboardEvent("keydown", { key: k, shiftKey, bubbles: true, cancelable: true });
  el.dispatchEvent(e);
  return e;
};

afterEach(() => {
  document.body.innerHTML = "";
});

describe("rememberFocus", () => {
  it("puts the focus back on the opener", () => {
    const { opener, a } = page();
    opener.focus();
    const restore = rememberFocus();
    a.focus();
    restore();
    expect(document.activeElement).toBe(opener);
  });

  it("leaves the focus alone when the opener is gone", () => {
    const { opener, a } = page();
    opener.focus();
    const restore = rememberFocus();
    a.focus();
    opener.remove();
    restore();
    expect(document.activeElement).toBe(a);
  });
});

describe("modal", () => {
  it("closes on Escape and gives the focus back to its opener", async () => {
    const { opener, dialog, a } = page();
    opener.focus();
    const onescape = vi.fn();
    const action = modal(dialog, onescape);
    await Promise.resolve();
    expect(dialog.contains(document.activeElement)).toBe(true);
    a.focus();
    expect(key(a, "Escape").defaultPrevented).toBe(true);
    expect(onescape).toHaveBeenCalledOnce();
    action.destroy();
    expect(document.activeElement).toBe(opener);
  });

  it("keeps Tab inside: from the last stop to the first, Shift+Tab from the first to the last", () => {
    const { dialog, a, b } = page();
    // Test DOMs lay nothing out; the dialog's buttons count as shown.
    for (const el of [a, b]) el.getClientRects = () => [{}] as unknown as DOMRectList;
    const action = modal(dialog, () => undefined);
    b.focus();
    expect(key(b, "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(a);
    expect(key(a, "Tab", true).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(b);
    action.destroy();
  });
});

describe("reveal", () => {
  it("brings a panel that just opened into view, no further than needed", async () => {
    document.body.innerHTML = `<section id="panel">Files that could not sync</section>`;
    const panel = document.getElementById("panel") as HTMLElement;
    const scroll = vi.fn();
    panel.scrollIntoView = scroll;
    reveal(panel);
    await Promise.resolve();
    expect(scroll).toHaveBeenCalledWith({ block: "nearest" });
  });
});
