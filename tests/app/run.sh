#!/usr/bin/env bash
# The real desktop app under Xvfb, with a real Secret Service:
#  1. smoke: the window and the tray icon appear, a second launch exits and
#     leaves one window (single instance), a screenshot of the screen;
#  2. WebDriver (tauri-driver + WebKitWebDriver): demo storage, browse,
#     delete and restore, quota, a sync task run and its log.
# Usage (what scripts/test.sh runs):
#   dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bash tests/app/run.sh target/debug/fjordsync-app
# The binary must be built with the UI embedded:
#   cargo build -p fjordsync-app --features tauri/custom-protocol
set -euo pipefail
APP="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
ART="$HERE/../e2e/artifacts"
mkdir -p "$ART"
echo "ci-keyring-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

fresh_env() {
  local d; d="$(mktemp -d)"
  export HOME="$d" FJORDSYNC_CONFIG_DIR="$d/config" FJORDSYNC_DATA_DIR="$d/data"
  unset FJORDSYNC_SECRET_STORE
}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# --- 1. smoke ---------------------------------------------------------------
( fresh_env
  "$APP" >"$ART/app-smoke.log" 2>&1 & APID=$!
  pids+=("$APID")
  ok=""
  for _ in $(seq 1 100); do
    if xwininfo -root -tree 2>/dev/null | grep -q '"Fjordsync": ("fjordsync-app"'; then ok=1; break; fi
    sleep 0.2
  done
  [[ -n "$ok" ]] || { echo "FAIL app window did not appear"; cat "$ART/app-smoke.log"; exit 1; }
  sleep 2
  # With no tray host on Xvfb, appindicator falls back to an XEmbed window.
  xwininfo -root -tree | grep -q 'tray-icon tray app main-tray' || { echo "FAIL no tray icon"; xwininfo -root -tree; exit 1; }
  import -window root "$ART/app-welcome.png"
  timeout 20 "$APP" >/dev/null 2>&1 || { echo "FAIL second launch did not exit cleanly"; exit 1; }
  n="$(xwininfo -root -tree | grep -c '"Fjordsync": ("fjordsync-app"' || true)"
  [[ "$n" == 1 ]] || { echo "FAIL expected one window after a second launch, found $n"; exit 1; }
  kill -0 "$APID" || { echo "FAIL the first instance died"; exit 1; }
  kill "$APID"; wait "$APID" 2>/dev/null || true
  echo "ok   real app: window, tray icon, single instance (second launch exits)"
)

# --- 2. WebDriver -------------------------------------------------------------
fresh_env
# Links the app opens go to a stand-in xdg-open (first on the app's PATH) that
# writes them down, so the test sees what would reach the browser.
OPENER="$HOME/opener"
mkdir -p "$OPENER"
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >> "%s/opened"\n' "$OPENER" >"$OPENER/xdg-open"
chmod +x "$OPENER/xdg-open"
PORT=$((40000 + RANDOM % 20000))
PATH="$OPENER:$PATH" tauri-driver --port "$PORT" --native-port $((PORT + 1)) >"$ART/tauri-driver.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$PORT/status" >/dev/null 2>&1 && break
  sleep 0.2
done
OPENED_LOG="$OPENER/opened" TAURI_DRIVER_URL="http://127.0.0.1:$PORT" node "$HERE/webdriver.mjs" "$APP"
