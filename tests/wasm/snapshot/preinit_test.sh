#!/bin/sh
# whirl snapshot end to end: a C program's wasm, pre-initialized, prints
# what the same program prints natively (its initialization's state came
# through, and did not run again); the snapshot no longer exports the
# initialization function. An initialization calling WASI needs
# --allow-wasi, and the error names the import.
# Usage: preinit_test.sh WHIRL PREINIT.wasm PREINIT.native
set -eu
whirl=$1 wasm=$2 native=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

expected=$("$native")
"$whirl" snapshot "$wasm" -o "$dir/pre.wasm" 2>"$dir/log"
grep -q "data segment" "$dir/log"
got=$("$whirl" run "$dir/pre.wasm")
original=$("$whirl" run "$wasm")
[ "$original" = "$expected" ] || { echo "original: $original, native: $expected"; exit 1; }
[ "$got" = "$expected" ] || { echo "snapshot: $got, native: $expected"; exit 1; }
if "$whirl" run --invoke wizer.initialize "$dir/pre.wasm" 2>"$dir/err"; then
  echo "the snapshot still exports wizer.initialize"; exit 1
fi
grep -q 'no exported function "wizer.initialize"' "$dir/err"
# Kept on request.
"$whirl" snapshot "$wasm" -o "$dir/kept.wasm" --keep-init-func 2>/dev/null
"$whirl" run --invoke wizer.initialize "$dir/kept.wasm"

# An initialization that writes to stdout calls fd_write.
cat > "$dir/noisy.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $ready (mut i32) (i32.const 0))
  (data (i32.const 16) "initialized\n")
  (func (export "wizer.initialize")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (global.set $ready (i32.const 7)))
  (func (export "ready") (result i32) (global.get $ready)))
WAT
if "$whirl" snapshot "$dir/noisy.wat" -o "$dir/noisy.wasm" 2>"$dir/err"; then
  echo "an initialization calling WASI was snapshotted without --allow-wasi"; exit 1
fi
grep -q '"wasi_snapshot_preview1" "fd_write"' "$dir/err"
out=$("$whirl" snapshot "$dir/noisy.wat" -o "$dir/noisy.wasm" --allow-wasi 2>/dev/null)
[ "$out" = "initialized" ] || { echo "init output: $out"; exit 1; }
[ "$("$whirl" run --invoke ready "$dir/noisy.wasm")" = "7" ]
echo ok
