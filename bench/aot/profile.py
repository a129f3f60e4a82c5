#!/usr/bin/env python3
"""Profile one `whirl run --tier aot` with perf, naming the compiled code.

The aot tier loads its code with its own ELF loader into an anonymous
mapping made executable by mprotect, which perf records no mmap event for
and has no symbols of: its samples show as [unknown]. This script rebuilds
what the loader did (src/wasm/aot/elf_loader.cc: executable sections first,
in section-header order, each at its alignment, from the start of the
mapping), takes the mapping's start from /proc/PID/maps while the program
runs, and names each sample in it by the compiled function (w<index>, named
from the module's name section) and its offset in the object's .text, so
the hot instructions can be shown from `objdump -d` of the object.

Usage: bench/aot/profile.py [--top N] [--insns N] [--freq HZ] FILE.wasm [ARGS...]
Env: WHIRL (default build/whirl), BENCH_OUT (default build/bench; the cache
is BENCH_OUT/profile-cache, private, emptied first; perf.data and the
object go to BENCH_OUT/profile/). Needs perf (cpu-clock events) and objdump.
"""
import argparse
import collections
import os
import shutil
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def wasm_names(path):
    """Function index -> name, from the name section (empty without one)."""
    b = open(path, "rb").read()
    names, i = {}, 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        end = j + size
        if sid == 0:
            nlen, k = leb(b, j)
            if b[k:k + nlen] == b"name":
                k += nlen
                while k < end:
                    sub = b[k]
                    ssize, k = leb(b, k + 1)
                    if sub == 1:
                        count, m = leb(b, k)
                        for _ in range(count):
                            idx, m = leb(b, m)
                            ln, m = leb(b, m)
                            names[idx] = b[m:m + ln].decode("utf-8", "replace")
                            m += ln
                    k += ssize
        i = end
    return names


def artifact_objects(path):
    """The ELF objects of a .cwasm (src/wasm/aot/artifact.cc: a 56-byte
    header, the wasm, then the code: parts of u64 size + ELF)."""
    b = open(path, "rb").read()
    if b[:8] != b"WHIRLAOT":
        sys.exit(f"profile: {path}: not a whirl compiled-code file")
    wasm_size, object_size = struct.unpack_from("<QQ", b, 32)
    code = b[56 + wasm_size:]
    parts, at = [], 0
    while at < len(code):
        (n,) = struct.unpack_from("<Q", code, at)
        parts.append(code[at + 8:at + 8 + n])
        at += 8 + n
    return parts


def elf_layout(obj):
    """Code sections' offsets in the loaded image, as the loader lays them
    out, and the function symbols: [(image offset, size, name, section,
    offset in section)]."""
    shoff, = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", obj, 0x3A)
    secs = []
    for k in range(shnum):
        name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", obj, shoff + k * shentsize)
        secs.append(dict(name=name, type=typ, flags=flags, off=off, size=size, link=link, align=align))
    shstr = secs[shstrndx]

    def sname(k):
        s = obj[shstr["off"] + secs[k]["name"]:]
        return s[:s.index(b"\0")].decode()

    SHF_ALLOC, SHF_EXEC, SHT_SYMTAB = 2, 4, 2
    placed, off = {}, 0
    for k, s in enumerate(secs):
        if k and s["flags"] & SHF_ALLOC and s["flags"] & SHF_EXEC:
            a = max(s["align"], 1)
            off = (off + a - 1) & ~(a - 1)
            placed[k] = off
            off += s["size"]
    funcs = []
    for s in secs:
        if s["type"] != SHT_SYMTAB:
            continue
        strtab = secs[s["link"]]
        for j in range(s["size"] // 24):
            st_name, st_info, st_other, st_shndx, st_value, st_size = struct.unpack_from(
                "<IBBHQQ", obj, s["off"] + j * 24)
            if (st_info & 0xF) != 2 or st_shndx not in placed:  # STT_FUNC in code
                continue
            n = obj[strtab["off"] + st_name:]
            n = n[:n.index(b"\0")].decode()
            funcs.append((placed[st_shndx] + st_value, st_size, n, sname(st_shndx), st_value))
    funcs.sort()
    return funcs, off


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--insns", type=int, default=3, help="hot functions to show instructions of")
    ap.add_argument("--freq", type=int, default=10000)
    ap.add_argument("file")
    ap.add_argument("args", nargs="*")
    o = ap.parse_args()
    whirl = os.environ.get("WHIRL", os.path.join(ROOT, "build/whirl"))
    out = os.path.abspath(os.environ.get("BENCH_OUT", os.path.join(ROOT, "build/bench")))
    work = os.path.join(out, "profile")
    cache = os.path.join(out, "profile-cache")
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    os.makedirs(work, exist_ok=True)
    w = os.path.join(work, "whirl")
    shutil.copy2(whirl, w)
    env = dict(os.environ, XDG_CACHE_HOME=cache)
    cwasm = os.path.join(cache, "module.cwasm")
    subprocess.run([w, "compile", "-o", cwasm, o.file], env=env, check=True, stderr=subprocess.DEVNULL)
    parts = artifact_objects(cwasm)
    if len(parts) != 1:
        sys.exit(f"profile: the code is in {len(parts)} parts; only one is handled")
    obj_path = os.path.join(work, "module.o")
    open(obj_path, "wb").write(parts[0])
    funcs, code_size = elf_layout(parts[0])
    names = wasm_names(o.file)

    data = os.path.join(work, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(o.freq), "-o", data, "--",
                             w, "run", "--tier", "aot", o.file] + o.args,
                            env=env, stdout=subprocess.DEVNULL)
    # whirl is perf's child: its code mapping, once loaded.
    base = None
    while perf.poll() is None and base is None:
        try:
            kids = open(f"/proc/{perf.pid}/task/{perf.pid}/children").read().split()
            for pid in kids:
                exe = os.readlink(f"/proc/{pid}/exe")
                if exe != w:
                    continue
                anon = []
                for line in open(f"/proc/{pid}/maps"):
                    f = line.split()
                    if f[1] == "r-xp" and len(f) == 5:
                        lo, hi = (int(x, 16) for x in f[0].split("-"))
                        anon.append((lo, hi))
                if anon:
                    if len(anon) > 1:
                        sys.exit(f"profile: {len(anon)} anonymous executable mappings, expected one")
                    base = anon[0][0]
                    if anon[0][1] - anon[0][0] < code_size:
                        sys.exit("profile: the mapping is smaller than the object's code")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            pass
        time.sleep(0.002)
    perf.wait()
    if base is None:
        sys.exit("profile: the compiled code's mapping was not seen (program too short?)")

    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True, text=True,
                            check=True).stdout
    import bisect
    starts = [f[0] for f in funcs]
    total = 0
    by_dso = collections.Counter()
    by_sym = collections.Counter()
    by_off = collections.defaultdict(collections.Counter)

    def wasm_name(sym):
        if sym[:1] in "wt" and sym[1:].isdigit():
            n = names.get(int(sym[1:]))
            return f"{sym} {n}" if n else sym
        return sym

    for line in script.splitlines():
        f = line.split()
        if not f:
            continue
        try:
            ip = int(f[0], 16)
        except ValueError:
            continue
        total += 1
        dso = f[-1].strip("()")
        sym = " ".join(f[1:-1]) or "[unknown]"
        if base <= ip < base + code_size:
            off = ip - base
            k = bisect.bisect_right(starts, off) - 1
            if k >= 0 and off < funcs[k][0] + max(funcs[k][1], 1):
                fn = funcs[k]
                by_dso["compiled wasm"] += 1
                by_sym[("compiled wasm", wasm_name(fn[2]))] += 1
                by_off[fn[2]][fn[4] + off - fn[0]] += 1
            else:
                by_dso["compiled wasm"] += 1
                by_sym[("compiled wasm", "(stubs)")] += 1
            continue
        dso = os.path.basename(dso)
        if dso == os.path.basename(w):
            dso = "whirl"
        by_dso[dso] += 1
        by_sym[(dso, sym.split("+")[0])] += 1
    if not total:
        sys.exit("profile: no samples")
    pct = lambda n: f"{100.0 * n / total:5.1f}%"
    print(f"{total} samples (cpu-clock, {o.freq} Hz), compiled code at {base:#x} (+{code_size:#x})")
    print("\nby dso:")
    for d, n in by_dso.most_common():
        print(f"  {pct(n)}  {d}")
    print("\nby symbol:")
    for (d, s), n in by_sym.most_common(o.top):
        print(f"  {pct(n)}  {d:14} {s}")
    # The hottest compiled functions, instruction by instruction.
    hot = sorted(by_off, key=lambda k: -sum(by_off[k].values()))[:o.insns]
    for fn in hot:
        c = by_off[fn]
        print(f"\n{wasm_name(fn)}: {pct(sum(c.values()))} of samples; instructions ({obj_path}, .text offsets):")
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--disassemble={fn}", obj_path],
                             capture_output=True, text=True).stdout
        for line in dis.splitlines():
            s = line.strip()
            if ":" not in s or not s.split(":")[0].strip().isalnum():
                if s.endswith(">:"):
                    print("  " + s)
                continue
            try:
                a = int(s.split(":")[0], 16)
            except ValueError:
                continue
            n = c.get(a, 0)
            print(f"  {pct(n) if n else '      '}  {s}")


if __name__ == "__main__":
    main()
