#!/usr/bin/env bash
# HTTP trigger load test: `wrk` against examples/hello-wagi served by
# `whirl up` on 127.0.0.1 (a fresh wasm instance per request).
# Usage: bench/http/run.sh [SECONDS] [THREADS] [CONNECTIONS]   (defaults 10 2 50)
# Env: WHIRL=path/to/whirl (default build/whirl). Loopback only; the server
# is stopped by its PID when the run ends, and wrk stops itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
WHIRL=${WHIRL:-$root/build/whirl}
secs=${1:-10}
threads=${2:-2}
conns=${3:-50}
app=$root/examples/hello-wagi

[ -x "$WHIRL" ] || { echo "bench/http: $WHIRL not built (run make build)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench/http: wrk not installed (scripts/install-deps.sh)" >&2; exit 1; }
if [ ! -f "$app/hello.wasm" ] || [ "$app/hello.c" -nt "$app/hello.wasm" ]; then
  clang --target=wasm32-wasi -O2 "$app/hello.c" -o "$app/hello.wasm"
fi

out=$(mktemp -d)
"$WHIRL" up -f "$app" --listen 127.0.0.1:0 ${WHIRL_UP_ARGS:-} > "$out/stdout" 2> "$out/stderr" &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$out"; }
trap cleanup EXIT

port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'Serving http://127.0.0.1:[0-9]*' "$out/stdout" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "bench/http: whirl up did not start" >&2; cat "$out/stderr" >&2; exit 1; }

url=http://127.0.0.1:$port/hello/bench
curl -sf "$url" > /dev/null || { echo "bench/http: $url failed" >&2; exit 1; }
wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$url" | tee "$out/wrk"
rps=$(awk '/^Requests\/sec:/ {print $2}' "$out/wrk")
p99=$(awk '$1 == "99%" {print $2}' "$out/wrk")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$out/wrk")
echo
echo "hello-wagi: ${rps} req/s, p99 ${p99} (wrk -t$threads -c$conns -d${secs}s, non-2xx: ${non2xx:-0})"
