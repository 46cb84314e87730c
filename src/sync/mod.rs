//! Layer 6: synchronisation objects — mutexes, condition variables, rwlocks,
//! barriers, spinlocks, semaphores and the futex emulation — all built on
//! [`futex`], an emulated futex whose private waits park user threads in the
//! address-keyed [`crate::park::lot`] and whose process-shared waits go to the
//! kernel (through [`crate::park::offload`] when the waiter is a user thread).
//!
//! The objects keep glibc's sizes and layouts where a program can see them
//! (static initialisers, the mutex kind field); the rest of each object is
//! mnthread's own state, documented in its module.

pub mod barrier;
pub mod cond;
pub mod futex;
pub mod futex_call;
pub mod mutex;
pub mod mutex_robust;
pub mod named_sem;
pub mod rwlock;
pub mod sem;
pub mod spin;

use crate::sys::real::real;

/// This process's pid: the owner's process of process-shared objects
/// (thread ids alone repeat across processes, see [`self_tid`]).
pub fn self_pid() -> u32 {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { crate::sys::raw::syscall3(libc::SYS_getpid, 0, 0, 0) as u32 }
}

/// The calling thread's id as glibc stores it in its TCB: a kernel tid for
/// threads mnthread did not create, a unique synthetic tid (above
/// PID_MAX_LIMIT) for user threads. Owner field of mutexes and rwlocks.
#[inline]
pub fn self_tid() -> i32 {
    let tp = crate::arch::thread_pointer();
    // SAFETY: every thread's TCB is a glibc `struct pthread` with `tid` at
    // this offset (user TCBs are built that way, see mem::tcb).
    unsafe { *((tp + real().pthread_tid_offset) as *const i32) }
}
