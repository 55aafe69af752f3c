#!/usr/bin/env bash
# rclone_interop.sh EMULATOR_BINARY [PORT]
#
# Runs a real rclone (v1.75.x) scenario against the emulator through
# /work/shared/tools/jotta-net (TLS for the real Jottacloud host names in a
# private network namespace) and checks every result. Exits non-zero on any
# mismatch. Every command is bounded by `timeout`.
set -euo pipefail

BIN="$(realpath "${1:?usage: rclone_interop.sh EMULATOR_BINARY [PORT]}")"
PORT="${2:-8089}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JOTTA_NET="${JOTTA_NET:-$HERE/../../../../shared/tools/jotta-net/jotta-net}"
[[ -x "$JOTTA_NET" ]] || JOTTA_NET=/work/shared/tools/jotta-net/jotta-net

SCEN="$(mktemp /tmp/rclone-scenario.XXXXXX.sh)"
trap 'rm -f "$SCEN"' EXIT
cat > "$SCEN" <<'SCENARIO'
set -euo pipefail
: "${RCLONE:?rclone not found}"
PORT="$1"
cfg="$(mktemp)"
work="$(mktemp -d)"
R() { timeout 120 "$RCLONE" --config "$cfg" --retries 1 --low-level-retries 3 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "--- $*"; }

step "config create (standard flow, personal login token)"
R config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
grep -q '^tokenURL = https://id.jottacloud.com/' "$cfg" || fail "tokenURL not https on the identity host"

step "test data"
mkdir -p "$work/src/sub/deep" "$work/src/emptydir"
echo hello > "$work/src/a+b c#d%e.txt"
printf 'unicode content\n' > "$work/src/sub/emoji 🎉 ✓ æøå.txt"
echo colon > "$work/src/sub/we:ird*na?me<x>.txt"
echo quote > "$work/src/sub/apos'trophe & semi;colon.txt"
head -c 12345678 /dev/urandom > "$work/src/sub/deep/big.bin"
: > "$work/src/empty.txt"

step "lsd on an empty root"
R lsd jt: >/dev/null

step "mkdir + copy tree"
R mkdir jt:t
R copy --create-empty-src-dirs "$work/src" jt:t/src
R lsd jt:t/src | grep -q ' sub$' || fail "lsd does not show sub"
R lsd jt:t/src | grep -q ' emptydir$' || fail "lsd does not show emptydir"

step "ls (liststream) matches local sizes and names"
(cd "$work/src" && find . -type f -printf '%s %P\n' | sort) > "$work/want.txt"
R ls jt:t/src | sed 's/^ *//' | sort > "$work/got.txt"
diff "$work/want.txt" "$work/got.txt" || fail "ls differs"

step "check (md5 + size)"
R check "$work/src" jt:t/src

step "cat"
[[ "$(R cat 'jt:t/src/a+b c#d%e.txt')" == hello ]] || fail "cat returned wrong content"

step "copy back and compare"
R copy jt:t/src "$work/back"
diff -r "$work/src/sub" "$work/back/sub" || fail "round trip differs"
cmp "$work/src/a+b c#d%e.txt" "$work/back/a+b c#d%e.txt"

step "ranged read"
[[ "$(R cat --offset 1 --count 3 'jt:t/src/a+b c#d%e.txt')" == ell ]] || fail "ranged cat"

step "copyto (server-side copy)"
R copyto 'jt:t/src/a+b c#d%e.txt' jt:t/copy.txt
[[ "$(R cat jt:t/copy.txt)" == hello ]] || fail "copyto content"

step "moveto (server-side move)"
R moveto jt:t/copy.txt jt:t/moved.txt
R lsf jt:t | grep -qx moved.txt || fail "moved.txt missing"
if R lsf jt:t | grep -qx copy.txt; then fail "copy.txt still there"; fi

step "move directory (server-side dirmove)"
R moveto jt:t/src/sub jt:t/subm
R lsf -R jt:t/subm | grep -qx 'deep/big.bin' || fail "dirmove lost deep/big.bin"
if R lsf jt:t/src | grep -qx 'sub/'; then fail "sub still in src"; fi

step "modtime update (cphash)"
touch -d '2001-02-03 04:05:06' "$work/src/a+b c#d%e.txt"
R sync "$work/src" jt:t/src --exclude 'sub/**'
R lsl 'jt:t/src/a+b c#d%e.txt' | grep -q '2001-02-03 04:05:06' || fail "modtime not updated"

step "public link"
link="$(R link jt:t/moved.txt)"
[[ "$link" == https://www.jottacloud.com/opin/io/downloadPublic/* ]] || fail "unexpected link $link"
[[ "$(timeout 30 curl -fsS --cacert "$SSL_CERT_FILE" "$link")" == hello ]] || fail "public link content"

step "token refresh (lifetime 5 s)"
before="$(grep '^token' "$cfg")"
sleep 6
R lsf jt:t >/dev/null
after="$(grep '^token' "$cfg")"
[[ "$before" != "$after" ]] || fail "token was not refreshed"
sleep 6
R lsf jt:t >/dev/null

step "delete to trash, then cleanup"
R delete jt:t/moved.txt
if R lsf jt:t | grep -qx moved.txt; then fail "deleted file still listed"; fi
R purge jt:t/subm
R cleanup jt:
R lsf -R jt:t > "$work/final.txt"
grep -qx 'src/a+b c#d%e.txt' "$work/final.txt" || fail "src file lost"
if grep -q subm "$work/final.txt"; then fail "purged dir still listed"; fi

step "about"
R about jt: | grep -q Used || fail "about"

step "stats"
stats="$(timeout 10 curl -fsS "http://127.0.0.1:$PORT/emulator/stats")"
echo "$stats"
echo "$stats" | grep -q '"refresh_ok":[1-9]' || fail "no successful refresh in stats"
echo "$stats" | grep -q '"reuse_detections":0' || fail "unexpected reuse detection"
echo "ALL RCLONE CHECKS PASSED"
SCENARIO

exec timeout 900 "$JOTTA_NET" \
  --server "'$BIN' --port $PORT --token-lifetime 5" \
  --backend "http://127.0.0.1:$PORT" \
  --exec "bash '$SCEN' $PORT"
