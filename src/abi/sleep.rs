//! nanosleep, clock_nanosleep, usleep, sleep: parked by `io::sleep` for
//! user threads, glibc's own for every other thread and clock.

use core::ffi::{c_int, c_uint};

use crate::io::sleep;
use crate::mem::uthread::UThread;
use crate::sched;
use crate::sys::{errno, real::real, time, user};

/// The program's timespec, read with the kernel's EFAULT rule; the calling
/// user thread's own stack `t` is known readable.
fn timespec_in(t: *mut UThread, req: *const libc::timespec) -> Result<libc::timespec, c_int> {
    // SAFETY: `t` is the calling thread's descriptor.
    user::copy_in(req, unsafe { (*t).stack.usable() })
}

#[no_mangle]
pub extern "C" fn nanosleep(req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    let Some((_, t)) = sched::current_user() else {
        // SAFETY: glibc's nanosleep with the program's arguments.
        return unsafe { (real().nanosleep)(req, rem) };
    };
    match timespec_in(t, req).and_then(|ts| sleep::clock_sleep(libc::CLOCK_MONOTONIC, false, &ts)) {
        Ok(()) => 0,
        Err(e) => {
            errno::set(e);
            -1
        }
    }
}

#[no_mangle]
pub extern "C" fn clock_nanosleep(clock: libc::clockid_t, flags: c_int, req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    let Some((_, t)) = sched::current_user().filter(|_| sleep::parks_on(clock)) else {
        // SAFETY: glibc's clock_nanosleep with the program's arguments.
        return unsafe { (real().clock_nanosleep)(clock, flags, req, rem) };
    };
    match timespec_in(t, req).and_then(|ts| sleep::clock_sleep(clock, flags & libc::TIMER_ABSTIME != 0, &ts)) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn usleep(usec: libc::useconds_t) -> c_int {
    if sched::current_user().is_none() {
        // SAFETY: glibc's usleep.
        return unsafe { (real().usleep)(usec) };
    }
    sleep::sleep_ns(u64::from(usec) * 1000);
    0
}

#[no_mangle]
pub extern "C" fn sleep(seconds: c_uint) -> c_uint {
    if sched::current_user().is_none() {
        // SAFETY: glibc's sleep.
        return unsafe { (real().sleep)(seconds) };
    }
    sleep::sleep_ns(u64::from(seconds) * time::NS_PER_SEC);
    0
}
