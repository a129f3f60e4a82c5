#!/usr/bin/env bash
# containerd-shim-whirl-v2 end to end, in a private containerd (issue 7's
# acceptance): a Spin app served over HTTP, SIGTERM with a request in
# flight, a WASI command's output and exit code, bad images, and a runc
# (busybox) container running beside them; and (issue 25) a Spin app whose
# component is a wasi:http component; (issue 26) a Spin app with only a
# Redis trigger, against a redis-server on loopback; (issue 28) a Spin app
# handed to a node host (`whirl host`) through the runtime options, with
# the same lifecycle. Needs root; exits 77 (skipped) otherwise.
#   containerd_test.sh BUILD_DIR PROBE_WASM HELLO_WASM HTTP_COMPONENT_WASM [REDIS_GUEST_MAKER]
set -uo pipefail
BUILD_DIR=$1 PROBE_WASM=$2 HELLO_WASM=$3 HTTP_WASM=$4 REDIS_GUEST_MAKER=${5:-}
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root (mounts, containerd)"; exit 77; fi
for tool in containerd ctr runc python3 curl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (scripts/install-deps.sh)"; exit 1; }
done
[ -x /bin/busybox ] || { echo "FAIL: /bin/busybox not found (busybox-static)"; exit 1; }

T=$(mktemp -d /tmp/whirl-ctd.XXXXXX)
SOCK=$T/c.sock
CTD_PID=""
REDIS_PID=""
HOST_PID=""
failures=0

cleanup() {
  set +e
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; fi
  if [ -n "$HOST_PID" ]; then kill "$HOST_PID" 2>/dev/null; wait "$HOST_PID" 2>/dev/null; fi
  if [ -n "$CTD_PID" ]; then
    for id in $(ctr -a "$SOCK" task ls -q 2>/dev/null); do ctr -a "$SOCK" task kill -s KILL "$id" >/dev/null 2>&1; done
    sleep 0.2
    for id in $(ctr -a "$SOCK" task ls -q 2>/dev/null); do ctr -a "$SOCK" task delete -f "$id" >/dev/null 2>&1; done
    kill "$CTD_PID" 2>/dev/null
    wait "$CTD_PID" 2>/dev/null
  fi
  # Shims of this containerd (its address is on their command line), by PID.
  local socks
  socks=$(cat "$T"/state/io.containerd.runtime.v2.task/*/*/address 2>/dev/null | sed 's|^unix://||')
  for p in $(pgrep -f "containerd-shim.*-address $SOCK" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  for s in $socks; do [ -S "$s" ] && rm -f "$s"; done  # left by shims killed above
  grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT

check() {  # check NAME COMMAND...: one line per acceptance check
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); return 1; fi
}

c() { ctr -a "$SOCK" "$@"; }
# until_ok TENTHS COMMAND...: polls COMMAND every 0.1 s, at most TENTHS times.
until_ok() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
# eventually NAME COMMAND...: a check whose condition may take a moment on a
# loaded host (up to 5 s), asserted once that time is up or it holds.
eventually() { local name=$1; shift; until_ok 50 "$@"; check "$name" "$@"; }
# stopped ID: waits (bounded) until task ID is STOPPED.
stopped() { until_ok 50 bash -c "ctr -a '$SOCK' task ls | grep -q '^$1 .*STOPPED'"; }

# --- a private containerd -----------------------------------------------
cat > "$T/config.toml" <<CFG
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
CFG
start_containerd() {
  PATH="$BUILD_DIR:$PATH" containerd --config "$T/config.toml" >> "$T/containerd.log" 2>&1 &
  CTD_PID=$!
  until_ok 50 c version >/dev/null 2>&1
  c version >/dev/null 2>&1 || { echo "FAIL: containerd did not start"; tail -20 "$T/containerd.log"; exit 1; }
}
start_containerd

# --- images, built here from files --------------------------------------
mkimg() {  # mkimg NAME DIR [make_oci_image options...]
  local name=$1 dir=$2; shift 2
  python3 "$HERE/make_oci_image.py" "$T/$name.tar" "docker.io/library/$name:test" "$dir" "$@" &&
    c image import --snapshotter native "$T/$name.tar" >/dev/null
}
mkdir -p "$T/spin/assets" "$T/http" "$T/hello/etc" "$T/bb/bin" "$T/broken" "$T/nomanifest" "$T/missing"
cp "$PROBE_WASM" "$T/spin/probe.wasm"
echo "static hello" > "$T/spin/assets/hello.txt"
cat > "$T/spin/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "probe-app"
[[trigger.http]]
route = "/..."
component = "probe"
executor = { type = "wagi" }
[component.probe]
source = "probe.wasm"
files = [{ source = "assets", destination = "/data" }]
TOML
mkimg whirl-spin "$T/spin" --cmd '["/"]' || exit 1
# No executor: Spin's default, a wasi:http component (told by its header).
# The guest acts on its path's first letter (e: echo, c201: status, t: trap).
cp "$HTTP_WASM" "$T/http/guest.wasm"
cat > "$T/http/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "http-app"
[[trigger.http]]
route = "/e/..."
component = "guest"
[[trigger.http]]
route = "/c201"
component = "guest"
[[trigger.http]]
route = "/t"
component = "guest"
[component.guest]
source = "guest.wasm"
TOML
mkimg whirl-http "$T/http" --cmd '["/"]' || exit 1
cp "$HELLO_WASM" "$T/hello/hello.wasm"
echo "from the image" > "$T/hello/etc/greeting"
mkimg whirl-hello "$T/hello" --entrypoint '["/hello.wasm"]' || exit 1
cp /bin/busybox "$T/bb/bin/busybox"
ln -s busybox "$T/bb/bin/sh"
mkimg whirl-busybox "$T/bb" --cmd '["/bin/sh"]' || exit 1
printf 'not a module' > "$T/broken/app.wasm"
mkimg whirl-broken "$T/broken" --entrypoint '["/app.wasm"]' || exit 1
echo "just a file" > "$T/nomanifest/readme.txt"
mkimg whirl-nomanifest "$T/nomanifest" --cmd '["/"]' || exit 1
sed 's/probe.wasm/gone.wasm/' "$T/spin/spin.toml" > "$T/missing/spin.toml"
mkimg whirl-missing "$T/missing" --cmd '["/"]' || exit 1

RUN=(run --snapshotter native --runtime io.containerd.whirl.v2)

# --- 5. a runc container lives beside the whirl tasks -------------------
c run -d --snapshotter native docker.io/library/whirl-busybox:test bb /bin/busybox sleep 120 >/dev/null
check "runc: busybox container running" bash -c "ctr -a '$SOCK' task ls | grep -q '^bb .*RUNNING'"

# --- 1. a Spin app over HTTP --------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
c "${RUN[@]}" -d --net-host --log-uri "file://$T/sp.log" --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT docker.io/library/whirl-spin:test sp >/dev/null
until_ok 100 curl -s -o /dev/null "$URL/file"
check "spin: static file through the WAGI module" bash -c "curl -s '$URL/file' | grep -q 'static hello'"
check "spin: status and headers from the module" bash -c \
  "curl -s -i '$URL/status/201' | tr -d '\r' | grep -q '^HTTP/1.1 201' && curl -s -i '$URL/status/201' | grep -qi '^x-probe: yes'"
check "spin: task RUNNING with a pid" bash -c "ctr -a '$SOCK' task ls | grep -q '^sp .*RUNNING'"
check "spin: the app's log reaches the task's stderr" grep -q "serving probe-app" "$T/sp.log"
check "spin: metrics report memory" bash -c "ctr -a '$SOCK' task metrics sp | grep -q 'memory.usage_in_bytes *[1-9]\|memory.usage *[1-9]'"
SP_PID=$(c task ls | awk '$1=="sp"{print $2}')
echo "info spin: the task process holds $(awk '/^Rss/{r=$2} /^Pss:/{p=$2} END{print r " kB RSS, " p " kB PSS"}' /proc/$SP_PID/smaps_rollup) (the app in it)"
SHIM_SOCK=$(sed 's|^unix://||' "$T/state/io.containerd.runtime.v2.task/default/sp/address")
check "spin: shim socket exists" test -S "$SHIM_SOCK"

# --- 2. SIGTERM with a request in flight --------------------------------
# term_in_flight LABEL ID URL: SIGTERM to task ID while a request to URL
# sleeps; the request completes, the task stops with 143 and is removed.
term_in_flight() {
  local label=$1 id=$2 url=$3
  curl -s -o "$T/$id-inflight.out" -w '%{http_code}' "$url/sleep" > "$T/$id-inflight.code" &
  local curl_pid=$!
  sleep 0.5
  c task kill "$id"
  wait $curl_pid
  check "$label: the in-flight request completes" bash -c "grep -q slept '$T/$id-inflight.out' && grep -q 200 '$T/$id-inflight.code'"
  stopped "$id"
  check "$label: task STOPPED" bash -c "ctr -a '$SOCK' task ls | grep -q '^$id .*STOPPED'"
  check "$label: exit status 143 (128+SIGTERM)" bash -c "ctr -a '$SOCK' task delete $id 2>&1 | grep -q 'exit code 143'"
  c container rm "$id"
}
term_in_flight kill sp "$URL"
eventually "kill: no task process left" bash -c "! kill -0 $SP_PID 2>/dev/null"
check "kill: no mount left" bash -c "! grep -q '$T/state/io.containerd.runtime.v2.task/default/sp' /proc/self/mountinfo"
check "kill: no shim socket left" test ! -e "$SHIM_SOCK"
check "kill: no container left" bash -c "! ctr -a '$SOCK' container ls -q | grep -qx sp"

# --- a wasi:http component (tests/wasi/http/guest.h) over HTTP ------------
PORTH=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URLH=http://127.0.0.1:$PORTH
c "${RUN[@]}" -d --net-host --log-uri "file://$T/http.log" --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORTH docker.io/library/whirl-http:test http >/dev/null
until_ok 100 curl -s -o /dev/null "$URLH/e"
curl -s -D "$T/http.h" -X POST --data-binary 'the body' "$URLH/e/x?q=1" > "$T/http.body"
check "wasi:http: the component echoes method, path and query" bash -c "head -1 '$T/http.body' | grep -qx 'POST /e/x?q=1'"
check "wasi:http: the request body reaches it" bash -c "tail -c 8 '$T/http.body' | grep -qx 'the body'"
check "wasi:http: Spin's headers reach it" bash -c "grep -qx 'spin-path-info: /x' '$T/http.body' && grep -qx 'spin-matched-route: /e/...' '$T/http.body'"
check "wasi:http: its response header reaches the client" bash -c "tr -d '\r' < '$T/http.h' | grep -qix 'x-echo: 1'"
check "wasi:http: its status" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$URLH/c201') = 201 ]"
check "wasi:http: a trapping request is a 500" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$URLH/t') = 500 ]"
check "wasi:http: and the task serves on" bash -c "curl -s '$URLH/e' | head -1 | grep -qx 'GET /e'"
check "wasi:http: no route is a 404" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' '$URLH/other') = 404 ]"
c task kill http; stopped http
check "wasi:http: exit status 143 on SIGTERM" bash -c "ctr -a '$SOCK' task delete http 2>&1 | grep -q 'exit code 143'"
c container rm http

# --- the hand-off: the same image served by a node host ------------------
# The runtime options (ctr's --runtime-config-path; a RuntimeClass's
# `options.ConfigPath` under the CRI) name the host's admin socket. The
# task stays the task: its pid, its log, SIGTERM and its exit status.
"$BUILD_DIR/whirl" host --listen 127.0.0.1:0 --admin-socket "$T/host.sock" > "$T/host.out" 2> "$T/host.err" &
HOST_PID=$!
until_ok 100 test -S "$T/host.sock"
printf 'node_host = "%s"\n' "$T/host.sock" > "$T/whirl-host.toml"
host_apps() {  # host_apps SOCKET: the node host's app names, one per line
  python3 -c 'import json,socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"op\":\"list\"}\n")
buf=b""
while not buf.endswith(b"\n"): buf+=s.recv(65536)
print("\n".join(a["name"] for a in json.loads(buf)["apps"]))' "$1"
}
export -f host_apps
PORTO=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URLO=http://127.0.0.1:$PORTO
c "${RUN[@]}" -d --net-host --runtime-config-path "$T/whirl-host.toml" --log-uri "file://$T/ho.log" \
  --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORTO docker.io/library/whirl-spin:test ho >/dev/null
until_ok 100 curl -s -o /dev/null "$URLO/file"
check "handoff: the host serves the task's static file" bash -c "curl -s '$URLO/file' | grep -q 'static hello'"
check "handoff: status and headers from the module" bash -c \
  "curl -s -i '$URLO/status/201' | tr -d '\r' | grep -q '^HTTP/1.1 201' && curl -s -i '$URLO/status/201' | grep -qi '^x-probe: yes'"
check "handoff: the node host lists the task's app" bash -c "host_apps '$T/host.sock' | grep -qx ho"
check "handoff: task RUNNING with a pid" bash -c "ctr -a '$SOCK' task ls | grep -q '^ho .*RUNNING'"
HO_PID=$(c task ls | awk '$1=="ho"{print $2}')
echo "info handoff: the task process holds $(awk '/^Rss/{r=$2} /^Pss:/{p=$2} END{print r " kB RSS, " p " kB PSS"}' /proc/$HO_PID/smaps_rollup) (the app in the host)"
curl -s -o /dev/null "$URLO/stderr"
eventually "handoff: the app's stderr reaches the task's log" grep -q "probe says hello on stderr" "$T/ho.log"
check "handoff: the task says where it is served" grep -q "through the node host" "$T/ho.log"
term_in_flight "handoff kill" ho "$URLO"
check "handoff kill: the app left the host" bash -c "! host_apps '$T/host.sock' | grep -qx ho"
check "handoff kill: its listener is closed" bash -c "! curl -s -o /dev/null '$URLO/file'"
check "handoff: the host still runs" kill -0 "$HOST_PID"
# A task killed outright (SIGKILL) takes its app along too.
c "${RUN[@]}" -d --net-host --runtime-config-path "$T/whirl-host.toml" --log-uri "file://$T/ho2.log" \
  --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORTO docker.io/library/whirl-spin:test ho2 >/dev/null
until_ok 100 curl -s -o /dev/null "$URLO/file"
c task kill -s KILL ho2; stopped ho2
check "handoff SIGKILL: exit status 137" bash -c "ctr -a '$SOCK' task delete ho2 2>&1 | grep -q 'exit code 137'"
c container rm ho2
eventually "handoff SIGKILL: the app left the host" bash -c "! host_apps '$T/host.sock' | grep -qx ho2"
# The host gone: Create fails, naming the socket.
kill "$HOST_PID"; wait "$HOST_PID" 2>/dev/null; HOST_PID=""
err=$(c "${RUN[@]}" --rm --net-host --runtime-config-path "$T/whirl-host.toml" docker.io/library/whirl-spin:test ho3 2>&1)
check "handoff: no host, Create fails naming its socket" bash -c "echo \"\$0\" | grep -q 'host.sock'" "$err" || echo "  got: $err"
# A WASI command is never the host's: it runs in its own process as ever.
out=$(c "${RUN[@]}" --rm --runtime-config-path "$T/whirl-host.toml" docker.io/library/whirl-hello:test ho4 /hello.wasm x 2>&1); rc=$?
check "handoff: a WASI command runs in its task (exit 0, its output)" bash -c "[ $rc -eq 0 ] && echo \"\$0\" | head -1 | grep -qx 'hello from wasi x'" "$out" || echo "  got: $out"

# --- a Spin app with only a Redis trigger: no listener, as Spin runs one
if [ -n "$REDIS_GUEST_MAKER" ] && command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$T/redis-data" "$T/redis"
  redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$T/redis-data" --save '' --appendonly no \
    --logfile "$T/redis-data/log" >/dev/null 2>&1 &
  REDIS_PID=$!
  rcli() { redis-cli -p "$RPORT" "$@"; }
  until_ok 50 bash -c "[ \"\$(redis-cli -p $RPORT ping 2>/dev/null)\" = PONG ]"
  # The guest records each payload: SADD handled <payload>, INCR count.
  "$REDIS_GUEST_MAKER" "$T/redis/handler.wasm" "redis://127.0.0.1:$RPORT" || exit 1
  cat > "$T/redis/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "redis-app"
[application.trigger.redis]
address = "redis://127.0.0.1:$RPORT"
[[trigger.redis]]
channel = "jobs"
component = "handler"
[component.handler]
source = "handler.wasm"
allowed_outbound_hosts = ["redis://127.0.0.1:$RPORT"]
TOML
  mkimg whirl-redis "$T/redis" --cmd '["/"]' || exit 1
  c "${RUN[@]}" -d --net-host --log-uri "file://$T/redis-app.log" docker.io/library/whirl-redis:test rapp >/dev/null
  # Subscribed once a PUBLISH reaches one subscriber.
  until_ok 100 bash -c "[ \"\$(redis-cli -p $RPORT publish jobs probe)\" = 1 ]"
  for i in 1 2 3 4 5; do rcli publish jobs "m$i" >/dev/null; done
  eventually "redis: every message is handled by a fresh instance" bash -c \
    "[ \"\$(redis-cli -p $RPORT scard handled)\" = 6 ] && [ \"\$(redis-cli -p $RPORT sismember handled m5)\" = 1 ]"
  check "redis: the task logs its channels" grep -q "Active Channels on 127.0.0.1:$RPORT:" "$T/redis-app.log"
  check "redis: no HTTP listener" bash -c "! grep -q 'serving' '$T/redis-app.log'"
  c task kill rapp; stopped rapp
  check "redis: exit status 143 on SIGTERM" bash -c "ctr -a '$SOCK' task delete rapp 2>&1 | grep -q 'exit code 143'"
  c container rm rapp
  kill "$REDIS_PID"; wait "$REDIS_PID" 2>/dev/null; REDIS_PID=""
else
  echo "skip redis: no redis-server/redis-cli or no guest maker"
fi

# --- one shim per pod: containers with the same sandbox id share it ----
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
POD=(--annotation io.kubernetes.cri.sandbox-id=pod1)
c "${RUN[@]}" -d --net-host "${POD[@]}" --memory-limit 268435456 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT docker.io/library/whirl-spin:test pod1 >/dev/null
c "${RUN[@]}" -d --net-host "${POD[@]}" --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT2 docker.io/library/whirl-spin:test pod1-app >/dev/null
B=$T/state/io.containerd.runtime.v2.task/default
check "pod: both containers have the same shim address" cmp -s "$B/pod1/address" "$B/pod1-app/address"
check "pod: one shim process serves both" bash -c "[ \$(ps -eo comm,args | grep -c '^containerd-shim.*-address $SOCK .*-id pod1') -eq 1 ]"
POD_SOCK=$(sed 's|^unix://||' "$B/pod1/address")
until_ok 100 curl -s -o /dev/null "http://127.0.0.1:$PORT2/file"
c task kill -s KILL pod1-app; stopped pod1-app; c task delete pod1-app >/dev/null 2>&1; c container rm pod1-app
check "pod: the shim stays while a container of the pod lives" bash -c "test -S '$POD_SOCK' && curl -s 'http://127.0.0.1:$PORT/file' | grep -q 'static hello'"
if [ -e /sys/fs/cgroup/cgroup.controllers ]; then LIMIT=/sys/fs/cgroup/default/pod1/memory.max; else LIMIT=/sys/fs/cgroup/memory/default/pod1/memory.limit_in_bytes; fi
check "cgroup: the memory limit is set" grep -qx 268435456 "$LIMIT"
check "cgroup: the task process is in it" grep -qx "$(c task ls | awk '$1=="pod1"{print $2}')" "$(dirname "$LIMIT")/cgroup.procs"
c task kill -s KILL pod1; stopped pod1; c task delete pod1 >/dev/null 2>&1; c container rm pod1
eventually "cgroup: removed with the task" test ! -e "$(dirname "$LIMIT")"
eventually "pod: the shim is gone with the last container" test ! -e "$POD_SOCK"

# --- namespaces: without --net-host the app gets its own network namespace
PORT3=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
c "${RUN[@]}" -d --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT3 docker.io/library/whirl-spin:test netns >/dev/null
until_ok 50 bash -c "ctr -a '$SOCK' task ls | grep -q '^netns .*RUNNING'"
sleep 0.5  # time for the app to listen, were its port (wrongly) the host's
NETNS_PID=$(c task ls | awk '$1=="netns"{print $2}')
check "netns: the task runs in a network namespace of its own" bash -c \
  "ctr -a '$SOCK' task ls | grep -q '^netns .*RUNNING' && [ \"\$(readlink /proc/$NETNS_PID/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
check "netns: its port is not on the host" bash -c "! curl -s -m 1 -o /dev/null http://127.0.0.1:$PORT3/file"
c task kill -s KILL netns >/dev/null; stopped netns; c task delete netns >/dev/null 2>&1; c container rm netns

# --- a shim that dies takes its tasks along, and containerd cleans up --
for sig in TERM KILL; do
  id=dies-$sig
  c "${RUN[@]}" -d --net-host --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT docker.io/library/whirl-spin:test $id >/dev/null
  until_ok 50 bash -c "ctr -a '$SOCK' task ls | grep -q '^$id .*RUNNING'"
  TASK_PID=$(c task ls | awk -v id=$id '$1==id{print $2}')
  S=$(sed 's|^unix://||' "$B/$id/address")
  kill -$sig "$(ps -eo pid,comm,args | awk -v s="$SOCK" -v id=$id '$2 ~ /^containerd-shim/ && index($0 " ", "-address " s " ") && index($0 " ", "-id " id " ") {print $1}')"
  # Gone, or a zombie waiting for init (which reaps orphans at its own pace here).
  eventually "shim SIG$sig: its task process is gone" bash -c "[ ! -e /proc/$TASK_PID ] || grep -q '^State:.*Z' /proc/$TASK_PID/status"
  # After SIGKILL containerd cleans up for the shim ("cleaning up dead shim":
  # it runs the shim's delete), at its own pace; slower under sanitizers.
  eventually "shim SIG$sig: no mount left" bash -c "! grep -q '/default/$id/' /proc/self/mountinfo"
  c task delete $id >/dev/null 2>&1; c container rm $id >/dev/null 2>&1
  eventually "shim SIG$sig: socket removed" test ! -e "$S"
  check "shim SIG$sig: the container can be removed" bash -c "! ctr -a '$SOCK' container ls -q | grep -qx $id"
done

# --- tasks outlive a containerd restart (it reconnects through the bundle's address file)
c "${RUN[@]}" -d --net-host --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:$PORT docker.io/library/whirl-spin:test survivor >/dev/null
until_ok 100 curl -s -o /dev/null "$URL/file"
kill "$CTD_PID"; wait "$CTD_PID" 2>/dev/null
start_containerd
check "restart: the task is still RUNNING" bash -c "ctr -a '$SOCK' task ls | grep -q '^survivor .*RUNNING'"
check "restart: and still serving" bash -c "curl -s '$URL/file' | grep -q 'static hello'"
c task kill survivor
stopped survivor
check "restart: kill reaches it (exit 143)" bash -c "ctr -a '$SOCK' task delete survivor 2>&1 | grep -q 'exit code 143'"
c container rm survivor

# --- 3. a WASI command: output on ctr's stdout, the guest's exit code ---
out=$(c "${RUN[@]}" --rm docker.io/library/whirl-hello:test w1 /hello.wasm one two 2>&1); rc=$?
check "wasi: output appears on ctr's stdout" bash -c "[ '$(echo "$out" | head -1)' = 'hello from wasi one two' ]"
check "wasi: the rootfs is preopened at /" bash -c "echo '$out' | grep -q 'greeting: from the image'"
check "wasi: exit code 0" test "$rc" -eq 0
c "${RUN[@]}" --rm --env EXIT_CODE=42 docker.io/library/whirl-hello:test w2 >/dev/null 2>&1; rc=$?
check "wasi: exit code is the guest's (42)" test "$rc" -eq 42

# --- 4. bad images: a clear error, nothing left ---------------------------
bad() {  # bad ID IMAGE EXPECTED_MESSAGE
  local err
  err=$(c "${RUN[@]}" --rm "docker.io/library/$2:test" "$1" 2>&1)
  check "bad image $2: fails" test $? -ne 0
  check "bad image $2: says \"$3\"" bash -c "echo \"\$0\" | grep -q \"$3\"" "$err" || echo "  got: $err"
  sleep 0.2
  check "bad image $2: no container, no mount, no shim" bash -c \
    "! ctr -a '$SOCK' container ls -q | grep -qx $1 && ! grep -q '/default/$1/' /proc/self/mountinfo && ! pgrep -f '[c]ontainerd-shim-whirl-v2.*-id $1 ' >/dev/null"
}
bad b1 whirl-broken "app.wasm: at offset 0x0: magic header not detected"
bad b2 whirl-nomanifest "no spin.toml at the image root"
bad b3 whirl-missing "gone.wasm"

# --- 5 (cont). the runc container was untouched ---------------------------
check "runc: busybox still running after the whirl tasks" bash -c "ctr -a '$SOCK' task ls | grep -q '^bb .*RUNNING'"
check "runc: busybox exec works" bash -c "ctr -a '$SOCK' task exec --exec-id e1 bb /bin/busybox echo beside | grep -q beside"
c task kill -s KILL bb >/dev/null 2>&1
stopped bb
c task delete bb >/dev/null 2>&1
c container rm bb >/dev/null 2>&1

# A sanitizer build of the shim reports into the shim log, which containerd copies.
check "no sanitizer report in the shim log" bash -c "! grep -q 'Sanitizer' '$T/containerd.log'"
if grep -q "level=error" "$T/containerd.log"; then
  echo "containerd errors:"; grep "level=error" "$T/containerd.log" | tail -5
fi
if [ "$failures" -ne 0 ]; then
  echo "task sp's output:"; cat "$T/sp.log" 2>/dev/null
  echo "task http's output:"; cat "$T/http.log" 2>/dev/null
  echo "task ho's output:"; cat "$T/ho.log" 2>/dev/null
  echo "node host:"; cat "$T/host.err" 2>/dev/null
  echo "task rapp's output:"; cat "$T/redis-app.log" 2>/dev/null
  echo "$failures check(s) failed; containerd log tail:"; tail -15 "$T/containerd.log"
  exit 1
fi
echo "all checks passed"
