#!/usr/bin/env bash
# Scale benchmark: many small files, the release emulator without added
# latency, wall time and peak RSS of fjordsync per scenario.
#
#   bash benches/scale.sh [--files N] [--per-folder N] [--seed-max N] [--rclone] [--tree DIR]
#
# --tree DIR keeps the generated files in DIR (generated only when DIR does
# not exist yet) so that repeated runs of a million files skip generating.
#
# Scenarios:
#   seed      first upload of N files (`copy --transfers 16`), only when
#             N <= --seed-max (default 200000): a first upload of a million
#             files through HTTP takes too long to be part of a benchmark
#   noop      no-op re-sync of the seeded tree
#   noop-dry  the same as --dry-run
#   noop-small-mem  the no-op with the spill limits at 10,000 (listing files
#             and plan steps kept in memory), as a million files would run
#   down-dry  --dry-run of the seeded remote into an empty local folder
#   plan-new  --dry-run of the local tree against an empty remote folder
#             (every file planned as a create; always run)
#   rclone    rclone's no-op re-sync of the same tree (--rclone; needs the
#             seed, runs through ../shared/tools/jotta-net like sync.sh)
# Figures only: nothing asserts a time. Everything lives in one temp dir that
# is removed on exit; every command is bounded by a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
FILES=100000 PER_FOLDER=1000 SEED_MAX=200000 RCLONE=0 TREE=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --per-folder) PER_FOLDER="$2"; shift 2 ;;
    --seed-max) SEED_MAX="$2"; shift 2 ;;
    --rclone) RCLONE=1; shift ;;
    --tree) TREE="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [[ -z "${SCALE_NO_BUILD:-}" ]]; then
  cargo build --release -q -p fjordsync-cli -p fjordsync-emulator
fi
BIN="$TARGET/release/fjordsync"
EMU="$TARGET/release/fjordsync-emulator"
TIME=/usr/bin/time
[[ -x "$TIME" ]] || { echo "needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 1; }
WORK="$(mktemp -d "${SCALE_TMP:-/tmp}/fjordsync-scale.XXXXXX")"
EMU_PID=""
cleanup() {
  [[ -n "$EMU_PID" ]] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

TREE="${TREE:-$WORK/tree}"
if [[ -d "$TREE" ]]; then
  echo "using the files in $TREE"
else
  echo "generating $FILES files, $PER_FOLDER per folder, in $TREE"
  start=$(date +%s.%N)
  make_small_tree "$TREE" "$FILES" "$PER_FOLDER"
  echo "generated in $(python3 -c "import time; print(round(time.time() - $start, 1))") s"
fi

start_emulator "$EMU" "$WORK"
export FJORDSYNC_CONFIG_DIR="$WORK/cfg" FJORDSYNC_SECRET_STORE=file
"$BIN" remote add b --login-token "$TOKEN" --endpoint "http://127.0.0.1:$PORT" >/dev/null

RESULTS="$WORK/results.txt"
: >"$RESULTS"
measure() { # name, timeout seconds, command...
  local name="$1" limit="$2"; shift 2
  if ! timeout "$limit" "$TIME" -f '%e s %M KiB' -o "$WORK/t.txt" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    echo "$name failed (or timed out after $limit s):" >&2
    tail -5 "$WORK/$name.err" >&2
    tail -2 "$WORK/t.txt" >&2 || true
    exit 1
  fi
  local t
  t=$(tail -1 "$WORK/t.txt")
  echo "$name $t" >>"$RESULTS"
  echo "$name: $t ($(grep -E '^plan:|unchanged' "$WORK/$name.out" "$WORK/$name.err" | tail -1 | cut -c1-160))"
}

if [[ "$FILES" -le "$SEED_MAX" ]]; then
  measure seed 3600 "$BIN" copy --transfers 16 "$TREE" b:tree
  measure noop 600 "$BIN" sync "$TREE" b:tree
  measure noop-dry 600 "$BIN" sync --dry-run "$TREE" b:tree
  measure noop-small-mem 600 env FJORDSYNC_LISTING_SPILL_AT=10000 FJORDSYNC_PLAN_SPILL_AT=10000 \
    "$BIN" sync "$TREE" b:tree
  mkdir -p "$WORK/down"
  measure down-dry 600 "$BIN" sync --dry-run b:tree "$WORK/down"
fi
measure plan-new 1800 "$BIN" sync --dry-run "$TREE" b:empty

if [[ "$RCLONE" == 1 && "$FILES" -le "$SEED_MAX" ]]; then
  # rclone needs the real host names and TLS: jotta-net fronts the same
  # emulator state (stopped here, restarted by jotta-net from --state-dir).
  JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
  RCLONE_BIN="${RCLONE_BIN:-$(command -v rclone)}"
  kill -INT "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true; EMU_PID=""
  cat >"$WORK/rclone.sh" <<EOS
set -euo pipefail
cfg="$WORK/rclone.conf"
"$RCLONE_BIN" --config "\$cfg" config create jt jottacloud config_type=standard config_login_token="\$JOTTA_LOGIN_TOKEN" >/dev/null
timeout 1800 "$TIME" -f '%e s %M KiB' -o "$WORK/t.txt" "$RCLONE_BIN" --config "\$cfg" sync "$TREE" jt:tree >"$WORK/rclone.out" 2>&1
echo "rclone-noop \$(tail -1 "$WORK/t.txt")" >>"$RESULTS"
EOS
  timeout 2400 bash "$JOTTA_NET" --out "$WORK/jotta-net" --server "$EMU --port 8089 --state-dir $WORK/emu" --backend http://127.0.0.1:8089 \
    --exec "bash '$WORK/rclone.sh'" >"$WORK/jn.log" 2>&1 || { tail -30 "$WORK/jn.log" >&2; exit 1; }
  echo "rclone-noop: $(tail -1 "$RESULTS" | cut -d' ' -f2-)"
fi

echo
echo "| scenario ($FILES files, $PER_FOLDER per folder) | wall s | peak MiB |"
echo "|---|---:|---:|"
while read -r name secs _ kib _; do
  echo "| $name | $secs | $((kib / 1024)) |"
done <"$RESULTS"
