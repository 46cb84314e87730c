//! `dlopen`/`dlmopen`/`dlclose`: glibc's, plus one repair. When a library
//! loaded now uses static (initial-exec) TLS, glibc copies its TLS image
//! into the threads *it* knows; mnthread copies it into every TCB it owns.

use core::ffi::{c_char, c_int, c_void};

use crate::mem::tcb;
use crate::sys::real::real;
use crate::thread;

/// The TLS repair after a load; false when memory ran out for it (the
/// caller then undoes the load: a library whose TLS some threads lack
/// must not be used).
fn after_load() -> bool {
    let Some(added) = tcb::refresh_modules() else { return false };
    if !added.is_empty() {
        thread::for_each_owned_tcb(|tp| tcb::init_added(tp, &added));
    }
    true
}

/// `h` from glibc, repaired, or undone (null) when the repair could not be made.
fn finish_load(h: *mut c_void) -> *mut c_void {
    if h.is_null() || after_load() {
        return h;
    }
    // SAFETY: the handle glibc just returned, not yet seen by the program.
    unsafe { (real().dlclose)(h) };
    core::ptr::null_mut()
}

#[no_mangle]
pub extern "C" fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void {
    // SAFETY: glibc's dlopen with the program's arguments.
    let h = unsafe { (real().dlopen)(file, mode) };
    finish_load(h)
}

#[no_mangle]
pub extern "C" fn dlmopen(ns: libc::Lmid_t, file: *const c_char, mode: c_int) -> *mut c_void {
    // SAFETY: glibc's dlmopen with the program's arguments.
    let h = unsafe { (real().dlmopen)(ns, file, mode) };
    finish_load(h)
}

#[no_mangle]
pub extern "C" fn dlclose(h: *mut c_void) -> c_int {
    // SAFETY: glibc's dlclose with the program's handle.
    let r = unsafe { (real().dlclose)(h) };
    tcb::refresh_modules();
    crate::atfork::forget_unloaded();
    r
}
