#!/usr/bin/env python3
"""Build and run the mnthread C/C++/Rust tests three ways.

Every test source in c-tests/ (*.c, *.cc, *.rs) is compiled into
  NAME.glibc   an ordinary binary (links only against glibc), and
  NAME.linked  the same source linked with -lmnthread (placed before libc).
Helper shared libraries c-tests/lib/*.c become BUILD/libNAME.so; tests get
-DTEST_LIBDIR="<abs build dir>" so they can dlopen them.

Each test then runs
  glibc    NAME.glibc as is (the control),
  preload  NAME.glibc with LD_PRELOAD=<abs lib>,
  linked   NAME.linked.
A test passes when it exits 0 within its timeout.

Header comments recognised in the first 20 lines of a source:
  // MNTHREAD-ONLY        skip the glibc way (reported as skipped)
  // TIMEOUT: 120         per-test timeout in seconds (default 60)
  // LINK: -ldl -lm       extra link arguments, placed after the sources
                         (tests and lib/ helpers)
  // CFLAGS: -DFOO        extra compiler flags (tests and lib/ helpers)
  // WAYS: glibc preload  restrict the ways a test runs in
  // ONE-CARRIER          the test waits (I/O, sleeps, signals, fork): it also
                         runs preload and linked with MNTHREAD_CARRIERS=1
                         and MNTHREAD_MAX_CARRIERS=1 (ways preload/1c,
                         linked/1c: no spare carriers), where a call that
                         blocks its carrier instead of parking hangs

The last line printed is "N passed, N failed[, N skipped]"; the exit status is
1 if anything failed or if no test ran.
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ALL_WAYS = ("glibc", "preload", "linked")
ONE_CARRIER = "/1c"
HEADER_LINES = 20
TAIL_LINES = 30
RUST_LOCK = threading.Lock()

CFLAGS = ["-O2", "-g", "-Wall", "-pthread"]
CXXFLAGS = ["-std=c++20", "-O2", "-g", "-Wall", "-pthread"]
RUSTFLAGS = ["-O", "--edition", "2021"]


# --------------------------------------------------------------------------
# Source headers
# --------------------------------------------------------------------------

class TestSource:
    def __init__(self, path):
        self.path = path
        base = os.path.basename(path)
        self.name, ext = os.path.splitext(base)
        self.lang = {".c": "c", ".cc": "c++", ".rs": "rust"}[ext]
        self.mnthread_only = False
        self.timeout = None
        self.link = []
        self.cflags = []
        self.ways = list(ALL_WAYS)
        self.one_carrier = False
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [next(f, "") for _ in range(HEADER_LINES)]
        for line in head:
            s = line.strip()
            if not s.startswith("//"):
                continue
            s = s[2:].strip()
            if s.startswith("MNTHREAD-ONLY"):
                self.mnthread_only = True
            if s.startswith("ONE-CARRIER"):
                self.one_carrier = True
            m = re.match(r"TIMEOUT:\s*(\d+(?:\.\d+)?)", s)
            if m:
                self.timeout = float(m.group(1))
            m = re.match(r"LINK:\s*(.*)$", s)
            if m:
                self.link += shlex.split(m.group(1))
            m = re.match(r"CFLAGS:\s*(.*)$", s)
            if m:
                self.cflags += shlex.split(m.group(1))
            m = re.match(r"WAYS:\s*(.*)$", s)
            if m:
                self.ways = [w for w in m.group(1).replace(",", " ").split()
                             if w in ALL_WAYS]


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------

class BuildResult:
    def __init__(self, ok, output="", cmd=None, note=None):
        self.ok = ok
        self.output = output
        self.cmd = cmd
        self.note = note  # e.g. "linked variant not supported"


def newest_mtime(paths):
    t = 0.0
    for p in paths:
        try:
            t = max(t, os.path.getmtime(p))
        except OSError:
            pass
    return t


def run_build(cmd, out, deps):
    """Run a compiler command unless OUT is up to date with DEPS and CMD."""
    stamp = out + ".cmd"
    cmdline = " ".join(shlex.quote(c) for c in cmd)
    try:
        if (os.path.exists(out)
                and os.path.getmtime(out) >= newest_mtime(deps)
                and open(stamp).read() == cmdline):
            return BuildResult(True, "", cmdline)
    except OSError:
        pass
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace")
    except OSError as e:
        return BuildResult(False, "cannot run %s: %s" % (cmd[0], e), cmdline)
    if p.returncode != 0:
        try:
            os.unlink(out)
        except OSError:
            pass
        return BuildResult(False, p.stdout, cmdline)
    with open(stamp, "w") as f:
        f.write(cmdline)
    return BuildResult(True, p.stdout, cmdline)


class Builder:
    def __init__(self, args):
        self.build = os.path.abspath(args.build)
        self.lib = os.path.abspath(args.lib) if args.lib else None
        self.libdir = os.path.dirname(self.lib) if self.lib else None
        self.libname = None
        if self.lib:
            b = os.path.basename(self.lib)
            m = re.match(r"lib(.+?)\.so(\..*)?$", b)
            self.libname = m.group(1) if m else "mnthread"
        # Every test may include the shared headers in c-tests/.
        self.common = ([os.path.join(HERE, f) for f in sorted(os.listdir(HERE))
                        if f.endswith(".h")] + [os.path.abspath(__file__)])
        self.include = os.path.join(os.path.dirname(HERE), "include")

    def helper_libs(self):
        """Build c-tests/lib/*.c into BUILD/libNAME.so; return list of errors."""
        libsrc = os.path.join(HERE, "lib")
        errors = []
        if not os.path.isdir(libsrc):
            return errors
        for fn in sorted(os.listdir(libsrc)):
            if not fn.endswith(".c"):
                continue
            src = os.path.join(libsrc, fn)
            hdr = TestSource(src)
            out = os.path.join(self.build, "lib%s.so" % fn[:-2])
            cmd = (["gcc", "-fPIC", "-shared"] + CFLAGS + hdr.cflags
                   + ["-I", HERE, src, "-o", out] + hdr.link)
            r = run_build(cmd, out, [src] + self.common)
            if not r.ok:
                errors.append("helper library %s failed to build:\n%s\n%s"
                              % (fn, r.cmd, r.output))
        return errors

    def compile(self, t, variant):
        """variant: 'glibc' or 'linked'. Returns BuildResult."""
        out = os.path.join(self.build, "%s.%s" % (t.name, variant))
        define = '-DTEST_LIBDIR="%s"' % self.build
        deps = [t.path] + self.common
        if variant == "linked":
            if not self.lib or not os.path.exists(self.lib):
                return BuildResult(False, "library %s does not exist" % self.lib)
            deps.append(self.lib)
        if t.lang in ("c", "c++"):
            cc = "gcc" if t.lang == "c" else "g++"
            flags = CFLAGS if t.lang == "c" else CXXFLAGS
            cmd = [cc] + flags + t.cflags + ["-I", HERE, define]
            if variant == "linked":
                cmd += ["-I" + self.include]
            cmd += [t.path, "-o", out]
            if variant == "linked":
                # mnthread before every library the test names, so that it
                # precedes libc in DT_NEEDED order and wins symbol lookup.
                cmd += ["-L" + self.libdir, "-Wl,--no-as-needed",
                        "-l" + self.libname,
                        "-Wl,-rpath," + self.libdir]
            cmd += t.link
        else:
            cmd = ["rustc"] + RUSTFLAGS + t.cflags
            if variant == "linked":
                # rustc links with --as-needed and puts -lmnthread right after
                # the crate's own objects (before libstd and libc).  The
                # DT_NEEDED entry is only kept if the test crate itself
                # references a pthread symbol (rust_threads.rs declares and
                # calls pthread_self); the `-as-needed` link modifier that
                # would lift this is nightly-only.  check_needed() below
                # verifies the result.
                cmd += ["-L", self.libdir,
                        "-l", "dylib=" + self.libname,
                        "-C", "link-arg=-Wl,-rpath," + self.libdir]
            cmd += [t.path, "-o", out]
            cmd += t.link
        if t.lang == "rust":
            # rustc names its intermediate objects after the output's stem,
            # which is the same for NAME.glibc and NAME.linked: never run two
            # rustc builds of one test at the same time.
            with RUST_LOCK:
                r = run_build(cmd, out, deps)
        else:
            r = run_build(cmd, out, deps)
        if r.ok and variant == "linked":
            err = self.check_needed(out)
            if err:
                return BuildResult(False, err, r.cmd)
        return r

    def check_needed(self, exe):
        """The linked binary must load libmnthread before libc."""
        try:
            p = subprocess.run(["readelf", "-d", exe], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
        except OSError:
            return None  # no readelf: cannot check
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)
        want = "lib%s.so" % self.libname
        mine = [i for i, n in enumerate(needed) if n.startswith(want)]
        libc = [i for i, n in enumerate(needed) if n.startswith("libc.so")]
        if not mine:
            return "linked binary has no DT_NEEDED %s (NEEDED: %s)" % (want, needed)
        if libc and mine[0] > libc[0]:
            return "linked binary loads libc before %s (NEEDED: %s)" % (want, needed)
        return None


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------

def signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def run_one(argv, env, timeout):
    """Return (status_string_or_None_if_ok, output, seconds)."""
    start = time.monotonic()
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             env=env, start_new_session=True)
    except OSError as e:
        return "cannot execute: %s" % e, "", 0.0
    try:
        out, _ = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            out = b""
    # Kill stragglers (children the test left behind) in its process group.
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    elapsed = time.monotonic() - start
    text = out.decode("utf-8", errors="replace") if out else ""
    if timed_out:
        return "TIMEOUT (hang) after %g s" % timeout, text, elapsed
    rc = p.returncode
    if rc == 0:
        return None, text, elapsed
    if rc < 0:
        return "killed by %s" % signame(-rc), text, elapsed
    return "exit status %d" % rc, text, elapsed


def tail(text, n=TAIL_LINES):
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if len(lines) > n:
        # keep check failures visible even when other output came after them
        early = [l for l in lines[:-n] if "FAILED" in l][:5]
        lines = (["    ... (%d earlier lines)" % (len(lines) - n)] + early
                 + (["    ..."] if early else []) + lines[-n:])
    return "\n".join("    | " + l for l in lines) if lines else "    | (no output)"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default="target/release/libmnthread.so",
                    help="path to libmnthread.so")
    ap.add_argument("--build", default="build/c-tests", help="build directory")
    ap.add_argument("-k", action="append", default=[], metavar="SUBSTR",
                    help="only tests whose name contains SUBSTR (repeatable)")
    ap.add_argument("-x", "--exclude", action="append", default=[], metavar="SUBSTR",
                    help="skip tests whose name contains SUBSTR (repeatable)")
    ap.add_argument("--way", action="append", default=[],
                    help="only this way: glibc, preload or linked "
                         "(repeatable, or comma separated)")
    ap.add_argument("-j", type=int, default=1, metavar="N",
                    help="parallel test jobs (default 1)")
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="extra environment for the tests (repeatable)")
    ap.add_argument("--timeout", type=float, default=60.0,
                    help="default per-test timeout in seconds (default 60)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the output of passing tests too")
    ap.add_argument("--list", action="store_true", help="list tests and exit")
    args = ap.parse_args()

    ways = []
    for w in args.way:
        for x in w.split(","):
            x = x.strip()
            if not x:
                continue
            if x not in ALL_WAYS:
                ap.error("unknown way %r (choose from %s)" % (x, ", ".join(ALL_WAYS)))
            if x not in ways:
                ways.append(x)
    if not ways:
        ways = list(ALL_WAYS)

    extra_env = {}
    for kv in args.env:
        if "=" not in kv:
            ap.error("--env wants K=V, got %r" % kv)
        k, v = kv.split("=", 1)
        extra_env[k] = v

    sources = []
    for fn in sorted(os.listdir(HERE)):
        if os.path.splitext(fn)[1] in (".c", ".cc", ".rs"):
            t = TestSource(os.path.join(HERE, fn))
            if args.k and not any(k in t.name for k in args.k):
                continue
            if any(x in t.name for x in args.exclude):
                continue
            sources.append(t)

    if args.list:
        for t in sources:
            flags = []
            if t.mnthread_only:
                flags.append("MNTHREAD-ONLY")
            if t.timeout:
                flags.append("TIMEOUT %g" % t.timeout)
            print("%-28s %-5s %s" % (t.name, t.lang, " ".join(flags)))
        return 0

    os.makedirs(args.build, exist_ok=True)
    b = Builder(args)
    need_lib = any(w in ("preload", "linked") for w in ways)
    lib_missing = need_lib and (not b.lib or not os.path.exists(b.lib))
    if lib_missing:
        print("warning: library %s does not exist; the preload and linked ways "
              "will fail (build it with `make lib`)" % args.lib, flush=True)

    # ---- build phase (parallel over both cores) ----
    t0 = time.monotonic()
    lib_errors = b.helper_libs()
    for e in lib_errors:
        print("BUILD ERROR " + e, flush=True)

    variants = []
    if "glibc" in ways or "preload" in ways:
        variants.append("glibc")
    if "linked" in ways:
        variants.append("linked")
    builds = {}
    with concurrent.futures.ThreadPoolExecutor(max(2, args.j)) as ex:
        futs = {}
        for t in sources:
            for v in variants:
                futs[(t.name, v)] = ex.submit(b.compile, t, v)
        for key, f in futs.items():
            builds[key] = f.result()
    print("built %d test binaries in %.1fs" % (len(builds), time.monotonic() - t0),
          flush=True)

    # ---- run phase ----
    base_env = dict(os.environ)
    base_env.pop("LD_PRELOAD", None)
    base_env.update(extra_env)
    base_env["MNTHREAD_TEST_LIB"] = b.lib or ""

    jobs = []  # (test, way)
    for t in sources:
        for w in ways:
            jobs.append((t, w))
        if t.one_carrier:
            jobs += [(t, w + ONE_CARRIER) for w in ways if w != "glibc"]

    counts = {"pass": 0, "fail": 0, "skip": 0}
    failures = []
    lock = threading.Lock()

    def report(status, t, w, secs, msg=None, out=None):
        with lock:
            line = "%-5s %s [%s]" % (status, t.name, w)
            if secs is not None:
                line += " %.2fs" % secs
            if msg:
                line += "  " + msg
            print(line, flush=True)
            if out is not None:
                print(out, flush=True)
            counts[{"PASS": "pass", "FAIL": "fail", "SKIP": "skip"}[status]] += 1
            if status == "FAIL":
                failures.append("%s [%s]" % (t.name, w))

    def do_job(job):
        t, w = job
        one_carrier = w.endswith(ONE_CARRIER)
        base_way = w[:-len(ONE_CARRIER)] if one_carrier else w
        if base_way not in t.ways:
            report("SKIP", t, w, None, "(not run this way)")
            return
        if base_way == "glibc" and t.mnthread_only:
            report("SKIP", t, w, None, "(MNTHREAD-ONLY)")
            return
        variant = "linked" if base_way == "linked" else "glibc"
        br = builds[(t.name, variant)]
        if not br.ok:
            report("FAIL", t, w, None, "build failed",
                   tail((br.cmd or "") + "\n" + br.output, 40))
            return
        if w != "glibc" and lib_missing:
            report("FAIL", t, w, None, "library %s missing" % args.lib)
            return
        exe = os.path.join(b.build, "%s.%s" % (t.name, variant))
        env = dict(base_env)
        env["MNTHREAD_TEST_WAY"] = base_way
        if base_way == "preload":
            env["LD_PRELOAD"] = b.lib
        if one_carrier:
            env["MNTHREAD_CARRIERS"] = "1"
            env["MNTHREAD_MAX_CARRIERS"] = "1"
        timeout = t.timeout or args.timeout
        status, out, secs = run_one([exe], env, timeout)
        if one_carrier and status and status.startswith("TIMEOUT"):
            status += " with one carrier: a call blocked its carrier instead of parking"
        if status is None:
            report("PASS", t, w, secs, None, tail(out, 10**6) if args.verbose else None)
        else:
            report("FAIL", t, w, secs, status, tail(out))

    if args.j <= 1:
        for job in jobs:
            do_job(job)
    else:
        with concurrent.futures.ThreadPoolExecutor(args.j) as ex:
            list(ex.map(do_job, jobs))

    if lib_errors:
        counts["fail"] += len(lib_errors)
        failures.append("helper libraries")
    if failures:
        print("\nfailed: " + ", ".join(failures))
    summary = "%d passed, %d failed" % (counts["pass"], counts["fail"])
    if counts["skip"]:
        summary += ", %d skipped" % counts["skip"]
    print(summary, flush=True)
    ran = counts["pass"] + counts["fail"]
    return 1 if counts["fail"] or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
