#!/usr/bin/env bash
# Builds examples/visits-js (key-value + SQLite + variables) with
# componentize-js from npm (tests/npm, pinned by its lock file) into DEST,
# outside the source tree: DEST then holds spin.toml and dist/visits.wasm.
# Exits 77 when npm cannot install the tools (npm missing or unreachable).
# Usage: build-visits-js.sh DEST NPM_TOOLS
set -euo pipefail
mkdir -p "$1" "$2"
dest=$(cd "$1" && pwd) tools=$(cd "$2" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
command -v npm > /dev/null || { echo "visits-js: npm not found"; exit 77; }
mkdir -p "$dest/dist" "$dest/work"
exec 9> "$dest/.build-lock"  # a test and `make demo` may build at the same time
flock 9
if ! "$root/scripts/npm-tools.sh" "$tools" > "$dest/npm.txt" 2>&1; then
  cat "$dest/npm.txt"; echo "visits-js: npm tools not installed (npm registry unreachable?)"; exit 77
fi
cp "$root/examples/visits-js/spin.toml" "$dest/"
src=("$root/examples/visits-js/app.js" "$root/examples/visits-js/build.mjs" "$root/scripts/componentize.mjs")
if [ -s "$dest/dist/visits.wasm" ] && [ -z "$(find "${src[@]}" -newer "$dest/dist/visits.wasm")" ]; then
  exit 0  # up to date
fi
echo "visits-js: building with componentize-js"
(cd "$dest/work" && timeout 900 node "$root/examples/visits-js/build.mjs" "$tools" "$dest/work" "$dest/dist/visits.wasm")
