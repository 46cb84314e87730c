//! `pthread_key_*` and `pthread_{get,set}specific`, with libc's `__pthread_*`
//! aliases.

use core::ffi::{c_int, c_void};

use crate::thread::key;
use crate::thread::runtime;

#[no_mangle]
pub extern "C" fn pthread_key_create(k: *mut libc::pthread_key_t, dtor: Option<key::Destructor>) -> c_int {
    match key::create(dtor) {
        Some(id) => {
            // SAFETY: valid out-pointer.
            unsafe { *k = id as libc::pthread_key_t };
            0
        }
        None => libc::EAGAIN,
    }
}

#[no_mangle]
pub extern "C" fn pthread_key_delete(k: libc::pthread_key_t) -> c_int {
    if key::delete(k as usize) {
        0
    } else {
        libc::EINVAL
    }
}

#[no_mangle]
pub extern "C" fn pthread_getspecific(k: libc::pthread_key_t) -> *mut c_void {
    let me = runtime::current();
    // SAFETY: the caller's own descriptor; only it touches its key data.
    key::get(unsafe { &mut (*me).keys }, k as usize)
}

#[no_mangle]
pub extern "C" fn pthread_setspecific(k: libc::pthread_key_t, value: *const c_void) -> c_int {
    let me = runtime::current();
    // SAFETY: as above.
    match key::set(unsafe { &mut (*me).keys }, k as usize, value as *mut c_void) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn __pthread_key_create(k: *mut libc::pthread_key_t, dtor: Option<key::Destructor>) -> c_int {
    pthread_key_create(k, dtor)
}

#[no_mangle]
pub extern "C" fn __pthread_getspecific(k: libc::pthread_key_t) -> *mut c_void {
    pthread_getspecific(k)
}

#[no_mangle]
pub extern "C" fn __pthread_setspecific(k: libc::pthread_key_t, value: *const c_void) -> c_int {
    pthread_setspecific(k, value)
}
