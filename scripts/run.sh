#!/usr/bin/env bash
# Sets up the machine, builds the Fjordsync desktop app and runs it. With no
# storage configured, the app offers "Try with demo storage": the built-in
# Jottacloud emulator, in-process, with sample content (no account needed).
#
# Without a display (a server, a container) the same app serves its UI to your
# browser instead (the web bridge, 127.0.0.1 only): open the link it prints,
# http://127.0.0.1:8090/#token=… (the token is new at every start).
# `scripts/run.sh --cli` runs the command-line demo instead of the app.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

if [[ "${1:-}" == "--cli" ]]; then
  exec bash scripts/demo-cli.sh
fi

# custom-protocol embeds the built UI (ui/dist, made by setup.sh).
cargo build -p fjordsync-app --features tauri/custom-protocol
APP="$PWD/target/debug/fjordsync-app"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec "$APP"
fi
PORT="${FJORDSYNC_BRIDGE_PORT:-8090}"
echo "No display found: serving the app to a browser on this machine; open the link printed below (Ctrl-C stops)."
exec "$APP" --bridge "$PORT"
