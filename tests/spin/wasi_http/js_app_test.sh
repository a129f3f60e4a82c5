#!/usr/bin/env bash
# A JavaScript wasi:http app served by `whirl up` end to end: js/hello.js
# built with componentize-js (StarlingMonkey, the engine Spin's JS SDK
# builds on; pinned in tests/npm), a spin.toml without `executor` (Spin's
# default HTTP executor), requests over 127.0.0.1. Skipped (exit 77) only
# when the npm tools cannot be installed. WHIRL_TIER picks the tier, as
# for every whirl command.
# Usage: js_app_test.sh WHIRL NPM_TOOLS WORKDIR
set -euo pipefail
whirl=$1 tools=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
if ! "$here/../../../scripts/npm-tools.sh" "$tools" > "$work/npm.txt" 2>&1; then
  cat "$work/npm.txt"; echo "js app: npm tools unavailable (npm unreachable?): skipped"; exit 77
fi
timeout 600 node "$here/js/build.mjs" "$tools" "$work" "$work/hello.wasm"
cat > "$work/spin.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "hello-js"
[[trigger.http]]
route = "/hello/..."
component = "hello"
[component.hello]
source = "hello.wasm"
TOML
"$whirl" up -f "$work" --listen 127.0.0.1:0 > "$work/up.out" 2> "$work/up.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
port=
# Under WHIRL_TIER=aot (the aot/ copy) whirl up compiles the JS engine
# before it serves: a minute or more the first time on a busy machine.
polls=300
[ "${WHIRL_TIER:-}" = aot ] && polls=6000
for _ in $(seq 1 "$polls"); do
  port=$(grep -o 'Serving http://127.0.0.1:[0-9]*' "$work/up.out" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/up.err"; echo "js app: whirl up did not start"; exit 1; }
check() {  # METHOD TARGET BODY WANT
  got=$(curl -s -m 120 -X "$1" --data-binary "$3" -D "$work/headers.txt" "http://127.0.0.1:$port$2")
  if [ "$got" != "$4" ]; then
    echo "js app: $1 $2: got [$got], want [$4]"; cat "$work/up.err"; exit 1
  fi
  grep -qi '^x-js: yes' "$work/headers.txt" || { echo "js app: no x-js header"; cat "$work/headers.txt"; exit 1; }
}
check POST "/hello/world?q=1" "the body" "hello from js: POST /hello/world?q=1 path-info=/world body=[the body]"
check PUT "/hello/again" "" "hello from js: PUT /hello/again path-info=/again body=[]"
echo "js app: served by whirl up on 127.0.0.1:$port"
