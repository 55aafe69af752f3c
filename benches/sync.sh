#!/usr/bin/env bash
# Sync benchmark: fjordsync vs real rclone, same emulator build, same machine,
# same run. Each tool gets its own fresh emulator behind jotta-net's TLS proxy
# (so neither profits from the other's uploads through dedup), with 20 ms added
# latency per request, and both talk to the real Jottacloud host names.
#
#   bash benches/sync.sh [--files N] [--big-mib N] [--latency-ms N]
#
# Scenarios (the issue's table):
#   1. first upload of N files of 1-64 KiB in N/50 folders
#   2. no-op re-sync (rclone with and without --checksum; ours likewise)
#   3. one big file up and down
#   4. re-sync after changing 1 % of the files
# Prints wall seconds, peak RSS and the rclone/fjordsync ratio (above 1 =
# fjordsync faster). Figures only: nothing asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=10000 BIG_MIB=2048 LATENCY=20
source benches/lib.sh
parse_args "$@"
cargo build --release -q -p fjordsync-cli
BIN="$(realpath "${CARGO_TARGET_DIR:-target}")/release/fjordsync"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

make_data "$WORK" "$FILES" "$BIG_MIB"

# The scenario, run inside jotta-net for one tool. $1 = fjordsync|rclone.
cat >"$WORK/scenario.sh" <<'EOS'
set -euo pipefail
tool="$1"; W="$WORK"; out="$W/times-$tool.txt"; : >"$out"
tree="$W/tree-$tool"; rm -rf "$tree"; cp -r "$W/tree" "$tree"
measure() { # name, command...
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$W/t.txt" "$@" >"$W/cmd.out" 2>&1 || { cat "$W/cmd.out" >&2; exit 1; }
  echo "$name $(cat "$W/t.txt")" >>"$out"
}
source "$W/lib.sh"
if [[ "$tool" == fjordsync ]]; then
  export FJORDSYNC_CONFIG_DIR="$W/cfg" FJORDSYNC_SECRET_STORE=file
  "$FJORDSYNC" remote add b --login-token "$JOTTA_LOGIN_TOKEN" >/dev/null
  measure first "$FJORDSYNC" sync "$tree" b:tree
  measure noop "$FJORDSYNC" sync "$tree" b:tree
  measure noop-checksum "$FJORDSYNC" sync --checksum "$tree" b:tree
  measure big-up "$FJORDSYNC" copyto "$W/big/big.bin" b:big.bin
  measure big-down "$FJORDSYNC" copyto b:big.bin "$W/big-back-$tool.bin"
  touch_one_percent "$tree"
  measure touched "$FJORDSYNC" sync "$tree" b:tree
else
  cfg="$W/rclone.conf"
  "$RCLONE" --config "$cfg" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
  measure first "$RCLONE" --config "$cfg" sync "$tree" jt:tree
  measure noop "$RCLONE" --config "$cfg" sync "$tree" jt:tree
  measure noop-checksum "$RCLONE" --config "$cfg" sync --checksum "$tree" jt:tree
  measure big-up "$RCLONE" --config "$cfg" copyto "$W/big/big.bin" jt:big.bin
  measure big-down "$RCLONE" --config "$cfg" copyto jt:big.bin "$W/big-back-$tool.bin"
  touch_one_percent "$tree"
  measure touched "$RCLONE" --config "$cfg" sync "$tree" jt:tree
fi
cmp "$W/big/big.bin" "$W/big-back-$tool.bin"
rm -f "$W/big-back-$tool.bin"
EOS

for tool in fjordsync rclone; do
  run_scenario "$tool"
done

python3 - "$WORK/times-fjordsync.txt" "$WORK/times-rclone.txt" "$FILES" "$BIG_MIB" "$LATENCY" <<'PY'
import sys
def load(p):
    return {l.split()[0]: (float(l.split()[1]), int(l.split()[2]) // 1024) for l in open(p)}
ours, theirs = load(sys.argv[1]), load(sys.argv[2])
n, big, lat = sys.argv[3], sys.argv[4], sys.argv[5]
names = {
    "first": f"first upload, {n} files",
    "noop": "no-op re-sync",
    "noop-checksum": "no-op re-sync --checksum",
    "big-up": f"{big} MiB file up",
    "big-down": f"{big} MiB file down",
    "touched": "re-sync after changing 1 %",
}
print(f"\n| scenario ({lat} ms latency) | fjordsync s | peak MiB | rclone s | peak MiB | rclone/fjordsync |")
print("|---|---:|---:|---:|---:|---:|")
for k, label in names.items():
    (a, am), (b, bm) = ours[k], theirs[k]
    print(f"| {label} | {a:.2f} | {am} | {b:.2f} | {bm} | {b / a if a else float('inf'):.1f}x |")
a = ours["noop"][0]; b = theirs["noop-checksum"][0]
print(f"\nno-op re-sync vs rclone --checksum: {b / a:.1f}x")
PY
