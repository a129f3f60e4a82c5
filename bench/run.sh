#!/usr/bin/env bash
# CPU benchmarks: each program built natively (-O2) and to wasm32-wasi (-O2)
# from the same source, run natively, under `whirl run` and under Node's
# WASI (a JIT, for reference), in one go. Prints seconds (the fastest of
# BENCH_REPS runs) and the ratio to native, then the geometric mean of the
# ratios. Outputs must match native.
# Usage: bench/run.sh [PROGRAM...]   (env WHIRL=path/to/whirl, NODE=node,
#        BENCH_CPU=the CPU to pin native and whirl runs to, default 0,
#        BENCH_REPS=runs of each, the fastest counts, default 5: on a shared
#        VM, bursts of host load slow single runs by 20-50%)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
WHIRL=${WHIRL:-$root/build/whirl}
NODE=${NODE:-node}
out=${BENCH_OUT:-$root/build/bench}
mkdir -p "$out"

programs=("$@")
if [ ${#programs[@]} -eq 0 ]; then
  programs=(fib sieve hash nbody matmul sort interp alloc)
fi

[ -x "$WHIRL" ] || { echo "bench: $WHIRL not built (run make build)" >&2; exit 1; }

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
# on other threads).
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
# Each program runs REPS rounds of native, whirl, node, one after the
# other, and the fastest run of each counts (noise from the machine only
# adds time). Rounds, not all native runs and then all whirl runs: this
# VM's speed drifts for seconds at a time (native fib's fastest of five was
# 0.067 s in one pass, 0.103 s in the next), and five native runs of a
# program took ~3 s where its whirl runs took ~20 s, so whirl's fastest had
# far more time to catch a fast stretch than native's: a bias in whirl's
# favour. In rounds both sides sample the same stretch.
REPS=${BENCH_REPS:-5}
printf "%-8s %9s %9s %7s %9s %7s\n" program native whirl ratio node ratio
ratios_w=(); ratios_n=(); status=0
for p in "${programs[@]}"; do
  tn=""; tw=""; tj=""
  for _ in $(seq "$REPS"); do
    tn=$(time_once "$out/$p.out.native" "$tn" "${PIN[@]}" "$out/$p.native")
    tw=$(time_once "$out/$p.out.whirl" "$tw" "${PIN[@]}" "$WHIRL" run "$out/$p.wasm")
    if command -v "$NODE" > /dev/null; then
      tj=$(time_once "$out/$p.out.node" "$tj" "$NODE" --no-warnings node-wasi.mjs "$out/$p.wasm")
    fi
  done
  [ -n "$tj" ] || tj=nan
  if ! cmp -s "$out/$p.out.native" "$out/$p.out.whirl"; then
    echo "bench: $p: whirl output differs from native" >&2; status=1
  fi
  rw=$(awk -v a="$tw" -v b="$tn" 'BEGIN{printf "%.2f", a / b}')
  rn=$(awk -v a="$tj" -v b="$tn" 'BEGIN{printf "%.2f", a / b}')
  ratios_w+=("$rw"); ratios_n+=("$rn")
  printf "%-8s %9s %9s %6sx %9s %6sx\n" "$p" "$tn" "$tw" "$rw" "$tj" "$rn"
done
geo() { printf "%s\n" "$@" | awk '{s += log($1); n++} END {printf "%.2f", exp(s / n)}'; }
printf "%-8s %9s %9s %6sx %9s %6sx\n" geomean "" "" "$(geo "${ratios_w[@]}")" "" "$(geo "${ratios_n[@]}")"
exit $status
