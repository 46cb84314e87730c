//! `pthread_barrier_*` and `pthread_barrierattr_*` exports. The barrier
//! itself is [`crate::sync::barrier`].

use core::ffi::{c_int, c_uint};

use crate::sync::barrier::{Barrier, MAX_COUNT};

fn barrier<'a>(b: *mut libc::pthread_barrier_t) -> &'a Barrier {
    // SAFETY: the program passes an initialised pthread_barrier_t, whose
    // size and alignment Barrier shares; its mutable fields are atomics.
    unsafe { &*(b as *const Barrier) }
}

/// glibc's barrier attribute: the pshared value in the first int of the
/// 4-byte `pthread_barrierattr_t`.
fn pshared_of<'a>(a: *const libc::pthread_barrierattr_t) -> &'a mut c_int {
    // SAFETY: a pthread_barrierattr_t from the program holds at least an int.
    unsafe { &mut *(a as *mut c_int) }
}

#[no_mangle]
pub extern "C" fn pthread_barrier_init(b: *mut libc::pthread_barrier_t, a: *const libc::pthread_barrierattr_t, count: c_uint) -> c_int {
    if count == 0 || count > MAX_COUNT {
        return libc::EINVAL;
    }
    let shared = !a.is_null() && *pshared_of(a) == libc::PTHREAD_PROCESS_SHARED;
    // SAFETY: the program hands us the object to initialise.
    unsafe { (b as *mut Barrier).write(Barrier::new(count, shared)) };
    0
}

#[no_mangle]
pub extern "C" fn pthread_barrier_wait(b: *mut libc::pthread_barrier_t) -> c_int {
    if barrier(b).wait() {
        libc::PTHREAD_BARRIER_SERIAL_THREAD
    } else {
        0
    }
}

#[no_mangle]
pub extern "C" fn pthread_barrier_destroy(b: *mut libc::pthread_barrier_t) -> c_int {
    barrier(b).destroy();
    0
}

#[no_mangle]
pub extern "C" fn pthread_barrierattr_init(a: *mut libc::pthread_barrierattr_t) -> c_int {
    *pshared_of(a) = libc::PTHREAD_PROCESS_PRIVATE;
    0
}

#[no_mangle]
pub extern "C" fn pthread_barrierattr_destroy(_a: *mut libc::pthread_barrierattr_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_barrierattr_getpshared(a: *const libc::pthread_barrierattr_t, pshared: *mut c_int) -> c_int {
    // SAFETY: a valid out-pointer from the program.
    unsafe { *pshared = *pshared_of(a) };
    0
}

#[no_mangle]
pub extern "C" fn pthread_barrierattr_setpshared(a: *mut libc::pthread_barrierattr_t, pshared: c_int) -> c_int {
    if pshared != libc::PTHREAD_PROCESS_PRIVATE && pshared != libc::PTHREAD_PROCESS_SHARED {
        return libc::EINVAL;
    }
    *pshared_of(a) = pshared;
    0
}
