#!/usr/bin/env bash
# Sets up the machine and runs every test: formatting, lints, unit and
# integration tests (against the emulator over HTTP, with a real Secret Service),
# and the interoperability test with real rclone through jotta-net.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

bash scripts/setup.sh --tests

step() { printf "\n=== %s  (%s s in)\n" "$*" "$SECONDS"; }

# --- desktop app (issue 5): the UI's own checks -----------------------------
# Someone who only wants the app runs setup.sh without --tests: once the
# machine has everything, it says only that it builds the UI and is done
# (no test tools, no jotta-net, no warnings).
step "setup for the app alone prints nothing alarming"
setup_out="$(bash scripts/setup.sh 2>&1)"
if grep -v -x -e "setup: building the UI (ui/dist)" -e "setup: done" <<<"$setup_out"; then
  echo "FAIL: scripts/setup.sh (app only) printed the lines above" >&2
  exit 1
fi

step "UI: eslint, svelte-check, vitest"
(cd ui && npm run --silent lint && npm run --silent check && npm test --silent)
# --- end desktop app ---------------------------------------------------------

step "cargo fmt --check"
cargo fmt --all -- --check

# Clippy lints the workspace while it compiles: clippy-driver (rustc with
# Clippy's lints, what `cargo clippy` runs) wraps the compiler for the
# workspace's own crates, and `-D warnings` reaches it the way `cargo clippy
# -- -D warnings` passes it. The same lints as `cargo clippy --all-targets
# -- -D warnings`, but the dependencies are compiled once instead of being
# checked for Clippy and then compiled again for the tests (that check took
# about 8 of CI's 36 minutes). Exported: every cargo command below must see
# the same wrapper, or it would build the workspace's crates again.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
[ -x "$RUSTC_WORKSPACE_WRAPPER" ] || { echo "FAIL: clippy is not installed: rustup component add clippy" >&2; exit 1; }

# The app is built once, with the UI embedded (custom-protocol), as the real
# window and the package need it; the tests build and run with the same
# features, so nothing is compiled twice.
step "cargo build, linted with clippy -D warnings"
cargo build --workspace --all-targets --locked --features tauri/custom-protocol

# A real Secret Service for the keyring tests: gnome-keyring in a private D-Bus
# session with a throwaway keyring folder. FJORDSYNC_TEST_KEYRING=1 makes the
# keyring tests fail instead of skipping when it is not reachable.
step "cargo test (with gnome-keyring under dbus-run-session)"
KEYRING_HOME="$(mktemp -d)"
trap 'rm -rf "$KEYRING_HOME"' EXIT
XDG_DATA_HOME="$KEYRING_HOME" FJORDSYNC_TEST_KEYRING=1 dbus-run-session -- bash -c '
  set -euo pipefail
  echo "ci-keyring-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  cargo test --workspace --locked --features tauri/custom-protocol
' 2> >(grep -v "Failed to set fd limit" >&2)

# --- desktop app (issue 5): end to end --------------------------------------
# Playwright (playwright-core + Debian's chromium) against the real engine and
# the emulator, with a real Secret Service: the whole suite through the
# headless `fjordsync daemon` (the UI embedded in the CLI binary, its token
# from the printed link), then the first-start tests through the app's own
# `fjordsync-app --bridge` (the same web server). One test also runs a server
# without D-Bus on purpose.
step "desktop app: UI end to end in headless chromium (fjordsync daemon, then the app's bridge)"
XDG_DATA_HOME="$KEYRING_HOME" dbus-run-session -- bash -c '
  set -euo pipefail
  echo "ci-keyring-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  node tests/e2e/run.mjs --daemon target/debug/fjordsync
  E2E_ONLY="first start" node tests/e2e/run.mjs target/debug/fjordsync-app
' 2> >(grep -v "Failed to set fd limit" >&2)

# The real window needs the UI embedded (without custom-protocol the binary
# loads the vite dev server): the build above made it so.
step "desktop app: the real window under Xvfb (smoke + WebDriver)"
XDG_DATA_HOME="$KEYRING_HOME" dbus-run-session -- \
  xvfb-run -a -s "-screen 0 1280x800x24" bash tests/app/run.sh target/debug/fjordsync-app \
  2> >(grep -v -e "Failed to set fd limit" -e "org.a11y" -e "SpiRegistry" >&2)

# The package a user installs (.deb): bundled from the debug build above (no
# second, release build), installed with apt, the installed app started under
# Xvfb, its desktop entry, icon, command, manual and completions checked, then
# removed again.
step "package: the .deb installed on this machine and started under Xvfb"
ui/node_modules/.bin/tauri bundle --debug --bundles deb --features tauri/custom-protocol 2>&1 \
  | sed -e '/^\s*$/d' -e '/workspace inheritance/d'
XDG_DATA_HOME="$KEYRING_HOME" dbus-run-session -- \
  xvfb-run -a -s "-screen 0 1280x800x24" bash tests/package/run.sh target/debug/bundle/deb/Fjordsync_*_amd64.deb \
  2> >(grep -v -e "Failed to set fd limit" -e "org.a11y" -e "SpiRegistry" -e "debconf: delaying" >&2)
# --- end desktop app ---------------------------------------------------------

step "interop: real rclone against the emulator (jotta-net)"
bash crates/emulator/tests/rclone_interop.sh "$ROOT/target/debug/fjordsync-emulator"

step "interop: real restic reads our backup repositories, and we read restic's"
bash crates/cli/tests/restic_interop.sh "$ROOT/target/debug/fjordsync"

step "interop: litmus (http basic copymove props locks) and rclone's webdav backend against fjordsync serve webdav"
bash crates/cli/tests/webdav_litmus.sh "$ROOT/target/debug/fjordsync"

step "backup round trip at full size: 10,000 files + 1 GiB, two snapshots restored and compared"
bash crates/cli/tests/backup_roundtrip.sh "$ROOT/target/debug/fjordsync"

step "interop: fjordsync on the real host names over TLS, side by side with rclone (jotta-net)"
bash crates/cli/tests/jotta_net_interop.sh "$ROOT/target/debug/fjordsync"

# The fuzz targets' seeds run in every `cargo test` above (stable toolchain,
# jottacloud's fuzz_seeds test). Fuzzing for new crashes needs the nightly
# toolchain, cargo-fuzz and a release build of the client with coverage
# instrumentation (about 8 minutes on a clean 2-core machine before the
# first input): `bash scripts/fuzz.sh 300` by hand, or here with
# FJORDSYNC_FUZZ_SECONDS=N (a crash fails the run and leaves its input in fuzz/artifacts/).
if [ "${FJORDSYNC_FUZZ_SECONDS:-0}" != 0 ]; then
  step "fuzz the reply parsers (${FJORDSYNC_FUZZ_SECONDS} s per target)"
  bash scripts/fuzz.sh "$FJORDSYNC_FUZZ_SECONDS"
fi

# The command without FUSE (other systems, or a build that leaves it out);
# last, as it replaces target/debug/fjordsync, which the steps above run.
step "the command builds without FUSE"
cargo build -p fjordsync-cli --no-default-features --locked

step "all tests passed"
