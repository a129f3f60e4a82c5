#!/usr/bin/env bash
# `make demo`: examples/hello-wagi on 127.0.0.1:3000, examples/hello-js
# (built from npm with Spin's JS tooling into BUILD/hello-js) on
# 127.0.0.1:3001 and examples/visits-js (key-value, SQLite, variables;
# built with componentize-js into BUILD/visits-js) on 127.0.0.1:3002, one
# `whirl up` each; Ctrl-C stops them all. Where npm is unreachable (or a JS
# build fails) hello-wagi is served alone.
# Usage: demo.sh BUILD
set -uo pipefail
build=$1
whirl=$build/whirl
root=$(cd "$(dirname "$0")/.." && pwd)
js_pid= visits_pid=
stop() {
  for p in $js_pid $visits_pid; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  js_pid= visits_pid=
}
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
echo "demo: building examples/visits-js with componentize-js"
"$root/scripts/build-visits-js.sh" "$build/visits-js" "$build/npm-tools"
rc=$?
if [ "$rc" -eq 0 ]; then
  "$whirl" up -f "$build/visits-js" --listen 127.0.0.1:3002 &
  visits_pid=$!
  echo "demo: visits-js on http://127.0.0.1:3002/   (curl http://127.0.0.1:3002/a; SPIN_VARIABLE_GREETING changes the greeting)"
elif [ "$rc" -eq 77 ]; then
  echo "demo: npm is unreachable, so examples/visits-js is not built"
else
  echo "demo: building examples/visits-js failed (above)"
fi
echo "demo: hello-wagi on http://127.0.0.1:3000/ (curl http://127.0.0.1:3000/hello/ann); Ctrl-C stops"
"$whirl" up -f "$root/examples/hello-wagi" --listen 127.0.0.1:3000
