#!/bin/sh
# whirl snapshot of a component end to end: tests/wasm/snapshot/data/preinit.c
# made a component by jco (its command adapter), pre-initialized through its
# `wizer-initialize` export. The snapshot prints what the native program
# prints, but starts initialized; jco's own runtime (node) runs it alike;
# the export is gone unless kept. An initialization that prints calls WASI:
# refused without --allow-wasi (naming the import), and with it refused for
# the stream handles it leaves open.
# Usage: preinit_test.sh WHIRL PREINIT.component.wasm NOISY.component.wasm PREINIT.native JCO
set -eu
whirl=$1 comp=$2 noisy=$3 native=$4 jco=$5
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

expected=$("$native" | head -1)
[ "$("$native" | tail -1)" = "preinitialized=0" ]
original=$("$whirl" run "$comp")
[ "$original" = "$(printf '%s\npreinitialized=0' "$expected")" ] || { echo "original: $original"; exit 1; }

"$whirl" snapshot "$comp" -o "$dir/pre.wasm" 2>"$dir/log"
grep -q "data segment" "$dir/log"
got=$("$whirl" run "$dir/pre.wasm")
[ "$got" = "$(printf '%s\npreinitialized=1' "$expected")" ] || { echo "snapshot: $got, native: $expected"; exit 1; }
# Another engine runs the snapshot the same way.
by_jco=$("$jco" run "$dir/pre.wasm")
[ "$by_jco" = "$got" ] || { echo "jco run: $by_jco"; exit 1; }

if "$whirl" run --invoke wizer-initialize "$dir/pre.wasm" 2>"$dir/err"; then
  echo "the snapshot still exports wizer-initialize"; exit 1
fi
grep -q 'no exported function `wizer-initialize`' "$dir/err"
"$whirl" snapshot "$comp" -o "$dir/kept.wasm" --keep-init-func 2>/dev/null
"$whirl" run --invoke wizer-initialize "$dir/kept.wasm"

if "$whirl" snapshot "$noisy" -o "$dir/noisy.wasm" 2>"$dir/err"; then
  echo "an initialization calling WASI was snapshotted without --allow-wasi"; exit 1
fi
grep -q 'the initialization called the import `wasi:' "$dir/err" || { cat "$dir/err"; exit 1; }
if "$whirl" snapshot "$noisy" -o "$dir/noisy.wasm" --allow-wasi >"$dir/out" 2>"$dir/err"; then
  echo "an initialization leaving stream handles open was snapshotted"; exit 1
fi
[ "$(cat "$dir/out")" = "initializing" ]
grep -q 'resource handle(s) open' "$dir/err" || { cat "$dir/err"; exit 1; }
echo ok
