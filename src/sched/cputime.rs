//! The CPU time of user threads.
//!
//! The kernel counts CPU time per kernel thread, and a carrier runs many
//! user threads. So the scheduler counts for each user thread the
//! time-stamp-counter ticks it spends running on carriers: each switch
//! reads the counter once (`rdtsc`, no system call) — the end of one run is
//! the start of the next — and adds the run to the thread that leaves
//! (`end_run`); a carrier leaving its idle loop starts a run (`start_run`).
//! A thread's time ([`cpu_ns`]) is its ticks plus the run in progress,
//! converted to ns with the counter's rate measured since counting started
//! against CLOCK_MONOTONIC (the absolute error stays under the jitter of two
//! clock reads).
//!
//! Counting starts when the program first asks for a user thread's CPU
//! time ([`enable`]), or at start with `MNTHREAD_CPUTIME=1`: a counter read
//! costs ~20 ns on the ~35 ns switch here, which a program that never asks
//! does not pay (a read-mostly flag). Runs before that are not counted: a
//! clock's differences are right from the first question on, its value
//! leaves out what the thread ran before (README).
//!
//! Invariants: `Carrier::run_since` and a thread's `cpu_ticks` are written
//! only by the carrier running the thread; a run is counted from the later
//! of its start and the start of counting (`SINCE`), so a carrier's stale
//! `run_since` from before never counts; a running thread reading its own
//! time is exact; another thread's reading races harmlessly with a switch
//! of it (a run may be seen twice or not at all for that instant).
//!
//! Limits (README): a carrier blocked in a call nobody intercepts, or
//! descheduled by the kernel, still counts for the thread on it.
//!
//! Rejected: the kernel's CPU clock of the carrier read at every switch (a
//! system call per switch); perf's self-monitoring page (not available in
//! every container, and the software task clock has no user-space read).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{carriers, Carrier};
use crate::arch;
use crate::mem::uthread::UThread;
use crate::sys::lock::Locked;
use crate::sys::time;

/// Whether switches count (see the module doc).
static COUNTING: AtomicBool = AtomicBool::new(false);
/// The counter and CLOCK_MONOTONIC when counting started.
static SINCE: AtomicU64 = AtomicU64::new(0);
static SINCE_NS: AtomicU64 = AtomicU64::new(0);
static ENABLE: Locked<()> = Locked::new(());

/// Counting from the start if `MNTHREAD_CPUTIME=1` (when the carriers are made).
pub fn init() {
    // SAFETY: getenv with a NUL-terminated name; a non-null result is a string.
    let v = unsafe { libc::getenv(c"MNTHREAD_CPUTIME".as_ptr()) };
    // SAFETY: as above.
    if !v.is_null() && unsafe { *v } == b'1' as libc::c_char {
        enable();
    }
}

/// Starts counting, if not yet (a program asked for a thread's CPU time).
pub fn enable() {
    if COUNTING.load(Ordering::Acquire) {
        return;
    }
    ENABLE.with(|_| {
        if !COUNTING.load(Ordering::Relaxed) {
            SINCE_NS.store(time::now(), Ordering::Relaxed);
            SINCE.store(arch::tsc(), Ordering::Relaxed);
            COUNTING.store(true, Ordering::Release);
        }
    });
}

/// Carrier `c` starts running a thread.
#[inline(always)]
pub fn start_run(c: &Carrier) {
    if COUNTING.load(Ordering::Relaxed) {
        c.run_since.store(arch::tsc(), Ordering::Relaxed);
    }
}

/// When the run in progress on `c` started counting.
fn run_start(c: &Carrier) -> u64 {
    c.run_since.load(Ordering::Relaxed).max(SINCE.load(Ordering::Relaxed))
}

/// Thread `t` stops running on `c` (and whatever runs next starts).
#[inline(always)]
pub fn end_run(c: &Carrier, t: *mut UThread) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let now = arch::tsc();
    let ran = now.saturating_sub(run_start(c));
    // SAFETY: `t` is the thread running on `c`, the caller.
    let ticks = unsafe { &(*t).cpu_ticks };
    ticks.store(ticks.load(Ordering::Relaxed).wrapping_add(ran), Ordering::Relaxed);
    c.run_since.store(now, Ordering::Relaxed);
}

/// The CPU time of user thread `t`, in ns (counting from now on, if not yet).
pub fn cpu_ns(t: *mut UThread) -> u64 {
    enable();
    let now = arch::tsc();
    // SAFETY: descriptors are type-stable.
    let (mut ticks, before) = unsafe { ((*t).cpu_ticks.load(Ordering::Relaxed), (*t).cpu_before_ns.load(Ordering::Relaxed)) };
    if let Some(c) = carriers().iter().find(|c| c.current.load(Ordering::Relaxed) == t) {
        ticks = ticks.wrapping_add(now.saturating_sub(run_start(c)));
    }
    before + ticks_to_ns(ticks, now)
}

fn ticks_to_ns(ticks: u64, now_tsc: u64) -> u64 {
    let dt = now_tsc.saturating_sub(SINCE.load(Ordering::Acquire));
    let dn = time::now().saturating_sub(SINCE_NS.load(Ordering::Relaxed));
    if dt == 0 {
        return 0;
    }
    (ticks as u128 * dn as u128 / dt as u128) as u64
}
