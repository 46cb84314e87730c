//! `sched_yield` and `pthread_yield`: a user thread lets the next runnable
//! thread on its carrier run; any other kernel thread yields to the kernel.

use core::ffi::c_int;

#[no_mangle]
pub extern "C" fn sched_yield() -> c_int {
    if !crate::sched::yield_now() {
        crate::sys::raw::sched_yield();
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_yield() -> c_int {
    sched_yield()
}
