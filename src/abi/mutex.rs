//! `pthread_mutex_*` exports and libc's `__pthread_mutex_*` aliases; the
//! object and its protocol are `sync::mutex`.

use core::ffi::c_int;

use super::mutexattr::{self, MutexAttr};
use crate::sync::mutex::{Limit, Mutex};

/// Smallest and largest SCHED_FIFO priority: the valid priority ceilings.
pub const PRIO_MIN: c_int = 1;
pub const PRIO_MAX: c_int = 99;

fn mx<'a>(m: *mut libc::pthread_mutex_t) -> &'a Mutex {
    // SAFETY: the program passes a pthread_mutex_t, which has Mutex's size
    // and alignment; all its fields are atomics.
    unsafe { &*(m as *const Mutex) }
}

#[no_mangle]
pub extern "C" fn pthread_mutex_init(m: *mut libc::pthread_mutex_t, attr: *const libc::pthread_mutexattr_t) -> c_int {
    let a = if attr.is_null() {
        0
    } else {
        // SAFETY: a pthread_mutexattr_t from the program.
        unsafe { (*(attr as *const MutexAttr)).0 }
    };
    let kind = match mutexattr::mutex_kind(a) {
        Ok(k) => k,
        Err(e) => return e,
    };
    mx(m).init(kind, mutexattr::ceiling_of(a) as u32);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutex_destroy(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).destroy()
}

#[no_mangle]
pub extern "C" fn pthread_mutex_lock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Forever)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_trylock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Try)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_unlock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).unlock()
}

#[no_mangle]
pub extern "C" fn pthread_mutex_timedlock(m: *mut libc::pthread_mutex_t, abstime: *const libc::timespec) -> c_int {
    timed(m, libc::CLOCK_REALTIME, abstime)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_clocklock(m: *mut libc::pthread_mutex_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    if clock != libc::CLOCK_REALTIME && clock != libc::CLOCK_MONOTONIC {
        return libc::EINVAL;
    }
    timed(m, clock, abstime)
}

fn timed(m: *mut libc::pthread_mutex_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    if abstime.is_null() {
        return libc::EINVAL;
    }
    mx(m).lock(Limit::Until(clock, abstime))
}

#[no_mangle]
pub extern "C" fn pthread_mutex_consistent(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).consistent()
}

#[no_mangle]
pub extern "C" fn pthread_mutex_consistent_np(m: *mut libc::pthread_mutex_t) -> c_int {
    pthread_mutex_consistent(m)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_getprioceiling(m: *const libc::pthread_mutex_t, out: *mut c_int) -> c_int {
    match mx(m as *mut _).ceiling() {
        Ok(c) => {
            // SAFETY: valid out-pointer from the program.
            unsafe { *out = c as c_int };
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_mutex_setprioceiling(m: *mut libc::pthread_mutex_t, prio: c_int, old: *mut c_int) -> c_int {
    if !(PRIO_MIN..=PRIO_MAX).contains(&prio) {
        // glibc checks the mutex's kind first; both are EINVAL.
        return libc::EINVAL;
    }
    match mx(m).set_ceiling(prio as u32) {
        Ok(prev) => {
            if !old.is_null() {
                // SAFETY: valid out-pointer from the program.
                unsafe { *old = prev as c_int };
            }
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_init(m: *mut libc::pthread_mutex_t, attr: *const libc::pthread_mutexattr_t) -> c_int {
    pthread_mutex_init(m, attr)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_destroy(m: *mut libc::pthread_mutex_t) -> c_int {
    pthread_mutex_destroy(m)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_lock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Forever)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_trylock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Try)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_unlock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).unlock()
}
