//! Layer 5: the one waiting primitive.
//!
//! `park_user`/`unpark` suspend and resume *user* threads. The state word
//! `UThread::park_state` (protocol in [`crate::park::state`]) makes wake-ups
//! impossible to lose and lets exactly one side make the thread runnable.
//! A park may return spuriously; every caller re-checks its condition.
//!
//! `Waiter` is what a wait list holds: it parks a user thread, and
//! futex-waits a kernel thread mnthread does not run (a foreign thread, or
//! the main thread before the runtime starts). A waker reads everything it
//! needs *before* it sets the waiter's word, since the waiter may return and
//! pop its stack right after; what it touches after that (a futex address,
//! a type-stable descriptor) at worst causes a spurious wake-up.

pub mod lot;
pub mod offload;
pub mod state;

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use state as park_state;
use crate::sched::{self, Carrier, Continuation};
use crate::sys::{raw, time};
use crate::mem::uthread::{UThread, CANCEL_ACTING, CANCEL_DISABLED, CANCEL_REQUESTED, INTR_NO_RESTART};

/// Parks the user thread `t` (running on `c`) until unparked or until
/// `deadline` (monotonic ns). May return spuriously. Before it returns, a
/// signal or cancellation that came for `t` meanwhile is taken (see
/// [`on_resume`]).
pub fn park_user(c: &Carrier, t: *mut UThread, deadline: Option<u64>) {
    // SAFETY: `t` is the calling thread's own descriptor.
    let t_ref = unsafe { &*t };
    if park_state::take_permit(&t_ref.park_state) {
        on_resume(t);
        return;
    }
    if let Some(d) = deadline {
        if time::now() >= d {
            return;
        }
        sched::timer::add(d, t, t_ref.park_ticket.load(Ordering::Relaxed));
    }
    if park_state::begin_park(&t_ref.park_state) {
        // SAFETY: `t` runs on `c`.
        unsafe { sched::switch_away(c, t, FINISH_PARK) };
    }
    if deadline.is_some() {
        t_ref.park_ticket.fetch_add(1, Ordering::Release);
        sched::timer::done();
    }
    on_resume(t);
}

/// What the signal layer registers: takes the signals and the cancellation
/// waiting for the calling user thread `t` (runs its handlers).
pub type ResumeCheck = fn(*mut UThread);

static RESUME_CHECK: AtomicUsize = AtomicUsize::new(0);

/// Registers the function [`on_resume`] calls (once, at start-up).
pub fn register_resume_check(f: ResumeCheck) {
    RESUME_CHECK.store(f as usize, Ordering::Release);
}

/// Whether something waits for `t` that it must take as it resumes: a
/// pending signal it does not block or waits for, or a cancellation it
/// acts on.
#[inline]
pub fn has_interruption(t: &UThread) -> bool {
    let s = &t.sig;
    let cancel = t.cancel.load(Ordering::Relaxed) & (CANCEL_REQUESTED | CANCEL_DISABLED | CANCEL_ACTING);
    let takes = !s.mask.load(Ordering::Relaxed) | s.waiting.load(Ordering::Relaxed);
    s.pending.load(Ordering::Acquire) & takes != 0 || cancel == CANCEL_REQUESTED
}

/// A user thread resumes (after a park, a yield, or at its start): if a
/// signal or a cancellation waits for it, the registered check takes it
/// here, on the thread's own stack with no runtime lock held — as the
/// kernel delivers a signal to a kernel thread at its return to user mode.
/// Costs two loads otherwise.
#[inline]
pub fn on_resume(t: *mut UThread) {
    // A CPU mask another thread set for this one (see `sched::bound`).
    sched::bound::take_pending(t);
    // SAFETY: `t` is the calling thread's own descriptor.
    if has_interruption(unsafe { &*t }) {
        let f = RESUME_CHECK.load(Ordering::Acquire);
        if f != 0 {
            // SAFETY: only `register_resume_check` stores non-zero values, each a ResumeCheck.
            let check = unsafe { core::mem::transmute::<usize, ResumeCheck>(f) };
            check(t);
        }
    }
}

/// Clears the record of what interrupted `t` (an interruptible wait begins).
#[inline]
pub fn begin_interruptible(t: *mut UThread) {
    // SAFETY: `t` is the calling thread's own descriptor.
    unsafe { (*t).sig.interrupted.store(0, Ordering::Relaxed) };
}

/// Marks the calling user thread's interrupted wait as one that never
/// restarts (a socket call with a timeout, signal(7)).
pub fn forbid_restart() {
    if let Some((_, t)) = sched::current_user() {
        // SAFETY: the caller's own descriptor.
        unsafe { (*t).sig.interrupted.fetch_or(INTR_NO_RESTART, Ordering::Relaxed) };
    }
}

/// The `INTR_*` bits of what interrupted `t` since its interruptible wait
/// began (0: nothing).
#[inline]
pub fn interruption(t: *mut UThread) -> u32 {
    // SAFETY: `t` is a descriptor (type-stable).
    unsafe { (*t).sig.interrupted.load(Ordering::Relaxed) }
}

/// Registers the park layer's work source with the scheduler: due park
/// deadlines unpark their threads.
pub fn init() {
    sched::register_source(fire_timers);
}

fn fire_timers() -> usize {
    sched::timer::fire_due(unpark)
}

const FINISH_PARK: Continuation = Continuation { run: finish_park, arg: 0 };

/// Parks the calling user thread until the monotonic clock reaches
/// `deadline` (ns): nobody unparks it, so only the deadline — or a stale
/// permit, which the loop absorbs — ends a park, or a signal handler or a
/// cancellation (false). The caller is a user thread.
pub fn sleep_until(deadline: u64) -> bool {
    let t = sched::current_user().expect("sleep_until off the carriers").1;
    begin_interruptible(t);
    while time::now() < deadline {
        let (c, t) = sched::current_user().expect("sleep_until off the carriers");
        park_user(c, t, Some(deadline));
        if interruption(t) != 0 {
            return false;
        }
    }
    true
}

/// Completes a park after `t`'s switch-out (run by the next context).
fn finish_park(t: *mut UThread, _: usize) {
    // SAFETY: `t` is a parked descriptor (type-stable).
    let t_ref = unsafe { &*t };
    if !park_state::finish_park(&t_ref.park_state) {
        // Unparked while parking: it is runnable again.
        sched::ready(t, false);
    }
}

/// Whether the calling user thread `t` is on its way out to park.
fn is_parking(t: *mut UThread) -> bool {
    // SAFETY: `t` is the calling thread's own descriptor.
    park_state::is_parking(unsafe { &(*t).park_state })
}

/// Makes the user thread `t` runnable if parked, or leaves it a permit.
pub fn unpark(t: *mut UThread) {
    // SAFETY: descriptors are type-stable; a stale `t` only gets a permit.
    let t_ref = unsafe { &*t };
    if park_state::unpark(&t_ref.park_state) {
        sched::ready(t, true);
    }
}

/// How a [`Waiter::wait_for`] ended.
#[derive(PartialEq, Eq, Debug)]
pub enum Wake {
    Woken,
    TimedOut,
    Interrupted,
}

/// One waiting party in a wait list (lives on the waiter's stack).
pub struct Waiter {
    /// 0 = waiting, 1 = woken.
    word: AtomicU32,
    /// The user thread to unpark, or null for a kernel thread (futex).
    thread: *mut UThread,
}

impl Waiter {
    /// A waiter for the calling thread.
    pub fn for_current() -> Waiter {
        let thread = sched::current_user().map_or(core::ptr::null_mut(), |(_, t)| t);
        Waiter { word: AtomicU32::new(0), thread }
    }

    pub fn is_woken(&self) -> bool {
        self.word.load(Ordering::Acquire) == 1
    }

    /// Waits until woken (true) or until `deadline` passes (false).
    pub fn wait(&self, deadline: Option<u64>) -> bool {
        self.wait_for(deadline, false) == Wake::Woken
    }

    /// Waits until woken, until `deadline` passes, or — when
    /// `interruptible` — until a signal handler interrupted the sleep (a
    /// kernel thread's futex wait reports EINTR; a user thread's handlers
    /// run as it resumes, see [`on_resume`]) or the thread must act on a
    /// cancellation.
    pub fn wait_for(&self, deadline: Option<u64>, interruptible: bool) -> Wake {
        if interruptible && !self.thread.is_null() {
            begin_interruptible(self.thread);
        }
        loop {
            if self.is_woken() {
                return Wake::Woken;
            }
            if let Some(d) = deadline {
                if time::now() >= d {
                    return if self.is_woken() { Wake::Woken } else { Wake::TimedOut };
                }
            }
            if self.thread.is_null() {
                let r = raw::futex_wait(&self.word, 0, deadline);
                if r == -(libc::EINTR as isize) && interruptible && !self.is_woken() {
                    return Wake::Interrupted;
                }
            } else {
                // Re-read the carrier: the thread may have moved since.
                let (c, t) = sched::current_user().expect("user thread left its carrier");
                park_user(c, t, deadline);
                if interruptible && interruption(t) != 0 && !self.is_woken() {
                    return Wake::Interrupted;
                }
            }
        }
    }

    /// Wakes the waiter.
    ///
    /// # Safety
    /// `w` is a waiter still waiting (not yet returned from `wait`).
    pub unsafe fn wake(w: *const Waiter) {
        // SAFETY: per the contract, `w` is live until the store below.
        let thread = unsafe { (*w).thread };
        // SAFETY: as above.
        let word = unsafe { &(*w).word } as *const AtomicU32;
        // SAFETY: as above.
        unsafe { (*word).store(1, Ordering::Release) };
        if thread.is_null() {
            raw::futex_wake(word, 1);
        } else if sched::current_user().map(|(_, t)| t) != Some(thread) || is_parking(thread) {
            // A thread woken by itself is either running — after a hand-off
            // straight to it — and sees the word (no permit to leave behind),
            // or on its way out to park: a work source polled by its own
            // switch-out woke it, and only the permit makes `finish_park`
            // requeue it.
            unpark(thread);
        }
    }
}
