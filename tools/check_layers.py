#!/usr/bin/env python3
"""The layering check run by `make test`.

The top-level modules of src/ are layers, in this order; a module may name
(`crate::X`) only layers before its own. The crate root (lib.rs) wires them
together and is exempt, and so are `#[cfg(test)]` modules (tests may reach
anywhere). Prints every violation and exits 1 if there is one, so that the
layering cannot rot silently.
"""
import os
import re
import sys

LAYERS = ["sys", "arch", "mem", "sched", "park", "sync", "thread", "io", "signal", "cancel", "fork", "abi"]
# Not layers: C sources, and the loom model helpers (test-only).
IGNORED = {"c", "loom_model"}

src = sys.argv[1] if len(sys.argv) > 1 else "src"
rank = {name: i for i, name in enumerate(LAYERS)}
ref = re.compile(r"\bcrate::(\w+)")
group = re.compile(r"\buse\s+crate::\{([^;]*)\}", re.S)
errors = []

found = {os.path.splitext(n)[0] for n in os.listdir(src) if n != "lib.rs" and (n.endswith(".rs") or os.path.isdir(os.path.join(src, n)))}
for m in sorted(found - set(LAYERS) - IGNORED):
    errors.append(f"src/{m}: not a layer (add it to LAYERS in {sys.argv[0]} at its place)")

for m in LAYERS:
    paths = [os.path.join(src, m + ".rs")] if os.path.isfile(os.path.join(src, m + ".rs")) else []
    for root, _, files in os.walk(os.path.join(src, m)):
        paths += [os.path.join(root, f) for f in sorted(files) if f.endswith(".rs")]
    for p in paths:
        text = open(p).read()
        text = re.split(r"#\[cfg\((?:all\()?test\b[^\]]*\]\s*mod\s+\w+", text)[0]
        text = re.sub(r"//[^\n]*", "", text)
        uses = [(mt.start(), mt.group(1)) for mt in ref.finditer(text)]
        for mt in group.finditer(text):
            uses += [(mt.start(), t.split("::")[0].strip()) for t in mt.group(1).split(",") if t.strip()]
        for pos, t in sorted(uses):
            if t in rank and rank[t] > rank[m]:
                lineno = text.count("\n", 0, pos) + 1
                errors.append(f"{p}:{lineno}: layer `{m}` uses `{t}`, which is above it")

for e in errors:
    print(e)
if errors:
    sys.exit(1)
print(f"layers: {' -> '.join(LAYERS)}: no module uses a layer above it")
