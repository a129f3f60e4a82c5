#!/usr/bin/env python3
"""Density of the node host (`whirl host`), a first measurement.

Generates N distinct WAGI apps (the test probe module, each with a custom
section naming it, so no two apps share bytes), starts `whirl host` on
127.0.0.1 with them as its apps directory, waits until it has loaded all of
them (admin `status`), then reports: the time to register them, the host's
RSS and thread count, bytes per app, and the latency of the first request
to apps never used before (p50/p99 over a random sample), then of a second
request to the same apps. Stops the host by its PID.

Usage: bench/density/run.py [N] [SAMPLE]   (default 1000 apps, 200 sampled)
Env: WHIRL (default build/whirl), PROBE (default build/tests/spin-probe.wasm),
     BENCH_OUT (default build/bench), WHIRL_TIER (default interp).
"""
import json, os, random, shutil, signal, socket, subprocess, sys, time, http.client

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
whirl = os.environ.get("WHIRL", os.path.join(root, "build", "whirl"))
probe = os.environ.get("PROBE", os.path.join(root, "build", "tests", "spin-probe.wasm"))
out = os.environ.get("BENCH_OUT", os.path.join(root, "build", "bench"))
n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
sample = int(sys.argv[2]) if len(sys.argv) > 2 else 200

def leb(v):
    b = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)

def custom_section(name, payload):
    body = leb(len(name)) + name + payload
    return b"\x00" + leb(len(body)) + body

work = os.path.join(out, "density")
apps = os.path.join(work, "apps")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(apps)
base = open(probe, "rb").read()
manifest = ('spin_manifest_version = 2\n[application]\nname = "{0}"\n[[trigger.http]]\nroute = "/probe/..."\n'
            'component = "probe"\nexecutor = {{ type = "wagi" }}\n[component.probe]\nsource = "probe.wasm"\n')
for i in range(n):
    d = os.path.join(apps, "app%d" % i)
    os.makedirs(d)
    with open(os.path.join(d, "probe.wasm"), "wb") as f:
        f.write(base + custom_section(b"whirl-density", str(i).encode()))
    with open(os.path.join(d, "spin.toml"), "w") as f:
        f.write(manifest.format("app%d" % i))

sock = os.path.join(work, "admin.sock")
env = dict(os.environ)
env.setdefault("WHIRL_TIER", "interp")
t0 = time.time()
host = subprocess.Popen([whirl, "host", "--apps", apps, "--domain", "apps.test", "--listen", "127.0.0.1:0",
                         "--admin-socket", sock, "--rescan-ms", "200000"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
try:
    port = None
    deadline = time.time() + 600
    while time.time() < deadline:
        line = host.stdout.readline()
        if line.startswith("Serving http://"):
            port = int(line.strip().rsplit(":", 1)[1])
            break
    if port is None:
        sys.exit("whirl host did not start")
    registered = time.time() - t0

    def admin(req):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall((json.dumps(req) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data)

    status = admin({"op": "status"})
    def proc(field):
        for l in open("/proc/%d/status" % host.pid):
            if l.startswith(field):
                return int(l.split()[1])
    rss_kb, threads = proc("VmRSS:"), proc("Threads:")

    def timed_get(app):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t = time.perf_counter()
        c.request("GET", "/probe/status/201", headers={"Host": "app%d.apps.test" % app})
        r = c.getresponse()
        r.read()
        dt = time.perf_counter() - t
        c.close()
        if r.status != 201:
            sys.exit("app%d answered %d" % (app, r.status))
        return dt * 1000

    chosen = random.Random(1).sample(range(n), min(sample, n))
    first = sorted(timed_get(a) for a in chosen)
    second = sorted(timed_get(a) for a in chosen)
    rss_after_kb = proc("VmRSS:")
    pct = lambda v, p: v[min(len(v) - 1, int(len(v) * p))]
    print("apps registered: %d (host says %d) in %.2f s (%.2f ms per app)" %
          (n, status["apps"], registered, registered * 1000 / n))
    print("idle host: RSS %.1f MiB (%.1f KiB per app), %d threads" % (rss_kb / 1024, rss_kb / n, threads))
    print("first request to a never-used app (%d sampled): p50 %.2f ms, p99 %.2f ms" %
          (len(first), pct(first, 0.5), pct(first, 0.99)))
    print("second request to the same apps: p50 %.2f ms, p99 %.2f ms" % (pct(second, 0.5), pct(second, 0.99)))
    print("RSS after the requests: %.1f MiB" % (rss_after_kb / 1024))
finally:
    host.send_signal(signal.SIGTERM)
    try:
        host.wait(timeout=30)
    except subprocess.TimeoutExpired:
        host.kill()
        host.wait()
