#!/usr/bin/env bash
# Measures a 1 GiB round trip through the emulator: `fjordsync copyto` up and
# back, byte-identical check, wall time, request count, and peak memory (RSS)
# of the client and of the emulator. With --rclone it runs real rclone on the
# same emulator in the same run (through jotta-net) and prints the ratios.
#
#   bash benches/roundtrip.sh [--size-mib N] [--rclone]
#
# Figures only; nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=1024 RCLONE_TOO=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mib) SIZE_MIB="$2"; shift 2 ;;
    --rclone) RCLONE_TOO=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cargo build --release -q -p fjordsync-cli -p fjordsync-emulator
BIN="$PWD/target/release/fjordsync"
EMU_BIN="$PWD/target/release/fjordsync-emulator"
WORK="$(mktemp -d)"
trap 'kill $EMU 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$((20000 + RANDOM % 20000))
URL="http://127.0.0.1:$PORT"

"$EMU_BIN" --port "$PORT" --state-dir "$WORK/emu" >"$WORK/emu.log" 2>&1 &
EMU=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "$URL/emulator/stats" 2>/dev/null && break; sleep 0.1; done

export FJORDSYNC_CONFIG_DIR="$WORK/cfg" FJORDSYNC_SECRET_STORE=file
TOKEN=$(curl -fsS -X POST "$URL/emulator/login-tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["login_token"])')
"$BIN" remote add bench --login-token "$TOKEN" --endpoint "$URL" >/dev/null

echo "creating ${SIZE_MIB} MiB of random data"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"

requests() { curl -fsS "$URL/emulator/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_total"])'; }
# Runs a command under GNU time; prints "seconds maxrss_kib".
timed() { /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/cmd.err" || { cat "$WORK/cmd.err" >&2; return 1; }; cat "$WORK/time.txt"; }

r0=$(requests)
read -r up_s up_rss < <(timed "$BIN" copyto "$WORK/big.bin" bench:big.bin)
r1=$(requests)
read -r down_s down_rss < <(timed "$BIN" copyto bench:big.bin "$WORK/back.bin")
r2=$(requests)
cmp "$WORK/big.bin" "$WORK/back.bin"
emu_rss=$(awk '/VmHWM/ {print $2}' "/proc/$EMU/status")
mbps() { python3 -c "print(f'{$SIZE_MIB/$1:.0f}')"; }

echo
echo "fjordsync round trip of ${SIZE_MIB} MiB (byte-identical: yes)"
echo "  upload:   ${up_s} s ($(mbps "$up_s") MiB/s), $((r1 - r0)) requests, client peak RSS $((up_rss / 1024)) MiB"
echo "  download: ${down_s} s ($(mbps "$down_s") MiB/s), $((r2 - r1)) requests, client peak RSS $((down_rss / 1024)) MiB"
echo "  emulator peak RSS: $((emu_rss / 1024)) MiB"

if [[ "$RCLONE_TOO" == 1 ]]; then
  JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
  # A fresh emulator: with the same state the upload would be deduplicated.
  kill "$EMU"; wait "$EMU" 2>/dev/null || true
  cat >"$WORK/rclone.sh" <<EOS
set -euo pipefail
cfg=\$(mktemp)
"\$RCLONE" --config "\$cfg" config create jt jottacloud config_type=standard config_login_token="\$JOTTA_LOGIN_TOKEN" >/dev/null
/usr/bin/time -f "%e %M" -o "$WORK/rc-up.txt" "\$RCLONE" --config "\$cfg" copyto "$WORK/big.bin" jt:rclone-big.bin
/usr/bin/time -f "%e %M" -o "$WORK/rc-down.txt" "\$RCLONE" --config "\$cfg" copyto jt:rclone-big.bin "$WORK/rclone-back.bin"
cmp "$WORK/big.bin" "$WORK/rclone-back.bin"
EOS
  bash "$JOTTA_NET" --server "$EMU_BIN --port 8089 --state-dir $WORK/emu-rclone" --backend http://127.0.0.1:8089 \
    --exec "bash $WORK/rclone.sh" >"$WORK/jn.log" 2>&1 || { cat "$WORK/jn.log" >&2; exit 1; }
  read -r rc_up rc_up_rss <"$WORK/rc-up.txt"
  read -r rc_down rc_down_rss <"$WORK/rc-down.txt"
  echo "rclone on the same emulator (through jotta-net's TLS proxy)"
  echo "  upload:   ${rc_up} s, peak RSS $((rc_up_rss / 1024)) MiB"
  echo "  download: ${rc_down} s, peak RSS $((rc_down_rss / 1024)) MiB"
  python3 -c "print(f'  ratio rclone/fjordsync: upload {$rc_up/$up_s:.2f}x, download {$rc_down/$down_s:.2f}x (above 1 = fjordsync faster; rclone pays for TLS)')"
fi
