//! The signal mask a new program starts with.
//!
//! `execve` keeps the calling *kernel* thread's mask, and a spawned child
//! starts with its parent's unless told otherwise: a carrier's mask blocks
//! everything. So an exec from a user thread first sets its carrier's
//! kernel mask to the thread's own (and puts the carrier's back if the exec
//! fails); `posix_spawn` without POSIX_SPAWN_SETSIGMASK gets that flag with
//! the thread's mask. While the exec runs, a signal the kernel now sends to
//! this carrier is the running thread's: the entry queues it for the thread.

use core::sync::atomic::Ordering;

use crate::sched;
use crate::sys::signal::{self as ksig, CARRIER_MASK, INTERNAL};

/// Runs `exec` (an exec call) with the calling user thread's mask on its
/// kernel thread; what it returns (it returns only on failure).
pub fn with_thread_mask<R>(exec: impl FnOnce() -> R) -> R {
    let Some((_, t)) = sched::current_user() else { return exec() };
    // SAFETY: the caller's own descriptor.
    let m = unsafe { (*t).sig.mask.load(Ordering::Relaxed) };
    ksig::thread_mask(libc::SIG_SETMASK, Some(m & !INTERNAL));
    let r = exec();
    ksig::thread_mask(libc::SIG_SETMASK, Some(CARRIER_MASK));
    r
}

/// The mask a spawned child of the calling thread starts with, if the
/// caller is a user thread.
pub fn child_mask() -> Option<u64> {
    let (_, t) = sched::current_user()?;
    // SAFETY: the caller's own descriptor.
    Some(unsafe { (*t).sig.mask.load(Ordering::Relaxed) })
}
