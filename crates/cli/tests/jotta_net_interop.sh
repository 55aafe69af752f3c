#!/usr/bin/env bash
# fjordsync against the emulator under the REAL Jottacloud host names, over TLS,
# with no --endpoint: jotta-net maps jfs/api/id/www.jottacloud.com to a TLS proxy
# in front of the emulator and trusts its throwaway CA through SSL_CERT_FILE.
# This proves our client follows the URLs the server hands out (production
# endpoints, https), and that names written by rclone and by fjordsync look the
# same in both tools.
#
#   bash crates/cli/tests/jotta_net_interop.sh target/debug/fjordsync
set -euo pipefail
BIN="$(realpath "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
JOTTA_NET="${JOTTA_NET:-$HERE/../../../../shared/tools/jotta-net/jotta-net}"
[[ -f "$JOTTA_NET" ]] || { echo "jotta-net not found at $JOTTA_NET (set JOTTA_NET to its path)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cat >"$WORK/scenario.sh" <<'EOS'
set -euo pipefail
F="$FJORDSYNC"
W="$WORK"
export FJORDSYNC_CONFIG_DIR="$W/cfg" FJORDSYNC_SECRET_STORE=file
check() { grep -qF -- "$2" <<<"$1" || { printf 'FAILED: expected %q in:\n%s\n' "$2" "$1" >&2; exit 1; }; }

echo "--- fjordsync signs in with production endpoints (https, real host names)"
"$F" remote add prod --login-token "$JOTTA_LOGIN_TOKEN"
check "$("$F" about prod:)" "Locks:     none"

echo "--- both tools write names the service cannot store as-is"
printf 'from fjordsync\n' >"$W/one.txt"
printf 'from rclone\n' >"$W/two.txt"
"$F" copyto "$W/one.txt" 'prod:interop/what? a:b*.txt'
cfg="$W/rclone.conf"
"$RCLONE" --config "$cfg" config create jt jottacloud config_type=standard config_login_token="$JOTTA_LOGIN_TOKEN" >/dev/null
"$RCLONE" --config "$cfg" copyto "$W/two.txt" 'jt:interop/pipe|quote".txt'

echo "--- each tool sees the other's file under the same name"
ours="$("$F" ls prod:interop)"
check "$ours" 'what? a:b*.txt'
check "$ours" 'pipe|quote".txt'
theirs="$("$RCLONE" --config "$cfg" ls jt:interop)"
check "$theirs" 'what? a:b*.txt'
check "$theirs" 'pipe|quote".txt'
check "$("$F" cat 'prod:interop/pipe|quote".txt')" "from rclone"
check "$("$RCLONE" --config "$cfg" cat 'jt:interop/what? a:b*.txt')" "from fjordsync"
check "$("$F" md5sum prod:interop)" "$(md5sum <"$W/two.txt" | cut -d' ' -f1)"

echo "--- download, link, trash through the proxy"
"$F" copyto 'prod:interop/pipe|quote".txt' "$W/back.txt"
cmp "$W/two.txt" "$W/back.txt"
check "$("$F" link 'prod:interop/what? a:b*.txt')" "https://www.jottacloud.com/opin/io/downloadPublic/"
"$F" delete 'prod:interop/what? a:b*.txt'
check "$("$F" trash list prod:)" 'interop/what? a:b*.txt'
"$F" trash restore 'prod:interop/what? a:b*.txt'
check "$("$RCLONE" --config "$cfg" ls jt:interop)" 'what? a:b*.txt'
echo "jotta-net interop: OK"
EOS

export FJORDSYNC="$BIN" WORK
timeout 600 bash "$JOTTA_NET" --server "$BIN emulator --port 8089" --backend http://127.0.0.1:8089 \
  --exec "FJORDSYNC='$BIN' WORK='$WORK' bash '$WORK/scenario.sh'"
