#!/usr/bin/env python3
"""Writes each `(component ... binary "..." ...)` of .wast scripts as a
file: seeds for fuzz_component. Usage: seeds_from_wast.py OUT_DIR FILE..."""
import os
import re
import sys

STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] == "\\":
            nxt = s[i + 1]
            if nxt in "0123456789abcdefABCDEF" and i + 2 < len(s):
                out.append(int(s[i + 1:i + 3], 16))
                i += 3
                continue
            out += {"n": b"\n", "t": b"\t", "\\": b"\\", "'": b"'", '"': b'"'}.get(nxt, nxt.encode())
            i += 2
            continue
        out += s[i].encode()
        i += 1
    return bytes(out)


def main():
    out_dir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for path in files:
        text = open(path, encoding="utf-8").read()
        for m in re.finditer(r"\(component(?:\s+\$\S+)?(?:\s+definition)?\s+binary", text):
            depth, i, chunk = 1, m.end(), []
            while i < len(text) and depth:
                if text[i] == '"':
                    s = STRING.match(text, i)
                    chunk.append(unescape(s.group(1)))
                    i = s.end()
                    continue
                if text[i] == ";" and text[i:i + 2] == ";;":
                    i = text.find("\n", i)
                    continue
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            with open(os.path.join(out_dir, "seed-%04d.wasm" % n), "wb") as f:
                f.write(b"".join(chunk))
            n += 1
    print("%d seeds" % n)


main()
