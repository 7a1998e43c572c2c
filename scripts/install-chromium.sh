#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (Playwright drives it; it cannot download
# a browser of its own here). Uses apt-get as root, or sudo where it needs no password.
set -eu
if [ -x /usr/bin/chromium ]; then exit 0; fi
packages=(chromium fonts-dejavu-core)
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "The browser tests need Chromium. Install it with: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "The browser tests need Chromium at /usr/bin/chromium (Debian package: chromium)." >&2
  exit 1
fi
echo "Installing ${packages[*]} for the browser tests (about a minute)"
"${run[@]}" apt-get update -qq
"${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${packages[@]}" >/dev/null
