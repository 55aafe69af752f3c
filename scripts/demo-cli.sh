#!/usr/bin/env bash
# The command-line demo: the built-in
# Jottacloud emulator with state kept in ~/.local/share/fjordsync/demo-cli, and a
# `demo` remote signed in to it. No account needed. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

# (scripts/run.sh --cli runs setup first.)
cargo build -p fjordsync-cli
BIN="$PWD/target/debug/fjordsync"

DATA="${XDG_DATA_HOME:-$HOME/.local/share}/fjordsync/demo-cli"
PORT="${FJORDSYNC_DEMO_PORT:-8089}"
URL="http://127.0.0.1:$PORT"
mkdir -p "$DATA"

"$BIN" emulator --port "$PORT" --state-dir "$DATA/emulator" >"$DATA/emulator.log" 2>&1 &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$URL/emulator/stats" 2>/dev/null && break
  kill -0 "$EMU" 2>/dev/null || { cat "$DATA/emulator.log" >&2; exit 1; }
  sleep 0.1
done

# The demo remote lives in its own config directory. Its token is for the local
# emulator only, so it is kept in the documented file store (0600) rather than
# in your keyring.
export FJORDSYNC_CONFIG_DIR="$DATA/config" FJORDSYNC_SECRET_STORE=file
new_token() { curl -fsS -X POST "$URL/emulator/login-tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["login_token"])'; }
if ! "$BIN" remote show demo >/dev/null 2>&1; then
  new_token | "$BIN" remote add demo --login-token - --endpoint "$URL"
elif ! "$BIN" about demo: >/dev/null 2>&1; then
  new_token | "$BIN" remote reconnect demo --login-token -
fi

# Some sample content on first start.
if [[ -z "$("$BIN" ls demo: 2>/dev/null)" ]]; then
  "$BIN" mkdir demo:Documents
  "$BIN" copyto README.md demo:Documents/README.md >/dev/null 2>&1
  "$BIN" copyto ARCHITECTURE.md demo:Documents/ARCHITECTURE.md >/dev/null 2>&1
  "$BIN" copyto CHANGELOG.md "demo:Documents/Notes: what changed?.md" >/dev/null 2>&1
fi

"$BIN" about demo:
echo
"$BIN" lsl demo:
cat <<EOT

Fjordsync demo storage is running at $URL (log: $DATA/emulator.log).
In another terminal:

  export FJORDSYNC_CONFIG_DIR="$DATA/config" FJORDSYNC_SECRET_STORE=file
  $BIN ls demo:
  $BIN copyto /etc/hostname demo:hostname.txt
  $BIN trash list demo:
  $BIN sync --dry-run ~/Documents demo:Documents    # then without --dry-run
  $BIN log

Press Ctrl-C to stop.
EOT
wait "$EMU"
