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
BROWSER="$(mktemp /tmp/rclone-browser.XXXXXX.py)"
trap 'rm -f "$SCEN" "$BROWSER"' EXIT

# A minimal "browser" for the traditional (authorization-code) flow: follow
# rclone's local /auth redirect, fill in the emulator's HTML login form, and
# deliver the code back to rclone's local server.
cat > "$BROWSER" <<'PY'
import html, os, re, ssl, sys, urllib.error, urllib.parse, urllib.request

link, user, password = sys.argv[1:4]

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

ctx = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=ctx))

def call(url, data=None):
    try:
        r = opener.open(url, data=data, timeout=30)
        return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()

s, h, _ = call(link)
assert s in (301, 302, 303, 307), f"rclone /auth answered {s}"
auth = h["Location"]
s, h, page = call(auth)
assert s == 200, f"login page answered {s}"
fields = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}
action = urllib.parse.urljoin(auth, html.unescape(re.search(r'action="([^"]+)"', page).group(1)))
fields.update(username=user, password=password)
s, h, _ = call(action, urllib.parse.urlencode(fields).encode())
assert s == 302, f"login POST answered {s}"
s, _, _ = call(h["Location"])
assert s == 200, f"rclone callback answered {s}"
PY
cat > "$SCEN" <<'SCENARIO'
set -euo pipefail
: "${RCLONE:?rclone not found}"
PORT="$1"
BROWSER="$2"
PASSWORD=demo-pass
EMAIL=demo@fjordsync.test
cfg="$(mktemp)"
work="$(mktemp -d)"
R() { timeout 120 "$RCLONE" --config "$cfg" --retries 1 --low-level-retries 3 "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# Like `grep -q`, but reads all input: with pipefail, `grep -q` exiting early
# would kill the writer with SIGPIPE and fail the pipeline spuriously.
match() { grep "$@" >/dev/null; }
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
R lsd jt:t/src | match ' sub$' || fail "lsd does not show sub"
R lsd jt:t/src | match ' emptydir$' || fail "lsd does not show emptydir"

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
R lsf jt:t | match -x moved.txt || fail "moved.txt missing"
if R lsf jt:t | match -x copy.txt; then fail "copy.txt still there"; fi

step "move directory (server-side dirmove)"
R moveto jt:t/src/sub jt:t/subm
R lsf -R jt:t/subm | match -x 'deep/big.bin' || fail "dirmove lost deep/big.bin"
if R lsf jt:t/src | match -x 'sub/'; then fail "sub still in src"; fi

step "modtime update (cphash)"
touch -d '2001-02-03 04:05:06' "$work/src/a+b c#d%e.txt"
R sync "$work/src" jt:t/src --exclude 'sub/**'
R lsl 'jt:t/src/a+b c#d%e.txt' | match '2001-02-03 04:05:06' || fail "modtime not updated"

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
if R lsf jt:t | match -x moved.txt; then fail "deleted file still listed"; fi
R purge jt:t/subm
R cleanup jt:
R lsf -R jt:t > "$work/final.txt"
grep -qx 'src/a+b c#d%e.txt' "$work/final.txt" || fail "src file lost"
if grep -q subm "$work/final.txt"; then fail "purged dir still listed"; fi

step "resumed upload after a connection reset mid-body"
ctl() { timeout 10 curl -fsS -X POST -d "$1" "http://127.0.0.1:$PORT/emulator/control" >/dev/null; }
stat_of() { timeout 10 curl -fsS "http://127.0.0.1:$PORT/emulator/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
head -c 30000000 /dev/urandom > "$work/r30.bin"
up_before="$(stat_of bytes_uploaded)"
ctl '{"reset_rate":1.0}'
if timeout 120 "$RCLONE" --config "$cfg" --retries 1 --low-level-retries 1 copy "$work/r30.bin" jt:t/res 2>/dev/null; then
  fail "upload should have been cut"
fi
ctl '{"reset_rate":0.0}'
R copy "$work/r30.bin" jt:t/res
up_after="$(stat_of bytes_uploaded)"
(( up_after - up_before == 30000000 )) || fail "resume re-sent bytes: $((up_after - up_before)) uploaded for 30000000"
[[ "$(R md5sum jt:t/res/r30.bin | cut -d' ' -f1)" == "$(md5sum < "$work/r30.bin" | cut -d' ' -f1)" ]] || fail "resumed content differs"

step "md5sum, lsjson, fast-list, rmdir, sync with deletes"
R md5sum jt:t/src | match "$(md5sum < "$work/src/a+b c#d%e.txt" | cut -d' ' -f1)  a+b c#d%e.txt" || fail "md5sum"
R lsjson -R jt:t/src | match '"Path":"emptydir"' || fail "lsjson"
R lsf -R --fast-list jt:t/src | match -x 'emptydir/' || fail "fast-list"
R rmdir jt:t/src/emptydir
if R lsf jt:t/src | match -x 'emptydir/'; then fail "rmdir"; fi
mkdir -p "$work/sync"; echo one > "$work/sync/one.txt"; echo two > "$work/sync/two.txt"
R sync "$work/sync" jt:t/sync
rm "$work/sync/two.txt"; echo uno > "$work/sync/one.txt"; touch -d "2020-01-01 00:00:00" "$work/sync/one.txt"
R sync "$work/sync" jt:t/sync
[[ "$(R lsf jt:t/sync)" == one.txt ]] || fail "sync deletes"
[[ "$(R cat jt:t/sync/one.txt)" == uno ]] || fail "sync overwrite"

step "traditional flow (browser login form, PKCE-less code exchange) on two realms"
for service in jottacloud letsgo; do
  tcfg="$(mktemp)"; tlog="$(mktemp)"
  timeout 60 "$RCLONE" --config "$tcfg" config create tr jottacloud config_type=traditional \
      config_traditional="$service" >"$tlog" 2>&1 &
  rpid=$!
  link=""
  for _ in $(seq 1 100); do
    link="$(grep -o 'http://127.0.0.1:53682/auth?state=[A-Za-z0-9_-]*' "$tlog" | head -1 || true)"
    [[ -n "$link" ]] && break
    sleep 0.2
  done
  [[ -n "$link" ]] || { cat "$tlog"; fail "rclone printed no auth link ($service)"; }
  timeout 60 python3 "$BROWSER" "$link" "$EMAIL" "$PASSWORD" || fail "browser login ($service)"
  wait "$rpid" || { cat "$tlog"; fail "traditional config create ($service)"; }
  timeout 60 "$RCLONE" --config "$tcfg" lsf tr:t | match -x 'src/' || fail "traditional remote cannot list ($service)"
done
grep -q '^client_id = desktop-win$' "$tcfg" || fail "letsgo should use desktop-win"

step "legacy flow with SMS 2FA and machine-specific client"
lcfg="$(mktemp)"
timeout 60 "$RCLONE" --config "$lcfg" config create lg jottacloud config_type=legacy config_machine_specific=true \
    config_username="$EMAIL" config_password="$("$RCLONE" obscure "$PASSWORD")" config_auth_code=123-456 >/dev/null
timeout 60 "$RCLONE" --config "$lcfg" lsf lg:t | match -x 'src/' || fail "legacy remote cannot list"
sleep 6
timeout 60 "$RCLONE" --config "$lcfg" lsf lg:t | match -x 'src/' || fail "legacy refresh"

step "about"
R about jt: | match Used || fail "about"

step "stats"
stats="$(timeout 10 curl -fsS "http://127.0.0.1:$PORT/emulator/stats")"
echo "$stats"
echo "$stats" | match '"refresh_ok":[1-9]' || fail "no successful refresh in stats"
echo "$stats" | match '"reuse_detections":0' || fail "unexpected reuse detection"
echo "$stats" | match '"authorization_code":2' || fail "expected two code grants"
echo "$stats" | match '"legacy_password":1' || fail "expected one legacy login"
echo "$stats" | match '"legacy_refresh":[1-9]' || fail "expected legacy refreshes"
echo "ALL RCLONE CHECKS PASSED"
SCENARIO

exec timeout 900 "$JOTTA_NET" \
  --server "'$BIN' --port $PORT --token-lifetime 5 --password demo-pass --require-2fa 123456" \
  --backend "http://127.0.0.1:$PORT" \
  --extra-host letsgo.jotta.cloud \
  --exec "bash '$SCEN' $PORT '$BROWSER'"
