#!/usr/bin/env bash
# examples/visits-js end to end: built from npm (componentize-js), served
# by `whirl up` on 127.0.0.1 and checked with curl: the greeting comes from
# a variable (default, then SPIN_VARIABLE_GREETING), the visit count from
# the default key-value store and the log from the default SQLite database,
# both surviving a restart of whirl up. Skipped (exit 77) only when npm
# cannot install the tools.
# Usage: visits_js_example_test.sh WHIRL WORKDIR NPM_TOOLS
set -euo pipefail
# Under WHIRL_TIER=aot (the aot/ copy) whirl up compiles the JS engine
# before it serves: a minute or more the first time on a busy machine.
polls=300
[ "${WHIRL_TIER:-}" = aot ] && polls=6000
whirl=$1 work=$2 tools=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work/app/.spin"
mkdir -p "$work"
rc=0
"$here/../../../scripts/build-visits-js.sh" "$work/app" "$tools" > "$work/build.txt" 2>&1 || rc=$?
if [ "$rc" -eq 77 ]; then
  cat "$work/build.txt"; echo "visits-js: npm unreachable, example not built: skipped"; exit 77
elif [ "$rc" -ne 0 ]; then
  cat "$work/build.txt"; echo "visits-js: build failed"; exit 1
fi
pid=
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi; }
trap stop EXIT
start() {  # ENV...: whirl up in the background, sets $port
  : > "$work/up.out"
  env "$@" "$whirl" up -f "$work/app" --listen 127.0.0.1:0 > "$work/up.out" 2> "$work/up.err" &
  pid=$!
  port=
  for _ in $(seq 1 "$polls"); do
    port=$(grep -o 'Serving http://127.0.0.1:[0-9]*' "$work/up.out" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/up.err"; echo "visits-js: whirl up did not start"; exit 1; }
}
expect() {  # METHOD PATH EXPECTED-BODY
  got=$(curl -s -m 120 -X "$1" "http://127.0.0.1:$port$2")
  [ "$got" = "$3" ] || { printf 'visits-js: %s %s: got [%s], want [%s]\n' "$1" "$2" "$got" "$3"; cat "$work/up.err"; exit 1; }
}
start
expect DELETE / 'cleared'
expect GET /a $'Hello! /a has had 1 visit.\nLast visits: /a'
expect GET /a $'Hello! /a has had 2 visits.\nLast visits: /a, /a'
expect GET /b $'Hello! /b has had 1 visit.\nLast visits: /b, /a, /a'
stop
[ -s "$work/app/.spin/sqlite_key_value.db" ] && [ -s "$work/app/.spin/sqlite_db.db" ] ||
  { ls -la "$work/app/.spin"; echo "visits-js: the default stores are not in .spin"; exit 1; }
start SPIN_VARIABLE_GREETING=Hi
expect GET /a $'Hi! /a has had 3 visits.\nLast visits: /a, /b, /a'
echo "visits-js: built from npm, key-value, SQLite and variables served by whirl up on 127.0.0.1:$port"
