#!/usr/bin/env bash
# The desktop app at rest: CPU and memory of the real window (with the demo
# storage running in-process and the scheduler ticking), summed over the app
# and its WebKit helper processes.
#
#   xvfb-run -a -s "-screen 0 1280x800x24" bash benches/app-idle.sh target/debug/fjordsync-app [SECONDS]
#
# Build with the UI embedded first:
#   cargo build -p fjordsync-app --features tauri/custom-protocol   (or --release)
# It waits 20 s for start-up to settle, then samples CPU time over SECONDS
# (default 60). Figures only; nothing asserts them.
set -euo pipefail
APP="$(realpath "$1")"
SECS="${2:-60}"
d="$(mktemp -d)"
trap 'kill "$APID" 2>/dev/null || true; rm -rf "$d"' EXIT
export HOME="$d" FJORDSYNC_CONFIG_DIR="$d/config" FJORDSYNC_DATA_DIR="$d/data" FJORDSYNC_SECRET_STORE=file
"$APP" >"$d/app.log" 2>&1 &
APID=$!

# The app and every process below it (WebKit's web and network processes).
tree() {
  local all=("$APID") frontier=("$APID") next
  for _ in 1 2 3 4; do
    next=()
    for p in "${frontier[@]}"; do
      mapfile -t kids < <(pgrep -P "$p" || true)
      next+=("${kids[@]}")
    done
    [[ ${#next[@]} -eq 0 ]] && break
    all+=("${next[@]}")
    frontier=("${next[@]}")
  done
  echo "${all[@]}"
}
# utime + stime in clock ticks, summed.
ticks() {
  local t=0
  for p in $(tree); do
    [[ -r /proc/$p/stat ]] || continue
    read -r -a f < <(sed 's/^.*) //' "/proc/$p/stat")
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}
# Proportional set size: shared libraries counted once across the processes.
pss_kib() {
  local t=0
  for p in $(tree); do
    t=$((t + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

sleep 20
kill -0 "$APID" || { echo "the app exited:"; cat "$d/app.log"; exit 1; }
hz="$(getconf CLK_TCK)"
t0="$(ticks)"
sleep "$SECS"
t1="$(ticks)"
n="$(tree | wc -w)"
awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" -v pss="$(pss_kib)" -v n="$n" 'BEGIN {
  printf "idle over %d s: CPU %.2f %% of one core, memory (PSS) %.0f MiB (%d processes: app + WebKit)\n", s, (b - a) / hz / s * 100, pss / 1024, n
}'
