#!/usr/bin/env bash
# Builds examples/hello-js the way `spin build` does (npm ci, npm run build:
# esbuild + @spinframework/build-tools' j2w, pinned by its package-lock.json)
# in DEST, a copy outside the source tree, so node_modules and dist/ stay
# out of the checkout. DEST then holds spin.toml and dist/hello-js.wasm.
# npm ci runs only when the lock file changed; j2w skips an unchanged source.
# Exits 77 when npm cannot install (npm missing or the registry unreachable).
# Usage: build-hello-js.sh DEST
set -euo pipefail
dest=$1
src=$(cd "$(dirname "$0")/../examples/hello-js" && pwd)
command -v npm > /dev/null || { echo "hello-js: npm not found"; exit 77; }
mkdir -p "$dest"
# A test and `make demo` may build at the same time: one at a time.
exec 9> "$dest/.build-lock"
flock 9
rm -rf "$dest/src"
cp -r "$src/src" "$dest/src"
cp "$src/package.json" "$src/package-lock.json" "$src/build.mjs" "$src/spin.toml" "$dest/"
cd "$dest"
if [ ! -d node_modules ] || ! cmp -s package-lock.json node_modules/.whirl-lock; then
  echo "hello-js: npm ci in $dest"
  rm -rf node_modules
  if ! timeout 600 npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1; then
    cat npm.log; echo "hello-js: npm ci failed (npm registry unreachable?)"; exit 77
  fi
  cp package-lock.json node_modules/.whirl-lock
fi
echo "hello-js: npm run build"
timeout 900 npm run build --silent
test -s dist/hello-js.wasm
