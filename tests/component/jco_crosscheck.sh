#!/usr/bin/env bash
# Runs a component .wast script with its text components replaced by the
# binaries jco (wasm-tools) makes of the same text: our parser and the
# reference encoder must give binaries that behave the same.
# Usage: jco_crosscheck.sh WHIRL NPM_TOOLS IN.wast OUT.wast
set -euo pipefail
whirl=$1 tools=$2 in=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$(dirname "$out")"
timeout 120 node "$here/jco_crosscheck.mjs" "$in" "$out" "$tools"
exec timeout 120 "$whirl" wast "$out"
