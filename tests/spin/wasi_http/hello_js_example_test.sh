#!/usr/bin/env bash
# examples/hello-js end to end: built with Spin's own JS tooling from npm
# (scripts/build-hello-js.sh: esbuild + @spinframework/build-tools' j2w,
# versions pinned by the example's package-lock.json), its spin.toml served
# by `whirl up` on 127.0.0.1, checked with curl. Also checks that the
# component imports only what whirl provides (no Spin host interfaces).
# Skipped (exit 77) only when npm cannot install the packages.
# Usage: hello_js_example_test.sh WHIRL WORKDIR
set -euo pipefail
# Under WHIRL_TIER=aot (the aot/ copy) whirl up compiles the JS engine
# before it serves: a minute or more the first time on a busy machine.
polls=300
[ "${WHIRL_TIER:-}" = aot ] && polls=6000
whirl=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
rc=0
"$here/../../../scripts/build-hello-js.sh" "$work/app" > "$work/build.txt" 2>&1 || rc=$?
if [ "$rc" -eq 77 ]; then
  cat "$work/build.txt"; echo "hello-js: npm unreachable, example not built: skipped"; exit 77
elif [ "$rc" -ne 0 ]; then
  cat "$work/build.txt"; echo "hello-js: build failed"; exit 1
fi
"$whirl" inspect "$work/app/dist/hello-js.wasm" > "$work/world.txt"
grep -q 'export wasi:http/incoming-handler@0\.2' "$work/world.txt" ||
  { cat "$work/world.txt"; echo "hello-js: no wasi:http incoming-handler export"; exit 1; }
if grep -E '^ *import ' "$work/world.txt" | grep -v -E 'import wasi:(io|clocks|random|cli|filesystem|http)/'; then
  echo "hello-js: imports beyond WASI 0.2 and wasi:http (above)"; exit 1
fi
"$whirl" up -f "$work/app" --listen 127.0.0.1:0 > "$work/up.out" 2> "$work/up.err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
port=
for _ in $(seq 1 "$polls"); do
  port=$(grep -o 'Serving http://127.0.0.1:[0-9]*' "$work/up.out" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/up.err"; echo "hello-js: whirl up did not start"; exit 1; }
check() {  # TARGET HEADER-LINE...: body is "Hello from JS", each header present
  local target=$1; shift
  got=$(curl -s -m 120 -D "$work/headers.txt" "http://127.0.0.1:$port$target")
  [ "$got" = "Hello from JS" ] || { echo "hello-js: GET $target: got [$got]"; cat "$work/up.err"; exit 1; }
  tr -d '\r' < "$work/headers.txt" > "$work/h.txt"
  grep -q '^HTTP/1.1 200' "$work/h.txt" || { cat "$work/h.txt"; echo "hello-js: not 200"; exit 1; }
  for h in "$@"; do
    grep -qix "$h" "$work/h.txt" || { cat "$work/h.txt"; echo "hello-js: GET $target: no header [$h]"; exit 1; }
  done
}
check / 'x-hello-js: yes' 'content-type: text/plain' 'x-path-info: /' 'x-method: GET'
check '/a/b?x=1' 'x-hello-js: yes' 'x-path-info: /a/b' 'x-query: ?x=1'
echo "hello-js: built from npm, served by whirl up on 127.0.0.1:$port"
