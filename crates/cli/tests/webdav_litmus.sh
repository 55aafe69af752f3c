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
#   3. cadaver (scripted; the login from ~/.netrc in a temporary HOME):
#      mkcol, put, get, propset/propget, move, copy, ls, delete.
#   4. davfs2 (`mount -t davfs`, as root with /dev/fuse): a tree copied in
#      through the mount, unmounted (davfs2 uploads on unmount), mounted
#      again with an empty cache and read back byte for byte.
#   5. SIGTERM: the server finishes its pending uploads, exits 0, and the
#      storage holds exactly what each client put there (checked with
#      `fjordsync md5sum`).
# Each step says how long it took. Exits non-zero on any mismatch. Every
# command is bounded by `timeout`.
set -euo pipefail

BIN="$(realpath "${1:?usage: webdav_litmus.sh FJORDSYNC_BINARY}")"
command -v litmus >/dev/null || { echo "litmus is not installed (scripts/setup.sh --tests installs it)" >&2; exit 1; }

work="$(mktemp -d /tmp/webdav-litmus.XXXXXX)"
pids=()
davfs=""
cleanup() {
  # A davfs2 mount left by a failure: detach it before its server goes.
  if [[ -n "$davfs" ]] && mountpoint -q "$davfs/mnt" 2>/dev/null; then
    timeout 30 umount "$davfs/mnt" 2>/dev/null || umount -l "$davfs/mnt" 2>/dev/null || true
  fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
  [[ -z "$davfs" ]] || rm -rf "$davfs"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/serve.log" ]] && tail -20 "$work/serve.log" >&2; exit 1; }
# Each step says how long the one before it took, so CI's cost per client shows.
step_started=""
took() { [[ -z "$step_started" ]] || echo "    ($(( ($(date +%s%N) - step_started) / 1000000 )) ms)"; }
step() { took; step_started="$(date +%s%N)"; echo "--- $*"; }
# md5sum-style lines for every file under a local folder, paths relative to it.
local_md5() {
  (cd "$1" && find . -type f | sed 's|^\./||' | sort | while read -r f; do
     printf '%s  %s\n' "$(md5sum < "$f" | cut -d' ' -f1)" "$f"; done) | sort -k2
}
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

if command -v cadaver >/dev/null; then
  step "cadaver: mkcol, put, get, propset/propget, move, copy, ls, delete (login from ~/.netrc)"
  cadhome="$work/cadaver-home"
  mkdir -p "$cadhome"
  # Quoted: the password has a space.
  printf 'machine 127.0.0.1\nlogin litmus\npassword "se cret"\n' > "$cadhome/.netrc"
  chmod 600 "$cadhome/.netrc"
  printf "cadaver's file\n" > "$work/cad.txt"
  cat > "$work/cadaver.cmds" <<EOF
mkcol cad
put $work/cad.txt cad/one.txt
get cad/one.txt $work/cad-back.txt
propset cad/one.txt colour blue
propget cad/one.txt colour
move cad/one.txt cad/two.txt
copy cad/two.txt cad/three.txt
ls cad
delete cad/three.txt
quit
EOF
  # cadaver exits 0 whatever happened: its words are checked instead.
  HOME="$cadhome" timeout 60 cadaver "$url" < "$work/cadaver.cmds" > "$work/cadaver.log" 2>&1 \
    || { cat "$work/cadaver.log"; fail "cadaver did not finish"; }
  ok="$(grep -c 'succeeded' "$work/cadaver.log" || true)"
  if grep -qiE 'failed|aborted|could not|not found|did not return' "$work/cadaver.log" || [[ "$ok" -lt 8 ]]; then
    cat "$work/cadaver.log"; fail "cadaver: a command failed ($ok of 8 succeeded)"
  fi
  cmp -s "$work/cad.txt" "$work/cad-back.txt" || fail "cadaver: what came back differs from what went in"
  grep -q '^Value of colour is: blue' "$work/cadaver.log" \
    || { cat "$work/cadaver.log"; fail "cadaver: the dead property did not come back"; }
  grep -qE '^ *two\.txt ' "$work/cadaver.log" || { cat "$work/cadaver.log"; fail "cadaver: ls does not show two.txt"; }
  echo "cadaver: 8 commands succeeded"
else
  echo "--- cadaver not found: skipping it (scripts/setup.sh --tests installs it)"
fi

if ! command -v mount.davfs >/dev/null; then
  echo "--- davfs2 not found: skipping it (scripts/setup.sh --tests installs it)"
elif [[ "$(id -u)" != 0 || ! -e /dev/fuse ]]; then
  echo "--- davfs2 needs root and /dev/fuse: skipping it"
else
  step "davfs2: a tree copied in through mount -t davfs, unmounted, mounted again empty, read back"
  # mount.davfs runs as the user davfs2: its cache must be reachable by it,
  # so this folder is not private like $work (only the secrets file is).
  davfs="$(mktemp -d /tmp/webdav-davfs.XXXXXX)"
  chmod 755 "$davfs"
  mkdir "$davfs/mnt"
  install -d -o root -g davfs2 -m 775 "$davfs/cache" "$davfs/cache2"
  printf '%s litmus "se cret"\n' "$url" > "$davfs/secrets"
  chmod 600 "$davfs/secrets"
  # buf_size 64: with the default (16 KiB) davfs2 1.6 cannot list a folder
  # on Linux 6.16 and later ("reading directory: Invalid argument",
  # alisarctl/davfs2#22).
  davconf() {
    printf 'secrets %s\ncache_dir %s\nask_auth 0\ndelay_upload 0\nbuf_size 64\n' "$davfs/secrets" "$davfs/$1" \
      > "$davfs/$1.conf"
  }
  davconf cache
  davconf cache2
  dsrc="$work/davsrc"
  mkdir -p "$dsrc/sub/deep" "$dsrc/mellom rom"
  printf 'davfs2\n' > "$dsrc/a.txt"
  printf 'norsk æøå\n' > "$dsrc/mellom rom/æøå.txt"
  : > "$dsrc/sub/empty.txt"
  head -c 1000000 /dev/urandom > "$dsrc/sub/deep/random.bin"
  timeout 60 mount -t davfs "$url" "$davfs/mnt" -o "conf=$davfs/cache.conf" < /dev/null || fail "mount -t davfs"
  timeout 120 cp -r "$dsrc" "$davfs/mnt/davfs" || fail "copying the tree in through davfs2"
  # davfs2 uploads what is still in its cache before the unmount returns.
  timeout 120 umount "$davfs/mnt" || fail "umount of the davfs2 mount"
  timeout 60 mount -t davfs "$url" "$davfs/mnt" -o "conf=$davfs/cache2.conf" < /dev/null || fail "mount -t davfs again"
  timeout 120 diff -r "$dsrc" "$davfs/mnt/davfs" || fail "davfs2: what came back (empty cache) differs from what went in"
  timeout 120 umount "$davfs/mnt" || fail "the second umount of the davfs2 mount"
  echo "davfs2: $(find "$dsrc" -type f | wc -l) files in and back"
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
  local_md5 "$src" > "$work/want.md5"
  diff "$work/want.md5" "$work/stored.md5" || fail "the storage differs from the tree (or holds Finder's files)"
fi
if [[ -f "$work/cad-back.txt" ]]; then
  step "the storage holds what cadaver left: cad/two.txt only"
  F md5sum demo:served/cad > "$work/cad-stored.md5"
  printf '%s  two.txt\n' "$(md5sum < "$work/cad.txt" | cut -d' ' -f1)" > "$work/cad-want.md5"
  diff "$work/cad-want.md5" "$work/cad-stored.md5" || fail "the storage differs from what cadaver left"
fi
if [[ -n "$davfs" ]]; then
  step "the storage holds exactly the tree davfs2 copied"
  F md5sum demo:served/davfs | sort -k2 > "$work/dav-stored.md5"
  local_md5 "$dsrc" > "$work/dav-want.md5"
  diff "$work/dav-want.md5" "$work/dav-stored.md5" || fail "the storage differs from the tree davfs2 copied"
fi
took
echo "ALL WEBDAV CHECKS PASSED"
