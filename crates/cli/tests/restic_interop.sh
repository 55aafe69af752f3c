#!/usr/bin/env bash
# restic_interop.sh FJORDSYNC_BINARY
#
# Real restic (Debian's package, 0.14 or newer: repository format 2) against
# repositories in local folders:
#   1. fjordsync writes a repository; restic checks every byte of it
#      (`check --read-data`), lists it, and restores identical files.
#   2. restic writes a repository; fjordsync lists, checks and restores it.
#   3. Through the emulator on the real host names (../shared/tools/jotta-net):
#      fjordsync backs up into a folder on a remote; restic reads that
#      repository through rclone's Jottacloud backend (`-r rclone:jt:PATH`):
#      snapshots, check --read-data, restore.
# Exits non-zero on any mismatch. Every command is bounded by `timeout`.
set -euo pipefail

BIN="$(realpath "${1:?usage: restic_interop.sh FJORDSYNC_BINARY}")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JOTTA_NET="${JOTTA_NET:-$HERE/../../../../shared/tools/jotta-net/jotta-net}"
command -v restic >/dev/null || { echo "restic is not installed (scripts/setup.sh installs it)" >&2; exit 1; }

work="$(mktemp -d /tmp/restic-interop.XXXXXX)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }
F() { timeout 300 "$BIN" --config-dir "$work/config" backup --no-cache "$@"; }
RESTIC() { timeout 300 restic --no-cache "$@"; }
unset RESTIC_REPOSITORY RESTIC_PASSWORD_FILE
export RESTIC_PASSWORD="interop secret"
export FJORDSYNC_SECRET_STORE=file

step "test data: unicode names, empty file, empty folder, a larger file"
src="$work/src"
mkdir -p "$src/sub/deep" "$src/emptydir/inner" "$src/unicode 🎉"
echo hello > "$src/a+b c#d%e.txt"
printf 'norsk æøå\n' > "$src/unicode 🎉/æøå.txt"
: > "$src/sub/empty.txt"
head -c 3000000 /dev/urandom > "$src/sub/deep/random.bin"
touch -d '2021-02-03 04:05:06' "$src/a+b c#d%e.txt"

step "fjordsync init + backup into a local folder"
ours="$work/ours"
F --repo "$ours" init >/dev/null
F --repo "$ours" run "$src" --tag interop >/dev/null
echo changed > "$src/sub/changed.txt"
F --repo "$ours" run "$src" >/dev/null

step "restic reads our repository: snapshots, check --read-data, restore"
n="$(RESTIC -r "$ours" snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
[[ "$n" == 2 ]] || fail "restic sees $n snapshots, expected 2"
RESTIC -r "$ours" check --read-data >"$work/check.log" 2>&1 || { cat "$work/check.log"; fail "restic check"; }
RESTIC -r "$ours" restore latest --target "$work/by-restic" >/dev/null
diff -r "$src" "$work/by-restic$src" || fail "restic's restore differs from the source"
[[ -d "$work/by-restic$src/emptydir/inner" ]] || fail "empty folder missing in restic's restore"
[[ "$(stat -c %Y "$work/by-restic$src/a+b c#d%e.txt")" == "$(stat -c %Y "$src/a+b c#d%e.txt")" ]] \
  || fail "restic restored another mtime"

step "restic writes a repository; fjordsync reads it"
theirs="$work/theirs"
RESTIC -r "$theirs" init >/dev/null
RESTIC -r "$theirs" backup "$src" --tag from-restic >/dev/null
echo again > "$src/sub/changed.txt"
RESTIC -r "$theirs" backup "$src" >/dev/null
F --repo "$theirs" snapshots --json >"$work/snaps.json"
python3 - "$work/snaps.json" <<'PY' || fail "fjordsync's view of restic's snapshots"
import json, sys
snaps = json.load(open(sys.argv[1]))
assert len(snaps) == 2, snaps
assert snaps[0]["tags"] == ["from-restic"], snaps[0]
PY
F --repo "$theirs" check --read-data >/dev/null || fail "fjordsync check of restic's repository"
F --repo "$theirs" restore latest --target "$work/by-us" >/dev/null
diff -r "$src" "$work/by-us$src" || fail "our restore of restic's repository differs"
[[ "$(stat -c %Y "$work/by-us$src/a+b c#d%e.txt")" == "$(stat -c %Y "$src/a+b c#d%e.txt")" ]] \
  || fail "our restore of restic's repository has another mtime"

step "fjordsync backs up into restic's repository; restic still checks it"
echo third > "$src/third.txt"
F --repo "$theirs" run "$src" >"$work/run3.txt"
grep -q "Files: 1 new, 0 changed" "$work/run3.txt" || { cat "$work/run3.txt"; fail "incremental run on restic's parent"; }
RESTIC -r "$theirs" check --read-data >"$work/check2.log" 2>&1 || { cat "$work/check2.log"; fail "restic check after our backup"; }

step "through the emulator: fjordsync writes a remote repository, restic reads it with rclone"
[[ -f "$JOTTA_NET" ]] || fail "jotta-net not found at $JOTTA_NET (set JOTTA_NET to its path)"
cat >"$work/remote.sh" <<'EOS'
set -euo pipefail
: "${RCLONE:?rclone not found}"
fail() { echo "FAIL: $*" >&2; exit 1; }
export FJORDSYNC_CONFIG_DIR="$WORK/cfg" FJORDSYNC_SECRET_STORE=file RCLONE_CONFIG="$WORK/rclone.conf"
F() { timeout 300 "$FJORDSYNC" backup --cache-dir "$WORK/cache" "$@"; }
"$FJORDSYNC" remote add prod --login-token "$JOTTA_LOGIN_TOKEN" >/dev/null
F --repo prod:backups/interop init --pack-size 1 >/dev/null
F --repo prod:backups/interop run "$SRC" --tag remote >/dev/null
timeout 120 "$RCLONE" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
R() { timeout 300 restic --no-cache -o rclone.program="$RCLONE" -r rclone:jt:backups/interop "$@"; }
n="$(R snapshots --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
[[ "$n" == 1 ]] || fail "restic (rclone backend) sees $n snapshots, expected 1"
R check --read-data >"$WORK/check3.log" 2>&1 || { cat "$WORK/check3.log"; fail "restic check over rclone"; }
R restore latest --target "$WORK/by-restic-remote" >/dev/null
diff -r "$SRC" "$WORK/by-restic-remote$SRC" || fail "restic's restore of our remote repository differs"
EOS
timeout 900 bash "$JOTTA_NET" --server "$BIN emulator --port 8090" --backend http://127.0.0.1:8090 \
  --exec "FJORDSYNC='$BIN' WORK='$work' SRC='$src' bash '$work/remote.sh'" \
  || fail "remote repository through rclone"

echo "restic interop: all checks passed"
