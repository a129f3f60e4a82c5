#!/usr/bin/env bash
# CPU benchmarks: each program built natively (-O2) and to wasm32-wasi (-O2)
# from the same source, run natively, under `whirl run --tier interp` (the
# interpreter), under `whirl run --tier aot` (native code compiled by LLVM)
# and under Node's WASI (a JIT, for reference), in one go. Prints seconds
# (the fastest of BENCH_REPS runs) and the ratio to native, then the
# geometric mean of each ratio column. Outputs must match native.
#
# The aot column is meant to time running compiled code, not compiling it:
# before the rounds each program is compiled once, into a cache private to
# this script ($BENCH_OUT/cache, emptied at the start, XDG_CACHE_HOME of
# every whirl run), by `whirl compile` when the binary has it, else by one
# warm-up `whirl run --tier aot`; the compile times (wall seconds of the
# whole command) are printed as a table of their own first.
# If nothing lands in the cache (a whirl without the artifact cache), each
# aot run compiles too, and the script says so.
#
# The whirl binary is copied to $BENCH_OUT/whirl-bench at the start, so a
# rebuild of it during the run changes nothing under the benchmark.
# Usage: bench/run.sh [PROGRAM...]   (env WHIRL=path/to/whirl, NODE=node,
#        BENCH_OUT=output dir (default build/bench),
#        BENCH_CPU=the CPU to pin native and whirl runs to, default 0,
#        BENCH_REPS=runs of each, the fastest counts, default 5: on a shared
#        VM, bursts of host load slow single runs by 20-50%,
#        BENCH_AOT=0 to leave out the aot column)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
WHIRL=${WHIRL:-$root/build/whirl}
NODE=${NODE:-node}
out=${BENCH_OUT:-$root/build/bench}
AOT=${BENCH_AOT:-1}
mkdir -p "$out"
out=$(cd "$out" && pwd)

programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
  programs=(fib sieve hash nbody matmul sort interp alloc)
fi

[ -x "$WHIRL" ] || { echo "bench: $WHIRL not built (run make build)" >&2; exit 1; }
cp "$WHIRL" "$out/whirl-bench.tmp" && mv -f "$out/whirl-bench.tmp" "$out/whirl-bench"
W="$out/whirl-bench"

# Build what is missing or stale.
for p in "${programs[@]}"; do
  src=programs/$p.c
  if [ ! -f "$out/$p.native" ] || [ "$src" -nt "$out/$p.native" ]; then
    cc -O2 "$src" -o "$out/$p.native" -lm
  fi
  if [ ! -f "$out/$p.wasm" ] || [ "$src" -nt "$out/$p.wasm" ]; then
    clang --target=wasm32-wasi -O2 "$src" -o "$out/$p.wasm" -lm
  fi
done

# Native and whirl runs (both single-threaded) are pinned to one CPU when
# taskset is there: on a VM, migrations between CPUs made the same binary
# vary by up to 25% from run to run. Node keeps all CPUs (its JIT compiles
# on other threads), and so does compiling.
PIN=()
if command -v taskset > /dev/null && taskset -c "${BENCH_CPU:-0}" true 2> /dev/null; then
  PIN=(taskset -c "${BENCH_CPU:-0}")
fi

now() { date +%s.%N; }
# time_once OUTFILE BEST CMD... : runs CMD once with stdout to OUTFILE and
# prints the smaller of BEST (empty: none yet) and its seconds.
time_once() {
  local f=$1 best=$2 t0 t1; shift 2
  t0=$(now)
  "$@" > "$f"
  t1=$(now)
  echo "$t0 $t1 $best" | awk '{t = $2 - $1; if ($3 != "" && $3 < t) t = $3; printf "%.3f", t}'
}
ratio() {
  if [ "$1" = nan ]; then echo nan; else awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; fi
}
# Geometric mean of the arguments, nan ones left out.
geo() {
  printf "%s\n" "$@" | awk '$1 != "nan" && $1 > 0 {s += log($1); n++}
    END {if (n) printf "%.2f", exp(s / n); else printf "nan"}'
}

# The aot tier's cache, private to the benchmark: emptied here (only this
# directory), so every program's compile below is a real one.
cache=$out/cache
if [ "$AOT" != 0 ]; then
  rm -rf "$cache"
  mkdir -p "$cache"
fi
WENV=(env XDG_CACHE_HOME="$cache")
# `whirl compile` is there when its own help says so (the top-level help,
# which an unknown subcommand prints, exits 0 too).
has_compile() { "$W" compile --help 2>&1 | grep -Eq '^Usage: [^ ]+ compile'; }

declare -A compile_s
# Bytes in the tier's cache ($XDG_CACHE_HOME/whirl).
cache_bytes() {
  { find "$cache/whirl" -type f -printf '%s\n' 2> /dev/null || true; } | awk '{s += $1} END {print s + 0}'
}
cached=1
if [ "$AOT" != 0 ]; then
  if has_compile; then
    how="whirl compile"
  else
    how="a warm-up whirl run --tier aot (no whirl compile: compile + one run)"
  fi
  echo "compiling for the aot column by $how, cache $cache:"
  printf "%-8s %9s %10s %9s\n" program "wasm KB" "compile s" "cache KB"
  for p in "${programs[@]}"; do
    before=$(cache_bytes)
    t0=$(now)
    if [ "$how" = "whirl compile" ]; then
      # Also writes the cache entry that `whirl run --tier aot` finds; the
      # .cwasm itself (-o) goes into the private directory too.
      if ! "${WENV[@]}" "$W" compile -o "$cache/$p.cwasm" "$out/$p.wasm" 2> "$out/$p.compile.err"; then
        echo "bench: $p: whirl compile failed:" >&2; cat "$out/$p.compile.err" >&2; exit 1
      fi
    else
      "${WENV[@]}" "$W" run --tier aot "$out/$p.wasm" > "$out/$p.out.aot"
    fi
    t1=$(now)
    compile_s[$p]=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
    grew=$(( $(cache_bytes) - before ))
    [ "$grew" -gt 0 ] || cached=0
    printf "%-8s %9s %10s %9s\n" "$p" "$(( $(stat -c %s "$out/$p.wasm") / 1024 ))" "${compile_s[$p]}" \
      "$(( grew / 1024 ))"
  done
  if [ "$cached" = 0 ]; then
    echo "bench: nothing was cached for some programs: their aot runs below compile too" >&2
  fi
  echo
fi

# Each program runs REPS rounds of native, whirl interp, whirl aot, node,
# one after the other, and the fastest run of each counts (noise from the
# machine only adds time). Rounds, not all native runs and then all whirl
# runs: this VM's speed drifts for seconds at a time (native fib's fastest
# of five was 0.067 s in one pass, 0.103 s in the next), and five native
# runs of a program took ~3 s where its whirl runs took ~20 s, so whirl's
# fastest had far more time to catch a fast stretch than native's: a bias
# in whirl's favour. In rounds all sides sample the same stretch.
REPS=${BENCH_REPS:-5}
printf "%-8s %9s %9s %7s %9s %7s %9s %7s\n" program native interp ratio aot ratio node ratio
ratios_w=(); ratios_a=(); ratios_n=(); status=0
for p in "${programs[@]}"; do
  tn=""; tw=""; ta=""; tj=""
  for _ in $(seq "$REPS"); do
    tn=$(time_once "$out/$p.out.native" "$tn" "${PIN[@]}" "$out/$p.native")
    tw=$(time_once "$out/$p.out.whirl" "$tw" "${WENV[@]}" "${PIN[@]}" "$W" run --tier interp "$out/$p.wasm")
    if [ "$AOT" != 0 ]; then
      ta=$(time_once "$out/$p.out.aot" "$ta" "${WENV[@]}" "${PIN[@]}" "$W" run --tier aot "$out/$p.wasm")
    fi
    if command -v "$NODE" > /dev/null; then
      tj=$(time_once "$out/$p.out.node" "$tj" "$NODE" --no-warnings node-wasi.mjs "$out/$p.wasm")
    fi
  done
  [ -n "$ta" ] || ta=nan
  [ -n "$tj" ] || tj=nan
  for e in whirl aot node; do
    [ -f "$out/$p.out.$e" ] || continue
    [ "$e" != aot ] || [ "$AOT" != 0 ] || continue
    [ "$e" != node ] || [ "$tj" != nan ] || continue
    if ! cmp -s "$out/$p.out.native" "$out/$p.out.$e"; then
      echo "bench: $p: $e output differs from native" >&2; status=1
    fi
  done
  rw=$(ratio "$tw" "$tn"); ra=$(ratio "$ta" "$tn"); rn=$(ratio "$tj" "$tn")
  ratios_w+=("$rw"); ratios_a+=("$ra"); ratios_n+=("$rn")
  printf "%-8s %9s %9s %6sx %9s %6sx %9s %6sx\n" "$p" "$tn" "$tw" "$rw" "$ta" "$ra" "$tj" "$rn"
done
printf "%-8s %9s %9s %6sx %9s %6sx %9s %6sx\n" geomean "" "" "$(geo "${ratios_w[@]}")" \
  "" "$(geo "${ratios_a[@]}")" "" "$(geo "${ratios_n[@]}")"
exit $status
