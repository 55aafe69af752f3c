#!/usr/bin/env bash
# Fuzzes the parsers that read what a server sends (JFS XML, liststream, the
# JSON API replies, error bodies, personal login tokens, the name mapping):
# each target of fuzz/ runs for SECONDS_PER_TARGET (default 30), seeded from
# the protocol reference's samples, and the script fails on the first crash.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Built without a sanitizer (the code under test is safe Rust: what we look
# for is panics, overflows, hangs and runaway memory) and with debug
# assertions. Needs the nightly toolchain (cargo-fuzz's flags); installs
# cargo-fuzz from crates.io when it is missing. A crash leaves its input in
# fuzz/artifacts/TARGET/; replay it with
#   cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and turn it into a regression test in crates/jottacloud/tests/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
FUZZ="$ROOT/fuzz"

SECONDS_PER_TARGET="${1:-30}"
case "$SECONDS_PER_TARGET" in
  ''|*[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number, got '$SECONDS_PER_TARGET'" >&2; exit 2 ;;
esac

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz.sh: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "=== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Seeds: the committed ones, refreshed from the protocol reference when it is here.
REFERENCE="${FJORDSYNC_API_REFERENCE:-../shared/docs/jottacloud-api.md}"
if [ -f "$REFERENCE" ] && command -v python3 >/dev/null; then
  python3 fuzz/extract_seeds.py "$REFERENCE" fuzz/seeds >/dev/null
fi

TARGETS=$(cargo +nightly fuzz list --fuzz-dir "$FUZZ")
echo "=== building the fuzz targets"
cargo +nightly fuzz build --fuzz-dir "$FUZZ" --sanitizer none --debug-assertions

for target in $TARGETS; do
  echo "=== fuzzing $target for ${SECONDS_PER_TARGET}s"
  mkdir -p "$FUZZ/corpus/$target" "$FUZZ/seeds/$target"
  # New inputs go to corpus/ (ignored by git); seeds/ is read only.
  # -max_len 65536: deep nesting and long names need room; -timeout: an
  # input that takes over 10 s is a hang, reported like a crash.
  if ! (cargo +nightly fuzz run --fuzz-dir "$FUZZ" --sanitizer none --debug-assertions "$target" "$FUZZ/corpus/$target" "$FUZZ/seeds/$target" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 2>&1 | tail -n 25); then
    echo "fuzz.sh: $target found a crash; its input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "=== fuzzing: no crash in $(echo "$TARGETS" | wc -w) targets"
