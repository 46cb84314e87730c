//! The monitor: spare carriers for blocking nobody can see.
//!
//! Blocking calls a program makes through libc's exported names park only
//! the caller. Others block the carrier's kernel thread and everybody queued
//! behind it: glibc's internal calls (stdio's `__read`, `system()`'s
//! `__waitpid`, the resolver's `__poll`), inline futex system calls
//! (libgomp), page faults, glibc's internal locks, any raw syscall. The
//! monitor — one kernel thread — notices such a carrier and brings in a
//! spare to run the others, as Go's sysmon retakes a P from an M in a
//! syscall; when the blocked carrier comes back, it retires, so the number
//! of carriers running user code stays at the configured count.
//!
//! Looking. Every period the monitor reads each active carrier's switch
//! count and, while someone waits, the CPU clock of each busy carrier's
//! kernel thread. Someone waits when threads are queued anywhere (on any
//! carrier — a spare may block before it has stolen its predecessor's ring
//! — or the global queue), or when no carrier is idle to fire the armed
//! timers and poll the registered descriptors. A busy carrier is *blocked*
//! when it has not switched since the last look (one thread ran all along),
//! its CPU clock advanced by less than half the wall time since then,
//! and `/proc/self/task/TID/stat` says it sleeps (S or D, not R: a carrier
//! the kernel merely descheduled gets no spare, and after such an answer
//! the next 2, 4, .. 16 stalls of that thread run skip the read). So a busy
//! carrier costs one CPU-clock read per look while threads wait and
//! nothing otherwise; `/proc` is read only for a stalled one.
//!
//! Stranded work. A carrier that has not switched since the last look
//! while threads wait on its own queues and another carrier is idle gets
//! that one woken to steal them: a yield requeues the yielder locally and
//! wakes nobody (the common case is a short run of the next thread, and a
//! wake-up there is a system call per yield), so without this look a
//! yielder queued behind a thread that computes for long would wait for
//! it with a carrier asleep.
//!
//! Rescuing (`compensate`). The monitor first gets a spare running — a
//! retired carrier revived, or a new slot with a new kernel thread, at most
//! `MNTHREAD_MAX_CARRIERS` in all — and only then marks the blocked carrier
//! `replaced` and hands its `runnext` to the global queue (its ring the
//! spare steals). At the cap nothing is marked; the program goes on as far
//! as the running carriers take it (counted for `MNTHREAD_STATS`).
//!
//! Retiring. A `replaced` carrier finds no work (`find_next`), so at its
//! next schedule point — its user thread parks, yields or exits — it goes to
//! its idle loop, which retires it (`retire_if_replaced`): its queues go to
//! the global queue, it is marked `RETIRED`, passes a wake-up on (the mark
//! may have come while it was idle, woken by a producer for work it will
//! not take now: found in a loss of every thread in a test) and sleeps on
//! its `spare_word` until the monitor revives it. Invariant: `replaced` is set only while a
//! spare is running in the carrier's place, so retiring never lowers the
//! number of carriers below the configured count. Between the blocked call's
//! return and that schedule point one carrier too many runs user code.
//!
//! Sleeping. The period starts at 20 us and doubles after 50 quiet looks,
//! up to 500 us (a rescue within about a millisecond). When no carrier runs
//! a user thread the monitor sleeps on `WORD` until one does: a carrier
//! leaving its idle loop calls [`carrier_busy`] (a fence and a load; a wake
//! only if the monitor sleeps). Dekker on both sides (SeqCst fences): the
//! monitor publishes ASLEEP then looks at every `current`; a carrier stores
//! `current` then looks at `WORD`. An idle process wakes nobody.
//!
//! Alternatives rejected: a monitor always on at a fixed period (an idle
//! process would wake it); telling the monitor up front about each call
//! (Go's entersyscall: the calls here are exactly the ones nobody sees);
//! `/proc` alone (a read per hog per look costs several microseconds);
//! the CPU clock alone (a carrier the kernel descheduled on a loaded machine
//! looks blocked).

use core::sync::atomic::{fence, AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::{carriers, global, idle, Carrier, ACTIVE, MAX_CARRIERS, RETIRED};
use crate::sys::raw;
use crate::sys::real::real;
use crate::sys::time;

const MIN_PERIOD_NS: u64 = 20_000;
const MAX_PERIOD_NS: u64 = 500_000;
/// Quiet looks before the period doubles.
const QUIET_LOOKS: u32 = 50;

const AWAKE: u32 = 0;
const ASLEEP: u32 = 1;
/// The monitor's futex word: ASLEEP while it waits for a busy carrier.
static WORD: AtomicU32 = AtomicU32::new(AWAKE);
/// Its timed naps between looks (never woken).
static NAP: AtomicU32 = AtomicU32::new(0);

/// Whether this process runs a monitor.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// For `MNTHREAD_STATS` (written by the monitor, and by retiring carriers).
pub static RESCUES: AtomicU64 = AtomicU64::new(0);
pub static SPARES_MADE: AtomicU64 = AtomicU64::new(0);
pub static RETIREMENTS: AtomicU64 = AtomicU64::new(0);
pub static AT_CAP: AtomicU64 = AtomicU64::new(0);

/// Starts the monitor (once the carriers run). False if its kernel thread
/// could not be made (then blocked carriers are simply not rescued).
pub fn start() -> bool {
    let mut t: libc::pthread_t = 0;
    // SAFETY: the real pthread_create; the monitor takes no argument.
    let ok = unsafe { (real().pthread_create)(&mut t, core::ptr::null(), monitor_main, core::ptr::null_mut()) == 0 };
    RUNNING.store(ok, Ordering::Release);
    ok
}

/// In a fork child: the parent's monitor did not survive; start another
/// (if the parent had one).
pub fn restart_in_child() {
    WORD.store(AWAKE, Ordering::Relaxed);
    if RUNNING.load(Ordering::Acquire) {
        start();
    }
}

/// A carrier took a thread to run from its idle loop: wakes the monitor if
/// it sleeps because none was running one.
#[inline]
pub fn carrier_busy() {
    fence(Ordering::SeqCst);
    if WORD.load(Ordering::Relaxed) == ASLEEP && WORD.swap(AWAKE, Ordering::AcqRel) == ASLEEP {
        raw::futex_wake(&WORD, 1);
    }
}

/// Called by an idle carrier before it looks for work: if a spare runs in
/// its place, it hands its queues on and sleeps until revived.
pub(crate) fn retire_if_replaced(c: &Carrier) {
    if !c.replaced.load(Ordering::Acquire) {
        return;
    }
    c.replaced.store(false, Ordering::Relaxed);
    let next = c.runnext.swap(core::ptr::null_mut(), Ordering::AcqRel);
    for t in core::iter::once(next).filter(|t| !t.is_null()).chain(core::iter::from_fn(|| c.runq.pop())) {
        global::push(t);
    }
    RETIREMENTS.fetch_add(1, Ordering::Relaxed);
    c.spare_word.store(0, Ordering::Relaxed);
    c.state.store(RETIRED, Ordering::SeqCst);
    // Always pass a wake-up on: the spare may have been marked while idle,
    // and then the `notify` that woke it, or the spin it counted in, was
    // meant for work it will not look at now.
    idle::notify();
    while c.spare_word.load(Ordering::Acquire) == 0 {
        raw::futex_wait(&c.spare_word, 0, None);
    }
}

/// What the monitor saw of a busy carrier at its last look: the switch
/// count, the kernel thread's CPU time and when.
#[derive(Clone, Copy)]
struct Seen {
    ticks: u64,
    cpu: u64,
    at: u64,
}

/// The monitor's record of one carrier.
#[derive(Clone, Copy)]
struct Watch {
    seen: Option<Seen>,
    /// `/proc` said runnable (the kernel descheduled it) this many times in
    /// a row: the next `2^streak` stalls (at most 16) of the same thread
    /// run skip the read, so an overloaded machine does not cost a file
    /// read per look.
    runnable_streak: u8,
    skip: u8,
}

const UNWATCHED: Watch = Watch { seen: None, runnable_streak: 0, skip: 0 };

enum Look {
    /// No carrier runs a user thread.
    AllIdle,
    Quiet,
    Rescued,
}

extern "C" fn monitor_main(_: *mut libc::c_void) -> *mut libc::c_void {
    // A new kernel thread inherits its creator's %gs: it is not a carrier.
    crate::arch::set_gs_base(0);
    raw::block_all_signals();
    let mut watch = [UNWATCHED; MAX_CARRIERS];
    let mut period = MIN_PERIOD_NS;
    let mut quiet = 0u32;
    loop {
        match look(&mut watch) {
            Look::AllIdle => {
                sleep_until_busy();
                (period, quiet) = (MIN_PERIOD_NS, 0);
                continue;
            }
            Look::Rescued => (period, quiet) = (MIN_PERIOD_NS, 0),
            Look::Quiet => {
                quiet += 1;
                if quiet >= QUIET_LOOKS {
                    (period, quiet) = ((period * 2).min(MAX_PERIOD_NS), 0);
                }
            }
        }
        raw::futex_wait(&NAP, 0, Some(time::now() + period));
    }
}

fn runs_user_thread(c: &Carrier) -> bool {
    c.state.load(Ordering::Acquire) == ACTIVE && !c.current.load(Ordering::Relaxed).is_null()
}

fn sleep_until_busy() {
    WORD.store(ASLEEP, Ordering::SeqCst);
    fence(Ordering::SeqCst);
    if carriers().iter().any(runs_user_thread) {
        WORD.store(AWAKE, Ordering::Relaxed);
        return;
    }
    while WORD.load(Ordering::Acquire) == ASLEEP {
        raw::futex_wait(&WORD, ASLEEP, None);
    }
}

fn look(watch: &mut [Watch; MAX_CARRIERS]) -> Look {
    let cs = carriers();
    if !cs.iter().any(runs_user_thread) {
        return Look::AllIdle;
    }
    let idle_exists = cs.iter().any(|c| c.state.load(Ordering::Acquire) == ACTIVE && c.current.load(Ordering::Relaxed).is_null());
    // Threads queued anywhere count, replaced carriers' rings included
    // (their spare may be blocked too before it stole them all).
    let queued = |c: &Carrier| !c.runq.is_empty() || !c.runnext.load(Ordering::Relaxed).is_null();
    let anyone_waits = !global::is_empty() || cs.iter().any(queued) || (!idle_exists && idle::sources_pending());
    let mut outcome = Look::Quiet;
    for (c, w) in cs.iter().zip(watch.iter_mut()) {
        let s = &mut w.seen;
        if !anyone_waits || !runs_user_thread(c) || c.replaced.load(Ordering::Relaxed) {
            *s = None;
            continue;
        }
        let ticks = c.ticks.load(Ordering::Acquire);
        let tid = c.tid.load(Ordering::Acquire);
        let now = time::now();
        let Some(cpu) = thread_cpu_ns(tid) else {
            *s = None;
            continue;
        };
        let before = s.replace(Seen { ticks, cpu, at: now });
        let kept = before.is_some_and(|b| b.ticks == ticks);
        if kept && idle_exists && queued(c) {
            // Stranded: threads wait on this carrier's queues behind one
            // that keeps it, while another carrier sleeps (a yield queues
            // the yielder here and wakes nobody). Wake one to steal them.
            idle::notify();
        }
        // No switch since the last look: the CPU time since then is all
        // this thread's.
        let stalled = kept && before.is_some_and(|b| cpu.saturating_sub(b.cpu).saturating_mul(2) < now.saturating_sub(b.at));
        if !stalled {
            if before.is_some_and(|b| b.ticks != ticks) {
                // A new thread run: its first stall is looked at at once.
                w.skip = 0;
            }
            continue;
        }
        if w.skip > 0 {
            w.skip -= 1;
            continue;
        }
        match kernel_state(tid) {
            // Descheduled, not blocked: back off from reading /proc.
            Some(b'R') => {
                w.runnable_streak = (w.runnable_streak + 1).min(4);
                w.skip = 1 << w.runnable_streak;
                continue;
            }
            // Asleep in the kernel; without /proc, the stalled CPU clock
            // is taken for it.
            Some(b'S' | b'D') | None => w.runnable_streak = 0,
            // Stopped or traced: not ours to fix.
            Some(_) => continue,
        }
        if compensate(c) {
            w.seen = None;
            outcome = Look::Rescued;
        }
    }
    outcome
}

/// The CPU time of kernel thread `tid` of this process, in ns.
fn thread_cpu_ns(tid: i32) -> Option<u64> {
    if tid <= 0 {
        return None;
    }
    // The kernel's per-thread CPU clock id: MAKE_THREAD_CPUCLOCK(tid, SCHED).
    let clock = ((!(tid as i64)) << 3) | 4 | 2;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer; a bad clock id gives EINVAL.
    let r = unsafe { raw::syscall3(libc::SYS_clock_gettime, clock as usize, &mut ts as *mut _ as usize, 0) };
    (r == 0).then(|| time::timespec_ns(&ts))
}

/// The state letter of kernel thread `tid` in `/proc/self/task/TID/stat`.
fn kernel_state(tid: i32) -> Option<u8> {
    let mut path = [0u8; 48];
    let mut digits = [0u8; 20];
    let tid = crate::sys::fatal::fmt_u64(tid as u64, &mut digits).as_bytes();
    let parts: [&[u8]; 3] = [b"/proc/self/task/", tid, b"/stat\0"];
    let mut len = 0;
    for p in parts {
        path[len..len + p.len()].copy_from_slice(p);
        len += p.len();
    }
    // SAFETY: a NUL-terminated path on this stack.
    let fd = unsafe { raw::syscall6(libc::SYS_openat, libc::AT_FDCWD as usize, path.as_ptr() as usize, (libc::O_RDONLY | libc::O_CLOEXEC) as usize, 0, 0, 0) };
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 256];
    // SAFETY: reads into `buf`, within its length.
    let n = unsafe { raw::syscall3(libc::SYS_read, fd as usize, buf.as_mut_ptr() as usize, buf.len()) };
    raw::close(fd as i32);
    // "tid (comm) S ...": the comm may hold any byte, so look after the last ')'.
    let text = &buf[..n.max(0) as usize];
    let close = text.iter().rposition(|&b| b == b')')?;
    text.get(close + 2).copied()
}

/// Gets a spare running in place of blocked carrier `c`, then marks `c`
/// replaced. False at the cap (or if no kernel thread could be made).
fn compensate(c: &Carrier) -> bool {
    if !super::start_pool_spare() {
        AT_CAP.fetch_add(1, Ordering::Relaxed);
        return false;
    }
    c.replaced.store(true, Ordering::SeqCst);
    let next = c.runnext.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if !next.is_null() {
        global::push(next);
        idle::notify();
    }
    RESCUES.fetch_add(1, Ordering::Relaxed);
    true
}

