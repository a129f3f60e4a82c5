#!/usr/bin/env bash
# bench/shim: create+start+wait+delete N tasks sequentially with whirl's shim
# (a WASI "hello") and with runc (busybox echo), two ways:
#   - through containerd's client API, in a private containerd;
#   - directly over ttrpc to one shim with containerd mocked out
#     (whirl-shim-stress, runwasi's stress-test method);
# then the idle RSS of each shim.
#   sudo bench/shim/run.sh [N]        (WHIRL_BUILD: the build dir, default build)
# Needs root, containerd, runc, busybox-static, golang-go and Debian's
# containerd Go sources (scripts/install-deps.sh; golang-go for this bench).
set -euo pipefail
N=${1:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${WHIRL_BUILD:-$ROOT/build}" && pwd)
HELLO=$BUILD/tests/shim-hello.wasm
[ "$(id -u)" -eq 0 ] || { echo "bench/shim needs root"; exit 1; }
STRESS=$BUILD/bench/whirl-shim-stress
for f in "$BUILD/containerd-shim-whirl-v2" "$STRESS" "$HELLO" "$ROOT/examples/hello-wagi/hello.wasm"; do
  [ -e "$f" ] || { echo "missing $f: build first (make build)"; exit 1; }
done
for tool in containerd ctr runc containerd-shim-runc-v2 go python3; do command -v $tool >/dev/null || { echo "missing $tool"; exit 1; }; done

T=$(mktemp -d "${BENCH_TMP:-/tmp}/whirl-bench.XXXXXX")
# The direct mode also runs with its scratch (bundles, overlay upper dirs,
# task output) on tmpfs, where unmounting an overlay does not sync a disk.
TT=""
[ "$(stat -fc %T /dev/shm 2>/dev/null)" = tmpfs ] && TT=$(mktemp -d /dev/shm/whirl-bench.XXXXXX)
SOCK=$T/c.sock
CTD_PID=""
cleanup() {
  set +e
  if [ -n "$CTD_PID" ]; then
    for id in $(ctr -a "$SOCK" -n bench task ls -q 2>/dev/null); do ctr -a "$SOCK" -n bench task kill -s KILL "$id"; done
    sleep 0.3
    for id in $(ctr -a "$SOCK" -n bench task ls -q 2>/dev/null); do ctr -a "$SOCK" -n bench task delete -f "$id"; done
    for id in $(ctr -a "$SOCK" -n bench container ls -q 2>/dev/null); do ctr -a "$SOCK" -n bench container rm "$id"; done
    kill "$CTD_PID"; wait "$CTD_PID"
  fi
  local socks
  socks=$(cat "$T"/state/io.containerd.runtime.v2.task/*/*/address 2>/dev/null | sed 's|^unix://||')
  # Shims of this containerd and of whirl-shim-stress (an -address under $T or $TT).
  for p in $(pgrep -f "containerd-shim.*-address $T/" 2>/dev/null); do kill -9 "$p"; done
  [ -n "$TT" ] && for p in $(pgrep -f "containerd-shim.*-address $TT/" 2>/dev/null); do kill -9 "$p"; done
  for s in $socks; do [ -S "$s" ] && rm -f "$s"; done  # left by shims killed above
  grep -o " $T[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  [ -n "$TT" ] && grep -o " $TT[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$T" ${TT:+"$TT"}
} >/dev/null 2>&1
trap cleanup EXIT

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
WHIRL_SHIM_DEBUG=1 PATH="$BUILD:$PATH" containerd --config "$T/config.toml" > "$T/containerd.log" 2>&1 &
CTD_PID=$!
c() { ctr -a "$SOCK" -n bench "$@"; }
for _ in $(seq 50); do c version >/dev/null 2>&1 && break; sleep 0.1; done

mkimg() {  # NAME DIR [options]
  local name=$1 dir=$2; shift 2
  python3 "$ROOT/tests/shim/make_oci_image.py" "$T/$name.tar" "docker.io/library/$name:bench" "$dir" "$@"
  c image import --snapshotter native "$T/$name.tar" >/dev/null
}
mkdir -p "$T/hello" "$T/bb/bin" "$T/wagi"
cp "$HELLO" "$T/hello/hello.wasm"
mkimg whirl-hello "$T/hello" --entrypoint '["/hello.wasm"]'
cp /bin/busybox "$T/bb/bin/busybox"
mkimg whirl-busybox "$T/bb" --cmd '["/bin/busybox","echo","hello"]'
cp "$ROOT/examples/hello-wagi/spin.toml" "$ROOT/examples/hello-wagi/hello.wasm" "$T/wagi/"
mkimg whirl-wagi "$T/wagi" --cmd '["/"]'

# The client: containerd's own Go client, from Debian's sources, no downloads.
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$T/lifecycle" "$ROOT/bench/shim/lifecycle.go"
L=("$T/lifecycle" -address "$SOCK")

echo "== $N tasks, create+start+wait+delete, sequential (containerd $(containerd --version | awk '{print $3}'), native snapshotter)"
"${L[@]}" -runtime io.containerd.whirl.v2 -image docker.io/library/whirl-hello:bench -n 10 >/dev/null  # warm-up
"${L[@]}" -runtime io.containerd.runc.v2 -image docker.io/library/whirl-busybox:bench -n 10 >/dev/null
printf "whirl (WASI hello):   "; "${L[@]}" -runtime io.containerd.whirl.v2 -image docker.io/library/whirl-hello:bench -n "$N" -phases
printf "runc (busybox echo):  "; "${L[@]}" -runtime io.containerd.runc.v2 -image docker.io/library/whirl-busybox:bench -n "$N" -phases

# Inside the whirl shim: mean time per call, from its -debug log lines.
echo "== whirl shim, mean time inside each call"
grep -a -o "whirl shim: [A-Za-z]* ok in [0-9]* us" "$T/containerd.log" |
  awk '{s[$3]+=$6; n[$3]++} END {for (k in s) printf "  %-9s %7.3f ms (%d calls)\n", k, s[k]/n[k]/1000, n[k]}' | sort

# Direct: one shim, containerd mocked (bench/shim/stress.cc says how). Each
# task's rootfs is an overlay (the image directory as its lower layer) that
# the shim mounts at Create and unmounts at Delete, as with containerd's
# overlayfs snapshotter. 10 warm-up tasks each first.
direct() {  # SCRATCH
  "$STRESS" -shim "$BUILD/containerd-shim-whirl-v2" -image "$T/hello" -n 10 -tmp "$1" -expect "hello from wasi" -- /hello.wasm >/dev/null
  "$STRESS" -shim "$(command -v containerd-shim-runc-v2)" -image "$T/bb" -n 10 -tmp "$1" -expect hello -- /bin/busybox echo hello >/dev/null
  echo "whirl (WASI hello):"
  "$STRESS" -shim "$BUILD/containerd-shim-whirl-v2" -image "$T/hello" -n "$N" -tmp "$1" -expect "hello from wasi" -- /hello.wasm
  echo "runc (busybox echo):"
  "$STRESS" -shim "$(command -v containerd-shim-runc-v2)" -image "$T/bb" -n "$N" -tmp "$1" -expect hello -- /bin/busybox echo hello
}
echo "== direct: $N tasks over ttrpc to one shim, containerd mocked (runwasi's stress-test method), scratch on $(df --output=fstype "$T" | tail -1)"
direct "$T"
if [ -n "$TT" ]; then
  echo "== direct, scratch on tmpfs"
  direct "$TT"
fi

# Idle RSS: a long-lived task of each kind, then the shim process's VmRSS.
rss() { awk '/VmRSS/{print $2 " kB"}' "/proc/$1/status"; }
shim_pid() { ps -eo pid,comm,args | awk -v id="$1" -v s="$SOCK" '$2 ~ /^containerd-shim/ && index($0 " ", "-address " s " ") && index($0 " ", "-id " id " ") {print $1}' | head -1; }
c run -d --snapshotter native --runtime io.containerd.whirl.v2 --env SPIN_HTTP_LISTEN_ADDR=127.0.0.1:0 \
  docker.io/library/whirl-wagi:bench idle-wagi >/dev/null 2>&1
c run -d --snapshotter native docker.io/library/whirl-busybox:bench idle-runc /bin/busybox sleep 60 >/dev/null 2>&1
sleep 1
WP=$(shim_pid idle-wagi) RP=$(shim_pid idle-runc)
TP=$(c task ls | awk '$1=="idle-wagi"{print $2}')
echo "== idle RSS"
echo "whirl shim (serving one Spin app): $(rss "$WP")"
echo "  its task process (the app):      $(rss "$TP")"
echo "runc shim (one busybox sleep):     $(rss "$RP")"
