//! `pthread_exit` and the cleanup-buffer entry points of glibc's
//! `pthread_cleanup_push`/`pop` macros (protocol in `thread::unwind`).
//!
//! `pthread_exit` and `__pthread_unwind_next` are bare jumps into the C
//! driver (src/c/unwind.c): the unwinder must never cross a Rust frame.

use core::ffi::{c_int, c_void};

use crate::mem::uthread::CleanupBuf;

use crate::thread::unwind;

extern "C" {
    fn mnthread_pthread_exit(retval: *mut c_void) -> !;
    fn mnthread_pthread_unwind_next(buf: *mut c_void) -> !;
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn pthread_exit(retval: *mut c_void) -> ! {
    core::arch::naked_asm!("jmp {}", sym mnthread_pthread_exit)
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn __pthread_unwind_next(buf: *mut c_void) -> ! {
    core::arch::naked_asm!("jmp {}", sym mnthread_pthread_unwind_next)
}

#[no_mangle]
pub extern "C" fn __pthread_register_cancel(buf: *mut c_void) {
    unwind::register_cleanup(buf)
}

#[no_mangle]
pub extern "C" fn __pthread_unregister_cancel(buf: *mut c_void) {
    unwind::unregister_cleanup(buf)
}

/// Where glibc's cleanup buffer keeps the cancellation type
/// `pthread_cleanup_push_defer_np` saved (`priv.data.canceltype`).
fn saved_type(buf: *mut c_void) -> *mut c_int {
    // SAFETY: the macros' buffer: `pad[1]` is the saved type's word.
    unsafe { core::ptr::addr_of_mut!((*(buf as *mut CleanupBuf)).pad[1]) as *mut c_int }
}

/// `pthread_cleanup_push_defer_np`: push, and make cancellation deferred,
/// keeping the old type in the buffer.
#[no_mangle]
pub extern "C" fn __pthread_register_cancel_defer(buf: *mut c_void) {
    let mut old = 0;
    super::cancel::pthread_setcanceltype(super::cancel::PTHREAD_CANCEL_DEFERRED, &mut old);
    // SAFETY: see `saved_type`.
    unsafe { *saved_type(buf) = old };
    unwind::register_cleanup(buf)
}

/// `pthread_cleanup_pop_restore_np`: pop, and restore the saved type (an
/// asynchronous one acts on a cancellation that came meanwhile, as glibc).
#[no_mangle]
pub extern "C" fn __pthread_unregister_cancel_restore(buf: *mut c_void) {
    unwind::unregister_cleanup(buf);
    // SAFETY: see `saved_type`.
    let old = unsafe { *saved_type(buf) };
    if old == super::cancel::PTHREAD_CANCEL_ASYNCHRONOUS {
        super::cancel::pthread_setcanceltype(old, core::ptr::null_mut());
        super::cancel::pthread_testcancel();
    }
}

/// LinuxThreads' call from before `execve` killed the other threads by
/// itself; glibc's does nothing, and so does this one.
#[no_mangle]
pub extern "C" fn pthread_kill_other_threads_np() {}
