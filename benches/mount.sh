#!/usr/bin/env bash
# `fjordsync mount` (FUSE, Linux) against the emulator on 127.0.0.1 (no added
# latency), compared with `fjordsync copyto` for the same bytes:
#   - write: cp of a BIG_MIB file into the mount, then until the storage has
#     it (the upload runs after close), against copyto local -> storage;
#   - read: md5sum of it from a fresh mount, twice, against copyto storage
#     -> local: with the default cache (1 GiB, so a file over 256 MiB
#     streams past it and the second read downloads again), then with a
#     cache five times the file (cold, then warm from the cache);
#   - ls -lR of FILES small files, first (cold) and second (warm) time.
#
#   bash benches/mount.sh [--files N] [--big-mib N]
#
# Defaults: 10,000 files, 256 MiB. Needs /dev/fuse (root, or fusermount3).
# MOUNT_NO_BUILD=1 uses the binaries already in $CARGO_TARGET_DIR/release;
# BIN=... EMU=... point at other builds (e.g. target/debug, for a rough look).
# Figures only: nothing asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
source benches/lib.sh
FILES=10000 BIG_MIB=256 PER_FOLDER=100
parse_args "$@"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
if [[ -z "${MOUNT_NO_BUILD:-}" && -z "${BIN:-}" ]]; then
  cargo build --release -q -p fjordsync-cli -p fjordsync-emulator
fi
BIN="${BIN:-$TARGET/release/fjordsync}"
EMU="${EMU:-$TARGET/release/fjordsync-emulator}"
WORK="$(mktemp -d "${MOUNT_TMP:-/tmp}/fjordsync-mount.XXXXXX")"
EMU_PID="" MOUNT_PID=""
MNT="$WORK/mnt"
unmount_now() {
  [[ -n "$MOUNT_PID" ]] || return 0
  "$BIN" unmount "$MNT" >/dev/null 2>&1 || fusermount3 -uz "$MNT" 2>/dev/null || true
  wait "$MOUNT_PID" 2>/dev/null || true
  MOUNT_PID=""
}
cleanup() {
  unmount_now
  [[ -n "$EMU_PID" ]] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$(now)"; }
mibs() { python3 -c "import sys; print(f'{$BIG_MIB / max(0.001, float(sys.argv[1])):.0f}')" "$1"; }
# mount_it: mounts b:m on $MNT with a fresh cache; waits until it is there.
# Further arguments go to `fjordsync mount`.
mount_it() {
  rm -rf "$WORK/cache" && mkdir -p "$MNT"
  "$BIN" mount b:m "$MNT" --cache-dir "$WORK/cache" --write-back 0s "$@" >"$WORK/mount.out" 2>>"$WORK/mount.err" &
  MOUNT_PID=$!
  for _ in $(seq 600); do grep -q 'is mounted at' "$WORK/mount.out" && return 0; sleep 0.1; done
  cat "$WORK/mount.err" >&2; exit 1
}

start_emulator "$EMU" "$WORK"
export FJORDSYNC_CONFIG_DIR="$WORK/cfg" FJORDSYNC_SECRET_STORE=file
echo "$TOKEN" | "$BIN" remote add b --login-token - --endpoint "http://127.0.0.1:$PORT" >/dev/null
"$BIN" mkdir b:m >/dev/null
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big.bin"
SUM=$(md5sum "$WORK/big.bin" | cut -d' ' -f1)
# Other bytes for the write through the mount: the storage would otherwise
# recognise the content (dedup by MD5) and no byte would travel.
head -c "$((BIG_MIB * 1024 * 1024))" /dev/urandom >"$WORK/big2.bin"
SUM2=$(md5sum "$WORK/big2.bin" | cut -d' ' -f1)

t=$(now)
"$BIN" copyto "$WORK/big.bin" b:m/copyto.bin >/dev/null
s=$(since "$t"); echo "copyto up   ${BIG_MIB} MiB: $s s ($(mibs "$s") MiB/s)"
t=$(now)
"$BIN" copyto b:m/copyto.bin "$WORK/down.bin" >/dev/null
s=$(since "$t"); echo "copyto down ${BIG_MIB} MiB: $s s ($(mibs "$s") MiB/s)"
rm -f "$WORK/down.bin"

mount_it
t=$(now)
cp "$WORK/big2.bin" "$MNT/mounted.bin"
s1=$(since "$t")
until "$BIN" md5sum b:m 2>/dev/null | grep -q "$SUM2  mounted.bin"; do sleep 0.1; done
s=$(since "$t"); echo "mount write ${BIG_MIB} MiB: cp returned in $s1 s, stored after $s s ($(mibs "$s") MiB/s)"
unmount_now

for cache in default "$((BIG_MIB * 5))M"; do
  if [[ "$cache" == default ]]; then mount_it; else mount_it --cache-max-size "$cache"; fi
  for pass in first second; do
    t=$(now)
    got=$(md5sum "$MNT/copyto.bin" | cut -d' ' -f1)
    s=$(since "$t"); echo "mount read  ${BIG_MIB} MiB ($cache cache, $pass read): $s s ($(mibs "$s") MiB/s)"
    [[ "$got" == "$SUM" ]] || { echo "read back wrong bytes" >&2; exit 1; }
  done
  unmount_now
done

echo "generating $FILES files, $PER_FOLDER per folder"
make_small_tree "$WORK/tree" "$FILES" "$PER_FOLDER"
"$BIN" copy --transfers 16 "$WORK/tree" b:m/tree >/dev/null 2>"$WORK/seed.err"
mount_it
for pass in cold warm; do
  t=$(now)
  n=$(ls -lR "$MNT/tree" | grep -c '^-')
  echo "ls -lR $n files ($pass): $(since "$t") s"
done
unmount_now
