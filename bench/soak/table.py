#!/usr/bin/env python3
# Writes a wasm32 module with a large funcref table, a memory and an empty
# `_start`, for bench/soak/run.sh:
#   table.py OUT.wasm [ENTRIES [PAGES]]    (defaults 10000000 1024)
# A table element costs 8 bytes against the per-request budget of `whirl up
# --max-memory` (default 128 MiB), which covers memories and tables, and a
# table may have at most 10,000,000 elements (the engine's implementation
# limit; (table 100000000 funcref) fails on that, not on the budget). So the
# defaults, an 80 MB table next to a 64 MiB memory, are over the default
# budget: instantiation must fail with an error naming it (route /table).
# `table.py OUT.wasm 10000000 1` fits (80 MB of table allocated and filled
# per request: route /bigtable).
import sys


def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def name(s):
    return leb(len(s)) + s.encode()


entries = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
mod = b"\0asm" + bytes([1, 0, 0, 0])
mod += section(1, leb(1) + bytes([0x60, 0, 0]))  # type 0: [] -> []
mod += section(3, leb(1) + leb(0))  # func 0: type 0
mod += section(4, leb(1) + bytes([0x70, 0x00]) + leb(entries))  # table funcref, min only
mod += section(5, leb(1) + bytes([0x00]) + leb(pages))  # memory, min only
mod += section(7, leb(2) + name("_start") + bytes([0x00]) + leb(0) + name("memory") + bytes([0x02]) + leb(0))
mod += section(10, leb(1) + leb(2) + bytes([0x00, 0x0B]))  # body: no locals, end
with open(sys.argv[1], "wb") as f:
    f.write(mod)
