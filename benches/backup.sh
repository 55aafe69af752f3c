#!/usr/bin/env bash
# Backup benchmark: `fjordsync backup` vs restic through `rclone serve restic`,
# same emulator build, same machine, same run. Each tool gets its own fresh
# emulator (no cross-tool dedup) with added latency per request, behind
# jotta-net's TLS proxy on the real Jottacloud host names: fjordsync through
# its Jottacloud backend (`backup --repo b:repo`), restic through rclone's
# Jottacloud backend served as a REST server (`rclone serve restic jt:repo`,
# `restic -r rest:http://127.0.0.1:PORT/`).
#
#   bash benches/backup.sh [--files N] [--big-mib N] [--latency-ms N]
#
# Scenarios (issue 6):
#   1. first backup of N files of 1-64 KiB in N/50 folders plus one big file
#   2. re-run with nothing changed
#   3. re-run after appending to 1 % of the small files
#   4. restore of the whole first snapshot (verified with diff -r and cmp);
#      fjordsync reads every restored file back and checks it, so restic's
#      restore runs once more with --verify, which does the same
#
# One `rclone serve restic` is started per restic command (restic itself is a
# new process per command too) and is up before the clock starts, so rclone's
# start-up is not counted: that favours restic slightly. restic's peak RSS and
# rclone's (VmHWM) are reported separately and summed. Both tools use a local
# cache in a fresh folder (restic's default behaviour, fjordsync's
# --cache-dir), kept between the steps as a user's would be.
#
# Prints wall seconds, peak RSS and the restic/fjordsync ratio (above 1 =
# fjordsync faster). Figures only: nothing asserts a time. Set
# BACKUP_NO_BUILD=1 to use the binary already in the target folder.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=10000 BIG_MIB=1024 LATENCY=20
source benches/lib.sh
parse_args "$@"
command -v restic >/dev/null || { echo "restic is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
[[ "${BACKUP_NO_BUILD:-}" == 1 ]] || cargo build --release -q -p fjordsync-cli
BIN="$(realpath "${CARGO_TARGET_DIR:-target}/release/fjordsync")"
WORK="$(mktemp -d /tmp/fjordsync-backup-bench.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
# Step limit in seconds: generous for the big file on a slow, shared machine.
STEP_TIMEOUT="${STEP_TIMEOUT:-$((600 + BIG_MIB))}"

make_data "$WORK" "$FILES" "$BIG_MIB"

# The scenario, run inside jotta-net for one tool. $1 = fjordsync|restic.
cat >"$WORK/scenario.sh" <<'EOS'
set -euo pipefail
tool="$1"; W="$WORK"; out="$W/times-$tool.txt"; : >"$out"
tree="$W/tree-$tool"; rm -rf "$tree"; cp -a "$W/tree" "$tree"
export RESTIC_PASSWORD="bench secret"
extra=0 # the rclone server's peak RSS (KiB) for the current step
measure() { # name, command...
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$W/t.txt" timeout "$STEP_TIMEOUT" "$@" >"$W/cmd.out" 2>&1 \
    || { echo "$tool: $name failed:" >&2; tail -30 "$W/cmd.out" >&2; exit 1; }
  echo "$name $(cat "$W/t.txt") $extra" >>"$out"
}
source "$W/lib.sh"
first_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
verify() { # restore target
  diff -r "$W/tree" "$1$tree" >/dev/null || { echo "$tool: restored tree differs" >&2; exit 1; }
  cmp "$W/big/big.bin" "$1$W/big/big.bin" || { echo "$tool: restored big file differs" >&2; exit 1; }
  rm -rf "$1"
}
if [[ "$tool" == fjordsync ]]; then
  export FJORDSYNC_CONFIG_DIR="$W/cfg" FJORDSYNC_SECRET_STORE=file
  "$FJORDSYNC" remote add b --login-token "$JOTTA_LOGIN_TOKEN" >/dev/null
  F=("$FJORDSYNC" backup --repo b:repo --cache-dir "$W/cache-$tool")
  timeout 300 "${F[@]}" init >/dev/null
  measure first "${F[@]}" run "$tree" "$W/big"
  measure noop "${F[@]}" run "$tree" "$W/big"
  touch_one_percent "$tree"
  measure touched "${F[@]}" run "$tree" "$W/big"
  id="$(timeout 300 "${F[@]}" snapshots --json | first_id)"
  measure restore "${F[@]}" restore "$id" --target "$W/restore-$tool"
else
  export RCLONE_CONFIG="$W/rclone.conf"
  timeout 120 "$RCLONE" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
  port=8765
  serve() { # a fresh rclone REST server, up before the clock starts
    "$RCLONE" serve restic jt:repo --addr "127.0.0.1:$port" >"$W/rclone-serve.log" 2>&1 &
    rpid=$!
    for _ in $(seq 1 300); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
      kill -0 "$rpid" 2>/dev/null || { cat "$W/rclone-serve.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "rclone serve restic did not come up" >&2; exit 1
  }
  unserve() {
    extra="$(awk '/^VmHWM/ {print $2}' "/proc/$rpid/status")"
    kill "$rpid"; wait "$rpid" 2>/dev/null || true
  }
  R=(restic -r "rest:http://127.0.0.1:$port/" --cache-dir "$W/cache-$tool")
  serve; timeout 300 "${R[@]}" init >/dev/null; unserve
  step() { # like measure, with the rclone server's peak RSS in the last column
    local name="$1"; shift
    serve; extra=0; measure "$name" "$@"; unserve
    sed -i "\$s/ 0\$/ $extra/" "$out"
  }
  step first "${R[@]}" backup "$tree" "$W/big"
  step noop "${R[@]}" backup "$tree" "$W/big"
  touch_one_percent "$tree"
  step touched "${R[@]}" backup "$tree" "$W/big"
  serve; id="$(timeout 300 "${R[@]}" snapshots --json | first_id)"; unserve
  step restore "${R[@]}" restore "$id" --target "$W/restore-$tool"
  # Ours always reads what it restored back; restic does with --verify.
  step restore-verify "${R[@]}" restore "$id" --target "$W/restore-v-$tool" --verify
  rm -rf "$W/restore-v-$tool"
fi
verify "$W/restore-$tool"
EOS

for tool in fjordsync restic; do
  echo "running $tool"
  TMPDIR="$WORK" FJORDSYNC="$BIN" WORK="$WORK" STEP_TIMEOUT="$STEP_TIMEOUT" timeout $((5 * STEP_TIMEOUT)) \
    bash "$JOTTA_NET" \
    --server "$BIN emulator --port 8089 --latency-ms $LATENCY" --backend http://127.0.0.1:8089 \
    --out "$WORK/jn-out-$tool" --exec "FJORDSYNC='$BIN' WORK='$WORK' STEP_TIMEOUT='$STEP_TIMEOUT' bash '$WORK/scenario.sh' $tool" \
    >"$WORK/jn-$tool.log" 2>&1 \
    || { tail -30 "$WORK/jn-$tool.log" >&2; exit 1; }
  rm -rf "$WORK/tree-$tool" "$WORK/cache-$tool"
done

python3 - "$WORK/times-fjordsync.txt" "$WORK/times-restic.txt" "$FILES" "$BIG_MIB" "$LATENCY" <<'PY'
import sys
def load(p):
    out = {}
    for l in open(p):
        name, secs, kib, extra = l.split()
        out[name] = (float(secs), int(kib) // 1024, int(extra) // 1024)
    return out
ours, theirs = load(sys.argv[1]), load(sys.argv[2])
n, big, lat = sys.argv[3], sys.argv[4], sys.argv[5]
names = {
    "first": f"first backup, {n} files + {big} MiB",
    "noop": "re-run, nothing changed",
    "touched": "re-run after changing 1 %",
    "restore": "restore of the first snapshot",
    "restore-verify": "restore, restic with --verify (ours always verifies)",
}
ours["restore-verify"] = ours["restore"]
print(f"\n| scenario ({lat} ms latency) | fjordsync s | peak MiB | restic s | peak MiB restic + rclone | restic/fjordsync |")
print("|---|---:|---:|---:|---:|---:|")
for k, label in names.items():
    (a, am, _), (b, bm, bx) = ours[k], theirs[k]
    print(f"| {label} | {a:.2f} | {am} | {b:.2f} | {bm} + {bx} = {bm + bx} | {b / a if a else float('inf'):.2f}x |")
PY
