//! `pthread_spin_*` exports. The lock is [`crate::sync::spin`]; as in
//! glibc, the pshared argument is accepted whatever it is (a spinlock is
//! a plain word, so it works across processes anyway).

use core::ffi::c_int;
use core::sync::atomic::AtomicI32;

use crate::sync::spin;

fn word<'a>(l: *mut libc::pthread_spinlock_t) -> &'a AtomicI32 {
    // SAFETY: a pthread_spinlock_t is an int the program gives us; it is
    // only accessed atomically.
    unsafe { AtomicI32::from_ptr(l) }
}

#[no_mangle]
pub extern "C" fn pthread_spin_init(l: *mut libc::pthread_spinlock_t, _pshared: c_int) -> c_int {
    spin::unlock(word(l));
    0
}

#[no_mangle]
pub extern "C" fn pthread_spin_destroy(_l: *mut libc::pthread_spinlock_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_spin_lock(l: *mut libc::pthread_spinlock_t) -> c_int {
    spin::lock(word(l));
    0
}

#[no_mangle]
pub extern "C" fn pthread_spin_trylock(l: *mut libc::pthread_spinlock_t) -> c_int {
    if spin::try_lock(word(l)) {
        0
    } else {
        libc::EBUSY
    }
}

#[no_mangle]
pub extern "C" fn pthread_spin_unlock(l: *mut libc::pthread_spinlock_t) -> c_int {
    spin::unlock(word(l));
    0
}
