//! Waiting for signals as a parked user thread: the `sigwait` family,
//! `sigsuspend` and `pause`.
//!
//! A waiter first takes what is already there: from its own queue, then
//! from the kernel (signals pending for the process, left there by the
//! router). Then it registers with the router (`sig.waiting`, and the
//! router's list; the router waits for those signals again), looks once
//! more — a signal the router parked just before the registration is in the
//! kernel by then — and parks until one is queued for it, a handler for
//! another signal ran (EINTR), a cancellation came, or the deadline passed
//! (EAGAIN). While a thread waits for a set, its resume check does not run
//! handlers for the signals of that set: the wait takes them, as the
//! kernel's `rt_sigtimedwait` does.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::{mask, queue, route};
use crate::mem::uthread::UThread;
use crate::park;
use crate::sched;
use crate::sys::signal::{self as ksig, INTERNAL, UNBLOCKABLE};
use crate::sys::time;

fn from_kernel(set: u64) -> Option<libc::siginfo_t> {
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    (ksig::take_pending(set, &mut info, Some(0)) > 0).then_some(info)
}

fn take(t: *mut UThread, set: u64) -> Option<libc::siginfo_t> {
    queue::take(t, set).or_else(|| from_kernel(set))
}

/// `sigtimedwait` for the calling user thread `t`: the signal taken, or
/// EAGAIN (deadline passed) or EINTR (a handler ran, or a cancellation).
pub fn wait_for(t: *mut UThread, set: u64, deadline: Option<u64>) -> Result<libc::siginfo_t, c_int> {
    let set = set & !(INTERNAL | UNBLOCKABLE);
    if let Some(i) = take(t, set) {
        return Ok(i);
    }
    if deadline.is_some_and(|d| time::now() >= d) {
        return Err(libc::EAGAIN);
    }
    // SAFETY: the caller's own descriptor.
    let s = unsafe { &(*t).sig };
    s.waiting.store(set, Ordering::SeqCst);
    route::register_waiter(t, set);
    park::begin_interruptible(t);
    let mut got = take(t, set);
    while got.is_none() {
        if queue::pending(t) & set != 0 {
            got = queue::take(t, set);
            continue;
        }
        if park::interruption(t) != 0 || deadline.is_some_and(|d| time::now() >= d) {
            break;
        }
        let (c, t) = sched::current_user().expect("sigwait off the carriers");
        park::park_user(c, t, deadline);
    }
    route::unregister_waiter(t);
    s.waiting.store(0, Ordering::SeqCst);
    if let Some(i) = got.or_else(|| queue::take(t, set)) {
        return Ok(i);
    }
    Err(if park::interruption(t) != 0 { libc::EINTR } else { libc::EAGAIN })
}

/// `sigsuspend` for the calling user thread `t` (`with_mask`: the mask to
/// wait with; None: the thread's own, as `pause`): returns once a handler
/// ran or a cancellation came; the mask is the old one again. Always EINTR.
pub fn suspend(t: *mut UThread, with_mask: Option<u64>) -> c_int {
    park::begin_interruptible(t);
    let old = with_mask.map(|m| mask::change(t, libc::SIG_SETMASK, Some(m)).unwrap_or(0));
    while park::interruption(t) == 0 {
        let (c, t) = sched::current_user().expect("sigsuspend off the carriers");
        park::park_user(c, t, None);
    }
    let ran = park::interruption(t);
    if let Some(old) = old {
        let _ = mask::change(t, libc::SIG_SETMASK, Some(old));
    }
    // What the wait saw is what the caller reads (the restore may deliver).
    // SAFETY: the caller's own descriptor.
    unsafe { (*t).sig.interrupted.fetch_or(ran, Ordering::Relaxed) };
    libc::EINTR
}
