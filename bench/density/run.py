#!/usr/bin/env python3
"""Density of the node host (`whirl host`) against one `whirl up` per app.

Generates N distinct apps, each a Spin app directory: wasi:http components
(the test guest, build/tests/shim-http-guest.wasm) and WAGI modules (the
test probe), each with a custom section naming it inside its core module,
so no two apps share bytes or compiled code. Then, in one run:

1. `whirl host` on 127.0.0.1 with all N as its apps directory: time to
   register them, idle RSS and threads, bytes per idle app.
2. First request to SAMPLE never-used apps (a cold start each: p50/p99),
   then a second request to the same apps. Before them, one request to an
   app of each kind outside the sample: the host process is warm, as a
   node host is after its first minutes (its code paged in), and what is
   measured is an app's cold start, not the process's. With CACHED=1 the sampled apps'
   code is compiled first (`whirl compile`, into a private cache) and the
   host runs with the `auto` tier: the cold start maps native code.
3. wrk with bench/density/random_host.lua: requests across WRK_APPS apps
   (random Host headers) for WRK_SECONDS, after one request to each.
4. One `whirl up` process per app for UP_APPS of the apps (the SpinKube
   model): time to start them all, their summed RSS, per app.

Usage: bench/density/run.py [N] [SAMPLE]   (default 1000 apps, 200 sampled)
Env: WHIRL (build/whirl), PROBE (build/tests/spin-probe.wasm), GUEST
     (build/tests/shim-http-guest.wasm), BENCH_OUT (build/bench), KIND (mix:
     even apps components, odd WAGI; or component, wagi), CACHED (0),
     WRK_APPS (min(N, 1000); 0: no wrk), WRK_SECONDS (10), UP_APPS (50; 0:
     none). Every process started is stopped by its PID.
"""
import json, os, random, shutil, signal, socket, subprocess, sys, time, http.client
from concurrent.futures import ThreadPoolExecutor

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
build = os.path.join(root, "build")
whirl = os.environ.get("WHIRL", os.path.join(build, "whirl"))
probe = os.environ.get("PROBE", os.path.join(build, "tests", "spin-probe.wasm"))
guest = os.environ.get("GUEST", os.path.join(build, "tests", "shim-http-guest.wasm"))
out = os.environ.get("BENCH_OUT", os.path.join(build, "bench"))
kind = os.environ.get("KIND", "mix")
cached = os.environ.get("CACHED", "0") == "1"
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
sample = min(n, int(sys.argv[2]) if len(sys.argv) > 2 else 200)
wrk_apps = min(n, int(os.environ.get("WRK_APPS", "1000")))
wrk_seconds = int(os.environ.get("WRK_SECONDS", "10"))
up_apps = min(n, int(os.environ.get("UP_APPS", "50")))
domain = "apps.test"


def leb(v):
    b = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        b.append(byte | 0x80 if v else byte)
        if not v:
            return bytes(b)


def read_leb(b, at):
    v = shift = 0
    while True:
        byte = b[at]
        at += 1
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return v, at


def custom_section(name, payload):
    body = leb(len(name)) + name + payload
    return b"\x00" + leb(len(body)) + body


def with_mark(wasm, mark):
    """`wasm` with a custom section appended to its (first) core module."""
    if wasm[4:8] == b"\x01\x00\x00\x00":  # a core module
        return wasm + mark
    at, out = 8, bytearray(wasm[:8])
    done = False
    while at < len(wasm):
        sid = wasm[at]
        size, body = read_leb(wasm, at + 1)
        payload = wasm[body:body + size]
        if sid == 1 and not done:  # core module section: the module is its payload
            payload += mark
            done = True
        out += bytes([sid]) + leb(len(payload)) + payload
        at = body + size
    return bytes(out)


def is_component(i):
    return kind == "component" or (kind == "mix" and i % 2 == 0)


wagi_manifest = ('spin_manifest_version = 2\n[application]\nname = "{0}"\n[[trigger.http]]\nroute = "/probe/..."\n'
                 'component = "probe"\nexecutor = {{ type = "wagi" }}\n[component.probe]\nsource = "app.wasm"\n')
http_manifest = ('spin_manifest_version = 2\n[application]\nname = "{0}"\n[[trigger.http]]\nroute = "/..."\n'
                 'component = "guest"\n[component.guest]\nsource = "app.wasm"\n')
path_of = lambda i: "/k" if is_component(i) else "/probe/status/200"

work = os.path.join(out, "density")
apps = os.path.join(work, "apps")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(apps)
cache = os.path.join(work, "cache")
bases = {True: open(guest, "rb").read(), False: open(probe, "rb").read()}
for i in range(n):
    d = os.path.join(apps, "app%d" % i)
    os.makedirs(d)
    with open(os.path.join(d, "app.wasm"), "wb") as f:
        f.write(with_mark(bases[is_component(i)], custom_section(b"whirl-density", str(i).encode())))
    with open(os.path.join(d, "spin.toml"), "w") as f:
        f.write((http_manifest if is_component(i) else wagi_manifest).format("app%d" % i))

env = dict(os.environ)
env["XDG_CACHE_HOME"] = cache  # private: nothing cached before this run counts
env["WHIRL_TIER"] = "auto" if cached else env.get("WHIRL_TIER", "interp")
chosen = random.Random(1).sample(range(n), sample)
# One app of each kind outside the sample, asked before it (see 2 above).
warmers = [next((i for i in range(n) if i not in chosen and is_component(i) == c), None) for c in (True, False)]
warmers = [i for i in warmers if i is not None]
if cached:
    t = time.time()
    tmp = os.path.join(work, "cwasm")
    os.makedirs(tmp)

    def compile_one(i):
        src = os.path.join(apps, "app%d" % i, "app.wasm")
        args = [whirl, "compile", src] + ([] if is_component(i) else ["-o", os.path.join(tmp, "%d.cwasm" % i)])
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(compile_one, chosen + warmers))
    print("compiled the %d sampled apps to native code in %.1f s" % (sample, time.time() - t))

pct = lambda v, p: v[min(len(v) - 1, int(len(v) * p))]


def proc(pid, field):
    for l in open("/proc/%d/status" % pid):
        if l.startswith(field):
            return int(l.split()[1])


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def serving_port(p, deadline_s=600):
    deadline = time.time() + deadline_s
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            return None
        if line.startswith("Serving http://"):
            return int(line.strip().rsplit(":", 1)[1].rstrip("/"))
    return None


def timed_get(port, host, path, want=200):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t = time.perf_counter()
    c.request("GET", path, headers={"Host": host})
    r = c.getresponse()
    r.read()
    dt = time.perf_counter() - t
    c.close()
    if r.status != want:
        sys.exit("%s answered %d" % (host, r.status))
    return dt * 1000


# 1-3: the node host.
sock = os.path.join(work, "admin.sock")
t0 = time.time()
host = subprocess.Popen([whirl, "host", "--apps", apps, "--domain", domain, "--listen", "127.0.0.1:0",
                         "--admin-socket", sock, "--rescan-ms", "200000"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
try:
    port = serving_port(host)
    if port is None:
        sys.exit("whirl host did not start")
    registered = time.time() - t0
    rss_kb, threads = proc(host.pid, "VmRSS:"), proc(host.pid, "Threads:")
    for a in warmers:
        timed_get(port, "app%d.%s" % (a, domain), path_of(a))
    rss_warm_kb = proc(host.pid, "VmRSS:")
    first = sorted(timed_get(port, "app%d.%s" % (a, domain), path_of(a)) for a in chosen)
    second = sorted(timed_get(port, "app%d.%s" % (a, domain), path_of(a)) for a in chosen)
    rss_sampled_kb = proc(host.pid, "VmRSS:")
    print("kind: %s; tier: %s" % (kind, env["WHIRL_TIER"] + (" (sampled apps' code cached)" if cached else "")))
    print("host: %d apps registered in %.2f s (%.3f ms per app)" % (n, registered, registered * 1000 / n))
    print("host idle: RSS %.1f MiB (%.1f KiB per app), %d threads" % (rss_kb / 1024, rss_kb / n, threads))
    print("first request to a never-used app (%d sampled): p50 %.2f ms, p99 %.2f ms" %
          (len(first), pct(first, 0.5), pct(first, 0.99)))
    print("second request to the same apps: p50 %.2f ms, p99 %.2f ms" % (pct(second, 0.5), pct(second, 0.99)))
    print("host RSS with %d apps loaded: %.1f MiB (%.1f KiB per loaded app over idle)" %
          (sample, rss_sampled_kb / 1024, (rss_sampled_kb - rss_warm_kb) / sample))
    if wrk_apps and shutil.which("wrk"):
        for a in range(wrk_apps):
            timed_get(port, "app%d.%s" % (a, domain), path_of(a))
        lua = os.path.join(root, "bench", "density", "random_host.lua")
        r = subprocess.run(["wrk", "-t2", "-c64", "-d%ds" % wrk_seconds, "--timeout", "10s", "-s", lua,
                            "http://127.0.0.1:%d" % port, "--", str(wrk_apps), domain, kind],
                           capture_output=True, text=True, timeout=wrk_seconds + 60)
        rps = [l for l in r.stdout.splitlines() if l.startswith("Requests/sec")]
        errors = [l.strip() for l in r.stdout.splitlines() if "Non-2xx" in l or "Socket errors" in l]
        lat = [l.strip() for l in r.stdout.splitlines() if l.strip().startswith("Latency")]
        print("wrk over %d apps (2 threads, 64 connections, %d s): %s; %s%s" %
              (wrk_apps, wrk_seconds, rps[0].split()[-1] + " req/s" if rps else "no result",
               lat[0] if lat else "", ("; " + "; ".join(errors)) if errors else ""))
        print("host RSS with %d apps loaded: %.1f MiB" % (wrk_apps, proc(host.pid, "VmRSS:") / 1024))
finally:
    stop(host)

# 4: one `whirl up` per app.
if up_apps:
    ups = []
    t = time.time()
    try:
        for i in range(up_apps):
            p = subprocess.Popen([whirl, "up", "--from", os.path.join(apps, "app%d" % i), "--listen", "127.0.0.1:0"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
            ups.append(p)
        ports = [serving_port(p, 120) for p in ups]
        started = time.time() - t
        if None in ports:
            sys.exit("a whirl up did not start")
        lat = sorted(timed_get(ports[i], "localhost", path_of(i)) for i in range(up_apps))
        rss = sum(proc(p.pid, "VmRSS:") for p in ups)
        thr = sum(proc(p.pid, "Threads:") for p in ups)
        print("whirl up per app: %d processes started in %.2f s; RSS %.1f MiB in all (%.1f MiB per app), %d threads;"
              " first request p50 %.2f ms" % (up_apps, started, rss / 1024, rss / 1024 / up_apps, thr, pct(lat, 0.5)))
    finally:
        for p in ups:
            stop(p)
