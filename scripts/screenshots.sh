#!/usr/bin/env bash
# Copies the README's screenshots from the images the tests took
# (tests/e2e/artifacts/, written by scripts/test.sh: the real window under
# Xvfb and the UI in Chromium), so the README shows what the tests saw.
# Fails when one is missing (run scripts/test.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
ART=tests/e2e/artifacts
missing=0
for shot in $(grep -o 'docs/screenshots/[a-z0-9-]*\.png' README.md | sort -u); do
  src="$ART/$(basename "$shot")"
  if [[ -f "$src" ]]; then cp "$src" "$shot"; else echo "screenshots: no $src (run scripts/test.sh first)" >&2; missing=1; fi
done
exit "$missing"
