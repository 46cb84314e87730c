//! Address-keyed wait queues ("parking lot"): wait until woken on behalf of
//! an address, with no storage in the object itself. Every synchronisation
//! object (mutex, cond, rwlock, semaphore, once, the futex emulation) waits
//! here, which is why they keep glibc's sizes and static initialisers.
//!
//! A key hashes to one of `BUCKETS` buckets (4096, each lock on its own
//! cache line), each a FIFO of waiting nodes that live on the waiters'
//! stacks. Protocol and invariants:
//! * `wait` checks its condition *under the bucket lock* before queueing,
//!   and wakers change the condition before taking the lock to dequeue: a
//!   wake-up is never lost between the check and the sleep.
//! * A node is in at most one queue; its `key` changes only in `requeue`,
//!   which holds the locks of both buckets. So whoever holds the lock of
//!   `bucket(node.key)` and re-reads the same key owns the node's place.
//! * A waker unlinks nodes under the lock and wakes them after dropping it;
//!   an unlinked node stays alive until its waiter sees the wake-up.
//! * A timed-out waiter removes its node itself; if a waker had already
//!   unlinked it, it waits for that wake-up to land before returning (and
//!   reports being woken: the wake-up was consumed, so it must count). A
//!   waiter whose sleep a signal handler interrupted (or that must act on
//!   a cancellation) leaves the same way (EINTR for the callers that
//!   report it, such as sem_wait).
//! * `bits` filter wake-ups as FUTEX_WAIT_BITSET/WAKE_BITSET do: a wake with
//!   mask `m` takes only nodes with `bits & m != 0`.
//!
//! The lot is written once, generic over the [`Family`] of atomics and locks
//! and over the waiter ([`LotWaiter`]), so the loom models at the bottom run
//! this very code on loom's primitives, with a table of two buckets.

use core::sync::atomic::Ordering;

use crossbeam_utils::CachePadded;

use crate::park::{Wake, Waiter};
use crate::sys::atomic::{AtomicCount, Core, Family, Guarded};
use crate::sys::lock::Locked;

const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// Wait or wake for every bit (plain futex semantics).
pub const ALL_BITS: u32 = !0;

/// What a node holds to put its thread to sleep and to wake it.
pub(crate) trait LotWaiter {
    fn for_current() -> Self;
    fn wait_for(&self, deadline: Option<u64>, interruptible: bool) -> Wake;
    /// Waits, without deadline, for a wake-up already on its way.
    fn wait_woken(&self);
    /// # Safety
    /// `w` is a waiter still waiting (not yet returned from its wait).
    unsafe fn wake(w: *const Self);
}

impl LotWaiter for Waiter {
    fn for_current() -> Self {
        Waiter::for_current()
    }
    fn wait_for(&self, deadline: Option<u64>, interruptible: bool) -> Wake {
        Waiter::wait_for(self, deadline, interruptible)
    }
    fn wait_woken(&self) {
        self.wait(None);
    }
    unsafe fn wake(w: *const Self) {
        // SAFETY: forwarded.
        unsafe { Waiter::wake(w) }
    }
}

struct Node<F: Family, W> {
    key: F::Count,
    bits: u32,
    waiter: *const W,
    next: *mut Node<F, W>,
}

struct Queue<F: Family, W> {
    head: *mut Node<F, W>,
    tail: *mut Node<F, W>,
}

// SAFETY: the nodes are only followed under the bucket lock.
unsafe impl<F: Family, W> Send for Queue<F, W> {}

impl<F: Family, W: LotWaiter> Queue<F, W> {
    const EMPTY: Self = Queue { head: core::ptr::null_mut(), tail: core::ptr::null_mut() };

    fn push(&mut self, n: *mut Node<F, W>) {
        // SAFETY: `n` is a live node not in any queue; `tail` is queued, alive.
        unsafe {
            (*n).next = core::ptr::null_mut();
            if self.tail.is_null() {
                self.head = n;
            } else {
                (*self.tail).next = n;
            }
        }
        self.tail = n;
    }

    /// Unlinks up to `max` nodes that `matches`, oldest first, handing each
    /// to `taken` once it is out of the queue. Returns how many.
    fn unlink_where(&mut self, matches: impl Fn(*mut Node<F, W>) -> bool, max: usize, mut taken: impl FnMut(*mut Node<F, W>)) -> usize {
        let mut count = 0;
        let mut prev: *mut Node<F, W> = core::ptr::null_mut();
        let mut cur = self.head;
        while !cur.is_null() && count < max {
            // SAFETY: queued nodes are alive while queued; the caller holds the lock.
            let next = unsafe { (*cur).next };
            if matches(cur) {
                if prev.is_null() {
                    self.head = next;
                } else {
                    // SAFETY: as above.
                    unsafe { (*prev).next = next };
                }
                if self.tail == cur {
                    self.tail = prev;
                }
                taken(cur);
                count += 1;
            } else {
                prev = cur;
            }
            cur = next;
        }
        count
    }

    /// Moves up to `max` waiters of `key` whose bits meet `bits`, oldest
    /// first, to the end of `out` (a private list: to wake, or to requeue).
    fn take(&mut self, key: usize, bits: u32, max: usize, out: &mut Self) -> usize {
        self.unlink_where(
            // SAFETY: queued nodes are alive while queued; we hold the lock.
            |n| unsafe { (*n).key.load(Ordering::Relaxed) == key && (*n).bits & bits != 0 },
            max,
            |n| out.push(n),
        )
    }

    /// Wakes every node of a private list. Call with no bucket lock held.
    fn wake_all(self) {
        let mut n = self.head;
        while !n.is_null() {
            // SAFETY: unlinked nodes stay alive until their waiter is woken;
            // read what we need first.
            let (next, waiter) = unsafe { ((*n).next, (*n).waiter) };
            // SAFETY: the waiter has not been woken yet, so it is still waiting.
            unsafe { W::wake(waiter) };
            n = next;
        }
    }
}

/// A table of `B` buckets (a power of two, at least 2).
pub(crate) struct Lot<F: Family, W, const B: usize> {
    buckets: [CachePadded<F::Lock<Queue<F, W>>>; B],
}

static LOT: Lot<Core, Waiter, BUCKETS> = Lot { buckets: [const { CachePadded::new(Locked::new(Queue::EMPTY)) }; BUCKETS] };

#[derive(PartialEq, Eq, Debug)]
pub enum WaitResult {
    Woken,
    /// The condition no longer held when checked.
    Invalid,
    TimedOut,
    /// A signal handler interrupted the sleep, or the thread must act on a
    /// cancellation (EINTR).
    Interrupted,
}

impl<F: Family, W: LotWaiter, const B: usize> Lot<F, W, B> {
    const BITS: u32 = {
        assert!(B.is_power_of_two() && B >= 2);
        B.trailing_zeros()
    };

    #[cfg(loom)]
    fn new() -> Self {
        Lot { buckets: core::array::from_fn(|_| CachePadded::new(Guarded::new(Queue::EMPTY))) }
    }

    fn index(key: usize) -> usize {
        ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }

    fn bucket(&self, key: usize) -> &F::Lock<Queue<F, W>> {
        &self.buckets[Self::index(key)]
    }

    /// Runs `f` with the queues of `k1` and `k2` locked (`None` for the second
    /// when both keys share a bucket). Locks are taken in table order.
    fn with_two<R>(&self, k1: usize, k2: usize, f: impl FnOnce(&mut Queue<F, W>, Option<&mut Queue<F, W>>) -> R) -> R {
        let (i1, i2) = (Self::index(k1), Self::index(k2));
        if i1 == i2 {
            return self.buckets[i1].with(|q| f(q, None));
        }
        let (low, high) = (i1.min(i2), i1.max(i2));
        self.buckets[low].with(|ql| {
            self.buckets[high].with(|qh| if i1 == low { f(ql, Some(qh)) } else { f(qh, Some(ql)) })
        })
    }

    fn wait(&self, key: usize, bits: u32, still_wait: impl FnOnce() -> bool, deadline: Option<u64>) -> WaitResult {
        let waiter = W::for_current();
        let mut node = Node::<F, W> { key: AtomicCount::new(key), bits, waiter: &waiter, next: core::ptr::null_mut() };
        let np: *mut Node<F, W> = &mut node;
        let queued = self.bucket(key).with(|q| {
            if !still_wait() {
                return false;
            }
            q.push(np);
            true
        });
        if !queued {
            return WaitResult::Invalid;
        }
        let ended = waiter.wait_for(deadline, true);
        if ended == Wake::Woken {
            return WaitResult::Woken;
        }
        // Timed out or interrupted: take the node out of whichever queue holds it now.
        let removed = loop {
            // SAFETY: `np` is our own node.
            let k = unsafe { (*np).key.load(Ordering::Acquire) };
            let unlinked = self.bucket(k).with(|q| {
                // SAFETY: as above; a requeue changes the key only under this lock too.
                if unsafe { (*np).key.load(Ordering::Relaxed) } != k {
                    return None;
                }
                Some(q.unlink_where(|n| n == np, 1, |_| {}) == 1)
            });
            if let Some(removed) = unlinked {
                break removed;
            }
        };
        if removed {
            return if ended == Wake::TimedOut { WaitResult::TimedOut } else { WaitResult::Interrupted };
        }
        waiter.wait_woken();
        WaitResult::Woken
    }

    fn wake(&self, key: usize, n: usize, bits: u32) -> usize {
        let mut list = Queue::EMPTY;
        let count = self.bucket(key).with(|q| q.take(key, bits, n, &mut list));
        list.wake_all();
        count
    }

    fn requeue(&self, from: usize, to: usize, nwake: usize, nmove: usize, check: impl FnOnce() -> bool) -> Option<usize> {
        let mut list = Queue::EMPTY;
        let count = self.with_two(from, to, |qf, qt| {
            if !check() {
                return None;
            }
            let woken = qf.take(from, ALL_BITS, nwake, &mut list);
            let mut moving = Queue::EMPTY;
            let moved = qf.take(from, ALL_BITS, nmove, &mut moving);
            let target = match qt {
                Some(q) => q,
                None => qf,
            };
            let mut n = moving.head;
            while !n.is_null() {
                // SAFETY: unlinked nodes stay alive (their waiters are parked).
                let next = unsafe { (*n).next };
                // SAFETY: as above; the key changes with both buckets' locks held.
                unsafe { (*n).key.store(to, Ordering::Release) };
                target.push(n);
                n = next;
            }
            Some(woken + moved)
        });
        list.wake_all();
        count
    }

    fn wake_op(&self, k1: usize, n1: usize, k2: usize, n2: usize, op: impl FnOnce() -> bool) -> usize {
        let mut list = Queue::EMPTY;
        let count = self.with_two(k1, k2, |q1, q2| {
            let second = op();
            let mut count = q1.take(k1, ALL_BITS, n1, &mut list);
            if second {
                let q = match q2 {
                    Some(q) => q,
                    None => q1,
                };
                count += q.take(k2, ALL_BITS, n2, &mut list);
            }
            count
        });
        list.wake_all();
        count
    }
}

/// Waits on `key` if `still_wait()` holds (checked under the bucket lock),
/// until woken by a wake whose mask meets `bits`, or until `deadline`
/// (monotonic ns).
pub fn wait(key: usize, bits: u32, still_wait: impl FnOnce() -> bool, deadline: Option<u64>) -> WaitResult {
    LOT.wait(key, bits, still_wait, deadline)
}

/// Wakes the oldest `n` waiters on `key` whose bits meet `bits`. Returns
/// how many.
pub fn wake(key: usize, n: usize, bits: u32) -> usize {
    LOT.wake(key, n, bits)
}

/// If `check()` holds (run with both queues locked): wakes up to `nwake`
/// waiters on `from` and moves up to `nmove` more to wait on `to`. Returns
/// woken + moved, or `None` when `check()` failed.
pub fn requeue(from: usize, to: usize, nwake: usize, nmove: usize, check: impl FnOnce() -> bool) -> Option<usize> {
    LOT.requeue(from, to, nwake, nmove, check)
}

/// With both queues locked, runs `op()` (FUTEX_WAKE_OP's atomic operation
/// and comparison), wakes up to `n1` waiters on `k1` and, if `op()` said
/// so, up to `n2` on `k2`. Returns how many were woken.
pub fn wake_op(k1: usize, n1: usize, k2: usize, n2: usize, op: impl FnOnce() -> bool) -> usize {
    LOT.wake_op(k1, n1, k2, n2, op)
}

/// Drops every waiter in a fork child (they did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    for b in &LOT.buckets {
        // SAFETY: forwarded.
        unsafe { b.reset_to(Queue::EMPTY) };
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Models of wait/wake/requeue on a two-bucket lot. A waiter's futex is
    //! a condition variable under loom, so a lost wake-up is a deadlock loom
    //! reports; a timed wait "times out" at the moment it first looks, so
    //! every interleaving of a timeout with a wake or a requeue is explored.
    use super::{Lot, LotWaiter, WaitResult, ALL_BITS};
    use crate::loom_model::model;
    use crate::park::Wake;
    use crate::sys::atomic::{AtomicWord, FutexWord, Loom, LoomFutex};
    use loom::sync::atomic::AtomicBool;
    use loom::sync::Arc;
    use loom::thread;
    use std::sync::atomic::Ordering;

    /// The futex lives in an `Arc`, so a waker that read the waiter before
    /// waking it may still touch the word after the waiter returned (as the
    /// kernel's futex wake may touch an address whose owner is gone).
    struct ModelWaiter {
        futex: Arc<LoomFutex>,
    }

    impl LotWaiter for ModelWaiter {
        fn for_current() -> Self {
            ModelWaiter { futex: Arc::new(LoomFutex::new(0)) }
        }
        fn wait_for(&self, deadline: Option<u64>, _interruptible: bool) -> Wake {
            if deadline.is_none() {
                self.futex.wait(0, None);
            }
            if self.futex.load(Ordering::Acquire) == 1 {
                Wake::Woken
            } else {
                Wake::TimedOut
            }
        }
        fn wait_woken(&self) {
            self.futex.wait(0, None);
        }
        unsafe fn wake(w: *const Self) {
            // SAFETY: `w` still waits (the contract); the futex is read first.
            let futex = unsafe { (*w).futex.clone() };
            futex.store(1, Ordering::Release);
            futex.wake(1);
        }
    }

    type ModelLot = Lot<Loom, ModelWaiter, 2>;

    /// Two keys in different buckets.
    const K1: usize = 1;
    const K2: usize = 2;

    fn lot() -> Arc<ModelLot> {
        assert_ne!(ModelLot::index(K1), ModelLot::index(K2), "the model wants two buckets");
        Arc::new(ModelLot::new())
    }

    /// A waiter that checks its condition under the bucket lock is never
    /// left asleep by a waker that changes the condition before waking.
    #[test]
    fn loom_lot_wait_wake() {
        model(None, || {
            let lot = lot();
            let flag = Arc::new(AtomicBool::new(false));
            let (l, f) = (lot.clone(), flag.clone());
            let waiter = thread::spawn(move || while !f.load(Ordering::Acquire) {
                l.wait(K1, ALL_BITS, || !f.load(Ordering::Acquire), None);
            });
            flag.store(true, Ordering::Release);
            lot.wake(K1, 1, ALL_BITS);
            waiter.join().unwrap();
        });
    }

    /// A timeout racing a wake: the waiter reports being woken exactly when
    /// the waker counted it (a wake-up taken must be a wake-up seen).
    #[test]
    fn loom_lot_timeout_vs_wake() {
        model(None, || {
            let lot = lot();
            let l = lot.clone();
            let waiter = thread::spawn(move || l.wait(K1, ALL_BITS, || true, Some(1)));
            let woken = lot.wake(K1, 1, ALL_BITS);
            let r = waiter.join().unwrap();
            assert_eq!(r == WaitResult::Woken, woken == 1, "{r:?} but the waker counted {woken}");
        });
    }

    /// A waiter moved to another key by `requeue` is woken by a wake on the
    /// new key; one the requeue missed sees the condition change instead.
    #[test]
    fn loom_lot_requeue_then_wake() {
        model(None, || {
            let lot = lot();
            let flag = Arc::new(AtomicBool::new(false));
            let (l, f) = (lot.clone(), flag.clone());
            let waiter = thread::spawn(move || l.wait(K1, ALL_BITS, || !f.load(Ordering::Acquire), None));
            let moved = lot.requeue(K1, K2, 0, 1, || true).unwrap();
            flag.store(true, Ordering::Release);
            let on_k2 = lot.wake(K2, 1, ALL_BITS);
            let on_k1 = lot.wake(K1, 1, ALL_BITS);
            let r = waiter.join().unwrap();
            assert!(on_k2 <= moved, "woke {on_k2} on the new key after moving {moved}");
            assert_eq!(r == WaitResult::Woken, on_k1 + on_k2 == 1, "{r:?}, woken {on_k1} + {on_k2}");
        });
    }

    /// A timed waiter whose timeout races its requeue finds its node in
    /// whichever queue holds it and takes it out, or sees the wake it got.
    #[test]
    fn loom_lot_timeout_during_requeue() {
        model(None, || {
            let lot = lot();
            let l = lot.clone();
            let waiter = thread::spawn(move || l.wait(K1, ALL_BITS, || true, Some(1)));
            lot.requeue(K1, K2, 0, 1, || true).unwrap();
            let woken = lot.wake(K2, 1, ALL_BITS) + lot.wake(K1, 1, ALL_BITS);
            let r = waiter.join().unwrap();
            assert_eq!(r == WaitResult::Woken, woken == 1, "{r:?} but woken {woken}");
        });
    }
}
