#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for development and tests (idempotent): Debian's chromium for the
# e2e tests, the npm packages (Node 24 comes from the `node` devDependency, so system Node 20 is enough),
# and the Python environment of models/. Run as root or with sudo available.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_packages=()
if [ ! -x /usr/bin/chromium ]; then apt_packages+=(chromium); fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then apt_packages+=(python3-venv); fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "bootstrap: installing ${apt_packages[*]} with apt-get"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${apt_packages[@]}"
fi

# npm ci (which wipes node_modules) only when node_modules does not match package-lock.json already:
# npm's own record of the installed tree (node_modules/.package-lock.json) is compared with the lockfile.
in_sync() {
  [ -x node_modules/.bin/node ] && [ -f node_modules/.package-lock.json ] && node -e '
    const fs = require("fs");
    const want = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    const have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages;
    const same = (k) => have[k] && have[k].version === want[k].version && have[k].integrity === want[k].integrity;
    const ok = Object.keys(want).every((k) => k === "" || want[k].optional || want[k].link || same(k)) &&
      Object.keys(have).every((k) => want[k] && want[k].version === have[k].version);
    process.exit(ok ? 0 : 1);'
}
if in_sync; then
  echo "bootstrap: node_modules matches package-lock.json"
else
  echo "bootstrap: npm ci"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci
fi

npm run setup:models
echo "bootstrap: ready (node $(node_modules/.bin/node --version), $(/usr/bin/chromium --version 2>/dev/null | head -1))"
