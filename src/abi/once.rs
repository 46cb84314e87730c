//! `pthread_once`. The function itself is C (src/c/once.c): it must run
//! cleanup while an exception or `pthread_exit` unwinds out of the routine,
//! which Rust built with panic=abort cannot. The exports here are bare
//! jumps to it — no frame of their own for the unwinder to cross — because
//! a cdylib exports only symbols Rust defines. Waiters park on the once
//! word's address (`lot`).

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, Ordering};

use crate::park::lot;

extern "C" {
    fn mnthread_pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int;
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int {
    core::arch::naked_asm!("jmp {}", sym mnthread_pthread_once)
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn __pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int {
    core::arch::naked_asm!("jmp {}", sym mnthread_pthread_once)
}

/// Parks the caller while `*word == value` (checked under the wait-queue
/// lock, so a change made before the matching wake is never missed).
extern "C" fn mnthread_once_wait(word: *mut c_int, value: c_int) {
    // SAFETY: the program's once object, alive while pthread_once runs.
    let w = unsafe { &*(word as *const AtomicI32) };
    lot::wait(word as usize, lot::ALL_BITS, || w.load(Ordering::Acquire) == value, None);
}

/// Wakes up to `n` callers parked on `word`.
extern "C" fn mnthread_once_wake(word: *mut c_int, n: c_int) {
    lot::wake(word as usize, n.max(0) as usize, lot::ALL_BITS);
}

// What src/c/once.c calls.
crate::c_callable!("mnthread_once_wait" => mnthread_once_wait);
crate::c_callable!("mnthread_once_wake" => mnthread_once_wake);
