#!/usr/bin/env bash
# `make demo`: examples/hello-wagi on 127.0.0.1:3000 and examples/hello-js
# (built from npm with Spin's JS tooling into BUILD/hello-js) on
# 127.0.0.1:3001, two `whirl up` processes; Ctrl-C stops both. Where npm is
# unreachable (or the JS build fails) hello-wagi is served alone.
# Usage: demo.sh BUILD
set -uo pipefail
build=$1
whirl=$build/whirl
root=$(cd "$(dirname "$0")/.." && pwd)
js_pid=
stop() { if [ -n "$js_pid" ]; then kill "$js_pid" 2>/dev/null; wait "$js_pid" 2>/dev/null; js_pid=; fi; }
trap stop EXIT
trap 'stop; exit 130' INT TERM

echo "demo: building examples/hello-js with npm (the first build takes a few minutes)"
"$root/scripts/build-hello-js.sh" "$build/hello-js"
rc=$?
if [ "$rc" -eq 0 ]; then
  "$whirl" up -f "$build/hello-js" --listen 127.0.0.1:3001 &
  js_pid=$!
  echo "demo: hello-js on http://127.0.0.1:3001/   (curl -i http://127.0.0.1:3001/)"
elif [ "$rc" -eq 77 ]; then
  echo "demo: npm is unreachable, so examples/hello-js is not built: serving hello-wagi alone"
else
  echo "demo: building examples/hello-js failed (above): serving hello-wagi alone"
fi
echo "demo: hello-wagi on http://127.0.0.1:3000/ (curl http://127.0.0.1:3000/hello/ann); Ctrl-C stops"
"$whirl" up -f "$root/examples/hello-wagi" --listen 127.0.0.1:3000
