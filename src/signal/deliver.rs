//! Running a signal's action on the thread it is for, and making a thread
//! notice a signal sent to it.
//!
//! Delivery runs on the receiving thread, on its own stack (or its
//! alternate stack, for SA_ONSTACK): the action's mask and the signal itself
//! (unless SA_NODEFER) are added to the thread's mask while the handler
//! runs and the mask is restored after; SA_RESETHAND resets the action
//! first. After the handlers, the thread's `interrupted` word records that
//! one ran (and whether it lacked SA_RESTART), so the wait it interrupted
//! returns EINTR or restarts. It is written after the handlers return: a
//! wait inside a handler clears it for itself.
//!
//! A default action that ends or stops the process is done by the kernel:
//! the signal's kernel disposition is set to SIG_DFL, unblocked on this
//! kernel thread and sent to it. Default actions that ignore do nothing.

use core::ffi::{c_int, c_void};
use core::sync::atomic::Ordering;

use super::action::{self, Action, Default};
use super::queue::{self, Origin};
use super::{altstack, route};
use crate::mem::uthread::{UThread, INTR_HANDLER, INTR_NO_RESTART, INTR_WAITED};
use crate::park;
use crate::sched;
use crate::sys::signal::{self as ksig, bit, UNBLOCKABLE};

/// The signal part of `park::on_resume`'s check (the cancel layer's check
/// calls it first): delivers what `t` (the caller) does not block, and
/// notes a signal its `sigwait` waits for.
pub fn on_resume(t: *mut UThread) {
    deliver_pending(t, core::ptr::null_mut());
    // SAFETY: the caller's own descriptor.
    let s = unsafe { &(*t).sig };
    if s.pending.load(Ordering::Acquire) & s.waiting.load(Ordering::Relaxed) != 0 {
        s.interrupted.fetch_or(INTR_WAITED, Ordering::Relaxed);
    }
}

/// Delivers every signal pending for the calling thread `t` that it does
/// not block, lowest-numbered first. `uc` is the kernel's context of the
/// interrupted code when called from a signal handler, else null. Returns
/// the `INTR_*` bits of the handlers that ran.
pub fn deliver_pending(t: *mut UThread, uc: *mut c_void) -> u32 {
    let mut ran = 0;
    loop {
        // SAFETY: the caller's own descriptor.
        let (mask, waiting) = unsafe { ((*t).sig.mask.load(Ordering::Relaxed), (*t).sig.waiting.load(Ordering::Relaxed)) };
        // What a sigwait of the thread waits for is the wait's to take.
        let Some(info) = queue::take(t, (!mask & !waiting) | UNBLOCKABLE) else { break };
        ran |= act_on(t, &info, uc);
    }
    if ran != 0 {
        // SAFETY: as above.
        unsafe { (*t).sig.interrupted.fetch_or(ran, Ordering::Relaxed) };
    }
    ran
}

/// Carries out the action for `info` on the calling thread `t`.
pub fn act_on(t: *mut UThread, info: &libc::siginfo_t, uc: *mut c_void) -> u32 {
    let sig = info.si_signo;
    let a = action::get(sig);
    match a.handler {
        libc::SIG_IGN => 0,
        libc::SIG_DFL => {
            default_action(sig);
            0
        }
        _ => run_handler(t, info, &a, uc),
    }
}

/// Runs the program's handler `a` for `info` on the calling thread `t`.
pub fn run_handler(t: *mut UThread, info: &libc::siginfo_t, a: &Action, uc: *mut c_void) -> u32 {
    let sig = info.si_signo;
    // SAFETY: the caller's own descriptor.
    let s = unsafe { &(*t).sig };
    let old = s.mask.load(Ordering::Relaxed);
    let add = a.mask | if a.flags & libc::SA_NODEFER as u64 == 0 { bit(sig) } else { 0 };
    s.mask.store((old | add) & !UNBLOCKABLE, Ordering::SeqCst);
    if a.flags & libc::SA_RESETHAND as u64 != 0 {
        action::reset_for_delivery(sig);
    }
    let mut info = *info;
    // SAFETY: all-zero is a valid ucontext (what a handler run at a resume
    // point sees: no interrupted registers, the mask it had).
    let mut made: libc::ucontext_t = unsafe { core::mem::zeroed() };
    let ucp = if uc.is_null() {
        // SAFETY: the first 8 bytes of a sigset_t are the kernel's set.
        unsafe { *(&mut made.uc_sigmask as *mut libc::sigset_t as *mut u64) = old };
        &mut made as *mut libc::ucontext_t as *mut c_void
    } else {
        uc
    };
    let on_alt = a.flags & libc::SA_ONSTACK as u64 != 0;
    altstack::call_handler(t, a.handler, sig, &mut info, ucp, on_alt);
    // The thread may have moved to another carrier meanwhile; `t` is still it.
    s.mask.store(old, Ordering::SeqCst);
    // A process signal the handler's mask kept from every thread went back
    // to the kernel meanwhile: it is this thread's now (the caller's loop,
    // or a retried kick after a fault handler, delivers it).
    if route::parked(add & !old) != 0 {
        route::take_parked(t, add & !old);
        route::retry_soon();
    }
    INTR_HANDLER | if a.flags & libc::SA_RESTART as u64 == 0 { INTR_NO_RESTART } else { 0 }
}

/// The default action of `sig`, for the whole process.
pub fn default_action(sig: c_int) {
    if matches!(action::default_of(sig), Default::Terminate | Default::Stop) {
        kernel_default(sig);
    }
}

/// Has the kernel carry out `sig`'s default action (end or stop the
/// process) on the calling kernel thread; returns after a stop.
pub fn kernel_default(sig: c_int) {
    let dfl = ksig::KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
    let mut old = dfl;
    ksig::set_action(sig, Some(&dfl), Some(&mut old));
    let mask = ksig::thread_mask(libc::SIG_UNBLOCK, Some(bit(sig)));
    ksig::tgkill(ksig::gettid(), sig);
    // Only a stop comes back, once the process is continued.
    ksig::thread_mask(libc::SIG_SETMASK, Some(mask));
    ksig::set_action(sig, Some(&old), None);
}

/// A write of the calling user thread `t` failed with EPIPE: the kernel
/// sent SIGPIPE to its carrier's kernel thread, which blocks it; the
/// signal is the thread's.
pub fn take_sigpipe(t: *mut UThread) {
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    if ksig::take_pending(bit(libc::SIGPIPE), &mut info, Some(0)) > 0 {
        queue::push(t, &info, Origin::Thread);
        deliver_pending(t, core::ptr::null_mut());
    }
}

/// Queues `info` (sent to `origin`) for thread `t` and makes it notice
/// (see [`notify`]).
pub fn post(t: *mut UThread, info: &libc::siginfo_t, origin: Origin) {
    queue::push(t, info, origin);
    notify(t, info.si_signo);
}

/// Makes `t` take a signal `sig` queued for it, if it does not block it or
/// waits for it: a parked thread is unparked (its park returns, and the
/// resume check delivers), a thread running on another carrier gets
/// `SIGMN` there. A queued thread delivers as it resumes.
pub fn notify(t: *mut UThread, sig: c_int) {
    // SAFETY: descriptors are type-stable.
    let s = unsafe { &(*t).sig };
    if s.mask.load(Ordering::SeqCst) & bit(sig) != 0 && s.waiting.load(Ordering::SeqCst) & bit(sig) == 0 {
        return;
    }
    wake(t);
}

/// Makes `t` look at its signals and cancellation: unparks it, and sends
/// `SIGMN` to the carrier it runs on (unless that is the caller).
pub fn wake(t: *mut UThread) {
    if sched::current_user().map(|(_, me)| me) == Some(t) {
        return;
    }
    park::unpark(t);
    kick_running(t);
}

/// Sends `SIGMN` to every carrier that `t` is running on (at most one; a
/// stale match only costs a spurious signal).
pub fn kick_running(t: *mut UThread) {
    for c in sched::carriers() {
        if c.current.load(Ordering::SeqCst) == t {
            c.kick();
        }
    }
}
