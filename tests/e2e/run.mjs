// End-to-end tests of the UI in headless Debian Chromium (playwright-core,
// never a downloaded browser) through the web server of the app's bridge
// (`fjordsync-app --bridge`) or of `fjordsync daemon` (the same server in the
// CLI, with the UI inside the binary), which runs the real engine against the
// built-in emulator.
//
// Usage: node tests/e2e/run.mjs [path/to/fjordsync-app]
//        node tests/e2e/run.mjs --daemon [path/to/fjordsync]
// E2E_ONLY=<regex> runs only the tests whose names match (tests share one
// bridge and page, so include the ones a test builds on, e.g.
// E2E_ONLY='first start|backup').
// Needs: ui/dist built, /usr/bin/chromium, and a Secret Service (CI runs this
// under dbus-run-session with gnome-keyring unlocked; the keyring test starts
// its own bridge without D-Bus to see the "keyring unavailable" path).
// Every wait is bounded; the whole run is capped at RUN_LIMIT_MS.

import { execFileSync, spawn } from "node:child_process";
import { request as httpRequest } from "node:http";
import { createRequire } from "node:module";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const require = createRequire(join(root, "ui/package.json"));
const { chromium } = require("playwright-core");

const DAEMON = process.argv[2] === "--daemon";
const binArg = DAEMON ? process.argv[3] : process.argv[2];
const APP = resolve(binArg ?? join(root, DAEMON ? "target/debug/fjordsync" : "target/debug/fjordsync-app"));
/** The server's command line: the daemon serves the UI compiled into it. */
const serverArgs = () =>
  DAEMON ? ["daemon", "--addr", "127.0.0.1:0"] : ["--bridge", "0", "--ui", join(root, "ui/dist")];
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = join(here, "artifacts");
const RUN_LIMIT_MS = 420_000;
const TEST_LIMIT_MS = 90_000;
mkdirSync(ARTIFACTS, { recursive: true });

const deadline = setTimeout(() => {
  console.error(`e2e: the whole run took more than ${RUN_LIMIT_MS / 1000} s; giving up`);
  process.exit(2);
}, RUN_LIMIT_MS);

const children = [];
const temps = [];

/**
 * Starts a bridge (with --daemon: a `fjordsync daemon`) with its own
 * HOME/config/data; resolves with its URL, its access token and the link to
 * open (both read from what it prints, like a user copies the link).
 */
function startBridge(name, { withDbus = true, reuseHome = null } = {}) {
  const home = reuseHome ?? mkdtempSync(join(tmpdir(), `fjordsync-e2e-${name}-`));
  if (!reuseHome) temps.push(home);
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, "config"),
    FJORDSYNC_CONFIG_DIR: join(home, "config/fjordsync"),
    FJORDSYNC_DATA_DIR: join(home, "data/fjordsync"),
  };
  delete env.FJORDSYNC_SECRET_STORE;
  if (!withDbus) {
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.DISPLAY;
  }
  const child = spawn(APP, serverArgs(), { env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  let out = "";
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`bridge ${name} did not start in 20 s: ${out} ${err}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]{64})$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        const [link, url, token] = m;
        ok({ url, token, link, home, config: env.FJORDSYNC_CONFIG_DIR, data: env.FJORDSYNC_DATA_DIR, child });
      }
    });
    child.on("exit", (code) => fail(new Error(`bridge ${name} exited (${code}): ${err}`)));
  });
}

/** A separate emulator with known credentials (for the browser sign-in). */
function startEmulator(extra = []) {
  const bin = join(dirname(APP), "fjordsync-emulator");
  const child = spawn(bin, ["--port", "0", "--username", "e2e-user", "--password", "e2e-pass-123", ...extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`emulator did not start in 20 s: ${out}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1], username: "e2e-user", password: "e2e-pass-123" });
      }
    });
    child.on("exit", (code) => fail(new Error(`emulator exited (${code}): ${out}`)));
  });
}

const results = [];
const runStarted = Date.now();
console.log(`e2e: through ${DAEMON ? "fjordsync daemon" : "fjordsync-app --bridge"} (${APP})`);
/**
 * Opens the version list of the backup card `card` (named `name`), browses
 * the newest version and walks into `folder`; the list and the version's
 * browser.
 */
async function browseNewestVersion(page, card, name, folder) {
  await card.getByRole("button", { name: "Versions" }).click();
  const versions = page.getByLabel(`Versions of “${name}”`);
  await versions.locator("tbody tr").first().getByRole("button", { name: "Browse" }).click();
  const browser = page.getByLabel(/^Version [0-9a-f]{8}$/);
  for (const seg of folder.split("/").filter(Boolean)) {
    await browser.getByRole("button", { name: `${seg}/`, exact: true }).click();
  }
  return { versions, browser };
}

const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;
async function test(name, fn) {
  if (ONLY && !ONLY.test(name)) {
    console.log(`skip ${name}`);
    return;
  }
  const started = Date.now();
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`timed out after ${TEST_LIMIT_MS} ms`)), TEST_LIMIT_MS))),
    ]);
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e?.stack ?? e}`);
    // What every open page showed when it failed.
    const pages = browser.contexts().flatMap((c) => c.pages());
    for (const [i, p] of pages.entries()) {
      await p.screenshot({ path: join(ARTIFACTS, `failed-${results.length}-${i}.png`) }).catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
  }
}

function expect(cond, message) {
  if (!cond) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});

async function newPage(url, locale = "en-US", colorScheme = "light") {
  const context = await browser.newContext({ locale, colorScheme, viewport: { width: 1180, height: 760 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => console.log(`  page error: ${e.message}`));
  await page.goto(url);
  return page;
}

/** The headers of an API call to `bridge` (JSON, and its access token). */
const apiHeaders = (bridge) => ({ "Content-Type": "application/json", Authorization: `Bearer ${bridge.token}` });

/** Calls a command of `bridge` (from startBridge) directly (setup and checks beside the UI). */
const bridgeApi = (bridge) => async (command, args = {}) => {
  const r = await fetch(`${bridge.url}/api/${command}`, {
    method: "POST",
    headers: apiHeaders(bridge),
    body: JSON.stringify(args),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(`${command}: ${JSON.stringify(body)}`);
  return body;
};

/** The id of the task named `name` on `bridge`. */
const taskIdOn = async (bridge, name) => (await bridgeApi(bridge)("list_tasks")).find((t) => t.name === name).id;

/**
 * One request through node:http, so Host, Origin and Upgrade go exactly as
 * given (fetch sets its own Host). Resolves with the status and body; a
 * WebSocket upgrade (101) with the subprotocol the bridge chose.
 */
function rawRequest(base, { method = "GET", path = "/", headers = {}, body } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise((ok, fail) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (data += d));
      res.on("end", () => ok({ status: res.statusCode, body: data }));
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      ok({ status: res.statusCode, body: "", protocol: res.headers["sec-websocket-protocol"] });
    });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path} in 10 s`)));
    req.end(body);
  });
}

/** A WebSocket handshake with the event socket of `base`, offering `protocols`. */
const openEvents = (base, protocols, headers = {}) =>
  rawRequest(base, {
    path: "/api/events",
    headers: {
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      ...(protocols ? { "Sec-WebSocket-Protocol": protocols } : {}),
      ...headers,
    },
  });

const row = (page, name) => page.locator(`[role=row][data-name="${name}"]`);

// --- accessibility (issue 13 pt 9)
// axe-core (ui/package.json devDependency) runs in the page on every screen
// and state a user reaches (`a11y(page, screen)` where the tests above and
// below get there), in the light theme with all its rules and in the dark
// theme with its colour rules (the theme changes only colours). A serious or
// critical violation is printed where it is found (rule, impact, targets,
// help) and fails "accessibility: …" at the end, which also checks that every
// screen of A11Y_SCREENS was looked at in a whole run. The keyboard test
// walks a screen with Tab, Enter, Space and Escape. E2E_A11Y_ALL=1 prints the
// moderate and minor findings too (they do not fail the run);
// E2E_A11Y_TIMES=1 prints how long each check took.
//
// Injection: page.evaluate of axe's source. The web server sends no
// Content-Security-Policy today, but the window's (tauri.conf.json,
// script-src 'self') would block page.addScriptTag's inline <script> if the
// server ever sent it too (tried: "Executing inline script violates ...");
// page.evaluate goes through the DevTools protocol, which the page's CSP does
// not govern, and unlike bypassCSP it leaves the context as the other tests
// see it.
const AXE_SOURCE = readFileSync(join(root, "ui/node_modules/axe-core/axe.min.js"), "utf8");
const A11Y_SCREENS = [
  "welcome", "keyring error", "files", "details", "rename", "share link", "confirm dialog", "trash", "quota",
  "tasks: form", "tasks: preview", "tasks: log", "tasks: guard", "tasks: folder picker", "tasks: local missing",
  "versions", "settings", "overview", "backup: form", "backup: list", "backup: snapshots", "backup: restore",
  "backup: maintenance", "backup: forget preview", "typed-name delete", "wizard: service", "wizard: sign-in",
  "wizard: error", "wizard: place", "wizard: name", "wizard: browser sign-in", "wizard: sms code", "reconnect", "needs the link",
  "tasks: edit with schedule", "paused", "backup: edit", "backup: opened from files",
  "mount", "mount: form", "two-way: not synced",
];
const a11yChecked = new Set();
const a11yViolations = [];

/** Runs axe on what `page` shows now (both themes); records and prints serious or critical violations. */
async function a11y(page, screen) {
  const started = Date.now();
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const all = !!process.env.E2E_A11Y_ALL;
  const found = await page.evaluate(async (all) => {
    const root = document.documentElement;
    const before = root.getAttribute("data-theme");
    const passes = [
      ["light", { resultTypes: ["violations"] }],
      ["dark", { resultTypes: ["violations"], runOnly: { type: "rule", values: ["color-contrast", "link-in-text-block"] } }],
    ];
    const out = [];
    try {
      for (const [theme, options] of passes) {
        root.setAttribute("data-theme", theme);
        await new Promise((r) => requestAnimationFrame(() => r()));
        const r = await window.axe.run(document, options);
        for (const v of r.violations) {
          if (!all && v.impact !== "serious" && v.impact !== "critical") continue;
          out.push({
            theme,
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => ({ target: n.target.join(" "), why: (n.any[0] ?? n.all[0] ?? n.none[0])?.message ?? "" })),
          });
        }
      }
    } finally {
      if (before === null) root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", before);
    }
    return out;
  }, all);
  a11yChecked.add(screen);
  for (const v of found) {
    if (v.impact === "serious" || v.impact === "critical") a11yViolations.push({ screen, ...v });
    console.log(`  a11y ${screen} (${v.theme}): ${v.impact} ${v.id}: ${v.help}`);
    for (const n of v.nodes.slice(0, 6)) console.log(`      ${n.target}${n.why ? ` — ${n.why}` : ""}`);
  }
  if (process.env.E2E_A11Y_TIMES) console.log(`  a11y ${screen}: ${Date.now() - started} ms`);
}

/** The element that has the focus: how it is named, and whether a focus ring shows (outline or box-shadow). */
const focusedInfo = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 && s.outlineColor !== "rgba(0, 0, 0, 0)") ||
      (s.boxShadow !== "none" && s.boxShadow !== "");
    const name = el.getAttribute("aria-label") ?? el.getAttribute("data-name") ?? el.textContent?.trim().slice(0, 40) ?? "";
    return { tag: el.tagName.toLowerCase(), name, ring, body: el === document.body };
  });

/** Presses Tab (at most `max` times) until `target` has the focus; every stop on the way shows a focus ring. */
async function tabTo(page, target, max = 8) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const f = await focusedInfo(page);
    seen.push(`${f.tag} "${f.name}"`);
    expect(!f.body, `Tab left the page after ${seen.join(" → ")}`);
    expect(f.ring, `no visible focus ring on ${f.tag} "${f.name}"`);
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`${max} Tabs did not reach ${target}: ${seen.join(" → ")}`);
}

const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

/**
 * Tabs once round the whole page (at most `max` stops) and returns how many
 * stops it has; each shows a focus ring of at least 3:1 against the page
 * background (WCAG 1.4.11).
 */
async function tabAround(page, max) {
  await page.evaluate(() => (window.__firstStop = null));
  for (let stops = 0; stops < max; ) {
    await page.keyboard.press("Tab");
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (el === document.body || el === null) return { body: true };
      if (el === window.__firstStop) return { again: true };
      window.__firstStop ??= el;
      const rgb = (c) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => {
        const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      const s = getComputedStyle(el);
      const [a, b] = [lum(rgb(s.outlineColor)), lum(rgb(getComputedStyle(document.documentElement).backgroundColor))];
      const contrast = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const ring = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
      const name = el.getAttribute("aria-label") ?? el.getAttribute("data-name") ?? el.textContent?.trim().slice(0, 40) ?? "";
      return { ring, contrast, what: `${el.tagName.toLowerCase()} "${name}"` };
    });
    if (f.again) return stops;
    if (f.body) continue;
    stops++;
    expect(f.ring, `no visible focus ring on ${f.what}`);
    expect(f.contrast >= 3, `the focus ring of ${f.what} has a contrast of ${f.contrast.toFixed(2)} with the page`);
  }
  throw new Error(`Tab did not come round in ${max} stops`);
}

/** The keyboard test, on the main page with the demo storage (after the quota test). */
async function a11yKeyboardTest(page) {
  await test("keyboard: Tab reaches a screen's controls in order with a visible focus ring; Enter and Space operate them; Escape closes dialogs back to the opener", async () => {
    const demo = page.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ });
    await demo.click();
    const tab = (name) => page.getByRole("tab", { name });
    await tab("Files").click();
    await row(page, "Documents").waitFor();
    // Which storage is open is said, not only coloured.
    expect((await demo.getAttribute("aria-current")) === "page", "the open storage is the current page");
    // From the Files tab (a click puts the focus there), forward through the screen.
    for (const name of ["Tasks", "Backup", "Trash", "Quota"]) await tabTo(page, tab(name), 2);
    await tabTo(page, page.getByRole("button", { name: "Remove storage" }), 2);
    const crumbs = page.getByRole("navigation", { name: "breadcrumbs" });
    await tabTo(page, crumbs.getByRole("button", { name: "demo" }), 3);
    await tabTo(page, page.getByRole("button", { name: "+ New folder" }), 3);
    await tabTo(page, page.getByRole("combobox", { name: "Sort" }), 2);
    await tabTo(page, page.getByRole("button", { name: "Reverse order" }), 2);
    await tabTo(page, page.getByRole("button", { name: "Refresh" }), 2);
    // A row is one stop; Enter walks into a folder.
    await tabTo(page, row(page, "Documents"), 12);
    // The arrows move between rows.
    await page.keyboard.press("ArrowDown");
    const below = await focusedInfo(page);
    expect(below.name !== "Documents" && below.ring && !below.body, `ArrowDown moved to the next row: ${JSON.stringify(below)}`);
    await page.keyboard.press("ArrowUp");
    expect(await isFocused(row(page, "Documents")), "ArrowUp came back to Documents");
    await page.keyboard.press("Enter");
    await crumbs.getByRole("button", { name: "Documents" }).waitFor();
    // Space selects a file: its details open.
    const notes = row(page, "Notes: what changed?.md");
    await notes.waitFor();
    await notes.focus();
    await page.keyboard.press(" ");
    const details = page.getByRole("complementary", { name: "Details" });
    await details.getByRole("heading", { name: "Notes: what changed?.md" }).waitFor();
    // Enter on "Move to trash" opens the confirmation with the focus in it; Escape closes it, the focus back on the button.
    const trash = details.getByRole("button", { name: "Move to trash" });
    await tabTo(page, trash, 30);
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement)), "the focus is in the dialog");
    const question = await dialog.evaluate((d) => document.getElementById(d.getAttribute("aria-describedby") ?? "")?.textContent);
    expect(question?.startsWith("Move “Notes: what changed?.md” to the trash"), `the dialog is described by its question: ${question}`);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(await isFocused(trash), `the focus is back on “Move to trash”: ${JSON.stringify(await focusedInfo(page))}`);
    await row(page, "Notes: what changed?.md").waitFor();
    // Round the whole screen (sidebar, tabs, toolbar, rows, details): a ring on every stop, in both themes.
    const theme = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
    try {
      for (const t of ["light", "dark"]) {
        await page.evaluate((t) => document.documentElement.setAttribute("data-theme", t), t);
        const stops = await tabAround(page, 150);
        expect(stops >= 20, `${stops} stops round the files screen (${t})`);
      }
    } finally {
      await page.evaluate((t) => (t === null ? document.documentElement.removeAttribute("data-theme") : document.documentElement.setAttribute("data-theme", t)), theme);
    }
    await crumbs.getByRole("button", { name: "demo" }).click();

    // Tasks: Enter on a tab switches to it; Space on "+ New task" opens the form.
    await tab("Files").focus();
    await page.keyboard.press("Tab");
    expect(await isFocused(tab("Tasks")), "Tab from Files reaches Tasks");
    await page.keyboard.press("Enter");
    expect((await tab("Tasks").getAttribute("aria-selected")) === "true", "Enter chose the Tasks tab");
    // Arrow keys, End and Home move along the tabs and open them.
    for (const [key, name] of [["ArrowRight", "Backup"], ["End", "Quota"], ["Home", "Files"], ["ArrowLeft", "Quota"], ["ArrowRight", "Files"], ["ArrowRight", "Tasks"]]) {
      await page.keyboard.press(key);
      expect(await isFocused(tab(name)), `${key} focuses the ${name} tab`);
      expect((await tab(name).getAttribute("aria-selected")) === "true", `${key} opens the ${name} tab`);
    }
    const add = page.getByRole("button", { name: "+ New task" });
    await tabTo(page, add, 8);
    await page.keyboard.press(" ");
    // The form takes the focus in its first field.
    const form = page.getByRole("form", { name: "New task" });
    const name = form.getByRole("textbox", { name: "Task name" });
    await name.waitFor();
    expect(await isFocused(name), `the new task form focuses its name: ${JSON.stringify(await focusedInfo(page))}`);
    // The storage folder picker: Enter opens it with the focus inside, Escape closes it back to its button.
    const choose = form.getByRole("button", { name: "Choose folder…" });
    await tabTo(page, choose, 8);
    await page.keyboard.press("Enter");
    const picker = page.getByRole("dialog", { name: "Choose a folder in demo" });
    await row(picker, "Documents").waitFor();
    expect(await picker.evaluate((d) => d.contains(document.activeElement)), "the focus is in the picker");
    // Tab stays inside the open picker.
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      expect(await picker.evaluate((d) => d.contains(document.activeElement)), `Tab ${i + 1} stayed in the picker`);
    }
    await page.keyboard.press("Escape");
    await picker.waitFor({ state: "detached" });
    expect(await isFocused(choose), `the focus is back on “Choose folder…”: ${JSON.stringify(await focusedInfo(page))}`);
    await tabTo(page, form.getByRole("button", { name: "Cancel" }), 20);
    await page.keyboard.press("Enter");
    await form.waitFor({ state: "detached" });
  });
}

async function a11yReportTest() {
  await test("accessibility: axe finds no serious or critical violation on any screen, in the light and the dark theme", async () => {
    console.log(`  a11y: ${a11yChecked.size} screens checked: ${[...a11yChecked].join(", ")}`);
    if (!ONLY) {
      const missed = A11Y_SCREENS.filter((s) => !a11yChecked.has(s));
      expect(missed.length === 0, `screens never checked: ${missed.join(", ")}`);
    }
    expect(a11yViolations.length === 0,
      `${a11yViolations.length} serious or critical violations: ` +
        a11yViolations.map((v) => `${v.screen} (${v.theme}) ${v.id} ${v.nodes.map((n) => n.target).join(", ")}`).join("; "));
  });
}
// --- end of accessibility (issue 13 pt 9)

try {
  const main = await startBridge("main");
  const page = await newPage(main.link);
  const taskId = (name) => taskIdOn(main, name);

  await test("first start offers demo storage, which opens in the browser with sample files", async () => {
    await page.getByRole("button", { name: "Try with demo storage" }).click();
    await page.getByRole("heading", { name: "demo" }).waitFor();
    await row(page, "Documents").waitFor();
    await row(page, "Photos").waitFor();
    await a11y(page, "files");
    await page.screenshot({ path: join(ARTIFACTS, "browser.png") });
  });

  await test("browsing: open a folder, see details with MD5, breadcrumbs back", async () => {
    await row(page, "Documents").getByRole("button", { name: "Documents" }).click();
    await row(page, "Notes: what changed?.md").click();
    const details = page.getByRole("complementary", { name: "Details" });
    await details.getByRole("heading", { name: "Notes: what changed?.md" }).waitFor();
    const md5 = await details.locator("dd.mono").textContent();
    expect(/^[0-9a-f]{32}$/.test(md5 ?? ""), `md5 shown: ${md5}`);
    await a11y(page, "details");
    await page.screenshot({ path: join(ARTIFACTS, "details.png") });
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    await row(page, "Photos").waitFor();
  });

  await test("new folder, rename and move a file into it", async () => {
    await page.getByRole("button", { name: "+ New folder" }).click();
    await page.getByRole("textbox", { name: "Folder name" }).fill("Reports: 2026");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "Reports: 2026").waitFor();
    await row(page, "Documents").getByRole("button", { name: "Documents" }).click();
    await row(page, "Budget 2026.csv").click();
    await page.getByRole("button", { name: "Rename or move" }).click();
    await page.getByRole("textbox", { name: "Name", exact: true }).fill("Budget final.csv");
    await page.getByRole("textbox", { name: /^Folder/ }).fill("Reports： 2026");
    await a11y(page, "rename");
    await page.getByRole("button", { name: "Apply" }).click();
    await row(page, "Budget 2026.csv").waitFor({ state: "detached" });
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    await row(page, "Reports: 2026").getByRole("button").click();
    await row(page, "Budget final.csv").waitFor();
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "Reports: 2026" }).waitFor();
  });

  await test("share link on, shown, then off", async () => {
    await row(page, "Budget final.csv").click();
    await page.getByRole("button", { name: "Create link" }).click();
    const url = await page.getByTestId("share-url").textContent();
    await a11y(page, "share link");
    expect(url?.includes("/s/"), `share url: ${url}`);
    const res = await fetch(url);
    expect(res.ok, `the public link works (${res.status})`);
    await page.getByRole("button", { name: "Remove link" }).click();
    await page.getByText("The link no longer works.").waitFor();
  });

  await test("download to a folder (the bridge asks for a path)", async () => {
    const target = join(main.home, "downloads");
    mkdirSync(target);
    page.once("dialog", (d) => d.accept(target));
    await page.getByRole("button", { name: "Download…" }).click();
    await page.getByText(`Saved to ${join(target, "Budget final.csv")}`).waitFor();
    expect(readFileSync(join(target, "Budget final.csv"), "utf8").startsWith("month,amount"), "downloaded content");
  });

  await test("delete to trash with confirm, restore from the trash", async () => {
    await page.getByRole("button", { name: "Move to trash" }).click();
    await a11y(page, "confirm dialog");
    await page.getByRole("dialog").getByRole("button", { name: "Move to trash" }).click();
    await row(page, "Budget final.csv").waitFor({ state: "detached" });
    await page.getByRole("tab", { name: "Trash" }).click();
    const item = page.locator('li[data-name="Budget final.csv"]');
    await item.waitFor();
    await page.locator('li[data-name="Old draft.txt"]').waitFor();
    await a11y(page, "trash");
    await page.screenshot({ path: join(ARTIFACTS, "trash.png") });
    await item.getByRole("button", { name: "Restore" }).click();
    await page.getByText("“Budget final.csv” is back in Jotta / Archive / Reports: 2026.").waitFor();
    await item.waitFor({ state: "detached" });
    await page.getByRole("tab", { name: "Files" }).click();
    await row(page, "Reports: 2026").getByRole("button").click();
    await row(page, "Budget final.csv").waitFor();
  });

  await test("delete permanently and empty the trash, both confirmed", async () => {
    await page.getByRole("tab", { name: "Trash" }).click();
    const draft = page.locator('li[data-name="Old draft.txt"]');
    await draft.getByRole("button", { name: "Delete permanently" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    await draft.waitFor();
    await draft.getByRole("button", { name: "Delete permanently" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete permanently" }).click();
    await draft.waitFor({ state: "detached" });
    await page.getByRole("tab", { name: "Files" }).click();
    await row(page, "Photos").click();
    await page.getByRole("button", { name: "Move to trash" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Move to trash" }).click();
    await row(page, "Photos").waitFor({ state: "detached" });
    await page.getByRole("tab", { name: "Trash" }).click();
    await page.locator('li[data-name="Photos"]').waitFor();
    await page.getByRole("button", { name: "Empty trash" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Empty trash" }).click();
    await page.getByText("The trash is empty.").waitFor();
  });

  await test("quota: used of total and usage per device", async () => {
    await page.getByRole("tab", { name: "Quota" }).click();
    const text = await page.getByTestId("quota-text").textContent();
    expect(/ of 5 GiB used$/.test(text ?? ""), `quota text: ${text}`);
    await page.getByRole("cell", { name: "Archive" }).waitFor();
    const line = await page.getByTestId("quota-line").first().textContent();
    expect(/ of 5 GiB used/.test(line ?? ""), `sidebar quota: ${line}`);
    await a11y(page, "quota");
    await page.screenshot({ path: join(ARTIFACTS, "quota.png") });
  });

  await a11yKeyboardTest(page);

  await test("tasks: create a sync task from a local folder, preview, run with progress, log, filter, undo", async () => {
    const local = join(main.home, "to-sync");
    mkdirSync(join(local, "sub"), { recursive: true });
    writeFileSync(join(local, "a.txt"), "alpha\n");
    writeFileSync(join(local, "sub/b.txt"), "beta\n");
    writeFileSync(join(local, "big.bin"), Buffer.alloc(24 * 1024 * 1024, 7));
    writeFileSync(join(local, "scratch.tmp"), "left out\n");
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByRole("button", { name: "+ New task" }).click();
    const form = page.getByRole("form", { name: "New task" });
    await form.getByRole("textbox", { name: "Task name" }).fill("Backup");
    await form.getByRole("combobox", { name: "What to do" }).selectOption("sync");
    await form.getByRole("textbox", { name: "Folder on this computer" }).fill(local);
    await form.getByRole("textbox", { name: /^Folder in demo/ }).fill("Backup");
    await form.getByRole("textbox", { name: /^Leave out/ }).fill("*.tmp");
    await a11y(page, "tasks: form");
    await form.getByRole("button", { name: "Save" }).click();
    const card = page.getByRole("listitem", { name: "Backup" });
    await card.getByText("Not run yet.").waitFor();

    await card.getByRole("button", { name: "Preview" }).click();
    const plan = card.getByLabel("Plan preview");
    await plan.waitFor();
    expect((await plan.locator('[data-k="creates"]').textContent()) === "3", "plan: 3 new files");
    expect((await plan.locator('[data-k="deletes"]').textContent()) === "0", "plan: nothing deleted");
    expect((await plan.locator('[data-k="bytes"]').textContent())?.startsWith("24"), "plan: about 24 MiB");
    await plan.getByText("sub/b.txt").waitFor();
    await a11y(page, "tasks: preview");
    expect((await plan.getByText("scratch.tmp").count()) === 0, "excluded file is not in the plan");
    await page.screenshot({ path: join(ARTIFACTS, "task-preview.png") });

    // Watch for the live progress bar while the run goes.
    await page.evaluate(() => {
      window.__sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector("[data-task] [role=progressbar]")) window.__sawProgress = true;
      }).observe(document.body, { subtree: true, childList: true });
    });
    await card.getByRole("button", { name: "Run now" }).click();
    await page.getByRole("status").filter({ hasText: /^Run \d+: Done$/ }).waitFor({ timeout: 45_000 });
    await card.getByRole("status", { name: "Running" }).waitFor({ state: "detached" });
    expect(await card.locator('.last[data-outcome="ok"]').count() === 1, "last result on the card");
    const sawProgress = await page.evaluate(() => window.__sawProgress);
    expect(sawProgress, "the live progress bar showed during the run");

    await card.getByRole("button", { name: "Log" }).click();
    const log = page.getByRole("region", { name: "Runs of “Backup”" });
    await log.locator('tr[data-outcome="ok"]').waitFor();
    await log.locator('[data-result="completed"]').first().waitFor();
    const completed = await log.locator('[data-result="completed"]').count();
    expect(completed >= 3, `completed rows: ${completed}`);
    await a11y(page, "tasks: log");
    await page.screenshot({ path: join(ARTIFACTS, "task-log.png") });
    await log.getByRole("button", { name: "Failed", exact: true }).click();
    await log.getByText("No files match.").waitFor();
    await log.getByRole("button", { name: "All", exact: true }).click();
    await log.getByRole("searchbox", { name: "Filter by path" }).fill("b.txt");
    await log.locator(".path", { hasText: "sub/b.txt" }).waitFor();
    await log.locator(".path", { hasText: "a.txt" }).filter({ hasNotText: "b.txt" }).waitFor({ state: "detached" });

    // Export the run: the browser downloads what the bridge returns.
    const exported = async (label) => {
      const [dl] = await Promise.all([page.waitForEvent("download"), log.getByRole("button", { name: label }).click()]);
      await log.getByRole("status").filter({ hasText: /^Exported to fjordsync-run-\d+\.(json|csv)$/ }).waitFor();
      return { name: dl.suggestedFilename(), text: readFileSync(await dl.path(), "utf8") };
    };
    const json = await exported("Export JSON…");
    const data = JSON.parse(json.text);
    expect(/^fjordsync-run-\d+\.json$/.test(json.name), `json file name ${json.name}`);
    expect(data.run.outcome === "ok" && data.run.kind === "sync", `run summary: ${JSON.stringify(data.run)}`);
    const exportedPaths = data.files.filter((f) => f.result === "completed").map((f) => f.path).sort();
    expect(["a.txt", "big.bin", "sub/b.txt"].every((p) => exportedPaths.includes(p)), `exported rows: ${exportedPaths}`);
    expect(data.files.every((f) => "action" in f && "bytes" in f && "error" in f), "every row has its fields");
    const csv = await exported("Export CSV…");
    const lines = csv.text.split("\r\n");
    expect(lines[0].startsWith("run,kind,source,destination,started,ended,outcome"), `csv summary header: ${lines[0]}`);
    expect(lines.includes("path,action,bytes,result,error"), "csv file table header");
    expect(lines.some((l) => l.startsWith("sub/b.txt,upload,")), "csv has the file rows");

    await page.evaluate(() => {
      window.__sawUndo = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-live="undo"]')) window.__sawUndo = true;
      }).observe(document.body, { subtree: true, childList: true });
    });
    await log.getByRole("button", { name: "Undo this run" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Undo this run" }).click();
    // The undo's result shows next to its button, in the log, named as what it is; the card's run result is gone.
    await log.getByRole("status").filter({ hasText: /^Undo of run \d+ \(run \d+\): Done/ }).waitFor({ timeout: 30_000 });
    expect((await page.getByRole("status").filter({ hasText: /^Run \d+: Done$/ }).count()) === 0, "no stale result above the new one");
    await log.locator("tr[data-run]").nth(1).waitFor();
    const afterUndo = (await bridgeApi(main)("list_tasks")).find((t) => t.name === "Backup").lastRun;
    expect(afterUndo.kind === "sync", `the undo is not the task's last run: ${JSON.stringify(afterUndo)}`);
    expect((await log.locator("tr[data-run]").first().textContent())?.includes("undo"), "the undo run is listed first");
    expect(await page.evaluate(() => window.__sawUndo), "the undo showed its progress");
    // The uploaded files are gone from the storage again.
    await page.getByRole("tab", { name: "Files" }).click();
    const backup = row(page, "Backup");
    if (await backup.count()) {
      await backup.getByRole("button", { name: "Backup" }).click();
      await row(page, "a.txt").waitFor({ state: "detached" });
      await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    }
    expect(existsSync(join(local, "a.txt")), "local files untouched by a sync upload and its undo");

    // The delete guard: sync again, empty the local folder, and the plan (and the run) are refused.
    await page.getByRole("tab", { name: "Tasks" }).click();
    await card.getByRole("button", { name: "Run now" }).click();
    await page.getByRole("status").filter({ hasText: /^Run \d+: Done$/ }).waitFor({ timeout: 45_000 });
    for (const f of ["a.txt", "sub", "big.bin", "scratch.tmp"]) rmSync(join(local, f), { recursive: true });
    await card.getByRole("button", { name: "Preview" }).click();
    await plan.getByRole("alert").filter({ hasText: "This run would be refused" }).waitFor();
    expect((await plan.locator('[data-k="deletes"]').textContent()) === "3", "plan: 3 deletes");
    await page.screenshot({ path: join(ARTIFACTS, "task-refused.png") });
    await card.getByRole("button", { name: "Run now" }).click();
    await card.getByTestId("run-refused").waitFor({ timeout: 30_000 });
    await card.locator('.last[data-outcome="refused"]').waitFor();
    expect((await page.locator(".banner.ok").count()) === 0, "a refused run is never green");
    // The warning has the numbers; "Delete anyway" runs again with the guard lifted, after a confirm.
    const refused = card.getByTestId("run-refused");
    expect((await refused.getByTestId("guard-numbers").textContent()) === "It would delete 3 of the 3 files in the destination.",
      `guard numbers: ${await refused.textContent()}`);
    await page.screenshot({ path: join(ARTIFACTS, "task-guard.png") });
    await a11y(page, "tasks: guard");
    await refused.getByRole("button", { name: "Delete anyway…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect(await card.locator('.last[data-outcome="refused"]').count() === 1, "cancel runs nothing");
    await refused.getByRole("button", { name: "Delete anyway…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete anyway" }).click();
    await page.getByRole("status").filter({ hasText: /^Run \d+: Done$/ }).waitFor({ timeout: 30_000 });
    await card.locator('.last[data-outcome="ok"]').waitFor();
    await refused.waitFor({ state: "detached" });
    const lastRun = (await bridgeApi(main)("list_tasks")).find((t) => t.name === "Backup").lastRun;
    expect(lastRun.counters.deleted === 3, `the override deleted 3 files: ${JSON.stringify(lastRun.counters)}`);
  });

  await test("tasks: the remote folder is picked in the storage browser (folders only, new folder)", async () => {
    const local = join(main.home, "picked-local");
    mkdirSync(local);
    writeFileSync(join(local, "one.txt"), "one\n");
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByRole("button", { name: "+ New task" }).click();
    const form = page.getByRole("form", { name: "New task" });
    expect((await form.getByRole("button", { name: "Choose…", exact: true }).count()) === 0, "no OS dialog in a browser: the path is typed");
    await form.getByRole("textbox", { name: "Task name" }).fill("Picked");
    await form.getByRole("combobox", { name: "What to do" }).selectOption("copy");
    await form.getByRole("textbox", { name: "Folder on this computer" }).fill(local);
    await form.getByRole("button", { name: "Choose folder…" }).click();
    const picker = page.getByRole("dialog", { name: "Choose a folder in demo" });
    await row(picker, "Reports: 2026").waitFor();
    expect((await row(picker, "Budget 2026.csv").count()) === 0 && (await picker.locator("[role=row][data-name$='.md']").count()) === 0, "files are not listed");
    await row(picker, "Reports: 2026").getByRole("button").click();
    await picker.getByTestId("picked-path").filter({ hasText: "Chosen: /Reports: 2026" }).waitFor();
    await a11y(page, "tasks: folder picker");
    expect((await row(picker, "Budget final.csv").count()) === 0, "no files in the picker");
    await picker.getByRole("button", { name: "+ New folder" }).click();
    await picker.getByRole("textbox", { name: "Folder name" }).fill("Picked here");
    await picker.getByRole("button", { name: "Create" }).click();
    await row(picker, "Picked here").getByRole("button").click();
    await picker.getByTestId("picked-path").filter({ hasText: "Chosen: /Reports: 2026/Picked here" }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, "remote-picker.png") });
    await picker.getByRole("button", { name: "Choose this folder" }).click();
    await picker.waitFor({ state: "detached" });
    const remote = await form.getByRole("textbox", { name: /^Folder in demo/ }).inputValue();
    expect(remote === "Reports: 2026/Picked here", `remote path: ${remote}`);
    await form.getByRole("button", { name: "Save" }).click();
    const card = page.getByRole("listitem", { name: "Picked" });
    await card.getByRole("button", { name: "Run now" }).click();
    // Each task shows its own latest result on its card.
    await card.getByRole("status").filter({ hasText: /^Run \d+: Done$/ }).waitFor({ timeout: 30_000 });
    await page.getByRole("tab", { name: "Files" }).click();
    await row(page, "Reports: 2026").getByRole("button").click();
    await row(page, "Picked here").getByRole("button").click();
    await row(page, "one.txt").waitFor();
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
  });

  await test("tasks: a missing local folder is flagged at save and created on request; a new task copies", async () => {
    const local = join(main.home, "not-made-yet");
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByRole("button", { name: "+ New task" }).click();
    const form = page.getByRole("form", { name: "New task" });
    expect((await form.getByRole("combobox", { name: "What to do" }).inputValue()) === "copy", "the default deletes nothing");
    await form.getByRole("textbox", { name: "Task name" }).fill("Not made");
    await form.getByRole("textbox", { name: "Folder on this computer" }).fill(local);
    await form.getByRole("textbox", { name: /^Folder in demo/ }).fill("Not made");
    await form.getByRole("button", { name: "Save" }).click();
    const flag = form.getByTestId("local-missing");
    await flag.filter({ hasText: `The folder ${local} does not exist on this computer.` }).waitFor();
    await a11y(page, "tasks: local missing");
    expect(!existsSync(local), "nothing made before the user asks");
    await flag.getByRole("button", { name: "Create it" }).click();
    await page.getByRole("listitem", { name: "Not made" }).waitFor();
    expect(existsSync(local), "the folder was made");
    await page.getByRole("listitem", { name: "Not made" }).getByRole("button", { name: "Delete task" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete task" }).click();
    await page.getByRole("listitem", { name: "Not made" }).waitFor({ state: "detached" });
  });

  await test("file versions: an overwritten file has 2 versions; download the old one, restore it (confirmed)", async () => {
    const api = bridgeApi(main);
    // Upload v1, overwrite it with v2 (a second run of a copy task).
    const local = join(main.home, "versions-local");
    mkdirSync(local);
    writeFileSync(join(local, "notes.txt"), "first version\n");
    const task = await api("save_task", {
      task: { id: "", name: "Versions", kind: "copy", direction: "upload", local, storage: "demo", remote: "Versions", include: [], exclude: [], lastRun: null },
    });
    expect((await api("run_task", { id: task.id })).outcome === "ok", "first upload");
    writeFileSync(join(local, "notes.txt"), "the second, longer version\n");
    expect((await api("run_task", { id: task.id })).outcome === "ok", "second upload");

    await page.getByRole("tab", { name: "Files" }).click();
    await page.getByRole("button", { name: "Refresh" }).click();
    await row(page, "Versions").getByRole("button").click();
    await row(page, "notes.txt").click();
    const details = page.getByRole("complementary", { name: "Details" });
    await details.getByRole("button", { name: "Versions" }).click();
    const panel = details.getByRole("region", { name: "Versions" });
    await panel.locator("li[data-version]").nth(1).waitFor();
    expect((await panel.locator("li[data-version]").count()) === 2, "two versions");
    expect((await panel.locator('li[data-current="true"]').getAttribute("data-version")) === "2", "version 2 is current");
    const v1 = panel.locator('li[data-version="1"]');
    expect(/^[0-9a-f]{32}$/.test((await v1.locator(".md5").textContent()) ?? ""), "the MD5 is shown");
    await page.screenshot({ path: join(ARTIFACTS, "versions.png") });
    await a11y(page, "versions");

    // Download the old one to a chosen folder (the bridge asks for a path).
    const target = join(main.home, "old-versions");
    mkdirSync(target);
    page.once("dialog", (d) => d.accept(target));
    await v1.getByRole("button", { name: "Download…" }).click();
    await page.getByText(`Saved to ${join(target, "notes (version 1).txt")}`).waitFor();
    expect(readFileSync(join(target, "notes (version 1).txt"), "utf8") === "first version\n", "the old content downloaded");

    // Restore it: a confirm first (cancel changes nothing), then version 1's content is current.
    await v1.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect((await panel.locator("li[data-version]").count()) === 2, "cancel restores nothing");
    await v1.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Restore" }).click();
    await page.getByText("Version 1 is the current content again.").waitFor();
    await panel.locator("li[data-version]").nth(2).waitFor();
    expect((await panel.locator('li[data-current="true"]').getAttribute("data-version")) === "3", "the restore is the new current version");
    const listing = await api("list_folder", { storage: "demo", path: ["Versions"] });
    const entry = listing.entries.find((e) => e.name === "notes.txt");
    expect(entry.size === "first version\n".length, `current size ${entry.size}`);
    const current = join(main.home, "current");
    mkdirSync(current);
    await api("download", { storage: "demo", path: ["Versions", "notes.txt"], folder: current });
    expect(readFileSync(join(current, "notes.txt"), "utf8") === "first version\n", "the current content is version 1's");
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
  });

  await test("schedule: a daily schedule on a task shows its next run", async () => {
    await page.getByRole("tab", { name: "Tasks" }).click();
    const card = page.getByRole("listitem", { name: "Backup" });
    await card.getByTestId("schedule").filter({ hasText: "Only when you run it" }).waitFor();
    await card.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: "Edit" });
    await form.getByRole("combobox", { name: "Schedule" }).selectOption("daily");
    // Twelve hours from now, so the bridge's scheduler does not start it during the tests.
    const at = new Date(Date.now() + 12 * 3_600_000);
    const hhmm = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    await form.getByLabel("Time of day").fill(hhmm);
    await a11y(page, "tasks: edit with schedule");
    await form.getByRole("button", { name: "Save" }).click();
    const line = card.getByTestId("schedule");
    await line.filter({ hasText: `Daily at ${hhmm} · Next run:` }).waitFor();
    const text = await line.textContent();
    const shown = `${at.getHours() % 12 || 12}:${hhmm.slice(3)}`;
    expect(text.includes(shown), `next run at ${shown}: ${text}`);
    await page.screenshot({ path: join(ARTIFACTS, "task-schedule.png") });
  });

  await test("pause all and resume all: shown on the cards, kept across a reload", async () => {
    const card = page.getByRole("listitem", { name: "Backup" });
    await page.getByRole("button", { name: "Pause all" }).click();
    await page.getByText("Paused: scheduled runs wait.").waitFor();
    await a11y(page, "paused");
    await card.getByText(/Paused: no scheduled runs until you resume/).waitFor();
    await page.reload();
    await page.getByText("Paused: scheduled runs wait.").waitFor();
    const settings = JSON.parse(readFileSync(join(main.data, "settings.json"), "utf8"));
    expect(settings.paused === true, "paused is stored in settings.json");
    await page.getByRole("button", { name: "Resume all" }).click();
    await page.getByText("Paused: scheduled runs wait.").waitFor({ state: "detached" });
    expect(JSON.parse(readFileSync(join(main.data, "settings.json"), "utf8")).paused === false, "resumed in settings.json");
  });

  await test("settings: saved, kept after a reload, theme applied", async () => {
    await page.getByRole("button", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "Settings" });
    await form.getByRole("spinbutton", { name: "Parallel transfers" }).fill("6");
    await form.getByRole("spinbutton", { name: /^Bandwidth limit/ }).fill("2048");
    await form.getByRole("combobox", { name: "Theme" }).selectOption("dark");
    await form.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
    await page.reload();
    // The page applies the settings once it has read them (bounded by the default timeout).
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg === "rgb(18, 23, 29)", `dark theme from the setting on a light OS, got ${bg}`);
    await page.getByRole("button", { name: "Settings" }).click();
    expect((await form.getByRole("spinbutton", { name: "Parallel transfers" }).inputValue()) === "6", "transfers kept");
    expect((await form.getByRole("spinbutton", { name: /^Bandwidth limit/ }).inputValue()) === "2048", "bandwidth kept");
    await page.screenshot({ path: join(ARTIFACTS, "settings.png") });
    await a11y(page, "settings");
    await form.getByRole("combobox", { name: "Theme" }).selectOption("system");
    await form.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
    const light = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(light !== "rgb(18, 23, 29)", "back to the OS theme (light)");
  });

  await test("overview: last success and failures per task, quota per storage", async () => {
    await page.reload();
    // With storages the app opens on the overview.
    await page.getByRole("heading", { name: "Is my data safe?" }).waitFor();
    const card = page.getByRole("listitem", { name: "Backup" });
    await card.getByTestId("last-success").filter({ hasText: /^Last success: (just now|\d+ minutes? ago)$/ }).waitFor();
    // The delete guard's refusal was followed by the confirmed override, which
    // succeeded: the task is safe again, with no failures since.
    await card.getByText("Safe", { exact: true }).waitFor();
    expect((await card.getByTestId("failures").count()) === 0, "no failures since the last success");
    await card.getByText(/^Daily at /).waitFor();
    const quota = await page.getByRole("listitem", { name: "demo" }).getByTestId("overview-quota").textContent();
    expect(/ of 5 GiB used$/.test(quota ?? ""), `overview quota: ${quota}`);
    await page.screenshot({ path: join(ARTIFACTS, "overview.png") });
    await a11y(page, "overview");
    await card.getByRole("button", { name: "Open" }).click();
    await page.getByRole("listitem", { name: "Backup" }).getByRole("button", { name: "Preview" }).waitFor();
  });

  // --- two-way sync (issue 14)
  await test("two-way: a task made in the form runs, a file changed on both sides is one conflict, keep mine makes it up to date", async () => {
    const api = bridgeApi(main);
    const local = join(main.home, "two-way");
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, "a.txt"), "first\n");
    writeFileSync(join(local, "b.txt"), "stays\n");
    await page.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ }).click();
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByRole("button", { name: "+ New task" }).click();
    const form = page.getByRole("form", { name: "New task" });
    await form.getByRole("textbox", { name: "Task name" }).fill("Both ways");
    await form.getByRole("combobox", { name: "What to do" }).selectOption("bisync");
    await form.getByTestId("two-way-help").filter({ hasText: /deleted on either side/ }).waitFor();
    expect((await form.getByRole("combobox", { name: "Schedule" }).inputValue()) === "continuous", "two-way runs continuously by default");
    // Runs by hand here, so the conflict below is made on purpose (the continuous test follows).
    await form.getByRole("combobox", { name: "Schedule" }).selectOption("minutes");
    await form.getByRole("textbox", { name: "Folder on this computer" }).fill(local);
    await form.getByRole("textbox", { name: /^Folder in demo/ }).fill("TwoWay");
    await a11y(page, "two-way: form");
    await form.getByRole("button", { name: "Save" }).click();
    const card = page.getByRole("listitem", { name: "Both ways" });
    await card.getByTestId("schedule").filter({ hasText: /^Every 15 minutes/ }).waitFor();
    await card.getByRole("button", { name: "Run now" }).click();
    const status = card.getByTestId("sync-status");
    await status.filter({ hasText: /^Up to date$/ }).waitFor({ timeout: 45_000 });

    // The same file changed here and in the storage (by another task, as another device would).
    writeFileSync(join(local, "a.txt"), "mine, changed here\n");
    const elsewhere = join(main.home, "two-way-elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, "a.txt"), "theirs\n");
    const other = await api("save_task", {
      task: { name: "Elsewhere", kind: "copy", direction: "upload", local: elsewhere, storage: "demo", remote: "TwoWay" },
    });
    expect((await api("run_task", { id: other.id })).outcome === "ok", "the storage's a.txt changed");
    await card.getByRole("button", { name: "Run now" }).click();
    await status.filter({ hasText: /^1 conflict$/ }).waitFor({ timeout: 45_000 });

    await card.getByRole("button", { name: /^Conflicts/ }).click();
    const view = page.getByRole("region", { name: "Conflicts in Both ways" });
    const item = view.getByRole("listitem", { name: "a.txt" });
    await item.getByText("Yours (this computer)").waitFor();
    expect((await item.locator('[data-side="mine"] .mono').textContent()).startsWith("a (conflicted copy "), "mine is the conflicted copy");
    await a11y(page, "two-way: conflicts");
    await page.screenshot({ path: join(ARTIFACTS, "two-way-conflicts.png") });
    await item.getByRole("button", { name: "Keep mine" }).click();
    await view.getByTestId("conflicts-result").filter({ hasText: /^Kept your version of a\.txt on both sides\. Run \d+: Done$/ }).waitFor({ timeout: 45_000 });
    await status.filter({ hasText: /^Up to date$/ }).waitFor();
    await view.getByTestId("no-conflicts").waitFor();
    expect(readFileSync(join(local, "a.txt"), "utf8") === "mine, changed here\n", "my version under the original name");
    const names = (await api("list_folder", { storage: "demo", path: ["TwoWay"] })).entries.map((e) => e.name);
    expect(names.includes("a.txt") && !names.some((n) => n.includes("conflicted copy")), `storage: ${names.join(", ")}`);

    // A name the storage refuses (each byte that is not UTF-8 becomes three
    // characters there: over its 255): that file waits, listed with what to
    // do; the rest syncs, and the card is not "Up to date".
    const refused = Buffer.concat([Buffer.from(`${local}/`), Buffer.alloc(100, 0xff)]);
    writeFileSync(refused, "too long once mapped\n");
    await card.getByRole("button", { name: "Run now" }).click();
    await status.filter({ hasText: /^1 file could not sync$/ }).waitFor({ timeout: 45_000 });
    await card.getByTestId("run-result").filter({ hasText: /^Run \d+: Done.· 1 file could not sync$/ }).waitFor();
    await card.getByRole("button", { name: /^Not synced.\(1\)$/ }).click();
    const aside = page.getByRole("region", { name: "Files in Both ways that could not sync" });
    const waiting = aside.locator('[data-reason="name_refused"]');
    await waiting.getByText("demo does not accept this name. Rename the file; it is tried again when it changes.").waitFor();
    await waiting.getByText("Could not change it in demo.").waitFor();
    await a11y(page, "two-way: not synced");
    await page.screenshot({ path: join(ARTIFACTS, "two-way-not-synced.png") });
    // Renamed, then tried again at the user's word: it syncs and the list empties.
    renameSync(refused, join(local, "renamed.txt"));
    await aside.getByRole("button", { name: "Try them again now" }).click();
    await aside.getByTestId("aside-result").filter({ hasText: /^Every file synced\. Run \d+: Done/ }).waitFor({ timeout: 45_000 });
    await aside.getByTestId("none-aside").waitFor();
    await status.filter({ hasText: /^Up to date$/ }).waitFor();
    const after = (await api("list_folder", { storage: "demo", path: ["TwoWay"] })).entries.map((e) => e.name);
    expect(after.includes("renamed.txt"), `storage: ${after.join(", ")}`);
    // Tidy up for the tests after this one (their cards, "Sync all now").
    await api("delete_task", { id: other.id });
    await api("delete_task", { id: await taskId("Both ways") });
  });

  await test("two-way, continuously: a task made with the defaults follows both sides without a click", async () => {
    const api = bridgeApi(main);
    const local = join(main.home, "live");
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, "first.txt"), "here from the start\n");
    await page.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ }).click();
    await page.getByRole("tab", { name: "Tasks" }).click();
    await page.getByRole("button", { name: "+ New task" }).click();
    const form = page.getByRole("form", { name: "New task" });
    await form.getByRole("textbox", { name: "Task name" }).fill("Live");
    await form.getByRole("combobox", { name: "What to do" }).selectOption("bisync");
    await form.getByRole("combobox", { name: "Check the storage for changes every" }).selectOption("10");
    await form.getByRole("textbox", { name: "Folder on this computer" }).fill(local);
    await form.getByRole("textbox", { name: /^Folder in demo/ }).fill("Live");
    await form.getByRole("button", { name: "Save" }).click();
    const card = page.getByRole("listitem", { name: "Live" });
    await card.getByTestId("schedule").filter({ hasText: /^Continuously · storage checked every 10 seconds/ }).waitFor();
    const status = card.getByTestId("sync-status");
    // Nobody clicks "Run now": the watcher's first run merges, then it waits.
    await status.filter({ hasText: /^Up to date · watching for changes$/ }).waitFor({ timeout: 45_000 });
    const names = async () => (await api("list_folder", { storage: "demo", path: ["Live"] })).entries.map((e) => e.name);
    expect((await names()).includes("first.txt"), "the first run sent the folder");

    // Saved here: on the storage within seconds.
    writeFileSync(join(local, "saved.txt"), "saved later\n");
    const deadline = Date.now() + 45_000;
    while (!(await names()).includes("saved.txt") && Date.now() < deadline) await page.waitForTimeout(250);
    expect((await names()).includes("saved.txt"), "a saved file reached the storage by itself");

    // Changed elsewhere (another task, as another device): here within the check interval.
    const elsewhere = join(main.home, "live-elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, "theirs.txt"), "from another device\n");
    const other = await api("save_task", {
      task: { name: "Live elsewhere", kind: "copy", direction: "upload", local: elsewhere, storage: "demo", remote: "Live" },
    });
    expect((await api("run_task", { id: other.id })).outcome === "ok", "the storage got theirs.txt");
    const arrived = join(local, "theirs.txt");
    const until = Date.now() + 60_000;
    while (!existsSync(arrived) && Date.now() < until) await page.waitForTimeout(250);
    expect(existsSync(arrived) && readFileSync(arrived, "utf8") === "from another device\n", "a change made elsewhere arrived");
    await status.filter({ hasText: /^Up to date · watching for changes$/ }).waitFor({ timeout: 45_000 });
    await a11y(page, "two-way: continuous");
    await page.screenshot({ path: join(ARTIFACTS, "two-way-continuous.png") });
    await api("delete_task", { id: other.id });
    await api("delete_task", { id: await taskId("Live") });
  });
  // --- end of two-way sync (issue 14)

  await test("backup: the wizard makes an encrypted repository on demo storage, a run with progress, versions, browse + restore, wrong password", async () => {
    const docs = join(main.home, "docs");
    mkdirSync(join(docs, "sub"), { recursive: true });
    writeFileSync(join(docs, "a.txt"), "hello backup\n");
    writeFileSync(join(docs, "sub/b.txt"), "beta\n");
    // Random bytes (not compressible) so the run takes long enough to show progress.
    writeFileSync(join(docs, "big.bin"), randomBytes(12 * 1024 * 1024));
    writeFileSync(join(docs, "scratch.tmp"), "left out\n");
    await page.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ }).click();
    await page.getByRole("tab", { name: "Backup" }).click();
    await page.getByRole("button", { name: "+ New backup" }).click();
    const form = page.getByRole("form", { name: "New backup" });
    await form.getByRole("textbox", { name: "Task name" }).fill("Documents backup");
    await form.getByRole("textbox", { name: /^Folders on this computer/ }).fill(docs);
    await form.getByRole("textbox", { name: /^Leave out/ }).fill("*.tmp");
    await form.getByRole("textbox", { name: /^Folder in demo for the backup/ }).fill("Encrypted");
    await form.getByLabel("Password", { exact: true }).fill("correct horse");
    await form.getByLabel("Password again").fill("correct horse");
    await form.getByRole("spinbutton", { name: "Latest" }).fill("5");
    await a11y(page, "backup: form");
    await form.getByRole("button", { name: "Create backup" }).click();
    const card = page.getByRole("listitem", { name: "Documents backup" });
    await card.getByText("Not run yet.").waitFor();
    await card.getByText(/^Daily at /).waitFor();
    await card.getByText(/^Keeps: Latest 5/).waitFor();
    await a11y(page, "backup: list");
    // The repository is restic's layout, encrypted: no file name of ours in it.
    const api = bridgeApi(main);
    const top = await api("list_folder", { storage: "demo", path: ["Encrypted"] });
    const names = top.entries.map((e) => e.name).sort();
    expect(names.includes("config") && names.includes("keys"), `repository layout: ${names}`);

    await page.evaluate(() => {
      window.__sawBackupProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('section[aria-label="Backup"] [role=progressbar]')) window.__sawBackupProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await card.getByRole("button", { name: "Back up now" }).click();
    await page.getByRole("status").filter({ hasText: /^Run \d+: Done 3 new, 0 changed, 0 unmodified files/ }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => window.__sawBackupProgress), "live progress was shown");
    // The card's last run has the counters too (the run's result above is on the card as well).
    await card.locator(".last").getByText(/3 new, 0 changed, 0 unmodified files, .* added/).waitFor();
    // The run is in the log with its summary.
    await card.getByRole("button", { name: "Log" }).click();
    await page.getByRole("cell", { name: /3 new, 0 changed, 0 unmodified files/ }).first().waitFor();
    await card.getByRole("button", { name: "Log" }).click();

    await card.getByRole("button", { name: "Versions" }).click();
    const versions = page.getByLabel("Versions of “Documents backup”");
    const snap = versions.locator("tbody tr");
    await snap.first().waitFor();
    expect((await snap.count()) === 1, "one version");
    await a11y(page, "backup: snapshots");
    await snap.first().getByRole("button", { name: "Browse" }).click();
    const browser = page.getByLabel(/^Version [0-9a-f]{8}$/);
    for (const seg of docs.split("/").filter(Boolean)) {
      await browser.getByRole("button", { name: `${seg}/`, exact: true }).click();
    }
    await browser.locator(`li[data-path="${docs}/a.txt"]`).waitFor();
    expect((await browser.locator(`li[data-path="${docs}/scratch.tmp"]`).count()) === 0, "excluded file is not backed up");
    await page.screenshot({ path: join(ARTIFACTS, "backup.png") });
    await a11y(page, "backup: restore");

    const restoreDir = join(main.home, "restored");
    mkdirSync(restoreDir);
    await browser.getByRole("radio", { name: "Select a.txt" }).check();
    await browser.getByRole("textbox", { name: "Restore into this folder" }).fill(restoreDir);
    await browser.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("status").filter({ hasText: `Restored 1 file` }).waitFor();
    expect(readFileSync(join(restoreDir, "a.txt"), "utf8") === "hello backup\n", "restored content");
    // Never over an existing, different file unless asked.
    writeFileSync(join(restoreDir, "a.txt"), "changed since\n");
    await browser.getByRole("button", { name: "Restore" }).click();
    await page.locator('[role=alert][data-code="would_overwrite"]').waitFor();
    expect(readFileSync(join(restoreDir, "a.txt"), "utf8") === "changed since\n", "not overwritten");
    await browser.getByRole("checkbox", { name: /^Replace files/ }).check();
    await browser.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("status").filter({ hasText: "Restored" }).waitFor();
    expect(readFileSync(join(restoreDir, "a.txt"), "utf8") === "hello backup\n", "overwritten when asked");
    // A folder restores with its content.
    await browser.getByRole("radio", { name: "Select sub" }).check();
    await browser.getByRole("checkbox", { name: /^Replace files/ }).uncheck();
    await browser.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("status").filter({ hasText: `to ${join(restoreDir, "sub")}` }).waitFor();
    expect(readFileSync(join(restoreDir, "sub/b.txt"), "utf8") === "beta\n", "restored folder content");

    // Connecting to the same repository with a wrong password is refused.
    await page.getByRole("button", { name: "+ New backup" }).click();
    await form.getByRole("textbox", { name: "Task name" }).fill("Wrong");
    await form.getByRole("textbox", { name: /^Folders on this computer/ }).fill(docs);
    await form.getByRole("textbox", { name: /^Folder in demo for the backup/ }).fill("Encrypted");
    await form.getByRole("checkbox", { name: /already there/ }).check();
    await form.getByLabel("Password", { exact: true }).fill("wrong horse");
    await form.getByLabel("Password again").fill("wrong horse");
    await form.getByRole("button", { name: "Create backup" }).click();
    await page.locator('[role=alert][data-code="wrong_password"]').getByText("Wrong password").first().waitFor();
    await form.getByRole("button", { name: "Cancel" }).click();
    expect((await page.getByRole("listitem", { name: "Wrong" }).count()) === 0, "no task saved with a wrong password");
  });

  await test("backup maintenance: size, check (a full one with progress), forget now after a preview, a restore with progress, change password", async () => {
    const docs = join(main.home, "docs");
    const card = page.getByRole("listitem", { name: "Documents backup" });
    // Two more versions (unchanged files: quick), then keep only the latest.
    for (const n of [2, 3]) {
      await card.getByRole("button", { name: "Back up now" }).click();
      await page.getByRole("status").filter({ hasText: /^Run \d+: Done 0 new, 0 changed, 3 unmodified files/ }).waitFor({ timeout: 60_000 });
      const count = (await bridgeApi(main)("list_snapshots", { task: await taskId("Documents backup") })).length;
      expect(count === n, `${n} versions kept by "Latest 5": ${count}`);
    }
    await card.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "Edit" });
    await edit.getByRole("spinbutton", { name: "Latest" }).waitFor();
    await a11y(page, "backup: edit");
    await edit.getByRole("spinbutton", { name: "Latest" }).fill("1");
    for (const rule of ["Daily", "Weekly", "Monthly"]) await edit.getByRole("spinbutton", { name: rule }).fill("0");
    await edit.getByRole("button", { name: "Save" }).click();
    await card.getByText("Keeps: Latest 1", { exact: true }).waitFor();

    await card.getByRole("button", { name: "Maintenance" }).click();
    const panel = page.getByLabel("Maintenance: Documents backup");
    await panel.getByText(/^Stored: .* the versions hold /).waitFor();
    await a11y(page, "backup: maintenance");
    await panel.getByRole("combobox", { name: "Read back" }).selectOption("5");
    await panel.getByRole("button", { name: "Check" }).click();
    await page.getByRole("status").filter({ hasText: "Check passed: the repository is sound (5 % of the data read back)." }).waitFor({ timeout: 60_000 });
    // Reading all of it back streams the engine's phases into the panel while it runs.
    await page.evaluate(() => {
      window.__sawCheckProgress = false;
      new MutationObserver(() => {
        if (document.querySelector(".maintenance [role=progressbar]")) window.__sawCheckProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await panel.getByRole("combobox", { name: "Read back" }).selectOption("100");
    await panel.getByRole("button", { name: "Check" }).click();
    await page.getByRole("status").filter({ hasText: "Check passed: the repository is sound (100 % of the data read back)." }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => window.__sawCheckProgress), "check progress was shown");

    // Forget now: a preview of what goes, then the real thing only when confirmed.
    await panel.getByRole("button", { name: "Forget now" }).click();
    const preview = panel.getByRole("group", { name: "Forget now" });
    await preview.getByRole("listitem").first().waitFor();
    expect((await preview.getByRole("listitem").count()) === 2, "the two older versions would go");
    const id = await taskId("Documents backup");
    expect((await bridgeApi(main)("list_snapshots", { task: id })).length === 3, "the preview removed nothing");
    await page.screenshot({ path: join(ARTIFACTS, "backup-forget-preview.png") });
    await a11y(page, "backup: forget preview");
    await preview.getByRole("button", { name: "Remove these versions" }).click();
    await page.getByRole("status").filter({ hasText: /^Removed 2 versions; .* freed\./ }).waitFor({ timeout: 60_000 });
    expect((await bridgeApi(main)("list_snapshots", { task: id })).length === 1, "one version left");

    // A restore shows its progress (the engine's phases, bytes, rate) while it runs.
    const { browser } = await browseNewestVersion(page, card, "Documents backup", docs);
    const restoreDir = join(main.home, "restored-big");
    await browser.getByRole("radio", { name: "Select big.bin" }).check();
    await browser.getByRole("textbox", { name: "Restore into this folder" }).fill(restoreDir);
    await page.evaluate(() => {
      window.__sawRestoreProgress = false;
      new MutationObserver(() => {
        if (document.querySelector(".browser [role=progressbar]")) window.__sawRestoreProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await browser.getByRole("button", { name: "Restore" }).click();
    await page.getByRole("status").filter({ hasText: `to ${join(restoreDir, "big.bin")}` }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => window.__sawRestoreProgress), "restore progress was shown");
    expect(statSync(join(restoreDir, "big.bin")).size === 12 * 1024 * 1024, "restored in full");

    const pw = panel.getByRole("form", { name: "Change password" });
    await pw.getByLabel("New password", { exact: true }).fill("battery staple");
    await pw.getByLabel("New password again").fill("battery staple");
    await pw.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("status").filter({ hasText: /^Password changed\./ }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, "backup-maintenance.png") });
    const api = bridgeApi(main);
    const old = await fetch(`${main.url}/api/list_snapshots`, {
      method: "POST",
      headers: apiHeaders(main),
      body: JSON.stringify({ task: id, password: "correct horse" }),
    });
    expect((await old.json()).code === "wrong_password", "the old password no longer opens it");
    expect((await api("list_snapshots", { task: id, password: "battery staple" })).length === 1, "the new one does");
    await panel.getByRole("button", { name: "Close" }).click();
  });

  // --- results where the user looks (issue 13 pt 1)
  // Each action answers next to where it was taken, in view right after the
  // click: `shownInPlace` checks the element's box lies inside the window and
  // inside every scrolling box around it, with no scrolling by the test.

  /** True when `locator`'s element is visible where it is, without scrolling anything. */
  const shownInPlace = (locator) =>
    locator.evaluate((el) => {
      const r = el.getBoundingClientRect();
      let top = 0;
      let bottom = window.innerHeight;
      for (let p = el.parentElement; p; p = p.parentElement) {
        if (!/(auto|scroll|hidden)/.test(getComputedStyle(p).overflowY)) continue;
        const q = p.getBoundingClientRect();
        top = Math.max(top, q.top);
        bottom = Math.min(bottom, q.bottom);
      }
      return r.height > 0 && r.top >= top - 1 && r.bottom <= bottom + 1;
    });

  await test("backup results: two different passwords on “Create backup” are said at the field, in view", async () => {
    await page.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ }).click();
    await page.getByRole("tab", { name: "Backup" }).click();
    await page.getByRole("button", { name: "+ New backup" }).click();
    const form = page.getByRole("form", { name: "New backup" });
    await form.getByRole("textbox", { name: "Task name" }).fill("Mismatch");
    await form.getByRole("textbox", { name: /^Folders on this computer/ }).fill(join(main.home, "docs"));
    await form.getByLabel("Password", { exact: true }).fill("one horse");
    await form.getByLabel("Password again").fill("two horses");
    await form.getByRole("button", { name: "Create backup" }).click();
    const again = form.getByLabel("Password again");
    await form.locator('input[aria-invalid="true"]').waitFor();
    expect((await again.getAttribute("aria-invalid")) === "true", "the second password field is marked");
    const message = page.locator(`[id="${await again.getAttribute("aria-describedby")}"]`);
    expect((await message.textContent()) === "The two passwords differ.", `its message: ${await message.textContent()}`);
    expect(await again.evaluate((el) => el === document.activeElement), "the field has the focus");
    expect(await shownInPlace(message), "the message is in view");
    await page.screenshot({ path: join(ARTIFACTS, "results-field-error.png") });
    expect((await page.getByRole("alert").count()) === 0, "no banner elsewhere");
    await form.getByRole("button", { name: "Cancel" }).click();
    expect((await page.getByRole("listitem", { name: "Mismatch" }).count()) === 0, "nothing saved");
  });

  await test("backup results: a finished restore and a check are in view next to their buttons right after the click", async () => {
    const docs = join(main.home, "docs");
    const card = page.getByRole("listitem", { name: "Documents backup" });
    const { versions, browser } = await browseNewestVersion(page, card, "Documents backup", docs);
    const restoreDir = join(main.home, "restored-in-view");
    await browser.getByRole("radio", { name: "Select a.txt" }).check();
    await browser.getByRole("textbox", { name: "Restore into this folder" }).fill(restoreDir);
    await browser.getByRole("button", { name: "Restore" }).click();
    const done = page.getByRole("status").filter({ hasText: `to ${join(restoreDir, "a.txt")}.` });
    await done.waitFor({ timeout: 60_000 });
    expect(await shownInPlace(done), "the restore's result is in view");
    await page.screenshot({ path: join(ARTIFACTS, "results-restore.png") });
    expect((await browser.getByRole("status").filter({ hasText: "Restored" }).count()) === 1, "in the version browser");
    expect(readFileSync(join(restoreDir, "a.txt"), "utf8") === "hello backup\n", "restored");

    await card.getByRole("button", { name: "Maintenance" }).click();
    const panel = page.getByLabel("Maintenance: Documents backup");
    await panel.getByRole("combobox", { name: "Read back" }).selectOption("0");
    await panel.getByRole("button", { name: "Check" }).click();
    const checked = panel.getByRole("status").filter({ hasText: /^Check passed/ });
    await checked.waitFor({ timeout: 60_000 });
    expect(await shownInPlace(checked), "the check's result is in view");
    await panel.getByRole("button", { name: "Close" }).click();
    await versions.getByRole("button", { name: "Close" }).click();
  });

  await test("backup results: a second run replaces the first run's result on the card, in view", async () => {
    const card = page.getByRole("listitem", { name: "Documents backup" });
    const results = page.getByRole("status").filter({ hasText: /^Run \d+: Done/ });
    const runNumber = async () => Number(/^Run (\d+):/.exec((await card.getByTestId("run-result").textContent()) ?? "")?.[1]);
    await card.getByRole("button", { name: "Back up now" }).click();
    await card.getByRole("status").filter({ hasText: /^Run \d+: Done/ }).waitFor({ timeout: 60_000 });
    const first = await runNumber();
    await card.getByRole("button", { name: "Back up now" }).click();
    await card.getByRole("status").filter({ hasText: new RegExp(`^Run ${first + 1}: Done`) }).waitFor({ timeout: 60_000 });
    expect((await results.count()) === 1, `one run result on the page: ${await results.allTextContents()}`);
    expect(await shownInPlace(card.getByTestId("run-result")), "the result is in view on its card");
  });

  await test("backup results: moving to the trash and deleting for good are confirmed in a toast, in view", async () => {
    await page.getByRole("tab", { name: "Files" }).click();
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    await page.getByRole("button", { name: "+ New folder" }).click();
    await page.getByRole("textbox", { name: "Folder name" }).fill("Toast check");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "Toast check").click();
    await page.getByRole("button", { name: "Move to trash" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Move to trash" }).click();
    const toasts = page.getByRole("region", { name: "Messages" });
    const trashed = toasts.getByText("“Toast check” moved to the trash.");
    await trashed.waitFor();
    expect(await shownInPlace(trashed), "the toast is in view");
    // The item leaves the trash's list: the toast says what happened.
    await page.getByRole("tab", { name: "Trash" }).click();
    await page.locator('li[data-name="Toast check"]').getByRole("button", { name: "Delete permanently" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete permanently" }).click();
    const deleted = toasts.getByText("“Toast check” deleted permanently.");
    await deleted.waitFor();
    expect(await shownInPlace(deleted), "in view");
    await page.getByRole("tab", { name: "Backup" }).click();
  });
  // --- end of results where the user looks

  await test("encrypted backup in the file browser: one item, Open in Backup, deleting needs its name typed", async () => {
    // A backup made through the API (so E2E_ONLY='first start|encrypted backup' runs alone).
    const api = bridgeApi(main);
    const docs = join(main.home, "guarded-docs");
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, "a.txt"), "guarded\n");
    const backup = { folders: [docs], repoLocal: null, retention: {}, rememberPassword: false };
    const task = { name: "Guarded", kind: "backup", direction: "upload", local: "", storage: "demo", remote: "Guarded", backup };
    const saved = await api("create_backup", { task, password: "pw", create: true });
    await api("run_backup", { id: saved.id, password: "pw" });

    await page.getByRole("tab", { name: "Files" }).click();
    await page.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    const item = row(page, "Guarded");
    await item.getByText("Encrypted backup", { exact: true }).waitFor();
    expect((await item.getByRole("button", { name: "Guarded" }).count()) === 0, "no link into the backup");
    await item.dblclick();
    expect((await row(page, "keys").count()) === 0, "not walked into");
    await item.click();
    const details = page.getByRole("complementary", { name: "Details" });
    await details.getByRole("button", { name: "Open in Backup" }).waitFor();
    expect((await details.getByRole("button", { name: "Rename or move" }).count()) === 0, "no rename");
    await page.screenshot({ path: join(ARTIFACTS, "browser-backup.png") });

    await details.getByRole("button", { name: "Move backup to trash" }).click();
    const dialog = page.getByRole("dialog");
    const confirm = dialog.getByRole("button", { name: "Move backup to trash" });
    expect(await confirm.isDisabled(), "disabled before a name is typed");
    await a11y(page, "typed-name delete");
    await dialog.getByRole("textbox", { name: "The folder’s name" }).fill("guarded");
    expect(await confirm.isDisabled(), "disabled with the wrong name");
    await dialog.getByRole("textbox", { name: "The folder’s name" }).fill("Guarded");
    expect(await confirm.isEnabled(), "enabled with the folder's name");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });

    await details.getByRole("button", { name: "Open in Backup" }).click();
    await page.getByLabel("Versions of “Guarded”").waitFor();
    await a11y(page, "backup: opened from files");
    await api("delete_task", { id: saved.id });
  });

  await test("wizard: a bad login token is refused, a real one adds a storage", async () => {
    const demoPort = JSON.parse(readFileSync(join(main.data, "demo/app-demo.json"), "utf8")).port;
    const emulator = `http://127.0.0.1:${demoPort}`;
    await page.getByRole("button", { name: "+ Add storage" }).click();
    await page.getByText("Telia Sky (Norway)").waitFor();
    await a11y(page, "wizard: service");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("checkbox", { name: /Server address/ }).check();
    await page.getByRole("textbox", { name: /Server address/ }).fill(emulator);
    await page.getByRole("textbox", { name: "Personal login token" }).fill("not-a-token");
    await a11y(page, "wizard: sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect((await alert.getAttribute("data-code")) === "bad_login_token", "bad token code");
    await a11y(page, "wizard: error");
    const { login_token } = await (await fetch(`${emulator}/emulator/login-tokens`, { method: "POST" })).json();
    await page.getByRole("textbox", { name: "Personal login token" }).fill(login_token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(/^Signed in as /).waitFor();
    await page.getByRole("combobox", { name: "Folder on the device" }).selectOption("Sync");
    await page.screenshot({ path: join(ARTIFACTS, "wizard.png") });
    await a11y(page, "wizard: place");
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("textbox", { name: "Name for this storage" }).fill("demo");
    await page.getByRole("button", { name: "Test and save" }).click();
    expect((await page.getByRole("alert").getAttribute("data-code")) === "already_exists", "duplicate name refused");
    await a11y(page, "wizard: name");
    await page.getByRole("textbox", { name: "Name for this storage" }).fill("second");
    await page.getByRole("button", { name: "Test and save" }).click();
    await page.getByRole("heading", { name: "second" }).waitFor();
    await page.getByText("Jottacloud · Jotta / Sync").waitFor();
    const remotes = JSON.parse(readFileSync(join(main.config, "remotes.json"), "utf8"));
    const text = JSON.stringify(remotes);
    expect(!text.includes(login_token) && !/refresh_token|access_token/.test(text), "no token in remotes.json");
  });

  await test("quota: a write-locked account says so", async () => {
    const demoPort = JSON.parse(readFileSync(join(main.data, "demo/app-demo.json"), "utf8")).port;
    const control = (body) =>
      fetch(`http://127.0.0.1:${demoPort}/emulator/control`, { method: "POST", body: JSON.stringify(body) });
    await control({ write_locked: true });
    try {
      await page.getByRole("button", { name: /^demo/ }).click();
      await page.getByRole("tab", { name: "Quota" }).click();
      await page.getByText(/This account is write-locked/).waitFor();
      await page.screenshot({ path: join(ARTIFACTS, "quota-write-locked.png") });
    } finally {
      await control({ write_locked: false });
    }
  });

  await test("wizard: browser sign-in through the service's login page, and cancel", async () => {
    const emu = await startEmulator();
    await page.getByRole("button", { name: "+ Add storage" }).click();
    await page.getByRole("radio", { name: "Telia Sky (Norway)" }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("radio", { name: /Sign in with the browser/ }).check();
    await page.getByRole("checkbox", { name: /Server address/ }).check();
    await page.getByRole("textbox", { name: /Server address/ }).fill(emu.url);
    // Cancel while waiting: the wizard stays on the sign-in step, no error.
    await page.getByRole("button", { name: "Sign in with the browser" }).click();
    await page.getByTestId("signin-url").waitFor();
    await page.getByRole("status").getByRole("button", { name: "Cancel" }).click();
    await page.getByTestId("signin-url").waitFor({ state: "detached" });
    expect((await page.getByRole("alert").count()) === 0, "cancel is not an error");
    // Now for real: "the browser" is a second page that opens the URL the app opened.
    await page.getByRole("button", { name: "Sign in with the browser" }).click();
    const url = await page.getByTestId("signin-url").textContent();
    expect(url.includes("/auth/realms/get/") && url.includes("code_challenge="), `authorization URL with PKCE: ${url}`);
    await a11y(page, "wizard: browser sign-in");
    const login = await page.context().newPage();
    await login.goto(url);
    await login.fill("#username", emu.username);
    await login.fill("#password", emu.password);
    await login.click("input[type=submit]");
    await page.getByText(`Signed in as ${emu.username}.`).waitFor();
    await login.close();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("textbox", { name: "Name for this storage" }).fill("telia");
    await page.getByRole("button", { name: "Test and save" }).click();
    await page.getByRole("heading", { name: "telia" }).waitFor();
    await page.getByText("Telia Sky (Norway) · Jotta / Archive").waitFor();
  });

  await test("wizard: the demo storage is a choice, signed in through its sign-in page with the details the app shows", async () => {
    await page.getByRole("button", { name: "+ Add storage" }).click();
    await page.getByRole("radio", { name: "Demo storage on this computer (no account needed)" }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByText(/^Everything is filled in for the demo storage/).waitFor();
    // The address and a token are filled in; the account is shown for the browser sign-in.
    const demoPort = JSON.parse(readFileSync(join(main.data, "demo/app-demo.json"), "utf8")).port;
    const address = await page.getByRole("textbox", { name: /Server address/ }).inputValue();
    expect(address === `http://127.0.0.1:${demoPort}`, `demo address filled in: ${address}`);
    expect((await page.getByRole("textbox", { name: "Personal login token" }).inputValue()).length > 20, "token filled in");
    const username = (await page.getByTestId("demo-username").textContent()).trim();
    const password = (await page.getByTestId("demo-password").textContent()).trim();
    expect(username && password, "demo account shown");
    await page.screenshot({ path: join(ARTIFACTS, "wizard-demo.png") });
    await page.getByRole("radio", { name: /Sign in with the browser/ }).check();
    await page.getByRole("button", { name: "Sign in with the browser" }).click();
    const url = await page.getByTestId("signin-url").textContent();
    const login = await page.context().newPage();
    await login.goto(url);
    await login.fill("#username", username);
    await login.fill("#password", password);
    await login.click("input[type=submit]");
    await page.getByText(`Signed in as ${username}.`).waitFor();
    await login.close();
    await page.getByRole("button", { name: "Next" }).click();
    expect((await page.getByRole("textbox", { name: "Name for this storage" }).inputValue()) === "demo-account", "named for the demo");
    await page.getByRole("button", { name: "Test and save" }).click();
    await page.getByRole("heading", { name: "demo-account" }).waitFor();
    await row(page, "Documents").waitFor();
    // The later tests find the demo storage by a name starting with "demo".
    await bridgeApi(main)("remove_storage", { storage: "demo-account" });
    await page.reload();
  });

  await test("wizard: username and password with an SMS code (legacy service), on a new device", async () => {
    const emu = await startEmulator(["--require-2fa", "123456"]);
    await page.getByRole("button", { name: "+ Add storage" }).click();
    await page.getByRole("button", { name: "Next" }).click();
    expect((await page.getByRole("radio", { name: /Username and password/ }).count()) === 0, "not offered for Jottacloud");
    await page.getByRole("button", { name: "Back" }).click();
    await page.getByRole("radio", { name: "Elkjøp Cloud (Norway)" }).check();
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("radio", { name: /Username and password/ }).check();
    await page.getByRole("checkbox", { name: /Server address/ }).check();
    await page.getByRole("textbox", { name: /Server address/ }).fill(emu.url);
    await page.getByRole("textbox", { name: "Username or e-mail" }).fill(emu.username);
    await page.getByLabel("Password", { exact: true }).fill("not-the-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    expect((await page.getByRole("alert").getAttribute("data-code")) === "bad_credentials", "a wrong password is refused");
    await page.getByLabel("Password", { exact: true }).fill(emu.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    const code = page.getByRole("textbox", { name: "Code from the SMS" });
    await code.fill("999-999");
    await page.getByRole("button", { name: "Verify" }).click();
    expect((await page.getByRole("alert").getAttribute("data-code")) === "bad_otp", "a wrong code is refused");
    await a11y(page, "wizard: sms code");
    await code.fill("123-456");
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText(`Signed in as ${emu.username}.`).waitFor();
    await page.getByRole("combobox", { name: "Device", exact: true }).selectOption({ label: "New device…" });
    await page.getByRole("textbox", { name: "New device name" }).fill("Laptop");
    await page.getByRole("textbox", { name: "New folder name" }).fill("Backup");
    await page.screenshot({ path: join(ARTIFACTS, "wizard-new-device.png") });
    await page.getByRole("button", { name: "Next" }).click();
    await page.getByRole("textbox", { name: "Name for this storage" }).fill("elk");
    await page.getByRole("button", { name: "Test and save" }).click();
    await page.getByRole("heading", { name: "elk" }).waitFor();
    await page.getByText("Elkjøp Cloud (Norway) · Laptop / Backup").waitFor();
    const remotes = readFileSync(join(main.config, "remotes.json"), "utf8");
    const elk = JSON.stringify(JSON.parse(remotes)).match(/\{[^{}]*"name":"elk"[^{}]*\}/)?.[0] ?? "";
    expect(elk.includes('"sign_in":"legacy"') && elk.includes(`"login":"${emu.username}"`), `remote: ${elk}`);
    expect(!remotes.includes(emu.password), "the password is not stored");
    await page.getByRole("button", { name: "+ New folder" }).click();
    await page.getByRole("textbox", { name: "Folder name" }).fill("works");
    await page.getByRole("button", { name: "Create" }).click();
    await row(page, "works").waitFor();
  });

  await test("language: Norwegian bokmål throughout (a setting)", async () => {
    await page.getByRole("button", { name: "Settings" }).click();
    await page.getByRole("combobox", { name: "Language" }).selectOption("nb");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "+ Legg til lagring" }).waitFor();
    await page.getByRole("button", { name: /^demo/ }).click();
    await page.getByRole("tab", { name: "Papirkurv" }).waitFor();
    await page.getByRole("button", { name: "Innstillinger" }).click();
    // Back to following the system (the browser says en-US).
    await page.getByRole("combobox", { name: "Språk" }).selectOption("");
    await page.getByRole("button", { name: "Lagre" }).click();
    await page.getByRole("button", { name: "+ Add storage" }).waitFor();
  });

  await test("theme follows the OS (dark) and the language follows the system (nb)", async () => {
    const p = await newPage(main.link, "nb-NO", "dark");
    await p.getByRole("heading", { name: "Er dataene mine trygge?" }).waitFor();
    const bg = await p.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg === "rgb(18, 23, 29)", `dark background, got ${bg}`);
    await p.screenshot({ path: join(ARTIFACTS, "dark-nb.png") });
    await p.context().close();
  });

  await test("language: Finnish from the system; Swedish as a setting the bridge keeps; back to the system", async () => {
    const p = await newPage(main.link, "fi-FI");
    await p.getByRole("heading", { name: "Ovatko tietoni turvassa?" }).waitFor();
    await p.getByRole("button", { name: "Asetukset" }).click();
    const picker = p.getByRole("combobox", { name: "Kieli" });
    await picker.waitFor();
    const names = await picker.locator("option").allTextContents();
    expect(names.join("|") === "Järjestelmän mukaan|English|Norsk bokmål|Svenska|Dansk|Suomi", `languages offered: ${names}`);
    await picker.selectOption("sv");
    await p.getByRole("button", { name: "Tallenna" }).click();
    await p.getByRole("button", { name: "+ Lägg till lagring" }).waitFor();
    await p.reload();
    await p.getByRole("button", { name: /^demo/ }).click();
    await p.getByRole("tab", { name: "Säkerhetskopiering" }).click();
    await p.getByRole("button", { name: "+ Ny säkerhetskopia" }).click();
    await p.screenshot({ path: join(ARTIFACTS, "backup-sv.png") });
    await p.getByRole("button", { name: "Inställningar" }).click();
    await p.getByRole("combobox", { name: "Språk" }).selectOption("");
    await p.getByRole("button", { name: "Spara" }).click();
    await p.getByRole("button", { name: "+ Lisää tallennustila" }).waitFor();
    await p.getByRole("button", { name: "Yleiskatsaus" }).click();
    await p.getByRole("heading", { name: "Ovatko tietoni turvassa?" }).waitFor();
    await p.screenshot({ path: join(ARTIFACTS, "overview-fi.png") });
    await p.context().close();
  });

  await test("100,000 entries: only visible rows are in the DOM, scrolling to the end stays fast", async () => {
    // The real UI and bridge; only this one listing is replaced in the
    // browser (no emulator folder of 100,000 files needed).
    const p = await newPage("about:blank");
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      name: `file ${String(i).padStart(6, "0")}.txt`,
      displayName: `file ${String(i).padStart(6, "0")}.txt`,
      folder: false,
      size: i,
      md5: "0".repeat(32),
      created: null,
      modified: "2026-01-01T00:00:00Z",
      uploaded: null,
      mime: null,
    }));
    const body = JSON.stringify({ path: [], entries });
    await p.route("**/api/list_folder", (r) => r.fulfill({ status: 200, contentType: "application/json", body }));
    await p.goto(main.link);
    await p.getByRole("button", { name: /^demo/ }).click();
    const t0 = Date.now();
    await row(p, "file 000000.txt").waitFor();
    const firstPaint = Date.now() - t0;
    const domRows = await p.locator("[role=row][data-name]").count();
    expect(domRows < 200, `virtualized: ${domRows} rows in the DOM`);
    await p.getByText("100,000 files").waitFor();
    const scrollMs = await p.evaluate(async () => {
      const grid = document.querySelector("[role=grid]");
      const viewport = [...grid.querySelectorAll("div")].find((d) => d.scrollHeight > d.clientHeight + 1000);
      const start = performance.now();
      let frames = 0;
      let worst = 0;
      let last = start;
      while (viewport.scrollTop + viewport.clientHeight < viewport.scrollHeight - 2 && frames < 2000) {
        viewport.scrollTop += 16000;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
        frames++;
      }
      return { total: performance.now() - start, frames, worst };
    });
    await row(p, "file 099999.txt").waitFor();
    console.log(`  100k rows: first paint ${firstPaint} ms, scrolled to the end in ${scrollMs.frames} frames, ` +
      `${Math.round(scrollMs.total)} ms, worst frame ${Math.round(scrollMs.worst)} ms`);
    // Bounds loose enough for a shared 2-core CI box, tight enough to catch a
    // list that renders every row (that takes seconds per frame).
    const mean = scrollMs.total / scrollMs.frames;
    expect(mean < 60, `mean frame under 60 ms while scrolling (${mean} ms)`);
    expect(scrollMs.worst < 1000, `no frame over 1 s while scrolling (worst ${scrollMs.worst} ms)`);
    await p.screenshot({ path: join(ARTIFACTS, "browser-100k.png") });
    await p.context().close();
  });

  // --- polish (issue 13 pt 7): what a user notices at a glance. A bridge of
  // its own with a fresh demo storage, so the block also runs alone
  // (E2E_ONLY=polish).
  let polished = null;
  /** The polish block's bridge and page, made once: demo storage started in the UI. */
  const polish = async () => {
    if (polished) return polished;
    const bridge = await startBridge("polish");
    const p = await newPage(bridge.link);
    await p.getByRole("button", { name: "Try with demo storage" }).click();
    await p.getByRole("heading", { name: "demo" }).waitFor();
    polished = { bridge, page: p, api: bridgeApi(bridge) };
    return polished;
  };

  await test("polish: the demo's Photos folder holds a few small real pictures", async () => {
    const { bridge, page: p, api } = await polish();
    const photos = (await api("list_folder", { storage: "demo", path: ["Photos"] })).entries;
    const sizes = photos.map((e) => `${e.name} ${e.size} B`).join(", ");
    expect(photos.length >= 4 && photos.length <= 6, `4-6 photos: ${sizes}`);
    expect(photos.every((e) => !e.folder && /\.(jpg|png)$/.test(e.name) && e.size >= 20_000 && e.size <= 150_000), `real-sized pictures: ${sizes}`);
    expect(photos.reduce((n, e) => n + e.size, 0) < 1_000_000, `well under 1 MB in all: ${sizes}`);
    // Each downloads as a picture the browser decodes.
    const target = join(bridge.home, "photos");
    mkdirSync(target);
    for (const e of photos) {
      const saved = await api("download", { storage: "demo", path: ["Photos", e.name], folder: target });
      const b64 = readFileSync(saved).toString("base64");
      const size = await p.evaluate(async (data) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const img = await createImageBitmap(new Blob([bytes]));
        return [img.width, img.height];
      }, b64);
      expect(size[0] >= 320 && size[1] >= 200, `${e.name} decodes as a picture (${size})`);
    }
    await row(p, "Photos").getByRole("button", { name: "Photos" }).click();
    await row(p, photos[0].name).waitFor();
    await p.screenshot({ path: join(ARTIFACTS, "polish-photos.png") });
    await p.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
  });

  await test("polish: look-alike characters in names draw real glyphs, not empty boxes", async () => {
    const { page: p, api } = await polish();
    // What Jottacloud's name mapping shows (fullwidth look-alikes, control
    // pictures, the escape quote) and the arrows and marks of the UI itself.
    const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => String.fromCodePoint(a + i));
    const chars = [...range(0xff01, 0xff5e), ...range(0x2400, 0x2421), "\u201b", ..."↑↓→…–—“”’−·"];
    const name = "Reports： 2026 ＜draft＞？";
    await api("create_folder", { storage: "demo", parent: [], name });
    await p.getByRole("button", { name: "Refresh" }).click();
    await row(p, name).waitFor();
    const report = await p.evaluate(async ({ chars, name }) => {
      const cell = document.querySelector(`[role=row][data-name="${name}"] .name`);
      const family = getComputedStyle(cell).fontFamily;
      const faces = await document.fonts.load(`16px ${family}`, chars.join(""));
      await document.fonts.load(`600 16px ${family}`, name);
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 48;
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      const draw = (c, weight = 400) => {
        ctx.clearRect(0, 0, 48, 48);
        ctx.font = `${weight} 32px ${family}`;
        ctx.textBaseline = "middle";
        ctx.fillStyle = "#000";
        ctx.fillText(c, 4, 24);
        return ctx.getImageData(0, 0, 48, 48).data;
      };
      const same = (a, b) => a.every((v, i) => v === b[i]);
      const ink = (a) => a.some((v, i) => i % 4 === 3 && v > 0);
      // A code point no font has (plane 16 private use) draws the missing-glyph box.
      // A glyph drawn the same, or with no ink at all, is a box.
      const tofu = draw("\u{10fffd}");
      const box = (c, weight) => {
        const g = draw(c, weight);
        return !ink(g) || same(g, tofu);
      };
      return {
        family,
        faces: faces.map((f) => f.family),
        detector: { letterIsNotTofu: !box("A", 400) },
        boxes: chars.filter((c) => box(c, 400)).map((c) => `U+${c.codePointAt(0).toString(16).toUpperCase()} ${c}`),
        boldBoxes: [...name].filter((c) => c !== " " && box(c, 600)),
      };
    }, { chars, name });
    // (WebKit draws nothing for a code point no font has; Chromium a box: both count.)
    expect(report.detector.letterIsNotTofu, `the box detector tells a letter from a missing glyph: ${JSON.stringify(report.detector)}`);
    expect(report.boxes.length === 0, `drawn as empty boxes in ${report.family}: ${report.boxes.join(", ")}`);
    expect(report.faces.some((f) => f.includes("Fjordsync Names")), `the names font loads for these characters: ${report.faces}`);
    expect(report.boldBoxes.length === 0, `bold (headings) drawn as boxes: ${report.boldBoxes.join(", ")}`);
    await row(p, name).click();
    await p.getByRole("complementary", { name: "Details" }).getByRole("heading", { name }).waitFor();
    await p.screenshot({ path: join(ARTIFACTS, "polish-lookalikes.png") });
  });

  await test("polish: one scroll container per screen, no covered button and no native bar, at 1100x720 and 720x480", async () => {
    const { bridge, page: p, api } = await polish();
    // Content enough to scroll: tasks, and a run whose log lists 60 files.
    const local = join(bridge.home, "many");
    mkdirSync(local);
    for (let i = 0; i < 60; i++) writeFileSync(join(local, `file ${String(i).padStart(2, "0")}.txt`), `${i}\n`);
    const many = await api("save_task", {
      task: { id: "", name: "Many files", kind: "copy", direction: "upload", local, storage: "demo", remote: "Many", include: [], exclude: [], lastRun: null },
    });
    expect((await api("run_task", { id: many.id })).outcome === "ok", "the run of 60 files");
    for (let i = 1; i <= 5; i++) {
      await api("save_task", {
        task: { id: "", name: `Task ${i}`, kind: "copy", direction: "upload", local, storage: "demo", remote: `T${i}`, include: [], exclude: [], lastRun: null },
      });
    }
    await p.reload();

    /** Scroll containers in the content area, nested ones, buttons something else covers, native bars. */
    const layout = () =>
      p.evaluate(() => {
        const what = (el) => `${el.tagName.toLowerCase()}.${[...el.classList].filter((c) => !c.startsWith("svelte-")).join(".")}`;
        const content = document.querySelector("main");
        const scrollers = [...content.querySelectorAll("*")].filter((el) => {
          const s = getComputedStyle(el);
          return /auto|scroll/.test(s.overflowY) && el.clientHeight > 0 && el.scrollHeight > el.clientHeight + 1;
        });
        const nested = scrollers.filter((el) => scrollers.some((o) => o !== el && o.contains(el)));
        const covered = [];
        for (const b of document.querySelectorAll("main button, aside button")) {
          if (b.getClientRects().length === 0) continue;
          b.scrollIntoView({ block: "nearest", inline: "nearest" });
          const r = b.getBoundingClientRect();
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          if (!hit || !(hit === b || b.contains(hit))) {
            covered.push(`"${(b.textContent || b.getAttribute("aria-label") || "").trim()}" under ${hit ? what(hit) : "nothing (clipped)"}`);
          }
        }
        return {
          scrollers: scrollers.map(what),
          nested: nested.map(what),
          covered,
          native: document.querySelectorAll("progress, meter").length,
        };
      });
    const settled = () => p.waitForFunction(() => !document.querySelector("main")?.textContent?.includes("Loading…"));
    const storage = () => p.getByRole("navigation", { name: "Storages" }).getByRole("button", { name: /^demo/ }).click();
    const tab = (name) => async () => {
      await storage();
      await p.getByRole("tab", { name }).click();
    };
    const screens = {
      overview: () => p.getByRole("button", { name: "Overview" }).click(),
      files: tab("Files"),
      tasks: async () => {
        await tab("Tasks")();
        await p.getByRole("listitem", { name: "Many files" }).getByRole("button", { name: "Log" }).click();
        await p.getByRole("region", { name: "Runs of “Many files”" }).locator('[data-result="completed"]').nth(59).waitFor();
      },
      backup: tab("Backup"),
      trash: tab("Trash"),
      quota: tab("Quota"),
      settings: () => p.getByRole("button", { name: "Settings" }).click(),
      "add storage": () => p.getByRole("button", { name: "+ Add storage" }).click(),
    };
    const problems = [];
    for (const [width, height] of [[1100, 720], [720, 480]]) {
      await p.setViewportSize({ width, height });
      for (const [screen, open] of Object.entries(screens)) {
        await open();
        await settled();
        const l = await layout();
        const at = `${screen} at ${width}x${height}`;
        if (l.scrollers.length > 1) problems.push(`${at}: ${l.scrollers.length} scrolling areas: ${l.scrollers.join(", ")}`);
        if (l.nested.length) problems.push(`${at}: scrolls inside a scrolling page: ${l.nested.join(", ")}`);
        if (l.covered.length) problems.push(`${at}: covered buttons: ${l.covered.join("; ")}`);
        if (l.native) problems.push(`${at}: ${l.native} native progress/meter bars`);
        if (width === 720) await p.screenshot({ path: join(ARTIFACTS, `polish-${screen.replace(" ", "-")}-720.png`) });
      }
      // The file browser with a file's details open: the list and the
      // details sit side by side, each may scroll, neither inside the other.
      await screens.files();
      await row(p, "Many").getByRole("button", { name: "Many" }).click();
      await row(p, "file 00.txt").click();
      await p.getByRole("complementary", { name: "Details" }).getByRole("button", { name: "Versions" }).click();
      await p.getByRole("region", { name: "Versions" }).locator("li[data-version]").first().waitFor();
      const l = await layout();
      if (l.nested.length) problems.push(`file details at ${width}x${height}: scrolls inside a scrolling area: ${l.nested.join(", ")}`);
      if (l.covered.length) problems.push(`file details at ${width}x${height}: covered buttons: ${l.covered.join("; ")}`);
      await p.getByRole("navigation", { name: "breadcrumbs" }).getByRole("button", { name: "demo" }).click();
    }
    await p.setViewportSize({ width: 1180, height: 760 });
    expect(problems.length === 0, `layout problems:\n    ${problems.join("\n    ")}`);
  });
  // --- end polish

  // --- mounts: a bridge of its own with a fresh demo storage, so the test
  // also runs alone (E2E_ONLY='mount|accessibility').
  await test("mount: a storage folder served over WebDAV answers only its login, unmounts and is removed", async () => {
    const bridge = await startBridge("mount");
    const api = bridgeApi(bridge);
    const p = await newPage(bridge.link);
    await p.getByRole("button", { name: "Try with demo storage" }).click();
    await p.getByRole("heading", { name: "demo" }).waitFor();
    await p.getByRole("button", { name: "Mounted folders" }).click();
    await p.getByTestId("mounts-empty").waitFor();
    await p.getByRole("button", { name: "+ Mount a folder" }).click();
    const form = p.getByRole("form", { name: "Mount a folder" });
    await form.getByRole("textbox", { name: "Name" }).fill("Docs");
    await form.getByRole("radio", { name: "In the file manager (WebDAV)" }).check();
    // A storage folder that is not there: the app's refusal is said at the field, which gets the focus.
    const folder = form.getByRole("textbox", { name: /^Folder in demo/ });
    await folder.fill("Missing");
    await form.getByRole("button", { name: "Mount" }).click();
    await form.getByTestId("field-error").filter({ hasText: /^There is no folder \/Missing in demo\./ }).waitFor();
    expect((await folder.getAttribute("aria-invalid")) === "true" && (await isFocused(folder)), "the folder field is marked and focused");
    await a11y(p, "mount: form");
    await folder.fill("Documents");
    await form.getByRole("button", { name: "Mount" }).click();
    await form.waitFor({ state: "detached" });

    // The scheduler of the daemon (or of the app's bridge) starts it: the card follows its events.
    const card = p.getByRole("listitem", { name: "Docs" });
    const state = card.getByTestId("mount-status");
    await state.filter({ hasText: /^Mounted$/ }).waitFor({ timeout: 45_000 });
    expect((await state.getAttribute("data-tone")) === "ok", "Mounted is green");
    expect((await card.getByTestId("mount-folder").textContent()) === "demo:/Documents", "the storage folder");
    expect((await card.getByTestId("mount-reached").textContent()) === "In the file manager (WebDAV)", "where it is reached");
    await card.getByTestId("mount-uploads").filter({ hasText: /^All changes uploaded$/ }).waitFor();
    const login = card.getByRole("group", { name: "WebDAV address and login" });
    const url = (await login.getByTestId("webdav-url").textContent()) ?? "";
    expect(/^http:\/\/127\.0\.0\.1:\d+\/$/.test(url), `a local address: ${url}`);
    const user = (await login.getByTestId("webdav-user").textContent()) ?? "";
    const hidden = (await login.getByTestId("webdav-password").textContent()) ?? "";
    await login.getByRole("button", { name: "Show password" }).click();
    const pass = (await login.getByTestId("webdav-password").textContent()) ?? "";
    expect(pass.length >= 8 && pass !== hidden && !hidden.includes(pass), "the password shows only when asked");
    await a11y(p, "mount");
    await p.screenshot({ path: join(ARTIFACTS, "mount.png") });

    // Any WebDAV client: nothing without the login, the folder's files with it.
    const propfind = (headers = {}) => fetch(url, { method: "PROPFIND", headers: { Depth: "1", ...headers } });
    const anonymous = await propfind();
    expect(anonymous.status === 401, `401 without a login (got ${anonymous.status})`);
    const wrong = await propfind({ Authorization: `Basic ${Buffer.from(`${user}:not-the-password`).toString("base64")}` });
    expect(wrong.status === 401, `401 with a wrong password (got ${wrong.status})`);
    const listed = await propfind({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });
    const xml = await listed.text();
    expect(listed.status === 207, `207 Multi-Status with the login (got ${listed.status}): ${xml.slice(0, 300)}`);
    expect(xml.includes("Welcome.txt") && /Budget(%20| )2026\.csv/.test(xml), `the folder's files are listed: ${xml.slice(0, 600)}`);

    await card.getByRole("button", { name: "Unmount" }).click();
    await state.filter({ hasText: /^Not mounted$/ }).waitFor({ timeout: 45_000 });
    expect((await state.getAttribute("data-tone")) === "off", "unmounted as asked is not an error");
    await login.waitFor({ state: "detached" });
    const after = await propfind({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` }).then(
      (r) => r.status,
      () => "closed",
    );
    expect(after === "closed", `the address no longer answers once unmounted (got ${after})`);
    expect((await api("list_mounts"))[0]?.mounted === false, "kept unmounted");

    await card.getByRole("button", { name: "Remove" }).click();
    const confirm = p.getByRole("dialog");
    expect(/uploaded before it goes/.test((await confirm.textContent()) ?? ""), "the question says pending uploads finish first");
    await confirm.getByRole("button", { name: "Remove" }).click();
    await card.waitFor({ state: "detached" });
    await p.getByTestId("mounts-empty").waitFor();
    expect((await api("list_mounts")).length === 0, "no mount left");
    await p.context().close();
  });
  // --- end of mounts

  await test("the bridge needs this start's access token and answers only to its own Host", async () => {
    const port = new URL(main.url).port;
    const bearer = { Authorization: `Bearer ${main.token}` };
    const call = (headers) =>
      rawRequest(main.url, {
        method: "POST",
        path: "/api/list_storages",
        headers: { "Content-Type": "application/json", ...headers },
        body: "{}",
      });
    const refused = (r, status, code) => {
      expect(r.status === status, `status ${r.status}, wanted ${status}: ${r.body}`);
      const body = JSON.parse(r.body);
      expect(body.code === code && body.message.length > 10, `{code, message}: ${r.body}`);
    };
    // Any local process: no token, or a guessed one.
    refused(await call({}), 401, "unauthorized");
    refused(await call({ Authorization: `Bearer ${"0".repeat(64)}` }), 401, "unauthorized");
    refused(await call({ Authorization: `Bearer ${main.token.slice(0, 63)}` }), 401, "unauthorized");
    const right = await call(bearer);
    expect(right.status === 200 && JSON.parse(right.body).some((s) => s.name === "demo"), `with the token: ${right.body}`);
    // DNS rebinding: a page whose name now resolves to 127.0.0.1.
    refused(await call({ ...bearer, Host: `evil.example:${port}` }), 403, "forbidden");
    refused(await call({ ...bearer, Host: "127.0.0.1" }), 403, "forbidden");
    expect((await call({ ...bearer, Host: `localhost:${port}` })).status === 200, "localhost:PORT is the bridge too");
    // The UI's files need no token; a foreign Host gets not even those.
    const ui = await rawRequest(main.url, { path: "/" });
    expect(ui.status === 200 && ui.body.includes("<html"), `the UI itself: ${ui.status}`);
    expect((await rawRequest(main.url, { path: "/", headers: { Host: "evil.example" } })).status === 403, "UI, foreign Host");
    // The event WebSocket: the token rides in a subprotocol (a browser cannot set headers there).
    expect((await openEvents(main.url, null)).status === 401, "socket without a token");
    expect((await openEvents(main.url, "fjordsync, fjordsync-token.nope")).status === 401, "socket, wrong token");
    const ws = await openEvents(main.url, `fjordsync, fjordsync-token.${main.token}`);
    expect(ws.status === 101 && ws.protocol === "fjordsync", `socket with the token: ${ws.status} ${ws.protocol}`);
    const wsRebound = await openEvents(main.url, `fjordsync, fjordsync-token.${main.token}`, { Host: "evil.example" });
    expect(wsRebound.status === 403, `socket, foreign Host: ${wsRebound.status}`);
  });

  await test("in a browser: without the link a clear message; the link's token leaves the address bar", async () => {
    const bare = await newPage(main.url);
    await bare.getByRole("heading", { name: "Open the link Fjordsync printed" }).waitFor();
    expect((await bare.getByRole("button", { name: "Try with demo storage" }).count()) === 0, "no broken app");
    await bare.screenshot({ path: join(ARTIFACTS, "bridge-needs-link.png") });
    await a11y(bare, "needs the link");
    // The browser's own WebSocket: refused without the token, open with it.
    const socket = (protocols) =>
      bare.evaluate(
        (protocols) =>
          new Promise((ok) => {
            const ws = new WebSocket(`ws://${location.host}/api/events`, protocols);
            ws.onopen = () => (ok(`open ${ws.protocol}`), ws.close());
            ws.onerror = () => ok("refused");
          }),
        protocols,
      );
    expect((await socket([])) === "refused", "a socket without the token is refused");
    expect((await socket(["fjordsync", `fjordsync-token.${main.token}`])) === "open fjordsync", "with it, it opens");
    await bare.context().close();

    const p = await newPage(main.link);
    await p.getByRole("button", { name: /^demo/ }).waitFor();
    expect(!p.url().includes("token"), `token removed from the address: ${p.url()}`);
    await p.reload();
    await p.getByRole("button", { name: /^demo/ }).waitFor();
    await p.context().close();
  });

  await test("the bridge refuses other origins and non-JSON posts", async () => {
    const evil = await fetch(`${main.url}/api/list_storages`, {
      method: "POST",
      headers: { ...apiHeaders(main), Origin: "http://evil.example" },
      body: "{}",
    });
    expect(evil.status === 403, `cross-origin status ${evil.status}`);
    const form = await fetch(`${main.url}/api/list_storages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${main.token}` },
      body: "a=b",
    });
    expect(form.status === 415, `form post status ${form.status}`);
  });

  await test("keyring for real: secret-tool reads the token; a lost sign-in reconnects with only the sign-in step", async () => {
    const emu = await startEmulator();
    const b = await startBridge("reconnect");
    const api = bridgeApi(b);
    const newToken = async () =>
      (await (await fetch(`${emu.url}/emulator/login-tokens`, { method: "POST" })).json()).login_token;
    const acct = await api("wizard_login_token", { service: "jottacloud", loginToken: await newToken(), endpoint: emu.url });
    await api("wizard_save", { pendingId: acct.pendingId, name: "work", device: "Jotta", mountpoint: "Archive", create: false });
    await api("create_folder", { storage: "work", parent: [], name: "Projects" });
    // Another process reads the token pair from the Secret Service.
    const entry = ["service", "fjordsync", "username", `work @ ${b.config}`];
    const stored = execFileSync("secret-tool", ["lookup", ...entry], { encoding: "utf8" });
    const pair = JSON.parse(stored);
    expect(pair.refresh_token?.length > 10, "secret-tool sees the refresh token");
    // ...and it is nowhere in the config folder.
    const grep = spawn("grep", ["-rlF", pair.refresh_token, b.config]);
    const hits = await new Promise((r) => { let o = ""; grep.stdout.on("data", (d) => (o += d)); grep.on("close", () => r(o)); });
    expect(hits.trim() === "", `token found in config files: ${hits}`);
    // The sign-in is lost (its token is gone from the keyring): after a
    // restart the app asks to reconnect instead of failing obscurely.
    execFileSync("secret-tool", ["clear", ...entry]);
    b.child.kill("SIGTERM");
    await new Promise((r) => b.child.once("exit", r));
    const b2 = await startBridge("reconnect2", { reuseHome: b.home });
    const p = await newPage(b2.link);
    await p.getByRole("button", { name: /^work/ }).click();
    await p.getByText("This storage needs you to sign in again.").waitFor();
    await p.screenshot({ path: join(ARTIFACTS, "reconnect.png") });
    await a11y(p, "reconnect");
    await p.getByRole("button", { name: "Reconnect" }).click();
    await p.getByRole("textbox", { name: "Personal login token" }).fill(await newToken());
    await p.getByRole("button", { name: "Sign in", exact: true }).click();
    await row(p, "Projects").waitFor();
    expect(execFileSync("secret-tool", ["lookup", ...entry], { encoding: "utf8" }).includes("refresh_token"), "new pair stored");
    await p.context().close();
  });

  await test("without a keyring: a clear error, and the file store only when chosen", async () => {
    const bare = await startBridge("nokeyring", { withDbus: false });
    const p = await newPage(bare.link);
    await p.getByRole("button", { name: "Try with demo storage" }).waitFor();
    await a11y(p, "welcome");
    await p.getByRole("button", { name: "Try with demo storage" }).click();
    await p.getByText("Your keyring is not available").waitFor();
    expect(!existsSync(join(bare.config, "secrets")), "nothing written to disk before the choice");
    expect(!existsSync(join(bare.config, "remotes.json")), "no half-added storage");
    await p.screenshot({ path: join(ARTIFACTS, "keyring-error.png") });
    await a11y(p, "keyring error");
    await p.getByRole("button", { name: "Keep tokens in a file" }).click();
    await p.getByText("Your keyring is not available").waitFor({ state: "detached" });
    await p.getByRole("button", { name: "Try with demo storage" }).click();
    await row(p, "Documents").waitFor();
    const secrets = join(bare.config, "secrets");
    const files = readdirSync(secrets);
    expect(files.length === 1, `one secret file: ${files}`);
    expect((statSync(join(secrets, files[0])).mode & 0o777) === 0o600, "secret file is 0600");
    await p.context().close();
  });

  await a11yReportTest();
} finally {
  await browser.close();
  for (const c of children) c.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  for (const d of temps) rmSync(d, { recursive: true, force: true });
  clearTimeout(deadline);
}

const failed = results.filter((r) => !r.ok);
console.log(`\ne2e: took ${Math.round((Date.now() - runStarted) / 1000)} s`);
console.log(`e2e: ${results.length - failed.length} passed, ${failed.length} failed; screenshots in ${ARTIFACTS}`);
process.exit(failed.length ? 1 : 0);
