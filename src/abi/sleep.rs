//! nanosleep, clock_nanosleep, usleep, sleep: parked by `io::sleep` for
//! user threads, glibc's own for every other thread and clock.

use core::ffi::{c_int, c_uint};

use crate::io::sleep::{self, Slept};
use crate::mem::uthread::UThread;
use crate::sched;
use crate::sys::{errno, real::real, time, user};

/// The program's timespec, read with the kernel's EFAULT rule; the calling
/// user thread's own stack `t` is known readable.
fn timespec_in(t: *mut UThread, req: *const libc::timespec) -> Result<libc::timespec, c_int> {
    // SAFETY: `t` is the calling thread's descriptor.
    user::copy_in(req, unsafe { (*t).stack.usable() })
}

/// A parked sleep's outcome as clock_nanosleep reports it: 0, or EINTR
/// with the time left written to `rem` (if given, for a relative sleep).
fn report(slept: Slept, absolute: bool, rem: *mut libc::timespec) -> c_int {
    match slept {
        Slept::Done => 0,
        Slept::Interrupted(left) => {
            if !absolute && !rem.is_null() {
                // SAFETY: the program's out-parameter.
                unsafe { *rem = time::timespec_from_ns(left) };
            }
            libc::EINTR
        }
    }
}

/// A relative sleep of the calling user thread for `req` on the monotonic
/// clock, as clock_nanosleep reports it (also thrd_sleep's).
pub fn sleep_for(req: &libc::timespec, rem: *mut libc::timespec) -> c_int {
    match sleep::clock_sleep(libc::CLOCK_MONOTONIC, false, req) {
        Ok(s) => report(s, false, rem),
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn nanosleep(req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    crate::cancel::point(|| {
        let Some((_, t)) = sched::current_user() else {
            // SAFETY: glibc's nanosleep with the program's arguments.
            return unsafe { (real().nanosleep)(req, rem) };
        };
        match timespec_in(t, req).map(|ts| sleep_for(&ts, rem)) {
            Ok(0) => 0,
            Ok(e) | Err(e) => {
                errno::set(e);
                -1
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn clock_nanosleep(clock: libc::clockid_t, flags: c_int, req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    crate::cancel::point(|| {
        let Some((_, t)) = sched::current_user().filter(|_| sleep::parks_on(clock)) else {
            // SAFETY: glibc's clock_nanosleep with the program's arguments.
            return unsafe { (real().clock_nanosleep)(clock, flags, req, rem) };
        };
        let absolute = flags & libc::TIMER_ABSTIME != 0;
        match timespec_in(t, req).and_then(|ts| sleep::clock_sleep(clock, absolute, &ts)) {
            Ok(s) => report(s, absolute, rem),
            Err(e) => e,
        }
    })
}

#[no_mangle]
pub extern "C" fn usleep(usec: libc::useconds_t) -> c_int {
    crate::cancel::point(|| {
        if sched::current_user().is_none() {
            // SAFETY: glibc's usleep.
            return unsafe { (real().usleep)(usec) };
        }
        match sleep::sleep_ns(u64::from(usec) * 1000) {
            Slept::Done => 0,
            Slept::Interrupted(_) => {
                errno::set(libc::EINTR);
                -1
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn sleep(seconds: c_uint) -> c_uint {
    crate::cancel::point(|| {
        if sched::current_user().is_none() {
            // SAFETY: glibc's sleep.
            return unsafe { (real().sleep)(seconds) };
        }
        match sleep::sleep_ns(u64::from(seconds) * time::NS_PER_SEC) {
            Slept::Done => 0,
            // The seconds left, rounded up as glibc's (from nanosleep's rem).
            Slept::Interrupted(left) => left.div_ceil(time::NS_PER_SEC) as c_uint,
        }
    })
}
