#!/usr/bin/env python3
"""Build examples/demo.c (an ordinary pthread program) and run it under plain
glibc and under LD_PRELOAD=libmnthread.so; show both outputs and times side
by side and check that the results agree."""

import argparse
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def run(exe, env, timeout):
    t0 = time.monotonic()
    p = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        status = None if p.returncode == 0 else (
            "killed by %s" % signal.Signals(-p.returncode).name
            if p.returncode < 0 else "exit status %d" % p.returncode)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        status = "TIMEOUT after %d s" % timeout
    return out.decode(errors="replace"), status, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lib", default="target/release/libmnthread.so")
    ap.add_argument("--build", default="build/examples")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()

    os.makedirs(args.build, exist_ok=True)
    exe = os.path.join(args.build, "demo")
    cmd = ["gcc", "-O2", "-Wall", "-pthread", os.path.join(HERE, "demo.c"), "-o", exe]
    print("$ " + " ".join(cmd), flush=True)
    if subprocess.run(cmd).returncode != 0:
        print("build failed")
        return 1

    lib = os.path.abspath(args.lib)
    if not os.path.exists(lib):
        print("error: %s not found (run `make lib`)" % args.lib)
        return 1

    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    print("$ %s" % exe, flush=True)
    g_out, g_err, g_secs = run(exe, env, args.timeout)
    env_mn = dict(env, LD_PRELOAD=lib)
    print("$ LD_PRELOAD=%s %s" % (lib, exe), flush=True)
    m_out, m_err, m_secs = run(exe, env_mn, args.timeout)

    g_lines = g_out.rstrip("\n").splitlines()
    m_lines = m_out.rstrip("\n").splitlines()
    w = max([len("glibc (%.2f s wall)" % g_secs)] + [len(l) for l in g_lines])
    print()
    print("%-*s | %s" % (w, "glibc (%.2f s wall)" % g_secs, "mnthread (%.2f s wall)" % m_secs))
    print("-" * w + "-+-" + "-" * max([24] + [len(l) for l in m_lines]))
    for i in range(max(len(g_lines), len(m_lines))):
        a = g_lines[i] if i < len(g_lines) else ""
        b = m_lines[i] if i < len(m_lines) else ""
        print("%-*s | %s" % (w, a, b))
    print()

    ok = True
    if g_err:
        print("glibc run failed: %s" % g_err)
        ok = False
    if m_err:
        print("mnthread run failed: %s" % m_err)
        ok = False
    g_res = [l for l in g_lines if l.startswith("result ")]
    m_res = [l for l in m_lines if l.startswith("result ")]
    if not g_res or g_res != m_res:
        print("RESULTS DIFFER:\n  glibc:    %s\n  mnthread: %s" % (g_res, m_res))
        ok = False
    else:
        print("results match (%d result lines)" % len(g_res))

    def times(lines):
        d = {}
        for l in lines:
            p = l.split()
            if len(p) >= 4 and p[0] == "time":
                try:
                    d[p[1]] = float(p[2])
                except ValueError:
                    pass
        return d

    gt, mt = times(g_lines), times(m_lines)
    for k in gt:
        if k in mt and mt[k] > 0:
            print("  %-14s glibc %9.1f ms   mnthread %9.1f ms   %.1fx"
                  % (k, gt[k], mt[k], gt[k] / mt[k]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
