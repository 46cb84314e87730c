//! `dlopen`/`dlmopen`/`dlclose`: glibc's, plus one repair. When a library
//! loaded now uses static (initial-exec) TLS, glibc copies its TLS image
//! into the threads *it* knows; mnthread copies it into every TCB it owns.

use core::ffi::{c_char, c_int, c_void};

use crate::mem::tcb;
use crate::sys::real::real;
use crate::thread;

fn after_load() {
    let added = tcb::refresh_modules();
    if !added.is_empty() {
        thread::for_each_owned_tcb(|tp| tcb::init_added(tp, &added));
    }
}

#[no_mangle]
pub extern "C" fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void {
    // SAFETY: glibc's dlopen with the program's arguments.
    let h = unsafe { (real().dlopen)(file, mode) };
    if !h.is_null() {
        after_load();
    }
    h
}

#[no_mangle]
pub extern "C" fn dlmopen(ns: libc::Lmid_t, file: *const c_char, mode: c_int) -> *mut c_void {
    // SAFETY: glibc's dlmopen with the program's arguments.
    let h = unsafe { (real().dlmopen)(ns, file, mode) };
    if !h.is_null() {
        after_load();
    }
    h
}

#[no_mangle]
pub extern "C" fn dlclose(h: *mut c_void) -> c_int {
    // SAFETY: glibc's dlclose with the program's handle.
    let r = unsafe { (real().dlclose)(h) };
    tcb::refresh_modules();
    crate::atfork::forget_unloaded();
    r
}
