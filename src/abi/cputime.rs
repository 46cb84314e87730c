//! Per-thread CPU clocks: `pthread_getcpuclockid`, and `clock_gettime`,
//! `clock_getres` and `getrusage(RUSAGE_THREAD)` on them, for user threads
//! (their time is counted by the scheduler: `sched::cputime`).
//!
//! A user thread's clock id has the kernel's shape for a thread CPU clock
//! (`~id << 3 | 6`), with an id above any kernel thread id — the base plus
//! the position of its descriptor in the slab — so the kernel would reject
//! it and only these exports give it a meaning. `CLOCK_THREAD_CPUTIME_ID`
//! in a user thread is its own clock. Every other clock, and the clocks of
//! threads mnthread does not run, are glibc's.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use crate::mem::uthread::{Kind, UThread, DETACHED, JOINABLE, SLAB};
use crate::sched::{self, cputime};
use crate::sys::errno;
use crate::sys::real::real;
use crate::sys::time;
use crate::thread::runtime;

/// Ids from here up name user threads (PID_MAX_LIMIT is 2^22).
const ID_BASE: i64 = 1 << 26;
/// The kernel's per-thread, scheduler-time CPU clock bits.
const THREAD_SCHED: libc::clockid_t = 6;

fn runs_here(t: *mut UThread) -> bool {
    // SAFETY: a slab descriptor (type-stable).
    match unsafe { (*t).kind } {
        Kind::User => true,
        Kind::Main => runtime::main_is_user_thread(),
        Kind::Foreign => false,
    }
}

/// A live thread: started, not yet ended.
fn alive(t: *mut UThread) -> bool {
    // SAFETY: as above.
    let (state, tp) = unsafe { ((*t).join_state.load(Ordering::Acquire), (*t).ctx.tp) };
    tp != 0 && (state == JOINABLE || state == DETACHED)
}

fn clock_of(index: usize) -> Option<libc::clockid_t> {
    let id = ID_BASE.checked_add(index as i64)?;
    let clk = (!id).checked_mul(8)? | THREAD_SCHED as i64;
    libc::clockid_t::try_from(clk).ok()
}

/// The user thread a clock id of [`clock_of`] names: Some(None) for an id of
/// that shape whose thread is gone; None for any other clock.
fn thread_of(clk: libc::clockid_t) -> Option<Option<*mut UThread>> {
    if clk >= 0 || clk & 7 != THREAD_SCHED {
        return None;
    }
    let id = !((clk as i64) >> 3);
    let index = usize::try_from(id.checked_sub(ID_BASE)?).ok()?;
    Some(SLAB.at(index).filter(|&t| runs_here(t) && alive(t)))
}

/// The CPU time `clk` reads, when it is a user thread's: Ok(ns), or
/// Err(errno) for a gone thread; None for a clock that is glibc's.
fn user_thread_time(clk: libc::clockid_t) -> Option<Result<u64, c_int>> {
    if clk == libc::CLOCK_THREAD_CPUTIME_ID {
        return sched::current_user().map(|(_, t)| Ok(cputime::cpu_ns(t)));
    }
    thread_of(clk).map(|t| t.map(cputime::cpu_ns).ok_or(libc::EINVAL))
}

#[no_mangle]
pub extern "C" fn pthread_getcpuclockid(th: libc::pthread_t, clk: *mut libc::clockid_t) -> c_int {
    let t = th as *mut UThread;
    if !SLAB.plausible(t) || !alive(t) {
        return libc::ESRCH;
    }
    if !runs_here(t) {
        // SAFETY: glibc's function with glibc's own handle (the TCB).
        return unsafe { (real().pthread_getcpuclockid)((*t).ctx.tp as libc::pthread_t, clk) };
    }
    let Some(id) = SLAB.index_of(t).and_then(clock_of) else { return libc::ENOENT };
    cputime::enable();
    // SAFETY: the program's out-pointer.
    unsafe { *clk = id };
    0
}

#[no_mangle]
pub extern "C" fn clock_gettime(clk: libc::clockid_t, ts: *mut libc::timespec) -> c_int {
    if clk == libc::CLOCK_THREAD_CPUTIME_ID || clk < 0 {
        match user_thread_time(clk) {
            Some(Ok(ns)) => {
                // SAFETY: the program's out-pointer.
                unsafe { *ts = time::timespec_from_ns(ns) };
                return 0;
            }
            Some(Err(e)) => {
                errno::set(e);
                return -1;
            }
            None => {}
        }
    }
    // SAFETY: glibc's function with the program's arguments.
    unsafe { (real().clock_gettime)(clk, ts) }
}

#[no_mangle]
pub extern "C" fn clock_getres(clk: libc::clockid_t, res: *mut libc::timespec) -> c_int {
    match thread_of(clk) {
        Some(Some(_)) => {
            if !res.is_null() {
                // SAFETY: the program's out-pointer. The counter resolves
                // well below a nanosecond; the kernel reports 1 ns too.
                unsafe { *res = libc::timespec { tv_sec: 0, tv_nsec: 1 } };
            }
            0
        }
        Some(None) => {
            errno::set(libc::EINVAL);
            -1
        }
        // SAFETY: glibc's function with the program's arguments.
        None => unsafe { (real().clock_getres)(clk, res) },
    }
}

/// `getrusage`: for `RUSAGE_THREAD` in a user thread, the user and system
/// time are the thread's, split as its carrier's are split; the other
/// fields are the carrier's.
#[no_mangle]
pub extern "C" fn getrusage(who: c_int, ru: *mut libc::rusage) -> c_int {
    // SAFETY: glibc's function with the program's arguments.
    let r = unsafe { (real().getrusage)(who, ru) };
    if r != 0 || who != libc::RUSAGE_THREAD {
        return r;
    }
    let Some((_, t)) = sched::current_user() else { return r };
    let cpu = cputime::cpu_ns(t);
    let us = |tv: &libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    let tv = |us: u64| libc::timeval { tv_sec: (us / 1_000_000) as libc::time_t, tv_usec: (us % 1_000_000) as libc::suseconds_t };
    // SAFETY: filled by glibc above.
    let ru = unsafe { &mut *ru };
    let (cu, cs) = (us(&ru.ru_utime), us(&ru.ru_stime));
    let total = cpu / 1000;
    let user = if cu + cs == 0 { total } else { (total as u128 * cu as u128 / (cu + cs) as u128) as u64 };
    ru.ru_utime = tv(user);
    ru.ru_stime = tv(total - user);
    r
}
