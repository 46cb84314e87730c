//! Time in the runtime: absolute CLOCK_MONOTONIC nanoseconds (`u64`).

use core::sync::atomic::{AtomicUsize, Ordering};

pub const NS_PER_SEC: u64 = 1_000_000_000;

/// Now, on `clock`, in ns (0 for a clock that cannot be read). glibc's
/// `clock_gettime` (answered by the vDSO) once resolved — mnthread exports
/// one of its own, which a plain call would reach —, a system call before.
pub fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    let f = GLIBC_CLOCK_GETTIME.load(Ordering::Acquire);
    if f == 0 {
        // SAFETY: `ts` is a valid out-pointer.
        unsafe { super::raw::syscall3(libc::SYS_clock_gettime, clock as usize, &mut ts as *mut libc::timespec as usize, 0) };
    } else {
        // SAFETY: only `use_glibc_clock_gettime` stores, glibc's function.
        unsafe { core::mem::transmute::<usize, unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int>(f)(clock, &mut ts) };
    }
    ts.tv_sec as u64 * NS_PER_SEC + ts.tv_nsec as u64
}

static GLIBC_CLOCK_GETTIME: AtomicUsize = AtomicUsize::new(0);

/// Called as glibc's entry points are resolved (`real::resolve`).
pub fn use_glibc_clock_gettime(f: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int) {
    GLIBC_CLOCK_GETTIME.store(f as usize, Ordering::Release);
}

/// Now, on CLOCK_MONOTONIC.
pub fn now() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// A valid timespec (see [`valid_timespec`]) in ns, saturating.
pub fn timespec_ns(ts: &libc::timespec) -> u64 {
    (ts.tv_sec.max(0) as u64).saturating_mul(NS_PER_SEC).saturating_add(ts.tv_nsec as u64)
}

pub fn timespec_from_ns(ns: u64) -> libc::timespec {
    libc::timespec { tv_sec: (ns / NS_PER_SEC) as libc::time_t, tv_nsec: (ns % NS_PER_SEC) as libc::c_long }
}

/// A user's absolute timeout, as POSIX validates it.
pub fn valid_timespec(ts: &libc::timespec) -> bool {
    ts.tv_nsec >= 0 && ts.tv_nsec < NS_PER_SEC as libc::c_long
}

/// A program's absolute timeout (`abstime`, may be null) on `clock` as a
/// monotonic deadline, with the checks every timed pthread call makes:
/// EINVAL for a null pointer, a `tv_nsec` outside [0, 1e9) or a clock other
/// than REALTIME and MONOTONIC.
pub fn abs_deadline(clock: libc::clockid_t, abstime: *const libc::timespec) -> Result<u64, libc::c_int> {
    if abstime.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: a non-null timespec from the program.
    let ts = unsafe { &*abstime };
    if !valid_timespec(ts) {
        return Err(libc::EINVAL);
    }
    deadline_from_abs(clock, ts).ok_or(libc::EINVAL)
}

/// Converts an absolute time on `clock` (REALTIME or MONOTONIC) into a
/// monotonic deadline. `None` for any other clock. A time in the past gives
/// a deadline that has already passed.
pub fn deadline_from_abs(clock: libc::clockid_t, ts: &libc::timespec) -> Option<u64> {
    let target = if ts.tv_sec < 0 { 0 } else { (ts.tv_sec as u64).saturating_mul(NS_PER_SEC).saturating_add(ts.tv_nsec as u64) };
    match clock {
        libc::CLOCK_MONOTONIC => Some(target),
        libc::CLOCK_REALTIME => {
            let real = clock_ns(libc::CLOCK_REALTIME);
            let mono = now();
            Some(if target <= real { mono } else { mono.saturating_add(target - real) })
        }
        _ => None,
    }
}
