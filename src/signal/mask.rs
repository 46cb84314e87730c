//! `pthread_sigmask` for a user thread: a store into its descriptor, and,
//! when it unblocks something, the delivery POSIX asks for before the call
//! returns — of signals queued for the thread, and of process-directed ones
//! the router left pending in the kernel (taken here from the kernel: the
//! carrier blocks them, so `rt_sigtimedwait` with a zero timeout dequeues
//! them).

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::{deliver, queue, route};
use crate::mem::uthread::UThread;
use crate::sys::signal::{self as ksig, INTERNAL, UNBLOCKABLE};

/// Changes the calling user thread `t`'s mask as `how` says (`set` None:
/// only read); the old mask, or EINVAL for a bad `how`.
pub fn change(t: *mut UThread, how: c_int, set: Option<u64>) -> Result<u64, c_int> {
    // SAFETY: the caller's own descriptor.
    let s = unsafe { &(*t).sig };
    let old = s.mask.load(Ordering::Relaxed);
    let Some(set) = set else { return Ok(old) };
    let set = set & !(UNBLOCKABLE | INTERNAL);
    let new = match how {
        libc::SIG_BLOCK => old | set,
        libc::SIG_UNBLOCK => old & !set,
        libc::SIG_SETMASK => set,
        _ => return Err(libc::EINVAL),
    };
    s.mask.store(new, Ordering::SeqCst);
    let unblocked = old & !new;
    if unblocked != 0 {
        after_unblock(t, unblocked);
    }
    Ok(old)
}

/// `t` (the caller) just unblocked `set`: takes what the kernel holds for
/// the process among them, then delivers.
pub fn after_unblock(t: *mut UThread, set: u64) {
    let parked = route::parked(set);
    if parked != 0 {
        route::unpark_signals(parked);
        take_from_kernel(t, parked);
    }
    deliver::deliver_pending(t, core::ptr::null_mut());
}

/// Moves the signals of `set` pending for the process in the kernel into
/// `t`'s queue.
pub fn take_from_kernel(t: *mut UThread, set: u64) {
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    while ksig::take_pending(set, &mut info, Some(0)) > 0 {
        queue::push(t, &info);
    }
    while let Some(i) = route::take_process(set) {
        queue::push(t, &i);
    }
}
