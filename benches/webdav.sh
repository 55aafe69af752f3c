#!/usr/bin/env bash
# WebDAV server benchmark: `fjordsync serve webdav` vs `rclone serve webdav`
# (rclone's jottacloud backend), same emulator build, same machine, same run.
# Each server gets its own fresh emulator (no cross-tool dedup) behind
# jotta-net's TLS proxy with 20 ms added latency per request (as
# benches/sync.sh), so both talk to the real Jottacloud host names. The
# client for both is rclone's webdav backend (its defaults: 4 transfers;
# no pause between requests), on 127.0.0.1.
#
#   bash benches/webdav.sh [--small N] [--big-mib M] [--latency-ms N]
#
# Scenarios (defaults: 1,000 files of 1-64 KiB in N/50 folders, 1024 MiB):
#   small in   `rclone copy TREE dav:small`, then the server is stopped
#              (SIGTERM) and the time until it exits is the rest of the
#              upload: fjordsync writes back after close (its --write-back,
#              1 s) and uploads what is pending before it exits; rclone's
#              default (--vfs-cache-mode off) uploads during each PUT.
#              "last upload answered": from the client's start until the
#              end of the last upload request (jotta-net's proxy trace),
#              when the storage holds everything; "server exited": client
#              + stop, which adds the server's clean-up (its staged files
#              removed) and exit.
#   big in     the same for one file of M MiB (`rclone copyto`).
#   small out, big out
#              a fresh server (fjordsync: an empty cache folder, so every
#              byte comes from the storage) and `rclone copy dav:... DIR`.
# After "in" the storage is compared with the source (path, size, MD5 via
# rclone's jottacloud backend); after "out" what came back with `diff -r`
# and `cmp`, so a fast wrong run cannot win. Prints wall seconds, the
# servers' peak RSS (VmHWM, read before the stop) and rclone/fjordsync
# (above 1 = fjordsync faster). Figures only: nothing asserts a time.
#
# WEBDAV_NO_BUILD=1 uses the binary already in $CARGO_TARGET_DIR/release;
# BIN=... another build (e.g. target/debug, to try the script out);
# BEFORE_BIN=... also runs that fjordsync build as a third column (e.g. the
# previous release, to see what a change did).
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=1000 BIG_MIB=1024 LATENCY=20
while [[ $# -gt 0 ]]; do
  case "$1" in
    --small) SMALL="$2"; shift 2 ;;
    --big-mib) BIG_MIB="$2"; shift 2 ;;
    --latency-ms) LATENCY="$2"; shift 2 ;;
    *) echo "unknown option $1 (use --small N, --big-mib M, --latency-ms N)" >&2; exit 2 ;;
  esac
done
JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
source benches/lib.sh
if [[ -z "${WEBDAV_NO_BUILD:-}" && -z "${BIN:-}" ]]; then
  cargo build --release -q -p fjordsync-cli
fi
BIN="$(realpath "${BIN:-${CARGO_TARGET_DIR:-target}/release/fjordsync}")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

make_data "$WORK" "$SMALL" "$BIG_MIB"

# The scenario, run inside jotta-net for one server. $1 = a label,
# $2 = fjordsync|rclone, $3 = the fjordsync binary (for fjordsync).
cat >"$WORK/scenario.sh" <<'EOS'
set -euo pipefail
label="$1" tool="$2" fj="$3" W="$WORK"
out="$W/times-$label.txt"; : >"$out"
cfg="$W/rclone-$label.conf"
"$RCLONE" --config "$cfg" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
"$RCLONE" --config "$cfg" mkdir jt:served
export FJORDSYNC_CONFIG_DIR="$W/cfg-$label" FJORDSYNC_SECRET_STORE=file
if [[ "$tool" == fjordsync ]]; then
  "$fj" remote add b --login-token "$JOTTA_LOGIN_TOKEN" >/dev/null
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export RCLONE_CONFIG_DAV_TYPE=webdav RCLONE_CONFIG_DAV_URL="http://127.0.0.1:$port/" RCLONE_CONFIG_DAV_VENDOR=other
export RCLONE_CONFIG_DAV_USER=bench
RCLONE_CONFIG_DAV_PASS="$("$RCLONE" obscure secret)"
export RCLONE_CONFIG_DAV_PASS
R() { timeout 3000 "$RCLONE" --config /dev/null --webdav-pacer-min-sleep 0 "$@"; }
runs=0
start() { # a server with a fresh cache folder
  runs=$((runs + 1))
  if [[ "$tool" == fjordsync ]]; then
    "$fj" serve webdav b:served --addr "127.0.0.1:$port" --user bench --pass secret \
      --cache-dir "$W/cache-$label-$runs" >"$W/serve-$label-$runs.log" 2>&1 &
  else
    "$RCLONE" --config "$cfg" serve webdav jt:served --addr "127.0.0.1:$port" --user bench --pass secret \
      >"$W/serve-$label-$runs.log" 2>&1 &
  fi
  server=$!
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$label: the server does not listen after 30 s" >&2; cat "$W/serve-$label-$runs.log" >&2; exit 1
}
peak=0
stop() { # name: SIGTERM, the time until the server exits
  local hwm t0 code=0
  hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$server/status")
  ((hwm > peak)) && peak=$hwm
  t0=$EPOCHREALTIME
  kill -TERM "$server"
  wait "$server" || code=$?
  if [[ "$tool" == fjordsync && "$code" != 0 ]]; then
    echo "$label: the server exited $code" >&2; tail -20 "$W/serve-$label-$runs.log" >&2; exit 1
  fi
  echo "$1 $(python3 -c "print(f'{$EPOCHREALTIME - $t0:.2f}')") $hwm" >>"$out"
}
measure() { # name, command... (its start is kept in $began)
  local name="$1" t0; shift
  t0=$EPOCHREALTIME began=$t0
  "$@" >"$W/cmd-$label-$name.out" 2>&1 || { tail -20 "$W/cmd-$label-$name.out" >&2; exit 1; }
  echo "$name $(python3 -c "print(f'{$EPOCHREALTIME - $t0:.2f}')") 0" >>"$out"
}
# stored NAME: when the storage had the last byte, after $began: the end
# of the last upload request jotta-net's proxy saw (its trace: start + ms).
stored() {
  python3 - "$JOTTA_NET_OUT/proxy-trace.jsonl" "$began" "$1" >>"$out" <<'PY'
import json, sys
trace, began, name = sys.argv[1], float(sys.argv[2]), sys.argv[3]
ends = [r["ts"] + r["ms"] / 1000 for r in map(json.loads, open(trace))
        if r["method"] == "POST" and "/files/v1/upload/" in r["target"] and r["ts"] >= began]
print(f"{name} {max(ends) - began:.2f} 0")
PY
}
# stored_equal DIR REMOTE: the storage holds DIR's files (path, size, MD5).
stored_equal() {
  (cd "$1" && find . -type f -printf '%P\n' | sort | xargs -d '\n' md5sum) | sort -k2 >"$W/local.md5"
  "$RCLONE" --config "$cfg" md5sum "jt:served/$2" | sort -k2 >"$W/remote.md5"
  diff -q "$W/local.md5" "$W/remote.md5" >/dev/null || {
    echo "$label: the storage differs from $1:" >&2; diff "$W/local.md5" "$W/remote.md5" | head >&2; exit 1; }
  echo "$label: the storage holds $2 exactly ($(wc -l <"$W/local.md5") files)"
}

start
measure small-in R copy "$W/tree" dav:small
stop small-in-stop
stored small-in-uploaded
stored_equal "$W/tree" small
start
measure big-in R copyto "$W/big/big.bin" dav:big/big.bin
stop big-in-stop
stored big-in-uploaded
stored_equal "$W/big" big
start
measure small-out R copy dav:small "$W/back-$label/small"
measure big-out R copyto dav:big/big.bin "$W/back-$label/big.bin"
stop out-stop
diff -r "$W/tree" "$W/back-$label/small"
cmp "$W/big/big.bin" "$W/back-$label/big.bin"
echo "$label: what came back is what went in"
echo "peak $peak" >>"$out"
rm -rf "$W/back-$label" "$W"/cache-"$label"-*
EOS

run() { # label tool fjordsync-binary
  echo "running $1"
  WORK="$WORK" timeout 7200 bash "$JOTTA_NET" \
    --server "$BIN emulator --port 8089 --latency-ms $LATENCY" --backend http://127.0.0.1:8089 \
    --exec "WORK='$WORK' bash '$WORK/scenario.sh' $1 $2 '$3'" >"$WORK/jn-$1.log" 2>&1 \
    || { tail -30 "$WORK/jn-$1.log" >&2; exit 1; }
  grep -E 'holds|came back' "$WORK/jn-$1.log"
}
labels=(fjordsync rclone)
run fjordsync fjordsync "$BIN"
run rclone rclone ""
if [[ -n "${BEFORE_BIN:-}" ]]; then
  run before fjordsync "$(realpath "$BEFORE_BIN")"
  labels+=(before)
fi

python3 - "$WORK" "$SMALL" "$BIG_MIB" "$LATENCY" "${labels[@]}" <<'PY'
import sys
work, n, big, lat, labels = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def load(label):
    t = {}
    for line in open(f"{work}/times-{label}.txt"):
        k, *v = line.split()
        t[k] = float(v[0])
    t["small-stored"] = t["small-in"] + t["small-in-stop"]
    t["big-stored"] = t["big-in"] + t["big-in-stop"]
    return t
runs = {l: load(l) for l in labels}
rows = {
    "small-in": f"{n} files in: client done",
    "small-in-uploaded": f"{n} files in: last upload answered",
    "small-stored": f"{n} files in: server exited",
    "big-in": f"{big} MiB file in: client done",
    "big-in-uploaded": f"{big} MiB file in: last upload answered",
    "big-stored": f"{big} MiB file in: server exited",
    "small-out": f"{n} files out",
    "big-out": f"{big} MiB file out",
}
extra = " | fjordsync before s | before/fjordsync" if "before" in runs else ""
print(f"\n| scenario ({lat} ms latency) | fjordsync s | rclone s | rclone/fjordsync{extra} |")
print("|---|---:|---:|---:|" + ("---:|---:|" if extra else ""))
ours, theirs = runs["fjordsync"], runs["rclone"]
for k, label in rows.items():
    a, b = ours[k], theirs[k]
    line = f"| {label} | {a:.2f} | {b:.2f} | {b / a if a else float('inf'):.1f}x |"
    if extra:
        c = runs["before"][k]
        line += f" {c:.2f} | {c / a if a else float('inf'):.1f}x |"
    print(line)
print("\nservers' peak RSS (MiB): " + ", ".join(f"{l} {int(runs[l]['peak'])}" for l in labels))
PY
