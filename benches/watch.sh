#!/usr/bin/env bash
# Continuous two-way sync (`bisync --watch`) with many files, against the
# emulator on 127.0.0.1 (no added latency):
#   - change-to-storage latency: a new local file until the storage lists it;
#   - storage-to-folder latency: a file put on the storage until it is here
#     (at most one --poll-interval plus a run);
#   - idle CPU (share of one core) and memory (peak RSS) of the watcher, and
#     what one idle poll costs the service (requests, from the emulator's log).
#
#   bash benches/watch.sh [--files N] [--poll-s S] [--idle-s S]
#
# Defaults: 100,000 files (100 per folder), a 30 s poll, 120 s of idle.
# WATCH_NO_BUILD=1 uses the binaries already in $CARGO_TARGET_DIR/release;
# BIN=... EMU=... point at other builds (e.g. target/debug, for a rough look).
# Figures only: nothing asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
FILES=100000 POLL=30 IDLE=120 PER_FOLDER=100
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --poll-s) POLL="$2"; shift 2 ;;
    --idle-s) IDLE="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [[ -z "${WATCH_NO_BUILD:-}" && -z "${BIN:-}" ]]; then
  cargo build --release -q -p fjordsync-cli -p fjordsync-emulator
fi
BIN="${BIN:-$TARGET/release/fjordsync}"
EMU="${EMU:-$TARGET/release/fjordsync-emulator}"
WORK="$(mktemp -d "${WATCH_TMP:-/tmp}/fjordsync-watch.XXXXXX")"
EMU_PID="" WATCH_PID=""
cleanup() {
  [[ -n "$WATCH_PID" ]] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
  [[ -n "$EMU_PID" ]] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
# wait_for LIMIT_S COMMAND...: runs COMMAND every 0.1 s until it succeeds; fails after LIMIT_S.
wait_for() {
  local limit="$1" start; shift
  start=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    (( $(date +%s) - start > limit )) && return 1
    sleep 0.1
  done
}

TREE="$WORK/tree"
echo "generating $FILES files, $PER_FOLDER per folder"
make_small_tree "$TREE" "$FILES" "$PER_FOLDER"
mkdir -p "$TREE/probe" && echo seed >"$TREE/probe/seed.txt"

start_emulator "$EMU" "$WORK" --log "$WORK/requests.jsonl"
export FJORDSYNC_CONFIG_DIR="$WORK/cfg" FJORDSYNC_SECRET_STORE=file
"$BIN" remote add b --login-token "$TOKEN" --endpoint "http://127.0.0.1:$PORT" >/dev/null

t=$(now)
"$BIN" copy --transfers 16 "$TREE" b:tree 2>"$WORK/seed.err" >/dev/null
echo "seeded the storage in $(since "$t") s"

"$BIN" bisync "$TREE" b:tree --watch --poll-interval "${POLL}s" 2>"$WORK/watch.log" >/dev/null &
WATCH_PID=$!
t=$(now)
wait_for 3600 grep -q '^run ' "$WORK/watch.log" || { cat "$WORK/watch.log" >&2; exit 1; }
echo "first (merge) run: $(since "$t") s: $(grep '^run ' "$WORK/watch.log" | head -1)"
sleep 5

# Idle: CPU ticks of the watcher over IDLE s, its memory, the requests it
# made. The first poll after a start compares the whole listing with the
# base once (nothing to compare its fingerprint with yet): measured on its
# own, then the steady state.
hz=$(getconf CLK_TCK)
ticks() { read -r -a f < <(sed 's/^.*) //' "/proc/$WATCH_PID/stat"); echo $((f[11] + f[12])); }
c0=$(ticks)
sleep "$POLL"
c1=$(ticks)
echo "first poll (a full comparison): $(python3 -c "print(f'{($c1 - $c0) / $hz:.2f}')") s of CPU"
req0=$(wc -l <"$WORK/requests.jsonl")
c0=$(ticks)
sleep "$IDLE"
c1=$(ticks)
req1=$(wc -l <"$WORK/requests.jsonl")
cpu=$(python3 -c "print(f'{($c1 - $c0) / $hz / $IDLE * 100:.2f}')")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$WATCH_PID/status")
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$WATCH_PID/status")
polls=$(python3 -c "print(max(1, round($IDLE / $POLL)))")
lists=$(tail -n +"$((req0 + 1))" "$WORK/requests.jsonl" | head -n "$((req1 - req0))" | grep -c 'liststream' || true)
echo "idle $IDLE s (steady): CPU $cpu % of a core; RSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB); $((req1 - req0)) requests ($lists listings) for about $polls polls"
runs_before=$(grep -c '^run ' "$WORK/watch.log")

# A local change until the storage lists it.
t=$(now)
echo "probe" >"$TREE/probe/local-1.txt"
listed() { "$BIN" ls b:tree/probe | grep -q "$1"; }
wait_for 120 listed local-1.txt || { echo "the local change never arrived" >&2; cat "$WORK/watch.log" >&2; exit 1; }
echo "local change -> storage: $(since "$t") s"

# A change made elsewhere until it is here.
echo "web" >"$WORK/web.txt"
t=$(now)
"$BIN" copyto "$WORK/web.txt" b:tree/probe/web-1.txt >/dev/null 2>&1
wait_for $((POLL * 3 + 120)) test -f "$TREE/probe/web-1.txt" || { echo "the storage change never arrived" >&2; exit 1; }
echo "storage change -> here: $(since "$t") s (poll interval $POLL s)"
echo "runs for the two changes: $(($(grep -c '^run ' "$WORK/watch.log") - runs_before))"

kill -TERM "$WATCH_PID"
status=0
wait "$WATCH_PID" || status=$?
WATCH_PID=""
echo "SIGTERM: exit status $status; $(find "$TREE" -name '.fjordsync-*' | wc -l) temporary files left"
