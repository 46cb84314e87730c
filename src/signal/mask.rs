//! `pthread_sigmask` for a user thread: a store into its descriptor. When
//! it blocks a process signal routing gave the thread and it has not taken
//! yet, the signal goes to another thread (`route::give_back`). When it
//! unblocks something, the delivery POSIX asks for happens before the call
//! returns: of signals queued for the thread, and of process signals the
//! router left pending in the kernel (`route::take_parked`).

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::{deliver, queue, route};
use crate::mem::uthread::UThread;
use crate::sys::signal::{INTERNAL, UNBLOCKABLE};

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
    let blocked = new & !old;
    if blocked & queue::pending(t) != 0 {
        route::give_back(t, blocked);
    }
    let unblocked = old & !new;
    if unblocked != 0 {
        after_unblock(t, unblocked);
    }
    Ok(old)
}

/// `t` (the caller) just unblocked `set`: takes what the kernel holds for
/// the process among them, then delivers.
pub fn after_unblock(t: *mut UThread, set: u64) {
    route::take_parked(t, set);
    deliver::deliver_pending(t, core::ptr::null_mut());
}
