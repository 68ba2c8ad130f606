#!/usr/bin/env bash
# Make sure Debian's chromium is there (PDF output and browser tests use it headless).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium (first run only) ..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
  echo "chromium is not installed. Install it with: sudo apt-get install chromium" >&2
  echo "(it renders the PDF report; the HTML site does not need it)" >&2
  exit 2
fi
