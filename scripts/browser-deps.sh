#!/usr/bin/env bash
# The browser the page's tests drive (tests/ui/): Debian's Chromium and its ChromeDriver, at
# /usr/bin/chromium and /usr/bin/chromedriver. Idempotent: installs them with apt-get only when missing
# (CI runs as root on Debian). The tests never skip without them: they fail, naming this script.
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the browser tests need /usr/bin/chromium and /usr/bin/chromedriver (Debian: chromium, chromium-driver)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
echo "installing chromium and chromium-driver for the browser tests (tests/ui/)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
/usr/bin/chromium --version >&2
/usr/bin/chromedriver --version >&2
