//! The park state word of a user thread, on its own so that its protocol
//! can be model-checked (loom) apart from the scheduler.
//!
//! ```text
//!   RUNNING --unpark--> NOTIFIED            (a permit: the next park returns at once)
//!   RUNNING --begin_park--> PARKING --(switched out; finish_park)--> PARKED
//!   PARKING --unpark--> NOTIFIED            (finish_park sees it: requeue)
//!   PARKED  --unpark--> RUNNING             (unpark's caller enqueues)
//!   NOTIFIED --unpark--> NOTIFIED           (still written: see below)
//! ```
//!
//! The thread itself moves RUNNING->PARKING; the context that runs after it
//! moves PARKING->PARKED once the thread's registers are saved.
//! Invariant: for each park that really switches out, exactly one of
//! `finish_park` (returning false) or `unpark` (returning true) tells its
//! caller to make the thread runnable — never both, never neither when an
//! unpark happened.
//!
//! Every transition is a read-modify-write, including the ones that look
//! like no-ops, and a permit is consumed by one RMW. A waker writes its
//! condition, then unparks; the woken thread consumes the permit, then
//! re-checks the condition. If an unpark that finds a permit already there
//! only *read* it (or the consumer cleared it with a plain store), nothing
//! would order the consumer's re-check after that waker's write: the thread
//! could read the old condition, find no permit and park for good (a lost
//! wake-up, store-buffering shaped: possible on x86). With RMWs throughout,
//! the waker's write to the word is either read by the consumer (Acquire:
//! it sees the condition) or comes after the consumption (a new permit).
//! The loom models at the bottom check this.

use core::sync::atomic::Ordering;

/// The functions below are generic over the word ([`AtomicWord`], the one
/// atomics shim) so that the runtime runs them on `core`'s `AtomicU32`
/// (`UThread::park_state`) and the loom models on loom's.
pub use crate::sys::atomic::AtomicWord as StateWord;

pub const RUNNING: u32 = 0;
pub const NOTIFIED: u32 = 1;
pub const PARKING: u32 = 2;
pub const PARKED: u32 = 3;

/// Consumes a pending permit; true if there was one (do not park).
#[inline]
pub fn take_permit<W: StateWord>(w: &W) -> bool {
    w.compare_exchange(NOTIFIED, RUNNING, Ordering::Acquire, Ordering::Relaxed).is_ok()
}

/// Moves the word `from -> to`; true on success. Otherwise the word is
/// NOTIFIED (only unparks ran meanwhile, and they keep it so): consumes the
/// permit with an RMW that acquires every unpark it stands for, and false.
#[inline]
fn advance_or_consume<W: StateWord>(w: &W, from: u32, to: u32) -> bool {
    if w.compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        return true;
    }
    w.swap(RUNNING, Ordering::Acquire);
    false
}

/// The thread announces it is parking. False if a permit arrived in the
/// meantime (it is consumed and the thread must not switch out).
#[inline]
pub fn begin_park<W: StateWord>(w: &W) -> bool {
    advance_or_consume(w, RUNNING, PARKING)
}

/// After the switch-out. True if the thread is now parked; false if an
/// unpark came while it was parking (the caller must make it runnable).
#[inline]
pub fn finish_park<W: StateWord>(w: &W) -> bool {
    advance_or_consume(w, PARKING, PARKED)
}

/// Whether the thread is between `begin_park` and `finish_park` (read by
/// the thread itself: only unparks, which leave a permit, change it then).
#[inline]
pub fn is_parking<W: StateWord>(w: &W) -> bool {
    w.load(Ordering::Relaxed) == PARKING
}

/// Takes a parked thread to run it directly (a hand-off). True if it was
/// PARKED: the caller now runs it, and any later `unpark` leaves a permit.
#[inline]
pub fn claim_parked<W: StateWord>(w: &W) -> bool {
    w.compare_exchange(PARKED, RUNNING, Ordering::AcqRel, Ordering::Relaxed).is_ok()
}

/// Wakes the thread: true if it was parked and the caller must make it
/// runnable; otherwise it leaves a permit (or finds one already there).
#[inline]
pub fn unpark<W: StateWord>(w: &W) -> bool {
    let mut s = w.load(Ordering::Acquire);
    loop {
        let (to, enqueue) = match s {
            PARKED => (RUNNING, true),
            // RUNNING or PARKING: leave a permit. NOTIFIED: rewrite it, so
            // that whoever consumes it acquires this unpark too.
            _ => (NOTIFIED, false),
        };
        match w.compare_exchange_weak(s, to, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return enqueue,
            Err(now) => s = now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::AtomicU32;

    fn word(s: u32) -> AtomicU32 {
        AtomicU32::new(s)
    }

    fn state(w: &AtomicU32) -> u32 {
        w.load(Ordering::Relaxed)
    }

    #[test]
    fn no_permit_on_a_fresh_thread() {
        let w = word(RUNNING);
        assert!(!take_permit(&w));
        assert_eq!(state(&w), RUNNING);
    }

    #[test]
    fn unpark_of_a_running_thread_leaves_one_permit() {
        let w = word(RUNNING);
        assert!(!unpark(&w));
        assert_eq!(state(&w), NOTIFIED);
        // Permits do not add up.
        assert!(!unpark(&w));
        assert_eq!(state(&w), NOTIFIED);
        assert!(take_permit(&w));
        assert_eq!(state(&w), RUNNING);
        assert!(!take_permit(&w));
    }

    #[test]
    fn begin_park_consumes_a_permit_instead_of_parking() {
        let w = word(NOTIFIED);
        assert!(!begin_park(&w));
        assert_eq!(state(&w), RUNNING);
        // The permit is gone: the next park really parks.
        assert!(begin_park(&w));
        assert_eq!(state(&w), PARKING);
    }

    #[test]
    fn park_then_unpark_enqueues_once() {
        let w = word(RUNNING);
        assert!(begin_park(&w));
        assert_eq!(state(&w), PARKING);
        assert!(finish_park(&w));
        assert_eq!(state(&w), PARKED);
        assert!(unpark(&w), "unpark of a parked thread must enqueue it");
        assert_eq!(state(&w), RUNNING);
        // A second unpark (the thread is queued, not yet running) is a permit.
        assert!(!unpark(&w));
        assert_eq!(state(&w), NOTIFIED);
    }

    #[test]
    fn unpark_while_parking_makes_finish_park_enqueue() {
        let w = word(RUNNING);
        assert!(begin_park(&w));
        assert!(!unpark(&w), "the thread is still switching out: unpark must not enqueue");
        assert_eq!(state(&w), NOTIFIED);
        assert!(!finish_park(&w), "finish_park must report the wake-up");
        assert_eq!(state(&w), RUNNING);
    }

    #[test]
    fn two_unparks_while_parking_enqueue_once() {
        let w = word(RUNNING);
        assert!(begin_park(&w));
        assert!(!unpark(&w));
        assert!(!unpark(&w));
        assert!(!finish_park(&w));
        assert_eq!(state(&w), RUNNING);
        assert!(!take_permit(&w), "both wake-ups were used by the one requeue");
    }

    #[test]
    fn claim_parked_takes_only_a_parked_thread() {
        for s in [RUNNING, NOTIFIED, PARKING] {
            let w = word(s);
            assert!(!claim_parked(&w));
            assert_eq!(state(&w), s);
        }
        let w = word(PARKED);
        assert!(claim_parked(&w));
        assert_eq!(state(&w), RUNNING);
        // The claimer runs it: a later unpark only leaves a permit.
        assert!(!unpark(&w));
        assert_eq!(state(&w), NOTIFIED);
        assert!(!claim_parked(&w));
    }

    #[test]
    fn claim_and_unpark_of_a_parked_thread_exclude_each_other() {
        let w = word(PARKED);
        assert!(unpark(&w));
        assert!(!claim_parked(&w));
    }
}

/// Loom models of the protocol: `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
///
/// A park is modelled as the runtime runs it (`park::park_user`): the thread
/// tries `take_permit`, then `begin_park`; if that says park, it switches
/// out and the context that runs next *on the same carrier* calls
/// `finish_park` — sequential on one kernel thread, so one loom thread
/// here. "Making it runnable" is a Release increment of `queued`; the parked
/// thread resumes only once `queued` says it was queued (Acquire), which
/// stands for the run queue. A lost wake-up thus shows as a model that
/// never ends (loom stops it at its branch limit and fails); a double
/// enqueue shows as `queued` larger than the number of switch-outs.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::{begin_park, claim_parked, finish_park, take_permit, unpark};
    use super::{NOTIFIED, RUNNING};
    use core::sync::atomic::Ordering;
    use loom::cell::UnsafeCell;
    use loom::sync::atomic::{AtomicU32, AtomicUsize};
    use loom::sync::Arc;
    use loom::thread;

    use crate::loom_model::model;

    /// A thread and the run queue it is made runnable through.
    struct Thread {
        state: AtomicU32,
        /// Times the thread was made runnable (by `unpark`, `finish_park`
        /// or a hand-off claim).
        queued: AtomicUsize,
    }

    impl Thread {
        fn new() -> Arc<Thread> {
            Arc::new(Thread { state: AtomicU32::new(RUNNING), queued: AtomicUsize::new(0) })
        }

        fn make_runnable(&self) {
            self.queued.fetch_add(1, Ordering::Release);
        }

        /// A waker: `unpark`, enqueueing when told to.
        fn wake(&self) {
            if unpark(&self.state) {
                self.make_runnable();
            }
        }

        /// One park (as `park_user` without a deadline). `resumed` counts
        /// the resumptions so far; returns whether the thread switched out.
        fn park(&self, resumed: &mut usize) -> bool {
            if take_permit(&self.state) || !begin_park(&self.state) {
                return false;
            }
            // Switched out; the next context on this carrier finishes it.
            if !finish_park(&self.state) {
                self.make_runnable();
            }
            // Resumes only once it has been made runnable.
            while self.queued.load(Ordering::Acquire) == *resumed {
                thread::yield_now();
            }
            *resumed += 1;
            true
        }
    }

    /// One unpark racing with one park: the park returns (no lost wake-up)
    /// with the waker's writes visible; the thread was made runnable exactly
    /// once if it switched out and never if it did not (a permit stopped
    /// it); nothing is left behind.
    #[test]
    fn loom_park_vs_one_unpark() {
        model(None, || {
            let t = Thread::new();
            let msg = Arc::new(UnsafeCell::new(0u32));
            let waker = {
                let (t, msg) = (t.clone(), msg.clone());
                thread::spawn(move || {
                    // SAFETY: loom checks that no access races with this one.
                    msg.with_mut(|p| unsafe { *p = 7 });
                    t.wake();
                })
            };
            let mut resumed = 0;
            let switched = t.park(&mut resumed);
            // The park returned because of the unpark: its writes are visible.
            // SAFETY: loom checks the access is ordered after the write.
            assert_eq!(msg.with(|p| unsafe { *p }), 7);
            waker.join().unwrap();
            assert_eq!(t.queued.load(Ordering::Relaxed), usize::from(switched));
            assert_eq!(t.state.load(Ordering::Relaxed), RUNNING, "the one permit was used");
        });
    }

    /// A thread that waits for two events (re-parking after spurious or
    /// early returns, as every caller of park does) while two wakers each
    /// post an event then unpark: it always finishes, and every switch-out
    /// was made runnable exactly once. A permit may be left over (the
    /// second wake-up after the thread was already queued).
    #[test]
    fn loom_wait_loop_vs_two_unparks() {
        model(Some(3), || {
            let t = Thread::new();
            let events = Arc::new(AtomicUsize::new(0));
            let wakers: Vec<_> = (0..2)
                .map(|_| {
                    let (t, events) = (t.clone(), events.clone());
                    thread::spawn(move || {
                        events.fetch_add(1, Ordering::Release);
                        t.wake();
                    })
                })
                .collect();
            let mut resumed = 0;
            let mut switches = 0;
            while events.load(Ordering::Acquire) < 2 {
                switches += usize::from(t.park(&mut resumed));
            }
            for w in wakers {
                w.join().unwrap();
            }
            assert_eq!(t.queued.load(Ordering::Relaxed), switches, "a park was enqueued twice");
            let s = t.state.load(Ordering::Relaxed);
            assert!(s == RUNNING || s == NOTIFIED, "state {s} after the waits");
        });
    }

    /// The smallest lost wake-up: a permit is pending (an earlier waker
    /// posted event 1 and unparked); the thread consumes it in `begin_park`
    /// (or a `finish_park` that found it) and re-checks its condition while
    /// a second waker posts event 2 and unparks. Either the thread sees
    /// event 2, or a permit is left so that its next park returns at once.
    /// Anything else parks it for good with event 2 unseen.
    #[test]
    fn loom_consumed_permit_vs_second_unpark() {
        for via_finish_park in [false, true] {
            model(None, move || {
                let t = Thread::new();
                let events = Arc::new(AtomicUsize::new(1));
                let (before, consume): (u32, fn(&AtomicU32) -> bool) =
                    if via_finish_park { (super::PARKING, finish_park) } else { (RUNNING, begin_park) };
                // begin_park/finish_park find NOTIFIED: an unpark came first.
                t.state.store(before, Ordering::Relaxed);
                t.wake();
                let waker = {
                    let (t, events) = (t.clone(), events.clone());
                    thread::spawn(move || {
                        events.fetch_add(1, Ordering::Release);
                        t.wake();
                    })
                };
                assert!(!consume(&t.state), "a pending permit must be consumed");
                let seen = events.load(Ordering::Acquire);
                waker.join().unwrap();
                assert_eq!(t.queued.load(Ordering::Relaxed), 0);
                if seen < 2 {
                    assert_eq!(t.state.load(Ordering::Relaxed), NOTIFIED, "wake-up lost: event 2 unseen, no permit");
                }
            });
        }
    }

    /// One park racing with two unparks, without the wait loop: at most one
    /// of the three sides enqueues, exactly one if the thread switched out.
    #[test]
    fn loom_park_vs_two_unparks() {
        model(Some(4), || {
            let t = Thread::new();
            let wakers: Vec<_> = (0..2)
                .map(|_| {
                    let t = t.clone();
                    thread::spawn(move || t.wake())
                })
                .collect();
            let mut resumed = 0;
            let switched = t.park(&mut resumed);
            for w in wakers {
                w.join().unwrap();
            }
            assert_eq!(t.queued.load(Ordering::Relaxed), usize::from(switched));
            let s = t.state.load(Ordering::Relaxed);
            assert!(s == RUNNING || s == NOTIFIED, "state {s}");
        });
    }

    /// The join hand-off (`lifecycle::exit_current`): the exiting thread
    /// claims its parked joiner to run it directly, or else wakes it later
    /// (`finish_exit` -> unpark), racing with an unrelated unpark. Exactly
    /// one of claim, unpark and finish_park makes the joiner runnable.
    #[test]
    fn loom_claim_parked_vs_unpark() {
        model(Some(4), || {
            let t = Thread::new();
            let exiting = {
                let t = t.clone();
                thread::spawn(move || {
                    if claim_parked(&t.state) {
                        t.make_runnable();
                    } else {
                        t.wake();
                    }
                })
            };
            let other = {
                let t = t.clone();
                thread::spawn(move || t.wake())
            };
            let mut resumed = 0;
            let switched = t.park(&mut resumed);
            exiting.join().unwrap();
            other.join().unwrap();
            assert_eq!(t.queued.load(Ordering::Relaxed), usize::from(switched));
        });
    }
}
