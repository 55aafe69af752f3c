#!/usr/bin/env bash
# Two-way sync benchmark: `fjordsync bisync` vs real `rclone bisync`, same
# emulator build, same machine, same run. Each tool gets its own fresh emulator
# behind jotta-net's TLS proxy with 20 ms added latency per request (as
# benches/sync.sh).
#
#   bash benches/bisync.sh [--files N] [--latency-ms N]
#
# Scenarios:
#   1. first run: N files of 1-64 KiB in N/50 folders here, nothing on the
#      storage (rclone needs --resync; ours is a merge)
#   2. no-op run
#   3. a run after 1 % of the files changed here and another 1 % on the
#      storage (put there untimed with the tool's own `copy`)
#   4. a run after one local folder (~50 files) was renamed; also what each
#      tool says it transferred for it
# After every scenario both sides are compared (path, size, MD5; the storage
# through `rclone md5sum`, which reads the hashes Jottacloud keeps), so a fast
# wrong run cannot win. Prints wall seconds, peak RSS and the rclone/fjordsync
# ratio (above 1 = fjordsync faster). Figures only: nothing asserts a time.
# BISYNC_NO_BUILD=1 uses the binary already in $CARGO_TARGET_DIR/release;
# BIN=... another build (e.g. target/debug, to try the script out);
# BISYNC_KEEP_LOGS=DIR keeps each tool's output of every run there.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=10000 BIG_MIB=0 LATENCY=20
source benches/lib.sh
parse_args "$@"
if [[ -z "${BISYNC_NO_BUILD:-}" && -z "${BIN:-}" ]]; then
  cargo build --release -q -p fjordsync-cli
fi
BIN="${BIN:-$(realpath "${CARGO_TARGET_DIR:-target}")/release/fjordsync}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

make_data "$WORK" "$FILES" 0
rm -rf "$WORK/big"

# The scenario, run inside jotta-net for one tool. $1 = fjordsync|rclone.
cat >"$WORK/scenario.sh" <<'EOS'
set -euo pipefail
tool="$1"; W="$WORK"; out="$W/times-$tool.txt"; : >"$out"
tree="$W/tree-$tool"; rm -rf "$tree"; cp -r "$W/tree" "$tree"
source "$W/lib.sh"
cfg="$W/rclone-$tool.conf"
"$RCLONE" --config "$cfg" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
if [[ "$tool" == fjordsync ]]; then
  export FJORDSYNC_CONFIG_DIR="$W/cfg" FJORDSYNC_SECRET_STORE=file
  "$FJORDSYNC" remote add b --login-token "$JOTTA_LOGIN_TOKEN" >/dev/null
  bisync=("$FJORDSYNC" bisync "$tree" b:tree)
  first=("${bisync[@]}")
  put() { "$FJORDSYNC" copy "$1" b:tree; }
else
  "$RCLONE" --config "$cfg" mkdir jt:tree
  bisync=("$RCLONE" --config "$cfg" bisync "$tree" jt:tree --workdir "$W/bisync-wd" -v)
  first=("${bisync[@]}" --resync)
  put() { "$RCLONE" --config "$cfg" copy "$1" jt:tree; }
fi
measure() { # name, command...
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$W/t.txt" "$@" >"$W/cmd-$tool-$name.out" 2>&1 || { cat "$W/cmd-$tool-$name.out" >&2; exit 1; }
  echo "$name $(cat "$W/t.txt")" >>"$out"
  same_sides "$name"
}
# same_sides NAME: the local tree and the storage hold the same paths, sizes and MD5s.
same_sides() {
  (cd "$tree" && find . -type f -printf '%P\n' | sort | xargs -d '\n' md5sum) | sort -k2 >"$W/local.md5"
  "$RCLONE" --config "$cfg" md5sum jt:tree | sort -k2 >"$W/remote.md5"
  if ! diff -q "$W/local.md5" "$W/remote.md5" >/dev/null; then
    echo "$tool, after $1: the two sides differ:" >&2
    diff "$W/local.md5" "$W/remote.md5" | head -20 >&2
    exit 1
  fi
  echo "$1: both sides equal ($(wc -l <"$W/local.md5") files)"
}

measure first "${first[@]}"
measure noop "${bisync[@]}"
# 1 % here (every 100th file) and another 1 % on the storage (every 100th,
# from the 50th), put there through a staging tree.
touch_one_percent "$tree"
python3 - "$W/tree" "$W/stage-$tool" <<'PY'
import os, shutil, sys
root, stage = sys.argv[1], sys.argv[2]
files = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
for rel in files[50::100]:
    os.makedirs(os.path.dirname(os.path.join(stage, rel)), exist_ok=True)
    shutil.copyfile(os.path.join(root, rel), os.path.join(stage, rel))
    with open(os.path.join(stage, rel), "ab") as f:
        f.write(b"changed on the storage")
PY
put "$W/stage-$tool" >/dev/null 2>&1
measure changed "${bisync[@]}"
# The storage's changes must have come here.
(cd "$W/stage-$tool" && find . -type f -printf '%P\n' | while read -r f; do cmp -s "$f" "$tree/$f" || { echo "$tool: $f did not come down" >&2; exit 1; }; done)
mv "$tree/dir000" "$tree/dir000-renamed"
measure rename "${bisync[@]}"
echo "renamed-files $(ls "$tree/dir000-renamed" | wc -l)" >>"$W/renamed-$tool.txt"
EOS

for tool in fjordsync rclone; do
  run_scenario "$tool"
  grep 'both sides equal' "$WORK/jn-$tool.log"
done

# What each tool says it did in every run (rclone's log without its colours).
echo
for name in first noop changed rename; do
  echo "$name:"
  echo "  fjordsync: $(grep '^run ' "$WORK/cmd-fjordsync-$name.out" || true)"
  sed 's/\x1b\[[0-9;]*m//g' "$WORK/cmd-rclone-$name.out" >"$WORK/rclone-$name.txt"
  # Its last stats block only (a long run also prints one every minute).
  echo "  rclone: $(grep -E '^(Transferred|Deleted|Renamed|Server Side)' "$WORK/rclone-$name.txt" | tr -s ' \t' ' ' \
    | awk '/B\/s/ { buf = "" } { buf = buf (buf ? "; " : "") $0 } END { print buf }')"
done
echo "  rclone's rename run: $(grep -c 'Copied' "$WORK/rclone-rename.txt" || true) files copied," \
  "$(grep -c -E ': Deleted' "$WORK/rclone-rename.txt" || true) deleted, $(grep -c -E ': Moved' "$WORK/rclone-rename.txt" || true) moved"
if [[ -n "${BISYNC_KEEP_LOGS:-}" ]]; then
  mkdir -p "$BISYNC_KEEP_LOGS" && cp "$WORK"/cmd-*.out "$BISYNC_KEEP_LOGS"/
fi

python3 - "$WORK/times-fjordsync.txt" "$WORK/times-rclone.txt" "$FILES" "$LATENCY" <<'PY'
import sys
def load(p):
    return {l.split()[0]: (float(l.split()[1]), int(l.split()[2]) // 1024) for l in open(p)}
ours, theirs = load(sys.argv[1]), load(sys.argv[2])
n, lat = sys.argv[3], sys.argv[4]
moved = open(sys.argv[1].replace("times-", "renamed-")).read().split()[1]
names = {
    "first": f"first run, {n} files here, storage empty",
    "noop": "no-op run",
    "changed": "run after 1 % changed here and 1 % on the storage",
    "rename": f"run after a local folder rename ({moved} files)",
}
print(f"\n| scenario ({lat} ms latency) | fjordsync s | peak MiB | rclone s | peak MiB | rclone/fjordsync |")
print("|---|---:|---:|---:|---:|---:|")
for k, label in names.items():
    (a, am), (b, bm) = ours[k], theirs[k]
    print(f"| {label} | {a:.2f} | {am} | {b:.2f} | {bm} | {b / a if a else float('inf'):.1f}x |")
PY
