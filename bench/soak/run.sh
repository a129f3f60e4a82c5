#!/usr/bin/env bash
# Soak test (not part of `make test`): `wrk` on a healthy WAGI route of
# `whirl up` while other routes of the same app trap, loop, write endless
# stdout and stderr, and allocate tables. First a baseline of wrk on the
# healthy route alone, then the soak; every SOAK_SAMPLE seconds the server's
# RSS, threads, open fds and the disk used by the app's `.spin/logs` (and
# by its console output) are printed, and at the end a summary: healthy
# req/s, p50, p99 with and without the hostile load, peak RSS, RSS at the
# start and end, disk used, and the hostile requests by status code.
#
# Usage: bench/soak/run.sh
# Env: WHIRL=path/to/whirl (default build/whirl), SOAK_SECONDS (soak, 60),
#      SOAK_BASELINE_SECONDS (10), SOAK_SAMPLE (seconds between samples, 5),
#      SOAK_CLIENTS (concurrent curl loops per hostile route, 2),
#      SOAK_CONNECTIONS (wrk connections, 8), SOAK_TIMEOUT (whirl up
#      --timeout, 2), SOAK_ROUTES (the hostile routes to load, default
#      "trap loop stdout stderr table bigtable"), WHIRL_UP_ARGS (more
#      `whirl up` options).
# Routes of the generated app (spin.toml, one WAGI component each):
#   /healthy   answers "ok"                          (wrk)
#   /trap      __builtin_trap()                      (500)
#   /loop      spins until --timeout                 (500 after 2 s)
#   /stdout    headers, then an endless body         (clients read at
#              64 KB/s and leave after 3 s; the guest is stopped at --timeout)
#   /stderr    endless stderr                        (500 at --timeout; the
#              per-request 1 MiB cap bounds what is kept and logged)
#   /table     10M-element table + 64 MiB memory: over the 128 MiB budget,
#              instantiation fails naming the limit  (500)
#   /bigtable  10M-element table that fits: 80 MB allocated per request (500:
#              its _start writes nothing)
# Loopback only; every loop is bounded in time and count; the server, wrk
# and the loops are stopped by their PIDs when the script ends.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
WHIRL=${WHIRL:-$root/build/whirl}
secs=${SOAK_SECONDS:-60}
base_secs=${SOAK_BASELINE_SECONDS:-10}
sample=${SOAK_SAMPLE:-5}
clients=${SOAK_CLIENTS:-2}
conns=${SOAK_CONNECTIONS:-8}
timeout=${SOAK_TIMEOUT:-2}
routes=(${SOAK_ROUTES:-trap loop stdout stderr table bigtable})

[ -x "$WHIRL" ] || { echo "bench/soak: $WHIRL not built (run make build)" >&2; exit 1; }
for t in wrk curl clang python3; do
  command -v $t > /dev/null || { echo "bench/soak: $t not installed" >&2; exit 1; }
done

work=$(mktemp -d)
app=$work/app
mkdir -p "$app" "$work/codes"
pids=()
server=""
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
  if [ -n "$server" ]; then
    kill -TERM "$server" 2> /dev/null || true
    wait "$server" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

clang --target=wasm32-wasi -O2 bench/soak/hostile.c -o "$app/hostile.wasm"
python3 bench/soak/table.py "$app/table.wasm" 10000000 1024
python3 bench/soak/table.py "$app/bigtable.wasm" 10000000 1

{
  cat << 'EOF'
spin_manifest_version = 2

[application]
name = "soak"
version = "0.1.0"
EOF
  for m in healthy trap loop stdout stderr; do
    cat << EOF

[[trigger.http]]
route = "/$m"
component = "$m"
executor = { type = "wagi" }

[component.$m]
source = "hostile.wasm"
environment = { SOAK_MODE = "$m" }
EOF
  done
  for m in table bigtable; do
    cat << EOF

[[trigger.http]]
route = "/$m"
component = "$m"
executor = { type = "wagi" }

[component.$m]
source = "$m.wasm"
EOF
  done
} > "$app/spin.toml"

# shellcheck disable=SC2086
"$WHIRL" up -f "$app" --listen 127.0.0.1:0 --timeout "$timeout" ${WHIRL_UP_ARGS:-} \
  > "$work/console.out" 2> "$work/console.err" &
server=$!

port=""
for _ in $(seq 1 100); do
  port=$(grep -so 'Serving http://127.0.0.1:[0-9]*' "$work/console.out" | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$server" 2> /dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "bench/soak: whirl up did not start" >&2; cat "$work/console.err" >&2; exit 1; }
url=http://127.0.0.1:$port
curl -sf "$url/healthy" | grep -qx ok || { echo "bench/soak: $url/healthy failed" >&2; exit 1; }

kib() { awk '/^'"$1"':/ {print $2}' "/proc/$server/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
logs_bytes() { if [ -d "$app/.spin/logs" ]; then du -sb "$app/.spin/logs" | cut -f1; else echo 0; fi; }
console_bytes() { cat "$work/console.out" "$work/console.err" | wc -c; }
alive() { kill -0 "$server" 2> /dev/null; }

# wrk's summary line for one run: req/s, p50, p99, non-2xx, socket errors.
wrk_line() {
  local f=$1
  awk '/^Requests\/sec:/ {rps = $2}
       $1 == "50%" {p50 = $2}
       $1 == "99%" {p99 = $2}
       /Non-2xx/ {non2xx = $NF}
       /Socket errors:/ {sub(/.*Socket errors: /, ""); errs = $0}
       END {printf "%s req/s, p50 %s, p99 %s, non-2xx %s, socket errors: %s\n",
            rps, p50, p99, (non2xx == "" ? 0 : non2xx), (errs == "" ? "none" : errs)}' "$f"
}

echo "== baseline: wrk -t1 -c$conns -d${base_secs}s --latency $url/healthy (no other load)"
rss_before=$(kib VmRSS)
wrk -t1 -c"$conns" -d"${base_secs}s" --latency "$url/healthy" > "$work/wrk.base"
wrk_line "$work/wrk.base"
rss_start=$(kib VmRSS)
echo "whirl up RSS: $(mib "$rss_before") MiB before the baseline, $(mib "$rss_start") MiB after it"

# hostile ROUTE CURL-ARGS...: one client loop, bounded by the deadline and a
# request count; each response's status code (000: none, the client gave up
# or the connection broke) goes to codes/ROUTE.
deadline=$(($(date +%s) + secs))
hostile() {
  local route=$1 n=0
  shift
  while [ "$(date +%s)" -lt "$deadline" ] && [ $n -lt 100000 ]; do
    curl -s -o /dev/null -w '%{http_code}\n' "$@" "$url/$route" >> "$work/codes/$route" 2> /dev/null || true
    n=$((n + 1))
  done
}

echo
echo "== soak: ${secs}s of wrk -t1 -c$conns on /healthy; $clients curl loops each on ${routes[*]} (whirl up --timeout $timeout)"
wrk -t1 -c"$conns" -d"${secs}s" --latency "$url/healthy" > "$work/wrk.soak" &
wrk_pid=$!
pids+=("$wrk_pid")
for _ in $(seq "$clients"); do
  for r in "${routes[@]}"; do
    case $r in
      stdout) hostile stdout --max-time 3 --limit-rate 64k & ;;
      loop | stderr) hostile "$r" --max-time 10 & ;;
      *) hostile "$r" --max-time 5 & ;;
    esac
    pids+=($!)
  done
done

# Every 0.5 s: RSS; every SOAK_SAMPLE seconds a line with the smallest and
# largest RSS of the window (the largest is mostly the tables of requests in
# flight, the smallest what the server keeps between them: a leak shows as
# a rising minimum), threads, fds, and disk.
t0=$(date +%s)
printf "%6s %12s %12s %9s %8s %5s %11s %13s\n" t/s rss-min/MiB rss-max/MiB hwm/MiB threads fds logs/bytes console/bytes
rss_series=()
min_series=()
logs_series=()
peak=0
while :; do
  if ! alive; then echo "bench/soak: whirl up exited during the soak" >&2; break; fi
  lo=""
  hi=0
  for _ in $(seq $((sample * 2))); do
    rss=$(kib VmRSS) || break
    rss_series+=("$rss")
    [ -z "$lo" ] || [ "$rss" -lt "$lo" ] && lo=$rss
    [ "$rss" -gt "$hi" ] && hi=$rss
    kill -0 "$wrk_pid" 2> /dev/null || break
    sleep 0.5
  done
  alive || continue
  [ "$hi" -gt "$peak" ] && peak=$hi
  min_series+=("$lo")
  logs_series+=("$(logs_bytes)")
  printf "%6d %12s %12s %9s %8s %5s %11s %13s\n" $(($(date +%s) - t0)) "$(mib "$lo")" "$(mib "$hi")" "$(mib "$(kib VmHWM)")" \
    "$(kib Threads)" "$(ls "/proc/$server/fd" | wc -l)" "$(logs_bytes)" "$(console_bytes)"
  kill -0 "$wrk_pid" 2> /dev/null || break
done
wait "$wrk_pid" || true
for p in "${pids[@]}"; do wait "$p" 2> /dev/null || true; done
pids=()
status=0
alive || { echo "bench/soak: whirl up is gone" >&2; status=1; }

# Once the hostile requests have finished (their guests stopped), RSS again.
sleep 1
rss_end=$(alive && kib VmRSS || echo 0)
hwm=$(alive && kib VmHWM || echo 0)
[ "$rss_end" -gt "$peak" ] && peak=$rss_end

echo
echo "== after: wrk -t1 -c$conns -d${base_secs}s --latency $url/healthy (the hostile load over)"
wrk -t1 -c"$conns" -d"${base_secs}s" --latency "$url/healthy" > "$work/wrk.after"
wrk_line "$work/wrk.after"
rss_after=$(alive && kib VmRSS || echo 0)

echo
echo "== summary"
printf "%-28s %s\n" "healthy, alone (${base_secs}s):" "$(wrk_line "$work/wrk.base")"
printf "%-28s %s\n" "healthy, hostile load (${secs}s):" "$(wrk_line "$work/wrk.soak")"
printf "%-28s %s\n" "healthy, after (${base_secs}s):" "$(wrk_line "$work/wrk.after")"
printf "%-28s %s MiB sampled, %s MiB VmHWM\n" "peak RSS:" "$(mib "$peak")" "$(mib "$hwm")"
printf "%-28s %s MiB at the soak's start, %s MiB at its end (1 s after the last request), %s MiB after the last wrk\n" \
  "RSS:" "$(mib "$rss_start")" "$(mib "$rss_end")" "$(mib "$rss_after")"
n=${#rss_series[@]}
h=$((n / 2))
mean() { awk '{s += $1} END {if (NR) printf "%.1f", s / NR / 1024; else print "-"}'; }
printf "%-28s %s MiB in the first half of the soak, %s MiB in the second half (mean of %s samples)\n" \
  "RSS:" "$(printf "%s\n" "${rss_series[@]:0:h}" | mean)" "$(printf "%s\n" "${rss_series[@]:h}" | mean)" "$n"
printf "%-28s %s MiB\n" "RSS minimum per window:" "$(for k in "${min_series[@]}"; do printf "%s " "$(mib "$k")"; done)"
printf "%-28s %s\n" "logs over the samples:" "$(printf "%s " "${logs_series[@]}") bytes"
printf "%-28s %s bytes in .spin/logs, %s bytes of console output\n" "disk:" "$(logs_bytes)" "$(console_bytes)"
if [ -d "$app/.spin/logs" ]; then
  (cd "$app/.spin/logs" && ls -l | awk 'NR > 1 {printf "  %12s %s\n", $5, $9}')
fi
echo "hostile requests by status code (000: no response: the client gave up or the connection broke):"
for r in "${routes[@]}"; do
  printf "  /%-9s %s\n" "$r" "$(sort "$work/codes/$r" 2> /dev/null | uniq -c | awk '{printf "%s x%s  ", $2, $1}')"
done
echo "console, one line of each kind of error (numbers masked):"
sed -E 's/[0-9]+/N/g' "$work/console.out" "$work/console.err" | grep -v '^e*$' | cut -c1-200 | sort | uniq -c | sort -rn | head -15
curl -sf --max-time 5 "$url/healthy" | grep -qx ok || { echo "bench/soak: /healthy fails after the soak" >&2; status=1; }
exit $status
