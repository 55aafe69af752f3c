#!/usr/bin/env bash
# Stages what the Linux packages carry besides the app (tauri.conf.json's
# `bundle.linux.*.files` point here): the `fjordsync` command, its shell
# completions and its manual pages, all generated from the same clap
# definitions the command parses with. Tauri runs this as the
# `beforeBundleCommand`, so the command is built in the app's profile
# (TAURI_ENV_DEBUG=true for `tauri bundle --debug`).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
[[ "${TAURI_ENV_DEBUG:-false}" == "true" ]] && profile=debug
flags=(--locked -p fjordsync-cli)
[[ "$profile" == release ]] && flags+=(--release)
cargo build "${flags[@]}"

BIN="target/$profile/fjordsync"
OUT="target/package"
rm -rf "$OUT"
mkdir -p "$OUT/man1" "$OUT/completions"
cp "$BIN" "$OUT/fjordsync"
"$BIN" completion bash >"$OUT/completions/fjordsync.bash"
"$BIN" completion zsh >"$OUT/completions/_fjordsync"
"$BIN" completion fish >"$OUT/completions/fjordsync.fish"
"$BIN" man --dir "$OUT/man1"
gzip -9n "$OUT"/man1/*.1
echo "package-files: staged the fjordsync command ($profile), completions and $(ls "$OUT/man1" | wc -l) manual pages in $OUT"
