//! Cancellation exports (protocol in `cancel`). Threads mnthread does not
//! run keep glibc's own cancellation.

use core::ffi::c_int;

use crate::cancel;
use crate::mem::uthread::{Kind, UThread, CANCEL_ASYNC, CANCEL_DISABLED};
use crate::sched;
use crate::sys::real::real;

/// <pthread.h> values the libc crate lacks.
const PTHREAD_CANCEL_ENABLE: c_int = 0;
const PTHREAD_CANCEL_DISABLE: c_int = 1;
pub(crate) const PTHREAD_CANCEL_DEFERRED: c_int = 0;
pub(crate) const PTHREAD_CANCEL_ASYNCHRONOUS: c_int = 1;

fn me() -> Option<*mut UThread> {
    sched::current_user().map(|(_, t)| t)
}

#[no_mangle]
pub extern "C" fn pthread_cancel(th: libc::pthread_t) -> c_int {
    let t = th as *mut UThread;
    if !crate::mem::uthread::SLAB.plausible(t) {
        return libc::ESRCH;
    }
    // SAFETY: slab descriptors are type-stable.
    let kind = unsafe { (*t).kind };
    if kind == Kind::Foreign || (kind == Kind::Main && !crate::thread::runtime::main_is_user_thread()) {
        // SAFETY: glibc's pthread_cancel with glibc's own handle (the TCB).
        let r = unsafe { (real().pthread_cancel)((*t).ctx.tp as libc::pthread_t) };
        crate::signal::entry::take_back_sigmn();
        return r;
    }
    match cancel::request(t) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_setcancelstate(state: c_int, old: *mut c_int) -> c_int {
    let Some(t) = me() else {
        // SAFETY: glibc's own, for a thread glibc runs.
        return unsafe { (real().pthread_setcancelstate)(state, old) };
    };
    let disable = match state {
        PTHREAD_CANCEL_ENABLE => false,
        PTHREAD_CANCEL_DISABLE => true,
        _ => return libc::EINVAL,
    };
    let was = cancel::set_bit(t, CANCEL_DISABLED, disable);
    if !old.is_null() {
        // SAFETY: the program's out-parameter.
        unsafe { *old = if was { PTHREAD_CANCEL_DISABLE } else { PTHREAD_CANCEL_ENABLE } };
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_setcanceltype(ty: c_int, old: *mut c_int) -> c_int {
    let Some(t) = me() else {
        // SAFETY: glibc's own, for a thread glibc runs.
        return unsafe { (real().pthread_setcanceltype)(ty, old) };
    };
    let asynchronous = match ty {
        PTHREAD_CANCEL_DEFERRED => false,
        PTHREAD_CANCEL_ASYNCHRONOUS => true,
        _ => return libc::EINVAL,
    };
    let was = cancel::set_bit(t, CANCEL_ASYNC, asynchronous);
    if !old.is_null() {
        // SAFETY: the program's out-parameter.
        unsafe { *old = if was { PTHREAD_CANCEL_ASYNCHRONOUS } else { PTHREAD_CANCEL_DEFERRED } };
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_testcancel() {
    match me() {
        Some(t) => cancel::test(t),
        // SAFETY: glibc's own, for a thread glibc runs.
        None => unsafe { (real().pthread_testcancel)() },
    }
}
