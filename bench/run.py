#!/usr/bin/env python3
"""Build the C benchmarks in bench/ and run each under plain glibc and under
LD_PRELOAD=libmnthread.so in the same run, then print a comparison table.

Benchmarks are C programs (bench/NAME.c, built with gcc -O2) or Rust
programs (bench/NAME.rs, built with rustc -O); the same binary runs on both
sides.  Every benchmark prints lines "RESULT <name> <value> <unit>"; lower is
better except for the throughput units in HIGHER_BETTER (e.g. Mops/s).  The
ratio column always reads "how many times better mnthread is": glibc /
mnthread for times and sizes, mnthread / glibc for throughputs; below 1
means glibc wins.
"""

import argparse
import os
import re
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# One entry per configuration: prog (bench/NAME.c), args, quick (args for
# --quick), env (both sides), mn_env (mnthread side only), suffix (appended to
# the result names), note (shown in the table), mn_only, timeout.
RUNS = [
    dict(prog="create_join", args=["50000"], quick=["5000"]),
    dict(prog="yield_pingpong", args=["500000"], quick=["50000"],
         env={"BENCH_ONE_CPU": "1"}, mn_env={"MNTHREAD_CARRIERS": "1"},
         note="1 CPU / 1 carrier"),
    dict(prog="yield_pingpong", args=["500000"], quick=["50000"],
         env={"BENCH_ONE_CPU": "1"}, mn_env={"MNTHREAD_CARRIERS": "1", "MNTHREAD_CPUTIME": "1"},
         suffix=" (CPU time counted)", note="1 CPU / 1 carrier, MNTHREAD_CPUTIME=1"),
    dict(prog="parked_threads", args=["10000"], quick=["2000"], suffix=" (N=1e4)"),
    dict(prog="parked_threads", args=["1000000"], quick=["100000"],
         suffix=" (N=1e6)", mn_only=True, timeout=900),
    dict(prog="yield_pingpong", args=["500000"], quick=["50000"],
         env={"BENCH_ONE_CPU": "1", "BENCH_HANDLER": "1"}, mn_env={"MNTHREAD_CARRIERS": "1"},
         suffix=" (handler)", note="1 CPU / 1 carrier, a SIGUSR1 handler installed"),
    dict(prog="idle_cpu", args=["1000"], quick=["300"]),
    dict(prog="cond_handoff", args=[], timeout=60, quick=["20", "1"]),
    dict(prog="cond_handoff", args=[], timeout=60, quick=["20", "1"],
         env={"BENCH_HANDLER": "1"}, suffix=" (handler)", note="a SIGUSR1 handler installed"),
    dict(prog="kill_roundtrip", args=["20000"], timeout=60, quick=["2000"]),
    dict(prog="mutex_uncontended", args=[], timeout=60, quick=["1000000", "1"]),
    dict(prog="mutex_contended", args=[], timeout=60, quick=["200000", "1"]),
    dict(prog="sleep_storm", args=["10000", "10"], timeout=120, quick=["1000", "3"]),
    dict(prog="rust_pingpong", args=[], timeout=60, quick=["20", "1"]),
    dict(prog="pipe_pingpong", args=["100000", "1"], timeout=120, quick=["2000", "1"]),
    dict(prog="pipe_pingpong", args=["20000", "1", "1"], timeout=120, quick=["1000", "1", "1"]),
    dict(prog="tcp_echo", args=["100", "100000"], timeout=180, quick=["100", "5000"], suffix=" (100 conns)"),
    dict(prog="tcp_echo", args=["1000", "100000"], timeout=180, quick=["500", "5000"], suffix=" (1k conns)"),
    dict(prog="tcp_echo", args=["10000", "100000"], timeout=300, quick=["1000", "5000"], suffix=" (10k conns)"),
    dict(prog="fork_wait", args=["2000", "0"], timeout=120, quick=["200", "0"]),
    dict(prog="fork_wait", args=["1000", "10000"], timeout=300, quick=["100", "10000"]),
    dict(prog="rescue", args=["300"], timeout=120, quick=["50"],
         mn_env={"MNTHREAD_CARRIERS": "1"}, note="1 carrier"),
]

# Units where a larger value is better (throughputs).
HIGHER_BETTER = {"Mops/s", "krt/s"}
SOURCE_EXTS = (".c", ".rs")


def build(src, out):
    if src.endswith(".rs"):
        cmd = ["rustc", "-O", "--edition", "2021", src, "-o", out]
    else:
        cmd = ["gcc", "-O2", "-g", "-Wall", "-pthread", "-I", HERE, src, "-o", out]
    if os.path.exists(out) and os.path.getmtime(out) >= max(
            os.path.getmtime(src), os.path.getmtime(os.path.join(HERE, "bench.h"))):
        return True, ""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    return p.returncode == 0, " ".join(cmd) + "\n" + p.stdout


def run(exe, args, env, timeout):
    """Run once; return (results dict name->(value, unit), output, error)."""
    p = subprocess.Popen([exe] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=env, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return {}, out.decode(errors="replace"), "TIMEOUT after %ds" % timeout
    text = out.decode(errors="replace")
    err = None
    if p.returncode < 0:
        err = "killed by %s" % signal.Signals(-p.returncode).name
    elif p.returncode != 0:
        err = "exit status %d" % p.returncode
    res = {}
    for m in re.finditer(r"^RESULT\s+(\S+)\s+(\S+)\s+(\S+)\s*$", text, re.M):
        try:
            res[m.group(1)] = (float(m.group(2)), m.group(3))
        except ValueError:
            pass
    if not res and not err:
        err = "no RESULT line"
    return res, text, err


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "ns" and v >= 10000:
        return "%.1f us" % (v / 1000)
    if abs(v) >= 100:
        return "%.0f %s" % (v, unit)
    return "%.2f %s" % (v, unit)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default="target/release/libmnthread.so")
    ap.add_argument("--build", default="build/bench")
    ap.add_argument("-k", action="append", default=[],
                    help="only benchmarks whose program name contains this")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per configuration; the best value counts")
    ap.add_argument("--quick", action="store_true",
                    help="much smaller problem sizes (smoke test)")
    ap.add_argument("--no-mnthread-only", action="store_true",
                    help="skip the mnthread-only rows (N=1e6)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every benchmark's full output")
    args = ap.parse_args()

    lib = os.path.abspath(args.lib)
    have_lib = os.path.exists(lib)
    if not have_lib:
        print("warning: %s not found; only glibc numbers will be shown" % args.lib)
    os.makedirs(args.build, exist_ok=True)

    runs = list(RUNS)
    known = {r["prog"] for r in runs}
    sources = {}
    for fn in sorted(os.listdir(HERE)):
        base, ext = os.path.splitext(fn)
        if ext in SOURCE_EXTS:
            sources[base] = fn
            if base not in known:
                runs.append(dict(prog=base, args=[]))
    if args.k:
        runs = [r for r in runs if any(k in r["prog"] for k in args.k)]
    if args.no_mnthread_only:
        runs = [r for r in runs if not r.get("mn_only")]

    exes = {}
    failed = False
    for prog in sorted({r["prog"] for r in runs}):
        if prog not in sources:
            print("NO SOURCE for %s" % prog)
            failed = True
            continue
        src = os.path.join(HERE, sources[prog])
        out = os.path.join(args.build, prog)
        ok, msg = build(src, out)
        if not ok:
            print("BUILD FAILED %s\n%s" % (prog, msg))
            failed = True
        else:
            exes[prog] = out

    base_env = dict(os.environ)
    base_env.pop("LD_PRELOAD", None)

    rows = []  # (label, glibc (v,unit) or None, mn (v,unit) or None, note)
    for r in runs:
        if r["prog"] not in exes:
            continue
        argv = r.get("quick", r["args"]) if args.quick else r["args"]
        timeout = r.get("timeout", 300)
        sides = {}
        for side in ("glibc", "mnthread"):
            if side == "glibc" and r.get("mn_only"):
                continue
            if side == "mnthread" and not have_lib:
                continue
            env = dict(base_env)
            env.update(r.get("env", {}))
            if side == "mnthread":
                env.update(r.get("mn_env", {}))
                env["LD_PRELOAD"] = lib
            best = {}
            errors = []
            for _ in range(max(1, args.repeat)):
                print("running %-16s %-8s %s %s" % (r["prog"], side, " ".join(argv),
                      " ".join("%s=%s" % kv for kv in sorted(
                          (k, v) for k, v in env.items()
                          if k in ("BENCH_ONE_CPU", "MNTHREAD_CARRIERS")))),
                      flush=True)
                res, text, err = run(exes[r["prog"]], argv, env, timeout)
                if args.verbose or err:
                    for line in text.rstrip().splitlines()[-15:]:
                        print("    | " + line)
                if err:
                    print("    %s %s: %s" % (r["prog"], side, err), flush=True)
                    errors.append(err)
                    failed = True
                for name, (v, unit) in res.items():
                    better = (v > best[name][0] if unit in HIGHER_BETTER
                              else v < best[name][0]) if name in best else True
                    if better:
                        best[name] = (v, unit)
            sides[side] = (best, errors)
        names = []
        for side in sides.values():
            for n in side[0]:
                if n not in names:
                    names.append(n)
        if not names:
            names = [r["prog"]]
        for n in names:
            g = sides.get("glibc", ({}, []))[0].get(n)
            m = sides.get("mnthread", ({}, []))[0].get(n)
            gerr = sides.get("glibc", ({}, None))[1]
            merr = sides.get("mnthread", ({}, None))[1]
            rows.append(dict(label=n + r.get("suffix", ""), g=g, m=m,
                             gerr=gerr, merr=merr, note=r.get("note", ""),
                             mn_only=r.get("mn_only", False)))

    # ---- table ----
    print()
    hdr = ("benchmark", "glibc", "mnthread", "mnthread vs glibc")
    table = []
    for row in rows:
        g, m = row["g"], row["m"]
        gs = fmt(*g) if g else ("n/a (mnthread only)" if row["mn_only"]
                                else ("FAILED" if row["gerr"] else "-"))
        ms = fmt(*m) if m else ("FAILED" if row["merr"] else "-")
        if g and m:
            # better / worse value: "how many times better mnthread is"
            hi = g[1] in HIGHER_BETTER
            num, den = (m[0], g[0]) if hi else (g[0], m[0])
            if den > 0:
                ratio = "%.2fx %s" % (num / den, "better" if num >= den else "(worse)")
            elif num > 0:
                ratio = "inf"
            else:
                ratio = "="
        else:
            ratio = "-"
        label = row["label"] + (" [%s]" % row["note"] if row["note"] else "")
        table.append((label, gs, ms, ratio))
    widths = [max(len(str(x[i])) for x in table + [hdr]) for i in range(4)]
    line = "  ".join("%-*s" % (widths[i], hdr[i]) for i in range(4))
    print(line)
    print("-" * len(line))
    for t in table:
        print("  ".join("%-*s" % (widths[i], t[i]) for i in range(4)))
    print("\n(lower is better except for %s; ratio = how many times better "
          "mnthread is: glibc / mnthread, or mnthread / glibc for throughputs)"
          % ", ".join(sorted(HIGHER_BETTER)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
