#!/usr/bin/env bash
# webdav_litmus.sh FJORDSYNC_BINARY
#
# `fjordsync serve webdav` on the emulator (127.0.0.1 only), checked by real
# clients:
#   1. litmus (Debian's package, 0.13) with the groups http, basic,
#      copymove, props and locks: every test must pass. The summary is
#      printed.
#   2. rclone's webdav backend copies a small tree in (names with spaces,
#      '+', '#', '%', Unicode; an empty file; a 3 MB file; 300 small
#      files), checks it, copies
#      it back out and compares every byte; Finder's .DS_Store and ._ files
#      sent along never reach the storage.
#   3. SIGTERM: the server finishes its pending uploads, exits 0, and the
#      storage holds exactly the tree (checked with `fjordsync md5sum`).
# Exits non-zero on any mismatch. Every command is bounded by `timeout`.
set -euo pipefail

BIN="$(realpath "${1:?usage: webdav_litmus.sh FJORDSYNC_BINARY}")"
command -v litmus >/dev/null || { echo "litmus is not installed (scripts/setup.sh --tests installs it)" >&2; exit 1; }

work="$(mktemp -d /tmp/webdav-litmus.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/serve.log" ]] && tail -20 "$work/serve.log" >&2; exit 1; }
step() { echo "--- $*"; }
export FJORDSYNC_CONFIG_DIR="$work/config" FJORDSYNC_SECRET_STORE=file
unset RUST_LOG
F() { timeout 120 "$BIN" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on port $1 after 20 s"
}

step "emulator on 127.0.0.1 and the remote demo"
eport="$(free_port)"
"$BIN" emulator --port "$eport" >"$work/emulator.log" 2>&1 &
pids+=($!)
wait_port "$eport"
token="$(timeout 10 curl -fsS -X POST "http://127.0.0.1:$eport/emulator/login-tokens" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["login_token"])')"
F remote add demo --login-token "$token" --endpoint "http://127.0.0.1:$eport" >/dev/null
F mkdir demo:served >/dev/null

step "fjordsync serve webdav demo:served"
dport="$(free_port)"
"$BIN" serve webdav demo:served --addr "127.0.0.1:$dport" --user litmus --pass 'se cret' \
  --cache-dir "$work/cache" >"$work/serve.log" 2>&1 &
serve=$!
pids+=($serve)
wait_port "$dport"
url="http://127.0.0.1:$dport/"
status="$(timeout 10 curl -s -o /dev/null -w '%{http_code}' -X PROPFIND "$url")"
[[ "$status" == 401 ]] || fail "a request without the login got $status, not 401"

step "litmus: http basic copymove props locks"
mkdir -p "$work/litmus"
(cd "$work/litmus" && TESTS="http basic copymove props locks" timeout 900 litmus "$url" litmus 'se cret') \
  >"$work/litmus.log" 2>&1 || true
grep -E '^(<- summary|-> running|See debug)' "$work/litmus.log" || true
grep -E '(FAIL|WARNING|SKIPPED)' "$work/litmus.log" | head -40 || true
summaries="$(grep -c '^<- summary for' "$work/litmus.log" || true)"
[[ "$summaries" == 5 ]] || { tail -30 "$work/litmus.log"; fail "litmus ran $summaries of 5 groups"; }
if grep '^<- summary for' "$work/litmus.log" | grep -qv ' 0 failed'; then
  fail "litmus: some tests failed (above)"
fi
passed="$(grep '^<- summary for' "$work/litmus.log" | sed -E 's/.* ([0-9]+) passed.*/\1/' | paste -sd+ | bc)"
total="$(grep '^<- summary for' "$work/litmus.log" | sed -E 's/.*of ([0-9]+) tests run.*/\1/' | paste -sd+ | bc)"
echo "litmus: $passed of $total tests passed"

if RCLONE="$(command -v rclone)"; then
  step "rclone's webdav backend: a tree in and out"
  export RCLONE_CONFIG_DAV_TYPE=webdav RCLONE_CONFIG_DAV_URL="$url" RCLONE_CONFIG_DAV_VENDOR=other
  export RCLONE_CONFIG_DAV_USER=litmus
  RCLONE_CONFIG_DAV_PASS="$("$RCLONE" obscure 'se cret')"
  export RCLONE_CONFIG_DAV_PASS
  # No pause between calls (rclone's webdav default is 10 ms each).
  R() { timeout 300 "$RCLONE" --config /dev/null --retries 1 --low-level-retries 2 --webdav-pacer-min-sleep 0 "$@"; }
  src="$work/src"
  mkdir -p "$src/sub/deep" "$src/unicode 🎉"
  echo hello > "$src/a+b c#d%e.txt"
  printf 'norsk æøå\n' > "$src/unicode 🎉/æøå.txt"
  : > "$src/sub/empty.txt"
  head -c 3000000 /dev/urandom > "$src/sub/deep/random.bin"
  # Many small files: copied in and read back while their uploads run.
  for d in 1 2 3; do
    mkdir -p "$src/many $d"
    for i in $(seq 1 100); do echo "small $d $i" > "$src/many $d/small-$i.txt"; done
  done
  R copy "$src" dav:tree || fail "rclone copy in"
  R check "$src" dav:tree || fail "rclone check"
  R copy dav:tree "$work/back" || fail "rclone copy out"
  diff -r "$src" "$work/back" || fail "what came back differs from what went in"
  echo junk > "$work/.DS_Store"
  echo junk > "$work/._photo.jpg"
  R copyto "$work/.DS_Store" dav:tree/.DS_Store || fail "Finder's .DS_Store refused"
  R copyto "$work/._photo.jpg" dav:tree/sub/._photo.jpg || fail "an AppleDouble file refused"
  R lsf dav:tree > "$work/top.txt" || fail "rclone lsf"
  grep -qx '.DS_Store' "$work/top.txt" || { cat "$work/top.txt"; fail ".DS_Store is not listed through WebDAV"; }
else
  echo "--- rclone not found: skipping the rclone part (scripts/setup.sh --tests installs it)"
fi

step "SIGTERM: pending uploads finish, exit 0"
kill -TERM "$serve"
code=0
wait "$serve" || code=$?
[[ "$code" == 0 ]] || fail "fjordsync serve webdav exited $code after SIGTERM"
grep -E 'stopped' "$work/serve.log" || fail "no word on the pending uploads at the stop"

if [[ -n "${RCLONE:-}" ]]; then
  step "the storage holds exactly the tree"
  F md5sum demo:served/tree | sort -k2 > "$work/stored.md5"
  (cd "$src" && find . -type f | sed 's|^\./||' | sort | while read -r f; do
     printf '%s  %s\n' "$(md5sum < "$f" | cut -d' ' -f1)" "$f"; done) | sort -k2 > "$work/want.md5"
  diff "$work/want.md5" "$work/stored.md5" || fail "the storage differs from the tree (or holds Finder's files)"
fi
echo "ALL WEBDAV CHECKS PASSED"
