#!/usr/bin/env bash
# Regenerates the UI's TypeScript types (ui/src/lib/api/generated/) from the
# Rust DTOs of crates/api. Run after changing a DTO, then commit the result;
# `cargo test -p fjordsync-api` fails while they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -p fjordsync-api --lib -- --ignored --exact ts_types::regenerate_ts
