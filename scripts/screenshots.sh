#!/usr/bin/env bash
# The README's screenshots of the controller page: the browser tests' scenario (tests/ui/) run against a
# sandbox, saving the page as a person sees it at each state into docs/images/. Needs chromium and
# chromium-driver (scripts/browser-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/browser-deps.sh
RECONCILER_SCREENSHOTS="$PWD/docs/images" .venv/bin/python -m pytest -q -p no:randomly tests/ui
ls -l docs/images/*.png
