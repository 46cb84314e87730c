//! `sched_yield` and `pthread_yield`: a user thread lets the next runnable
//! thread on its carrier run; any other kernel thread yields to the kernel.

use core::ffi::c_int;

#[no_mangle]
pub extern "C" fn sched_yield() -> c_int {
    crate::sched::yield_now();
    // A signal or cancellation that came meanwhile is taken as it resumes.
    if let Some((_, t)) = crate::sched::current_user() {
        crate::park::on_resume(t);
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_yield() -> c_int {
    sched_yield()
}
