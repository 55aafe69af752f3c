#!/usr/bin/env bash
# backup_roundtrip.sh FJORDSYNC_BINARY [--files N] [--big-mib N]
#
# The backup round trip at full size (issue 6), on the emulator over HTTP:
#   1. a tree of N small files (default 10,000) with unicode names, empty
#      files and empty folders, plus one big file (default 1024 MiB), and
#      file modes, symlinks and a hard link;
#   2. back it up; change 1 % of the small files and 1 MiB inside the big
#      file; back up again (only the changed files are read: the counters
#      are checked);
#   3. restore each snapshot into an empty folder and compare every file
#      byte for byte (SHA-256), its size, modification time (ns), mode and
#      link count, every folder's time and mode and every symlink, with what
#      the tree held when it was backed up;
#   4. `check` the repository, reading 5 % of the data.
# Prints how long each step took. Exits non-zero on any difference. Every
# command is bounded by `timeout`; the emulator runs on 127.0.0.1 only.
set -euo pipefail

BIN="$(realpath "${1:?usage: backup_roundtrip.sh FJORDSYNC_BINARY [--files N] [--big-mib N]}")"
shift
FILES=10000 BIG_MIB=1024
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --big-mib) BIG_MIB="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d /tmp/backup-roundtrip.XXXXXX)"
emu=""
cleanup() {
  [[ -n "$emu" ]] && kill "$emu" 2>/dev/null && wait "$emu" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
t0=$SECONDS
step() { echo "--- [$((SECONDS - t0)) s] $*"; }
export FJORDSYNC_CONFIG_DIR="$work/config" FJORDSYNC_SECRET_STORE=file RESTIC_PASSWORD="round trip"
unset RESTIC_REPOSITORY RESTIC_PASSWORD_FILE
F() { timeout 1200 "$BIN" backup --repo demo:backups/roundtrip --cache-dir "$work/cache" "$@"; }

# manifest TREE OUT: every entry below TREE as JSON: files -> size, mtime
# in ns, mode, link count, SHA-256; folders -> mtime, mode; symlinks -> target.
manifest() {
  python3 - "$1" "$2" <<'PY'
import hashlib, json, os, sys
root, out = sys.argv[1], sys.argv[2]
entries = {}
for d, dirs, files in os.walk(root):
    for name in dirs + files:
        p = os.path.join(d, name)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        if os.path.islink(p):
            entries[rel] = ["symlink", os.readlink(p)]
        elif name in files:
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            entries[rel] = ["file", st.st_size, st.st_mtime_ns, oct(st.st_mode), st.st_nlink, h.hexdigest()]
        else:
            entries[rel] = ["dir", st.st_mtime_ns, oct(st.st_mode)]
json.dump(entries, open(out, "w"), sort_keys=True)
PY
}

# same_tree EXPECTED_MANIFEST TREE: fails with the first differences.
same_tree() {
  manifest "$2" "$work/got.json"
  python3 - "$1" "$work/got.json" <<'PY' || fail "the restored tree differs from the snapshot"
import json, sys
want, got = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = [f"missing {p}" for p in want if p not in got]
bad += [f"extra {p}" for p in got if p not in want]
bad += [f"differs {p}: {want[p]} != {got[p]}" for p in want if p in got and want[p] != got[p]]
for line in bad[:20]:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}

step "emulator on 127.0.0.1 (state on disk)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$BIN" emulator --port "$port" --state-dir "$work/emulator" >"$work/emulator.log" 2>&1 &
emu=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
token="$(timeout 10 curl -fsS -X POST "http://127.0.0.1:$port/emulator/login-tokens" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["login_token"])')"
timeout 60 "$BIN" remote add demo --login-token "$token" --endpoint "http://127.0.0.1:$port" >/dev/null

step "test data: $FILES small files, unicode names, empty files and folders, a $BIG_MIB MiB file"
src="$work/src"
python3 - "$src" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(6)
names = ["plain", "æøå Ærlig", "emoji 🎉", "a+b c#d%e", "日本語", "mixed Ünïcödé"]
for i in range(n):
    folder = os.path.join(root, f"{names[i % len(names)]} {i // 100:03d}")
    os.makedirs(folder, exist_ok=True)
    size = 0 if i % 500 == 0 else rng.randint(1, 8192)
    with open(os.path.join(folder, f"{names[(i // 7) % len(names)]} {i:05d}.dat"), "wb") as f:
        f.write(rng.randbytes(size))
for d in ["empty", "empty/nested/deeper", "tøm mappe"]:
    os.makedirs(os.path.join(root, d), exist_ok=True)
# Metadata the restore must bring back too: modes, symlinks, a hard link.
meta = os.path.join(root, "meta")
os.makedirs(os.path.join(meta, "private"))
for name, mode in [("run.sh", 0o750), ("secret.txt", 0o600)]:
    with open(os.path.join(meta, name), "w") as f:
        f.write(name)
    os.chmod(os.path.join(meta, name), mode)
os.chmod(os.path.join(meta, "private"), 0o700)
os.symlink("secret.txt", os.path.join(meta, "link to file"))
os.symlink("private", os.path.join(meta, "link to folder"))
os.link(os.path.join(meta, "run.sh"), os.path.join(meta, "hard link"))
PY
mkdir -p "$src/big"
head -c "$((BIG_MIB << 20))" /dev/urandom >"$src/big/big.bin"
touch -d '2020-01-02 03:04:05.123456789' "$src/big/big.bin"
manifest "$src" "$work/first.json"

step "init + first backup"
F init >/dev/null
first="$(F run "$src" --json | tail -1)"
echo "$first"

step "change 1 %: $((FILES / 100)) small files, 1 MiB inside the big file"
python3 - "$src" "$FILES" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith(".dat"))
for p in files[:: max(1, len(files) // (n // 100))][: n // 100]:
    with open(p, "ab") as f:
        f.write(b"changed\n")
PY
dd if=/dev/urandom of="$src/big/big.bin" bs=1M count=1 seek=$((BIG_MIB / 2)) conv=notrunc status=none
manifest "$src" "$work/second.json"

step "second backup"
second="$(F run "$src" --json | tail -1)"
echo "$second"
python3 - "$second" "$FILES" <<'PY' || fail "the second backup read more than what changed"
import json, sys
s, n = json.loads(sys.argv[1]), int(sys.argv[2])
changed = n // 100 + 1  # the small files and the big one
assert s["files_changed"] == changed, f"files_changed {s['files_changed']} != {changed}"
assert s["files_new"] == 0, s
assert s["files_unmodified"] == s["total_files"] - changed, s
PY

step "snapshots"
F snapshots --json >"$work/snapshots.json"
ids=($(python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(open(sys.argv[1]))))' "$work/snapshots.json"))
[[ ${#ids[@]} -eq 2 ]] || fail "expected 2 snapshots, got ${#ids[@]}"
first_id="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["snapshot"])' "$first")"
second_id="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["snapshot"])' "$second")"

for pair in "$first_id:first" "$second_id:second"; do
  id="${pair%%:*}" name="${pair##*:}"
  step "restore the $name snapshot ($id) and compare bytes, sizes, mtimes and folders"
  F restore "$id" --target "$work/restore" >"$work/restore.out"
  tail -1 "$work/restore.out"
  same_tree "$work/$name.json" "$work/restore$src"
  rm -rf "$work/restore"
done

step "check, reading 5 % of the data"
F check --read-data-subset 5 >/dev/null

step "round trip passed ($((SECONDS - t0)) s)"
