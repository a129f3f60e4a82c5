#!/usr/bin/env bash
# A JavaScript component (componentize-js: SpiderMonkey plus a script, 12 MB,
# the shape of a Spin JS app) built from bench/load/js-component and called
# through its export with WASI 0.2: the script's result must come back.
# Usage: js_component_test.sh WHIRL NPM_TOOLS WORKDIR
set -euo pipefail
whirl=$1 tools=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
"$here/../../scripts/npm-tools.sh" "$tools"
timeout 300 node "$here/../../bench/load/js-component/build.mjs" "$tools" "$work/hello.component.wasm"
# Under WHIRL_TIER=aot (the aot/ copy) the run compiles the engine first.
limit=60
[ "${WHIRL_TIER:-}" = aot ] && limit=900
out=$(timeout "$limit" "$whirl" run --invoke 'greet("W\u{e9}b, \"Assembly\"")' "$work/hello.component.wasm")
want='"Hello, Wéb, \"Assembly\"!"'
if [ "$out" != "$want" ]; then
  echo "js component: got $out, want $want"
  exit 1
fi
echo "js component: $out"
