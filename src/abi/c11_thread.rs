//! C11 `<threads.h>`: `thrd_*`, `tss_*` and `call_once` (the `mtx_*` and
//! `cnd_*` families live with the mutexes and condition variables).
//! glibc's versions call its internal pthread functions directly, never
//! mnthread's, so these exports map each onto mnthread's own pthread
//! functions and translate errors as glibc does: 0 → thrd_success,
//! ENOMEM → thrd_nomem, ETIMEDOUT → thrd_timedout, EBUSY → thrd_busy,
//! anything else → thrd_error.
//!
//! A C11 start routine returns `int`; it is started as a pthread start
//! routine unchanged: on x86_64 its result is the low half of the returned
//! register, and `thrd_join` reads only that half, as glibc's does.
//! `thrd_exit` and `call_once` are bare jumps (no Rust frame for a forced
//! unwind or an exception to cross) to `pthread_exit` and `pthread_once`.

use core::ffi::{c_int, c_void};

use super::{key, thread};
use crate::thread::key::Destructor;
use crate::sched;
use crate::sys::real::{real, StartRoutine};

const THRD_SUCCESS: c_int = 0;
const THRD_BUSY: c_int = 1;
const THRD_ERROR: c_int = 2;
const THRD_NOMEM: c_int = 3;
const THRD_TIMEDOUT: c_int = 4;

type ThrdStart = extern "C" fn(*mut c_void) -> c_int;

extern "C" {
    fn mnthread_pthread_exit(retval: *mut c_void) -> !;
    fn mnthread_pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int;
}

fn map(err: c_int) -> c_int {
    match err {
        0 => THRD_SUCCESS,
        libc::ENOMEM => THRD_NOMEM,
        libc::ETIMEDOUT => THRD_TIMEDOUT,
        libc::EBUSY => THRD_BUSY,
        _ => THRD_ERROR,
    }
}

#[no_mangle]
pub extern "C" fn thrd_create(thr: *mut libc::pthread_t, func: ThrdStart, arg: *mut c_void) -> c_int {
    // SAFETY: the same calling convention; only the low 32 bits of the
    // result are ever read back (module docs).
    let start = unsafe { core::mem::transmute::<ThrdStart, StartRoutine>(func) };
    map(thread::pthread_create(thr, core::ptr::null(), start, arg))
}

#[no_mangle]
pub extern "C" fn thrd_join(thr: libc::pthread_t, res: *mut c_int) -> c_int {
    let mut value: *mut c_void = core::ptr::null_mut();
    let err = thread::pthread_join(thr, &mut value);
    if err == 0 && !res.is_null() {
        // SAFETY: the program's out-pointer.
        unsafe { *res = value as usize as c_int };
    }
    map(err)
}

#[no_mangle]
pub extern "C" fn thrd_detach(thr: libc::pthread_t) -> c_int {
    map(thread::pthread_detach(thr))
}

/// `pthread_exit((void *)(intptr_t)res)`: runs tss destructors as every
/// thread exit does.
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn thrd_exit(res: c_int) -> ! {
    core::arch::naked_asm!("movsxd rdi, edi", "jmp {}", sym mnthread_pthread_exit)
}

#[no_mangle]
pub extern "C" fn thrd_current() -> libc::pthread_t {
    thread::pthread_self()
}

#[no_mangle]
pub extern "C" fn thrd_equal(a: libc::pthread_t, b: libc::pthread_t) -> c_int {
    thread::pthread_equal(a, b)
}

/// Sleeps for the relative `req` (CLOCK_REALTIME as glibc): 0, or -2 for
/// an invalid time, -1 when a signal handler interrupted it (`rem` gets
/// what was left). A user thread parks until the deadline; any other
/// thread sleeps in the kernel.
#[no_mangle]
pub extern "C" fn thrd_sleep(req: *const libc::timespec, rem: *mut libc::timespec) -> c_int {
    let r = if sched::current_user().is_none() {
        // SAFETY: glibc's clock_nanosleep with the program's timespecs.
        unsafe { (real().clock_nanosleep)(libc::CLOCK_REALTIME, 0, req, rem) }
    } else {
        // SAFETY: the program's timespecs (C11 gives no error for a bad pointer).
        unsafe { crate::abi::sleep::sleep_for(&*req, rem) }
    };
    match r {
        0 => 0,
        libc::EINTR => -1,
        _ => -2,
    }
}

#[no_mangle]
pub extern "C" fn thrd_yield() {
    super::yield_::sched_yield();
}

#[no_mangle]
pub extern "C" fn tss_create(k: *mut libc::c_uint, dtor: Option<Destructor>) -> c_int {
    let mut key: libc::pthread_key_t = 0;
    let err = key::pthread_key_create(&mut key, dtor);
    if err == 0 {
        // SAFETY: the program's out-pointer.
        unsafe { *k = key };
    }
    map(err)
}

#[no_mangle]
pub extern "C" fn tss_delete(k: libc::c_uint) {
    key::pthread_key_delete(k);
}

#[no_mangle]
pub extern "C" fn tss_get(k: libc::c_uint) -> *mut c_void {
    key::pthread_getspecific(k)
}

#[no_mangle]
pub extern "C" fn tss_set(k: libc::c_uint, value: *mut c_void) -> c_int {
    map(key::pthread_setspecific(k, value))
}

/// `call_once(once_flag *, void (*)(void))`: a `once_flag` is an int with
/// `pthread_once_t`'s values (ONCE_FLAG_INIT is 0).
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn call_once(flag: *mut c_int, func: extern "C" fn()) {
    core::arch::naked_asm!("jmp {}", sym mnthread_pthread_once)
}
