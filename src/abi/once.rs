//! `pthread_once`: the first caller runs the routine; the others park on
//! the control word's address until it is done.
//!
//! Word: 0 (PTHREAD_ONCE_INIT) -> 1 while running -> 2 done (glibc's values).

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, Ordering};

use crate::lot;

const IN_PROGRESS: i32 = 1;
const DONE: i32 = 2;

#[no_mangle]
pub extern "C" fn pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int {
    // SAFETY: pthread_once_t is an int the program keeps alive.
    let word = unsafe { &*(ctl as *const AtomicI32) };
    loop {
        match word.load(Ordering::Acquire) {
            DONE => return 0,
            0 => {
                if word.compare_exchange(0, IN_PROGRESS, Ordering::Acquire, Ordering::Acquire).is_ok() {
                    init();
                    word.store(DONE, Ordering::Release);
                    lot::wake(ctl as usize, usize::MAX);
                    return 0;
                }
            }
            _ => {
                lot::wait(ctl as usize, || word.load(Ordering::Acquire) == IN_PROGRESS, None);
            }
        }
    }
}

#[no_mangle]
pub extern "C" fn __pthread_once(ctl: *mut libc::pthread_once_t, init: extern "C" fn()) -> c_int {
    pthread_once(ctl, init)
}
