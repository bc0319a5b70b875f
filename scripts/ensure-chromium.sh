#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium (playwright-core downloads no browser).
# Installs it when missing and we may (root with apt); otherwise says how, and carries on.
set -u
if command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "switchboard: installing Debian's chromium for the browser tests…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "switchboard: could not install chromium; the browser tests will say so" >&2
else
  echo "switchboard: chromium not found; install it (apt-get install chromium) or set CHROMIUM_PATH" >&2
fi
exit 0
