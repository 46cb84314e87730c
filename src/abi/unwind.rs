//! `pthread_exit` and the cleanup-buffer entry points of glibc's
//! `pthread_cleanup_push`/`pop` macros (protocol in `thread::unwind`).
//!
//! `pthread_exit` and `__pthread_unwind_next` are bare jumps into the C
//! driver (src/c/unwind.c): the unwinder must never cross a Rust frame.

use core::ffi::c_void;

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
