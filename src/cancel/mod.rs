//! Layer 8b: thread cancellation.
//!
//! State is the descriptor's `cancel` word (`CANCEL_*` bits in
//! `mem::uthread`): requested, disabled, asynchronous, acting; and its
//! `in_cancel_point` mark, which only the thread itself touches. A request acts when it is requested and neither
//! disabled nor already acting:
//! * **Deferred** (the default): at a cancellation point. Every blocking
//!   export that POSIX makes a cancellation point runs inside [`point`]: it
//!   acts on a request already there when the call begins; during the call
//!   the thread is marked, and a request that comes meanwhile wakes it
//!   (`signal::deliver::wake`): its wait returns interrupted (the resume
//!   check sets INTR_CANCEL for a marked thread) and the point acts as the
//!   call ends. A call that completed before the request is not undone; the
//!   next point acts.
//! * **Asynchronous**: the request sends `SIGMN` to the target's carrier;
//!   at a safe point (the program's own code) the signal entry unwinds from
//!   there (src/c/signal.c).
//!
//! Acting is `pthread_exit(PTHREAD_CANCELED)` through the real unwinder,
//! with further cancellation disabled: C cleanup handlers, C++ destructors
//! and `catch (...)` rethrowing all see the forced unwind, as with glibc.
//! `pthread_cond_wait` re-acquires the mutex before the point acts (the
//! condition layer always does before it returns).

use core::ffi::{c_int, c_void};
use core::sync::atomic::Ordering;

use crate::mem::uthread::{UThread, CANCEL_ACTING, CANCEL_ASYNC, CANCEL_DISABLED, CANCEL_REQUESTED, EXITED, FREE, INTR_CANCEL};
use crate::park;
use crate::sched;
use crate::signal::deliver;

extern "C" {
    fn mnthread_pthread_exit(retval: *mut c_void) -> !;
}

const PTHREAD_CANCELED: *mut c_void = -1isize as *mut c_void;

fn word(t: *mut UThread) -> &'static core::sync::atomic::AtomicU32 {
    // SAFETY: descriptors are type-stable.
    unsafe { &(*t).cancel }
}

/// Whether `t`'s request is to act now (deferred or not).
fn due(bits: u32) -> bool {
    bits & (CANCEL_REQUESTED | CANCEL_DISABLED | CANCEL_ACTING) == CANCEL_REQUESTED
}

/// `pthread_cancel(t)` for a user thread: ESRCH for a reaped descriptor.
pub fn request(t: *mut UThread) -> Result<(), c_int> {
    // SAFETY: descriptors are type-stable.
    match unsafe { (*t).join_state.load(Ordering::Acquire) } {
        FREE => return Err(libc::ESRCH),
        EXITED => return Ok(()),
        _ => {}
    }
    let old = word(t).fetch_or(CANCEL_REQUESTED, Ordering::SeqCst);
    if !due(old | CANCEL_REQUESTED) || old & CANCEL_REQUESTED != 0 {
        return Ok(());
    }
    if sched::current_user().map(|(_, me)| me) == Some(t) {
        if old & CANCEL_ASYNC != 0 {
            act();
        }
        return Ok(());
    }
    deliver::wake(t);
    Ok(())
}

/// Registers the check a user thread runs as it resumes (`park::on_resume`).
pub fn init() {
    park::register_resume_check(on_resume);
}

/// As `t` (the caller) resumes: its signals first, then a cancellation —
/// acted on now if asynchronous, else noted for the cancellation point the
/// thread is in (its wait then ends interrupted, and the point acts).
fn on_resume(t: *mut UThread) {
    deliver::on_resume(t);
    let c = word(t).load(Ordering::Acquire);
    if !due(c) {
        return;
    }
    if c & CANCEL_ASYNC != 0 {
        act();
    }
    // SAFETY: the caller's own descriptor.
    if unsafe { (*t).in_cancel_point.load(Ordering::Relaxed) } {
        // SAFETY: the caller's own descriptor.
        unsafe { (*t).sig.interrupted.fetch_or(INTR_CANCEL, Ordering::Relaxed) };
    }
}

/// Ends the calling user thread as cancelled.
pub fn act() -> ! {
    let t = sched::current_user().map(|(_, t)| t).expect("cancellation off the carriers");
    word(t).fetch_or(CANCEL_ACTING | CANCEL_DISABLED, Ordering::SeqCst);
    // SAFETY: the unwinding exit of the calling user thread.
    unsafe { mnthread_pthread_exit(PTHREAD_CANCELED) }
}

/// Acts if a request is due for the calling user thread `t` (a
/// cancellation point, or `pthread_testcancel`).
pub fn test(t: *mut UThread) {
    if due(word(t).load(Ordering::Acquire)) {
        act();
    }
}

/// `pthread_setcancelstate`/`pthread_setcanceltype` for `t` (the caller):
/// sets `bit` on or off; the old value of the bit. Enabling, or switching to
/// asynchronous, with a request pending and the type asynchronous acts now.
pub fn set_bit(t: *mut UThread, bit: u32, on: bool) -> bool {
    let w = word(t);
    let old = if on { w.fetch_or(bit, Ordering::SeqCst) } else { w.fetch_and(!bit, Ordering::SeqCst) };
    let now = w.load(Ordering::SeqCst);
    if due(now) && now & CANCEL_ASYNC != 0 {
        act();
    }
    old & bit != 0
}

/// Runs the cancellation point `call` for the calling thread (any thread:
/// one mnthread does not run just makes the call): acts on a request
/// pending at the start, or one that interrupted the call.
#[inline]
pub fn point<R>(call: impl FnOnce() -> R) -> R {
    let Some((_, t)) = sched::current_user() else { return call() };
    test(t);
    // SAFETY: the caller's own descriptor; only it reads the mark.
    let mark = unsafe { &(*t).in_cancel_point };
    let outer = mark.load(Ordering::Relaxed);
    mark.store(true, Ordering::Relaxed);
    let r = call();
    mark.store(outer, Ordering::Relaxed);
    if park::interruption(t) & INTR_CANCEL != 0 {
        act();
    }
    r
}
