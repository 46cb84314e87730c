//! The calling thread's `errno`: libc's, found through `__errno_location`
//! in whatever TCB `%fs` points at (so a caller that switched `%fs` reads
//! and writes that TCB's errno).

use core::ffi::c_int;

pub fn get() -> c_int {
    // SAFETY: __errno_location returns the current TCB's errno slot.
    unsafe { *libc::__errno_location() }
}

pub fn set(e: c_int) {
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = e };
}
