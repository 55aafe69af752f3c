# Shared by the benchmarks that compare us with rclone and restic (sourced).

# parse_args ARGS...: --files N, --big-mib N, --latency-ms N into FILES,
# BIG_MIB and LATENCY (the caller sets the defaults); JOTTA_NET's path.
parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --files) FILES="$2"; shift 2 ;;
      --big-mib) BIG_MIB="$2"; shift 2 ;;
      --latency-ms) LATENCY="$2"; shift 2 ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
  JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
}

# make_data DIR FILES BIG_MIB: DIR/tree with FILES files of 1-64 KiB in
# FILES/50 folders (fixed seed) and DIR/big/big.bin of BIG_MIB random MiB;
# DIR/lib.sh is this file, for the scenario scripts to source.
make_data() {
  echo "generating $2 files and a $3 MiB file in $1"
  cp "${BASH_SOURCE[0]}" "$1/lib.sh"
  python3 - "$1/tree" "$2" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
folders = max(1, n // 50)
for i in range(n):
    d = os.path.join(root, f"dir{i % folders:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"file{i:05d}.bin"), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(1024, 64 * 1024)))
PY
  mkdir -p "$1/big"
  head -c "$(($3 * 1024 * 1024))" /dev/urandom >"$1/big/big.bin"
}

# touch_one_percent TREE: appends to every 100th file (in sorted order).
touch_one_percent() {
  python3 - "$1" <<'PY'
import os, sys
root = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in files[::100]:
    with open(p, "ab") as f:
        f.write(b"changed")
PY
}

# start_emulator EMU WORK [ARGS...]: starts the emulator binary EMU on a free
# loopback port with its state in WORK/emu (ARGS go to it too) and sets
# PORT, EMU_PID (for the caller's clean-up) and TOKEN (the personal login
# token it prints).
start_emulator() {
  local emu="$1" work="$2"; shift 2
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$emu" --port "$PORT" --state-dir "$work/emu" "$@" >"$work/emu.log" 2>&1 &
  EMU_PID=$!
  for _ in $(seq 100); do
    grep -q -A1 'Personal login token' "$work/emu.log" 2>/dev/null && break
    sleep 0.1
  done
  TOKEN=$(grep -A1 'Personal login token' "$work/emu.log" | tail -1)
  [[ -n "$TOKEN" ]] || { cat "$work/emu.log" >&2; exit 1; }
}

# run_scenario TOOL: runs WORK/scenario.sh for TOOL (fjordsync|rclone) inside
# jotta-net, against a fresh emulator (BIN's) with LATENCY ms per request;
# its output in WORK/jn-TOOL.log, the last lines shown when it fails.
run_scenario() {
  local tool="$1"
  echo "running $tool"
  FJORDSYNC="$BIN" WORK="$WORK" timeout 3600 bash "$JOTTA_NET" \
    --server "$BIN emulator --port 8089 --latency-ms $LATENCY" --backend http://127.0.0.1:8089 \
    --exec "FJORDSYNC='$BIN' WORK='$WORK' bash '$WORK/scenario.sh' $tool" >"$WORK/jn-$tool.log" 2>&1 \
    || { tail -30 "$WORK/jn-$tool.log" >&2; exit 1; }
}

# make_small_tree DIR FILES PER_FOLDER: FILES tiny files (their number as
# text) in folders of PER_FOLDER, 100 folders per top folder: many entries,
# few bytes, for the scale and watch benchmarks.
make_small_tree() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, sys
root, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    d = os.path.join(root, f"d{i // (per * 100):03d}", f"dir{(i // per) % 100:02d}")
    if i % per == 0:
        os.makedirs(d, exist_ok=True)
    fd = os.open(os.path.join(d, f"file{i:07d}.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, b"%d\n" % i)
    os.close(fd)
PY
}
