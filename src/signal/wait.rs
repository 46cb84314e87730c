//! Waiting for signals as a parked user thread: the `sigwait` family,
//! `sigsuspend` and `pause`.
//!
//! A waiter takes what is there: from its own queue, then from the kernel
//! (signals pending for the process, which the router leaves there while
//! every thread blocks them). Otherwise it registers with the router
//! (`sig.waiting`, and the router's list: a signal of the set the router
//! takes goes to it) and waits in the poller on a `signalfd` of the set —
//! readable when the kernel holds one for the process — until a signal is
//! there, a handler for another signal ran (EINTR), a cancellation came,
//! or the deadline passed (EAGAIN). Taking from the kernel in order keeps
//! real-time signals in the order they were sent. While a thread waits for a set, its resume check does not run
//! handlers for the signals of that set: the wait takes them, as the
//! kernel's `rt_sigtimedwait` does.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::{mask, queue, route};
use crate::mem::uthread::{UThread, INTR_WAITED};
use crate::park;
use crate::sched;
use crate::io::fdtab::Dir;
use crate::io::poller::{self, Ready};
use crate::sys::raw;
use crate::sys::signal::{self as ksig, INTERNAL, UNBLOCKABLE};
use crate::sys::time;

fn from_kernel(set: u64) -> Option<libc::siginfo_t> {
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    (ksig::take_pending(set, &mut info, Some(0)) > 0).then_some(info)
}

fn take(t: *mut UThread, set: u64) -> Option<libc::siginfo_t> {
    queue::take(t, set).or_else(|| from_kernel(set)).or_else(|| route::take_process(set))
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
    route::register_waiter(t);
    // Readable when the kernel holds one of the set for the process.
    // SAFETY: signalfd4 reads the 8-byte set on this stack.
    let fd = unsafe { raw::syscall6(libc::SYS_signalfd4, usize::MAX, &set as *const u64 as usize, 8, (libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) as usize, 0, 0) } as c_int;
    park::begin_interruptible(t);
    let mut why = libc::EAGAIN;
    let got = loop {
        if let Some(i) = take(t, set) {
            break Some(i);
        }
        if park::interruption(t) & !INTR_WAITED != 0 {
            why = libc::EINTR;
            break None;
        }
        if deadline.is_some_and(|d| time::now() >= d) {
            break None;
        }
        if fd < 0 || poller::wait(fd, Dir::Read, deadline) == Ready::NotPollable {
            let (c, t) = sched::current_user().expect("sigwait off the carriers");
            park::park_user(c, t, deadline);
        }
    };
    route::unregister_waiter(t);
    s.waiting.store(0, Ordering::SeqCst);
    if fd >= 0 {
        raw::close(fd);
    }
    got.or_else(|| queue::take(t, set)).ok_or(why)
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
