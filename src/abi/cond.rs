//! `pthread_cond_*` and `pthread_condattr_*` exports; the object and its
//! protocol are `sync::cond`. The attribute is glibc's 4-byte int: bit 0
//! process-shared, bit 1 CLOCK_MONOTONIC (the clock id shifted left by 1).

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use crate::sync::cond::{Cond, FLAG_MONOTONIC, FLAG_PSHARED};
use crate::sync::mutex::Mutex;
use crate::sys::time;

fn cv<'a>(c: *mut libc::pthread_cond_t) -> &'a Cond {
    // SAFETY: the program passes a pthread_cond_t, which has Cond's size and
    // alignment; all its fields are atomics.
    unsafe { &*(c as *const Cond) }
}

fn mx<'a>(m: *mut libc::pthread_mutex_t) -> &'a Mutex {
    // SAFETY: as `cv`, for the mutex.
    unsafe { &*(m as *const Mutex) }
}

fn attr<'a>(a: *mut libc::pthread_condattr_t) -> &'a mut c_int {
    // SAFETY: a pthread_condattr_t from the program (4 bytes, int-aligned).
    unsafe { &mut *(a as *mut c_int) }
}

#[no_mangle]
pub extern "C" fn pthread_cond_init(c: *mut libc::pthread_cond_t, a: *const libc::pthread_condattr_t) -> c_int {
    let flags = if a.is_null() { 0 } else { *attr(a as *mut _) as u32 & (FLAG_PSHARED | FLAG_MONOTONIC) };
    // SAFETY: the program's cond, 48 bytes; zero is the initial state.
    unsafe { core::ptr::write_bytes(c as *mut u8, 0, core::mem::size_of::<Cond>()) };
    cv(c).flags.store(flags, Ordering::Release);
    0
}

#[no_mangle]
pub extern "C" fn pthread_cond_destroy(c: *mut libc::pthread_cond_t) -> c_int {
    cv(c).destroy();
    0
}

#[no_mangle]
pub extern "C" fn pthread_cond_signal(c: *mut libc::pthread_cond_t) -> c_int {
    cv(c).wake(false);
    0
}

#[no_mangle]
pub extern "C" fn pthread_cond_broadcast(c: *mut libc::pthread_cond_t) -> c_int {
    cv(c).wake(true);
    0
}

#[no_mangle]
pub extern "C" fn pthread_cond_wait(c: *mut libc::pthread_cond_t, m: *mut libc::pthread_mutex_t) -> c_int {
    crate::cancel::point(|| {
    cv(c).wait(mx(m), None)
    })
}

#[no_mangle]
pub extern "C" fn pthread_cond_timedwait(c: *mut libc::pthread_cond_t, m: *mut libc::pthread_mutex_t, abstime: *const libc::timespec) -> c_int {
    crate::cancel::point(|| {
    let clock = cv(c).clock();
    timed(c, m, clock, abstime)
    })
}

#[no_mangle]
pub extern "C" fn pthread_cond_clockwait(
    c: *mut libc::pthread_cond_t,
    m: *mut libc::pthread_mutex_t,
    clock: libc::clockid_t,
    abstime: *const libc::timespec,
) -> c_int {
    crate::cancel::point(|| {
    if clock != libc::CLOCK_REALTIME && clock != libc::CLOCK_MONOTONIC {
        return libc::EINVAL;
    }
    timed(c, m, clock, abstime)
    })
}

fn timed(c: *mut libc::pthread_cond_t, m: *mut libc::pthread_mutex_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    match time::abs_deadline(clock, abstime) {
        Ok(d) => cv(c).wait(mx(m), Some(d)),
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_condattr_init(a: *mut libc::pthread_condattr_t) -> c_int {
    *attr(a) = 0;
    0
}

#[no_mangle]
pub extern "C" fn pthread_condattr_destroy(_a: *mut libc::pthread_condattr_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_condattr_setpshared(a: *mut libc::pthread_condattr_t, pshared: c_int) -> c_int {
    if pshared != libc::PTHREAD_PROCESS_PRIVATE && pshared != libc::PTHREAD_PROCESS_SHARED {
        return libc::EINVAL;
    }
    let v = attr(a);
    *v = (*v & !(FLAG_PSHARED as c_int)) | pshared;
    0
}

#[no_mangle]
pub extern "C" fn pthread_condattr_getpshared(a: *const libc::pthread_condattr_t, out: *mut c_int) -> c_int {
    let v = *attr(a as *mut _) & FLAG_PSHARED as c_int;
    // SAFETY: valid out-pointer from the program.
    unsafe { *out = v };
    0
}

#[no_mangle]
pub extern "C" fn pthread_condattr_setclock(a: *mut libc::pthread_condattr_t, clock: libc::clockid_t) -> c_int {
    if clock != libc::CLOCK_REALTIME && clock != libc::CLOCK_MONOTONIC {
        return libc::EINVAL;
    }
    let v = attr(a);
    *v = (*v & !(FLAG_MONOTONIC as c_int)) | (clock << 1);
    0
}

#[no_mangle]
pub extern "C" fn pthread_condattr_getclock(a: *const libc::pthread_condattr_t, out: *mut libc::clockid_t) -> c_int {
    let v = (*attr(a as *mut _) & FLAG_MONOTONIC as c_int) >> 1;
    // SAFETY: valid out-pointer from the program.
    unsafe { *out = v };
    0
}
