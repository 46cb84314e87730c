//! C11 `<threads.h>` mutexes and condition variables (`mtx_*`, `cnd_*`):
//! `mtx_t`/`cnd_t` are a `pthread_mutex_t`/`pthread_cond_t`, and every
//! result maps as glibc's `thrd_err_map` does: 0 thrd_success, EBUSY
//! thrd_busy, ETIMEDOUT thrd_timedout, ENOMEM thrd_nomem, anything else
//! thrd_error. `mtx_init` makes a recursive mutex when `mtx_recursive` is
//! set with `mtx_plain` or `mtx_timed`, a normal one for any other type.

use core::ffi::c_int;

use super::{cond, mutex, mutexattr};

pub const THRD_SUCCESS: c_int = 0;
pub const THRD_BUSY: c_int = 1;
pub const THRD_ERROR: c_int = 2;
pub const THRD_NOMEM: c_int = 3;
pub const THRD_TIMEDOUT: c_int = 4;

const MTX_PLAIN: c_int = 0;
const MTX_RECURSIVE: c_int = 1;
const MTX_TIMED: c_int = 2;

type Mtx = libc::pthread_mutex_t;
type Cnd = libc::pthread_cond_t;

/// glibc's thrd_err_map.
pub fn map(err: c_int) -> c_int {
    match err {
        0 => THRD_SUCCESS,
        libc::EBUSY => THRD_BUSY,
        libc::ETIMEDOUT => THRD_TIMEDOUT,
        libc::ENOMEM => THRD_NOMEM,
        _ => THRD_ERROR,
    }
}

#[no_mangle]
pub extern "C" fn mtx_init(m: *mut Mtx, ty: c_int) -> c_int {
    // SAFETY: a plain C struct of bytes; all zero is a valid value.
    let mut a: libc::pthread_mutexattr_t = unsafe { core::mem::zeroed() };
    mutexattr::pthread_mutexattr_init(&mut a);
    let kind = if ty == MTX_PLAIN | MTX_RECURSIVE || ty == MTX_TIMED | MTX_RECURSIVE {
        libc::PTHREAD_MUTEX_RECURSIVE
    } else {
        libc::PTHREAD_MUTEX_NORMAL
    };
    mutexattr::pthread_mutexattr_settype(&mut a, kind);
    map(mutex::pthread_mutex_init(m, &a))
}

#[no_mangle]
pub extern "C" fn mtx_lock(m: *mut Mtx) -> c_int {
    map(mutex::pthread_mutex_lock(m))
}

#[no_mangle]
pub extern "C" fn mtx_trylock(m: *mut Mtx) -> c_int {
    map(mutex::pthread_mutex_trylock(m))
}

#[no_mangle]
pub extern "C" fn mtx_timedlock(m: *mut Mtx, ts: *const libc::timespec) -> c_int {
    map(mutex::pthread_mutex_timedlock(m, ts))
}

#[no_mangle]
pub extern "C" fn mtx_unlock(m: *mut Mtx) -> c_int {
    map(mutex::pthread_mutex_unlock(m))
}

#[no_mangle]
pub extern "C" fn mtx_destroy(m: *mut Mtx) {
    mutex::pthread_mutex_destroy(m);
}

#[no_mangle]
pub extern "C" fn cnd_init(c: *mut Cnd) -> c_int {
    map(cond::pthread_cond_init(c, core::ptr::null()))
}

#[no_mangle]
pub extern "C" fn cnd_signal(c: *mut Cnd) -> c_int {
    map(cond::pthread_cond_signal(c))
}

#[no_mangle]
pub extern "C" fn cnd_broadcast(c: *mut Cnd) -> c_int {
    map(cond::pthread_cond_broadcast(c))
}

#[no_mangle]
pub extern "C" fn cnd_wait(c: *mut Cnd, m: *mut Mtx) -> c_int {
    map(cond::pthread_cond_wait(c, m))
}

#[no_mangle]
pub extern "C" fn cnd_timedwait(c: *mut Cnd, m: *mut Mtx, ts: *const libc::timespec) -> c_int {
    map(cond::pthread_cond_timedwait(c, m, ts))
}

#[no_mangle]
pub extern "C" fn cnd_destroy(c: *mut Cnd) {
    cond::pthread_cond_destroy(c);
}
