//! The park state word of a user thread, on its own so that its protocol
//! can be model-checked (loom) apart from the scheduler.
//!
//! ```text
//!   RUNNING --unpark--> NOTIFIED            (a permit: the next park returns at once)
//!   RUNNING --begin_park--> PARKING --(switched out; finish_park)--> PARKED
//!   PARKING --unpark--> NOTIFIED            (finish_park sees it: requeue)
//!   PARKED  --unpark--> RUNNING             (unpark's caller enqueues)
//! ```
//!
//! The thread itself moves RUNNING->PARKING; the context that runs after it
//! moves PARKING->PARKED once the thread's registers are saved.
//! Invariant: for each park that really switches out, exactly one of
//! `finish_park` (returning false) or `unpark` (returning true) tells its
//! caller to make the thread runnable — never both, never neither when an
//! unpark happened.

use core::sync::atomic::{AtomicU32, Ordering};

/// The operations the protocol needs from its word. The functions below are
/// generic over it so that the runtime runs them on `core`'s `AtomicU32`
/// (`UThread::park_state`) while the loom models run the very same code on
/// loom's `AtomicU32` (implemented in the tests). Switching the atomic type
/// itself under `cfg(loom)` would not do: the callers hold a `core` atomic.
pub trait StateWord {
    fn load(&self, order: Ordering) -> u32;
    fn store(&self, v: u32, order: Ordering);
    fn compare_exchange(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32>;
    fn compare_exchange_weak(&self, current: u32, new: u32, success: Ordering, failure: Ordering)
        -> Result<u32, u32>;
}

impl StateWord for AtomicU32 {
    #[inline]
    fn load(&self, order: Ordering) -> u32 {
        AtomicU32::load(self, order)
    }
    #[inline]
    fn store(&self, v: u32, order: Ordering) {
        AtomicU32::store(self, v, order)
    }
    #[inline]
    fn compare_exchange(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32> {
        AtomicU32::compare_exchange(self, current, new, success, failure)
    }
    #[inline]
    fn compare_exchange_weak(&self, current: u32, new: u32, success: Ordering, failure: Ordering)
        -> Result<u32, u32> {
        AtomicU32::compare_exchange_weak(self, current, new, success, failure)
    }
}

pub const RUNNING: u32 = 0;
pub const NOTIFIED: u32 = 1;
pub const PARKING: u32 = 2;
pub const PARKED: u32 = 3;

/// Consumes a pending permit; true if there was one (do not park).
#[inline]
pub fn take_permit<W: StateWord>(w: &W) -> bool {
    w.compare_exchange(NOTIFIED, RUNNING, Ordering::Acquire, Ordering::Relaxed).is_ok()
}

/// The thread announces it is parking. False if a permit arrived in the
/// meantime (it is consumed and the thread must not switch out).
#[inline]
pub fn begin_park<W: StateWord>(w: &W) -> bool {
    if w.compare_exchange(RUNNING, PARKING, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        return true;
    }
    w.store(RUNNING, Ordering::Relaxed);
    false
}

/// After the switch-out. True if the thread is now parked; false if an
/// unpark came while it was parking (the caller must make it runnable).
#[inline]
pub fn finish_park<W: StateWord>(w: &W) -> bool {
    if w.compare_exchange(PARKING, PARKED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
        return true;
    }
    w.store(RUNNING, Ordering::Relaxed);
    false
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
            NOTIFIED => return false,
            PARKED => (RUNNING, true),
            _ => (NOTIFIED, false),
        };
        match w.compare_exchange_weak(s, to, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return enqueue,
            Err(now) => s = now,
        }
    }
}
