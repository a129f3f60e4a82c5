#!/usr/bin/env bash
# HTTP trigger load test: `wrk` against hello apps served by `whirl up` on
# 127.0.0.1, a fresh wasm instance per request, side by side in rounds:
#   wagi       examples/hello-wagi (a core wasm32-wasi module, CGI)
#   component  the wasi:http test guest's hello route (tests/wasi/http/guest.h, /k)
#   js         a componentize-js fetch handler (tests/spin/wasi_http/js; needs npm)
# Usage: bench/http/run.sh [SECONDS] [THREADS] [CONNECTIONS] [ROUNDS] [APPS...]
#   (defaults 10 2 50 1, apps: wagi component js)
# Env: BUILD=build dir (default build). Loopback only; each server is
# stopped by its PID after its run, and wrk stops itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
BUILD=${BUILD:-$root/build}
WHIRL=${WHIRL:-$BUILD/whirl}
secs=${1:-10}
threads=${2:-2}
conns=${3:-50}
rounds=${4:-1}
shift $(( $# < 4 ? $# : 4 ))
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=(wagi component js)

[ -x "$WHIRL" ] || { echo "bench/http: $WHIRL not built (run make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/http: wrk not installed (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

# Each app: a directory with spin.toml, and the URL path to load.
prepare() {
  case $1 in
    wagi)
      local app=$root/examples/hello-wagi
      if [ ! -f "$app/hello.wasm" ] || [ "$app/hello.c" -nt "$app/hello.wasm" ]; then
        clang --target=wasm32-wasi -O2 "$app/hello.c" -o "$app/hello.wasm"
      fi
      echo "$app /hello/bench" ;;
    component)
      mkdir -p "$work/component"
      "$BUILD/bench/whirl-guest-component" "$work/component/guest.wasm"
      printf '%s\n' 'spin_manifest_version = 2' '[application]' 'name = "hello-component"' \
        '[[trigger.http]]' 'route = "/..."' 'component = "guest"' '[component.guest]' 'source = "guest.wasm"' \
        > "$work/component/spin.toml"
      echo "$work/component /k" ;;
    js)
      local out=$work/js
      mkdir -p "$out"
      if ! "$root/scripts/npm-tools.sh" "$BUILD/npm-tools" > "$out/npm.txt" 2>&1 ||
         ! timeout 600 node "$root/tests/spin/wasi_http/js/build.mjs" "$BUILD/npm-tools" "$out" "$out/hello.wasm" \
           > "$out/build.txt" 2>&1; then
        echo "bench/http: js app not built (npm unreachable?): skipped" >&2; return 1
      fi
      printf '%s\n' 'spin_manifest_version = 2' '[application]' 'name = "hello-js"' \
        '[[trigger.http]]' 'route = "/hello/..."' 'component = "hello"' '[component.hello]' 'source = "hello.wasm"' \
        > "$out/spin.toml"
      echo "$out /hello/bench" ;;
    *) echo "bench/http: unknown app $1" >&2; return 1 ;;
  esac
}

declare -A dir path
ready=()
for a in "${apps[@]}"; do
  if spec=$(prepare "$a"); then
    dir[$a]=${spec% *}; path[$a]=${spec##* }; ready+=("$a")
  fi
done

# One wrk run against app $1; appends "app rps p99 non2xx" to $work/results.
run_one() {
  local a=$1 log=$work/$1.log
  "$WHIRL" up -f "${dir[$a]}" --listen 127.0.0.1:0 ${WHIRL_UP_ARGS:-} > "$log.out" 2> "$log.err" &
  pid=$!
  local port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'Serving http://127.0.0.1:[0-9]*' "$log.out" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench/http: whirl up ($a) did not start" >&2; cat "$log.err" >&2; return 1; }
  local url=http://127.0.0.1:$port${path[$a]}
  curl -sf -m 60 "$url" > /dev/null || { echo "bench/http: $url failed" >&2; cat "$log.err" >&2; return 1; }
  wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url" > "$work/wrk"
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk")
  echo "round $r  $a: ${rps} req/s, p99 ${p99}, non-2xx ${non2xx:-0}"
  echo "$a $rps $p99 ${non2xx:-0}" >> "$work/results"
}

echo "wrk -t$threads -c$conns -d${secs}s, $rounds round(s), apps: ${ready[*]}"
for r in $(seq 1 "$rounds"); do
  for a in "${ready[@]}"; do run_one "$a"; done
done
echo
echo "| app | req/s (best of $rounds) | p99 (of that run) | non-2xx |"
echo "|---|---|---|---|"
for a in "${ready[@]}"; do
  awk -v a="$a" '$1 == a && $2 + 0 > best { best = $2 + 0; p = $3; n = $4 } END { printf "| %s | %.0f | %s | %s |\n", a, best, p, n }' \
    "$work/results"
done
