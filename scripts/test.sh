#!/usr/bin/env bash
# Sets up the machine and runs every test: formatting, lints, unit and
# integration tests (against the emulator over HTTP, with a real Secret Service),
# and the interoperability test with real rclone through jotta-net.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

bash scripts/setup.sh

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo build"
cargo build --workspace --all-targets --locked

# A real Secret Service for the keyring tests: gnome-keyring in a private D-Bus
# session with a throwaway keyring folder. FJORDSYNC_TEST_KEYRING=1 makes the
# keyring tests fail instead of skipping when it is not reachable.
step "cargo test (with gnome-keyring under dbus-run-session)"
KEYRING_HOME="$(mktemp -d)"
trap 'rm -rf "$KEYRING_HOME"' EXIT
XDG_DATA_HOME="$KEYRING_HOME" FJORDSYNC_TEST_KEYRING=1 dbus-run-session -- bash -c '
  set -euo pipefail
  echo "ci-keyring-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --workspace --locked
' 2> >(grep -v "Failed to set fd limit" >&2)

step "interop: real rclone against the emulator (jotta-net)"
bash crates/emulator/tests/rclone_interop.sh "$ROOT/target/debug/fjordsync-emulator"

step "interop: fjordsync on the real host names over TLS, side by side with rclone (jotta-net)"
bash crates/cli/tests/jotta_net_interop.sh "$ROOT/target/debug/fjordsync"

step "all tests passed"
