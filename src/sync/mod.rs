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

use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};


/// After a fork, in the child: the thread that forked (its id before the
/// fork) and the first synthetic id given out in the child.
static IN_FORK_CHILD: AtomicBool = AtomicBool::new(false);
static FORKER: AtomicI32 = AtomicI32::new(0);
static FIRST_CHILD_TID: AtomicI32 = AtomicI32::new(0);

/// In a fork child (called by the fork layer): from now on a lock held by
/// a thread that did not survive the fork is the next locker's, unless
/// `MNTHREAD_FORK_REPAIR=0` asks for glibc's behaviour (it stays held).
pub fn note_fork_child(forker: i32, first_child_tid: i32) {
    // SAFETY: getenv with a NUL-terminated name; a non-null result is a string.
    let v = unsafe { libc::getenv(c"MNTHREAD_FORK_REPAIR".as_ptr()) };
    // SAFETY: as above.
    let off = !v.is_null() && unsafe { *v } == b'0' as libc::c_char;
    FORKER.store(forker, Ordering::Relaxed);
    FIRST_CHILD_TID.store(first_child_tid, Ordering::Relaxed);
    IN_FORK_CHILD.store(!off, Ordering::Release);
}

/// Whether thread id `tid`, found holding a lock, names a thread that did
/// not survive a fork into this process: a synthetic id given out before
/// the fork, other than the forker's; or a kernel thread id that is not a
/// thread of this process any more. Always false outside a fork child.
pub fn owner_gone(tid: i32) -> bool {
    if !IN_FORK_CHILD.load(Ordering::Acquire) || tid <= 0 || tid == FORKER.load(Ordering::Relaxed) {
        return false;
    }
    if crate::mem::tcb::is_synthetic_tid(tid) {
        return tid < FIRST_CHILD_TID.load(Ordering::Relaxed);
    }
    // SAFETY: signal 0 only checks that the thread exists.
    let r = unsafe { crate::sys::raw::syscall3(libc::SYS_tgkill, self_pid() as usize, tid as usize, 0) };
    r == -(libc::ESRCH as isize)
}

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
    let tid: i32;
    // SAFETY: every thread's TCB (at the %fs base) is a glibc `struct
    // pthread` with `tid` at this offset (user TCBs are built that way, see
    // mem::tcb).
    unsafe {
        core::arch::asm!("mov {0:e}, dword ptr fs:[{off}]", out(reg) tid, off = const crate::sys::real::PTHREAD_TID_OFFSET, options(nostack, readonly, preserves_flags))
    };
    tid
}
