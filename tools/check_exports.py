#!/usr/bin/env python3
"""The export check run by `make test`: the library's dynamic symbol table
is its API and nothing else.

Allowed: the `#[no_mangle]` Rust functions and the global functions of
src/c/ that are not `mnthread_*` (glibc's thread API and the libc entry
points mnthread interposes), and the `mnthread_*` functions
include/mnthread.h declares. Every one of those must
be exported, and nothing else may be (internal glue called from src/c or
asm stays hidden: see `c_callable!`). An export that mnthread.h does not
declare must also be a function glibc's libc.so.6 defines: mnthread only
replaces glibc's entry points, so a stray `#[no_mangle]` helper cannot pass
as API just by being there. Exits 1 on any difference.
"""
import glob
import re
import subprocess
import sys

lib = sys.argv[1] if len(sys.argv) > 1 else "target/release/libmnthread.so"
api = set()
for path in sorted(glob.glob("src/**/*.rs", recursive=True)):
    for name in re.findall(r"#\[no_mangle\]\s*(?:#\[[^\]]*\]\s*)*pub\s+(?:unsafe\s+)?extern\s+\"C\"\s+fn\s+(\w+)", open(path).read()):
        if not name.startswith("mnthread_"):
            api.add(name)
for path in sorted(glob.glob("src/c/*.c")):
    for name in re.findall(r"^(?!static)[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;]*\)\s*\{", open(path).read(), re.M):
        if not name.startswith("mnthread_"):
            api.add(name)

ext = set(re.findall(r"\b(mnthread_\w+)\s*\(", open("include/mnthread.h").read()))
api |= ext


def dynamic_symbols(path):
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


exported = dynamic_symbols(lib)
ldd = subprocess.run(["ldd", lib], check=True, capture_output=True, text=True).stdout
libc = re.search(r"^\s*libc\.so\.6 => (\S+)", ldd, re.M).group(1)
glibc = dynamic_symbols(libc)

extra, missing = sorted(exported - api), sorted(api - exported)
not_glibc = sorted(exported - ext - glibc)
for name in extra:
    print(f"{lib}: exports {name}, which is not API")
for name in missing:
    print(f"{lib}: does not export the API function {name}")
for name in not_glibc:
    print(f"{lib}: exports {name}, which neither include/mnthread.h nor {libc} declares")
if extra or missing or not_glibc:
    sys.exit(1)
print(f"exports: {len(exported)} symbols, all API")
