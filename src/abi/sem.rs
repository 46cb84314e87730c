//! Semaphore exports: `sem_init`/`destroy`/`wait`/`trywait`/`timedwait`/
//! `clockwait`/`post`/`getvalue` ([`crate::sync::sem`]) and the named
//! `sem_open`/`close`/`unlink` ([`crate::sync::named_sem`]). As glibc's,
//! they return 0 or -1 with errno set (`sem_open`: the address or
//! SEM_FAILED).

use core::ffi::{c_char, c_int, c_uint, CStr};

use crate::sync::named_sem;
use crate::sync::sem::{Sem, VALUE_MAX};
use crate::sys::{errno, time};

fn sem<'a>(s: *mut libc::sem_t) -> &'a Sem {
    // SAFETY: the program's semaphore, alive during the call; `Sem` has
    // sem_t's size and is made of atomics.
    unsafe { &*(s as *const Sem) }
}

/// Turns a result into glibc's 0, or -1 with errno.
fn ret(r: Result<(), c_int>) -> c_int {
    match r {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}

fn fail(e: c_int) -> c_int {
    errno::set(e);
    -1
}

#[no_mangle]
pub extern "C" fn sem_init(s: *mut libc::sem_t, pshared: c_int, value: c_uint) -> c_int {
    if value > VALUE_MAX {
        return fail(libc::EINVAL);
    }
    sem(s).init(pshared != 0, value);
    0
}

#[no_mangle]
pub extern "C" fn sem_destroy(_s: *mut libc::sem_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn sem_wait(s: *mut libc::sem_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || ret(sem(s).take(None)))
}

#[no_mangle]
pub extern "C" fn sem_trywait(s: *mut libc::sem_t) -> c_int {
    if sem(s).try_take() {
        0
    } else {
        fail(libc::EAGAIN)
    }
}

#[no_mangle]
pub extern "C" fn sem_timedwait(s: *mut libc::sem_t, abstime: *const libc::timespec) -> c_int {
    crate::cancel::point(|| timed(s, libc::CLOCK_REALTIME, abstime))
}

#[no_mangle]
pub extern "C" fn sem_clockwait(s: *mut libc::sem_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    if clock != libc::CLOCK_REALTIME && clock != libc::CLOCK_MONOTONIC {
        return fail(libc::EINVAL);
    }
    crate::cancel::point(|| timed(s, clock, abstime))
}

/// glibc checks the timespec before trying for a token; a time already
/// past still takes an available token.
fn timed(s: *mut libc::sem_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    // SAFETY: the program's timespec.
    let ts = unsafe { &*abstime };
    if !time::valid_timespec(ts) {
        return fail(libc::EINVAL);
    }
    let sem = sem(s);
    if sem.try_take() {
        return 0;
    }
    ret(sem.take(time::deadline_from_abs(clock, ts)))
}

#[no_mangle]
pub extern "C" fn sem_post(s: *mut libc::sem_t) -> c_int {
    ret(sem(s).post())
}

#[no_mangle]
pub extern "C" fn sem_getvalue(s: *mut libc::sem_t, out: *mut c_int) -> c_int {
    // SAFETY: the program's out-pointer.
    unsafe { *out = sem(s).value() as c_int };
    0
}

/// `sem_open(name, oflag, ...)`: the variadic `mode_t mode, unsigned value`
/// are read only with O_CREAT (they arrive in registers either way).
#[no_mangle]
pub extern "C" fn sem_open(name: *const c_char, oflag: c_int, mode: libc::mode_t, value: c_uint) -> *mut libc::sem_t {
    // SAFETY: the program's NUL-terminated name.
    let name = unsafe { CStr::from_ptr(name) };
    match named_sem::open(name, oflag, mode, value) {
        Ok(p) => p as *mut libc::sem_t,
        Err(e) => {
            fail(e);
            core::ptr::null_mut() // SEM_FAILED
        }
    }
}

#[no_mangle]
pub extern "C" fn sem_close(s: *mut libc::sem_t) -> c_int {
    ret(named_sem::close(s as *mut Sem))
}

#[no_mangle]
pub extern "C" fn sem_unlink(name: *const c_char) -> c_int {
    // SAFETY: the program's NUL-terminated name.
    ret(named_sem::unlink(unsafe { CStr::from_ptr(name) }))
}
