// The real app window, driven over WebDriver: tauri-driver + Debian's
// WebKitWebDriver, under Xvfb (see run.sh). A tiny W3C client over fetch
// keeps this free of extra npm packages.
//
// Usage: node tests/app/webdriver.mjs /abs/path/fjordsync-app
// Expects tauri-driver listening on TAURI_DRIVER_URL (run.sh starts it with
// a fresh HOME, config and data folder, a Secret Service, and a stand-in
// xdg-open that appends what it is asked to open to OPENED_LOG).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const APP = resolve(process.argv[2]);
const DRIVER = process.env.TAURI_DRIVER_URL ?? "http://127.0.0.1:4444";
// Where run.sh's stand-in xdg-open writes the links the app opens.
const OPENED_LOG = process.env.OPENED_LOG ?? "/nonexistent";
const ARTIFACTS = join(here, "..", "e2e", "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });
const limit = setTimeout(() => (console.error("webdriver: over 180 s; giving up"), process.exit(2)), 180_000);

async function wd(method, path, body) {
  const r = await fetch(`${DRIVER}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await r.json();
  if (!r.ok || json.value?.error) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
  return json.value;
}

const ELEMENT = "element-6066-11e4-a52f-4a0e6e8d6e3a";
const session = await wd("POST", "/session", {
  capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application: APP } } },
});
const sid = session.sessionId;
const s = (p) => `/session/${sid}${p}`;

/** Waits (bounded) for an element by XPath; returns its id. */
async function find(xpath, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const el = await wd("POST", s("/element"), { using: "xpath", value: xpath });
      const id = el[ELEMENT] ?? Object.values(el)[0];
      if (!id) throw new Error(`no element id in ${JSON.stringify(el)}`);
      return id;
    } catch (e) {
      if (Date.now() > until) throw new Error(`not found in ${timeoutMs} ms: ${xpath}\n${e.message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
async function gone(xpath, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const els = await wd("POST", s("/elements"), { using: "xpath", value: xpath });
    if (els.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`still there after ${timeoutMs} ms: ${xpath}`);
}
// An element can exist before it can take a click (a dialog still opening, a
// row being re-rendered, a button half out of its scrolling panel): scroll it
// into the middle and retry "not interactable" / "stale" for a bounded time.
async function click(xpath, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const id = await find(xpath, timeoutMs);
    try {
      return await wd("POST", s(`/element/${id}/click`), {});
    } catch (e) {
      const transient = /not interactable|stale element|click intercepted/.test(e.message);
      if (!transient || Date.now() > until) throw e;
      // (By XPath in the page: WebKitWebDriver does not pass element arguments to scripts.)
      await wd("POST", s("/execute/sync"), {
        script:
          "const n = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null)" +
          ".singleNodeValue; if (n) n.scrollIntoView({ block: 'center' });",
        args: [xpath],
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
const button = (label) => `//button[normalize-space()='${label}']`;
const row = (name) => `//*[@role='row'][@data-name='${name}']`;
const type = async (xpath, text) => wd("POST", s(`/element/${await find(xpath)}/value`), { text });
const field = (label) => `//label[contains(normalize-space(), '${label}')]//*[self::input or self::textarea]`;
async function shot(name) {
  const png = await wd("GET", s("/screenshot"));
  writeFileSync(join(ARTIFACTS, name), Buffer.from(png, "base64"));
}

let failed = false;
try {
  await click(button("Try with demo storage"));
  await find(row("Documents"));
  await find(row("Photos"));
  await shot("app-browser.png");
  console.log("ok   real app: demo storage starts and lists its files");

  // Polish (issue 13 pt 7): the demo's photos are pictures, and look-alike
  // characters in names draw real glyphs in WebKitGTK (no empty boxes).
  await click(`${row("Photos")}//button`);
  await find(row("Lofoten.jpg"));
  await click(`//nav//button[normalize-space()='demo']`);
  const lookalike = "Reports： 2026 ＜draft＞？";
  await click(button("+ New folder"));
  await type(`//input[@aria-label='Folder name']`, lookalike);
  await click(button("Create"));
  await find(row(lookalike));
  const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => String.fromCodePoint(a + i));
  const glyphs = await wd("POST", s("/execute/async"), {
    script: `const done = arguments[arguments.length - 1];
      (async (chars, name) => {
        const cell = document.querySelector('[role=row][data-name="' + name + '"] .name');
        const family = getComputedStyle(cell).fontFamily;
        await document.fonts.load("16px " + family, chars.join(""));
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 48;
        const ctx = canvas.getContext("2d", { willReadFrequently: true });
        const draw = (c) => {
          ctx.clearRect(0, 0, 48, 48);
          ctx.font = "32px " + family;
          ctx.textBaseline = "middle";
          ctx.fillText(c, 4, 24);
          return ctx.getImageData(0, 0, 48, 48).data;
        };
        const same = (a, b) => a.every((v, i) => v === b[i]);
        const ink = (a) => a.some((v, i) => i % 4 === 3 && v > 0);
        const tofu = draw("\u{10fffd}");
        const box = (c) => { const g = draw(c); return !ink(g) || same(g, tofu); };
        return { letter: !box("A"), boxes: chars.filter(box) };
      })(arguments[0], arguments[1]).then(done, (e) => done({ error: String(e) }));`,
    args: [[...range(0xff01, 0xff5e), ...range(0x2400, 0x2421), ..."↑↓→…–—“”’"], lookalike],
  });
  if (!glyphs.letter || glyphs.boxes?.length !== 0) throw new Error(`characters drawn as boxes: ${JSON.stringify(glyphs)}`);
  await shot("app-lookalikes.png");
  console.log("ok   real app: demo photos are pictures; look-alike characters draw real glyphs");

  await click(`${row("Documents")}//button`);
  await click(row("Welcome.txt"));
  await click(button("Move to trash"));
  await click(`//dialog${button("Move to trash")}`);
  await gone(row("Welcome.txt"));
  await click(`//*[@role='tab'][normalize-space()='Trash']`);
  await find(`//li[@data-name='Welcome.txt']`);
  await shot("app-trash.png");
  await click(`//li[@data-name='Welcome.txt']${button("Restore")}`);
  await gone(`//li[@data-name='Welcome.txt']`);
  await click(`//*[@role='tab'][normalize-space()='Files']`);
  await find(row("Documents"));
  await click(`${row("Documents")}//button`);
  await find(row("Welcome.txt"));
  console.log("ok   real app: delete a file to the trash and restore it");

  await click(`//*[@role='tab'][normalize-space()='Quota']`);
  await find(`//*[@data-testid='quota-text'][contains(., 'of 5 GiB used')]`);
  await shot("app-quota.png");
  console.log("ok   real app: quota");

  // A sync task from a local folder: preview, run (progress over a Tauri channel), log.
  const local = join(process.env.HOME ?? "/tmp", "to-sync");
  mkdirSync(join(local, "sub"), { recursive: true });
  writeFileSync(join(local, "a.txt"), "alpha\n");
  writeFileSync(join(local, "sub", "b.txt"), "beta\n");
  await click(`//*[@role='tab'][normalize-space()='Tasks']`);
  await click(button("+ New task"));
  await type(field("Task name"), "Window backup");
  await type(field("Folder on this computer"), local);
  await type(field("Folder in demo"), "WindowBackup");
  await click(button("Save"));
  await find(`//li[@data-task]//*[normalize-space()='Not run yet.']`);
  await click(`//li[@data-task]${button("Preview")}`);
  await find(`//*[@data-k='creates'][normalize-space()='2']`);
  await click(`//li[@data-task]${button("Run now")}`);
  await find(`//*[@role='status'][starts-with(normalize-space(), 'Run ')][contains(., ': Done')]`, 60_000);
  await find(`//li[@data-task]//*[@data-outcome='ok']`);
  await click(`//li[@data-task]${button("Log")}`);
  await find(`//tr[@data-outcome='ok']`);
  await find(`//*[@data-result='completed']//*[normalize-space()='sub/b.txt']`);
  await shot("app-tasks.png");
  console.log("ok   real app: create, preview and run a sync task; its run is in the log");

  // Undo streams its progress over a Tauri channel too; the undo run is listed.
  await click(button("Undo this run"));
  await click(`//dialog${button("Undo this run")}`);
  await find(`//tr[@data-run][td[normalize-space()='undo']]`, 60_000);
  console.log("ok   real app: undo the run (progress over the channel)");

  // A backup of the same folder into demo storage (password to the keyring),
  // then restore one file from its version into another folder.
  await click(`//*[@role='tab'][normalize-space()='Backup']`);
  await click(button("+ New backup"));
  await type(field("Task name"), "Window versions");
  await type(field("Folders on this computer"), local);
  await type(field("Password"), "window secret");
  await type(field("Password again"), "window secret");
  await click(button("Create backup"));
  const bcard = "//section[@aria-label='Backup']//li[@data-task]";
  await find(`${bcard}//*[normalize-space()='Not run yet.']`, 60_000);
  await click(`${bcard}${button("Back up now")}`);
  await find(`//*[@role='status'][starts-with(normalize-space(), 'Run ')][contains(., 'Done 2 new')]`, 60_000);
  await click(`${bcard}${button("Versions")}`);
  await click(button("Browse"));
  for (const seg of local.split("/").filter(Boolean)) await click(button(`${seg}/`));
  await click(`//li[@data-path='${local}/a.txt']//input[@type='radio']`);
  const back = join(process.env.HOME ?? "/tmp", "restored");
  mkdirSync(back, { recursive: true });
  await type(field("Restore into this folder"), back);
  await click(button("Restore"));
  await find(`//*[@role='status'][starts-with(normalize-space(), 'Restored 1 file')]`, 60_000);
  if (readFileSync(join(back, "a.txt"), "utf8") !== "alpha\n") throw new Error("restored content differs");
  await shot("app-backup.png");
  console.log("ok   real app: back up a folder to demo storage and restore a file from its version");

  // The wizard's "where do I get one?" link goes to the system browser (run.sh
  // puts a stand-in xdg-open first on PATH that writes down what it gets);
  // the opener's scope lets the window open exactly the UI's links.
  const opened = () => (existsSync(OPENED_LOG) ? readFileSync(OPENED_LOG, "utf8") : "");
  await click(button("+ Add storage"));
  await click(button("Next"));
  await click(button("Where do I get one?"));
  const until = Date.now() + 20_000;
  while (!opened().includes("https://www.jottacloud.com/web/secure") && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!opened().includes("https://www.jottacloud.com/web/secure")) throw new Error(`link not opened: ${opened()}`);
  const other = await wd("POST", s("/execute/async"), {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.__TAURI_INTERNALS__.invoke('plugin:opener|open_url', { url: arguments[0] })" +
      ".then(() => done('opened'), (e) => done('refused: ' + e));",
    args: ["https://evil.example/"],
  });
  if (!String(other).startsWith("refused")) throw new Error(`a link outside the scope: ${other}`);
  if (opened().includes("evil.example")) throw new Error("a link outside the scope reached xdg-open");
  await shot("app-wizard-token.png");
  console.log("ok   real app: the wizard's token link opens in the browser; other links are refused");
} catch (e) {
  failed = true;
  console.log(`FAIL real app: ${e.message}`);
  await shot("app-failure.png").catch(() => undefined);
} finally {
  await wd("DELETE", s("")).catch(() => undefined);
  clearTimeout(limit);
}
process.exit(failed ? 1 : 0);
