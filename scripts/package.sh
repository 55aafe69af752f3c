#!/usr/bin/env bash
# Builds the Linux packages of Fjordsync: a .deb and an .rpm, each with the
# desktop app (menu entry, icons), the `fjordsync` command, its manual pages
# and shell completions. Release build; the first one takes a while (about
# 15-20 minutes on a small machine).
#   bash scripts/package.sh            # -> target/release/bundle/{deb,rpm}/
#   bash scripts/package.sh --debug    # faster to build, much larger; for tests
# Install: sudo apt install ./target/release/bundle/deb/Fjordsync_*_amd64.deb
# (An AppImage needs tools Tauri downloads at build time; build it with
# `ui/node_modules/.bin/tauri build --bundles appimage` on a machine online.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
TAURI=ui/node_modules/.bin/tauri
if [[ "${1:-}" == "--debug" ]]; then
  cargo build -p fjordsync-app --locked --features tauri/custom-protocol
  "$TAURI" bundle --debug --bundles deb,rpm --features tauri/custom-protocol
  out=target/debug/bundle
else
  "$TAURI" build --bundles deb,rpm
  out=target/release/bundle
fi
echo
echo "Packages:"
ls -1 "$out"/deb/*.deb "$out"/rpm/*.rpm
