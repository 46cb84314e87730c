//! The per-carrier run queue: a fixed ring of 256 thread pointers.
//!
//! Protocol (the one Go's runtime uses for `p.runq`):
//! * only the owning carrier pushes, at `tail` (plain store + Release);
//! * the owner and thieves take from `head` with a CAS, so every taken slot
//!   is claimed exactly once;
//! * a thief copies up to half the queue into its own ring *before* CASing
//!   `head` past them; if the CAS fails it discards the copies and retries.
//!   Slots between head and tail are never overwritten before `head` moves
//!   past them, because only the owner writes and it never laps `head`.
//!
//! Invariant: `tail - head <= LEN` (wrapping u32 arithmetic).
//! An overflowing push moves half of the ring to the global queue.
//!
//! The ring is written once, as [`Ring`], generic over where its atomics
//! come from (a [`Family`]) and over its size, so that the loom models (at
//! the bottom; `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`)
//! check this very code on loom's atomics and a 4-slot ring, while the
//! runtime uses [`LocalQueue`]: `core` atomics, `LEN` slots, overflow to
//! `super::global`.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::mem::uthread::UThread;
use crate::sys::atomic::{AtomicPointer, AtomicWord, Core, Family};

pub const LEN: u32 = 256;

/// The run queue of a carrier.
pub type LocalQueue = Ring<Core, { LEN as usize }>;

/// A run queue of `N` slots (a power of two, at most `LEN`).
pub struct Ring<A: Family, const N: usize> {
    head: A::Word,
    tail: A::Word,
    slots: [A::Ptr<UThread>; N],
}

impl Default for LocalQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalQueue {
    pub const fn new() -> Self {
        Ring {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            slots: [const { AtomicPtr::new(core::ptr::null_mut()) }; LEN as usize],
        }
    }

    /// Owner only. Pushes `t`; when the ring is full, moves half of it plus
    /// `t` to the global queue instead.
    #[inline]
    pub fn push(&self, t: *mut UThread) {
        self.push_with(t, super::global::push);
    }
}

impl<A: Family, const N: usize> Ring<A, N> {
    /// `N` as a ring index; the ring's size rules are checked here (at
    /// compile time): indexes wrap at 2^32, so `N` must divide it, and
    /// `push_overflow`'s batch holds `LEN / 2`.
    const CAP: u32 = {
        assert!(N.is_power_of_two() && N >= 2 && N <= LEN as usize);
        N as u32
    };

    /// An empty ring for the tests and models (`LocalQueue::new` is the
    /// runtime's `const` one).
    #[cfg(any(test, loom))]
    pub fn empty() -> Self {
        Ring {
            head: A::Word::new(0),
            tail: A::Word::new(0),
            slots: core::array::from_fn(|_| A::Ptr::<UThread>::new(core::ptr::null_mut())),
        }
    }

    #[inline]
    fn slot(&self, i: u32) -> &A::Ptr<UThread> {
        &self.slots[(i % Self::CAP) as usize]
    }

    pub fn len(&self) -> u32 {
        let h = self.head.load(Ordering::Acquire);
        let t = self.tail.load(Ordering::Acquire);
        t.wrapping_sub(h)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Owner only. Pushes `t`; when the ring is full, moves half of it plus
    /// `t` to `overflow` (oldest first) instead.
    #[inline]
    pub fn push_with(&self, t: *mut UThread, mut overflow: impl FnMut(*mut UThread)) {
        loop {
            let h = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Relaxed);
            if tail.wrapping_sub(h) < Self::CAP {
                self.slot(tail).store(t, Ordering::Relaxed);
                self.tail.store(tail.wrapping_add(1), Ordering::Release);
                return;
            }
            if self.push_overflow(t, h, tail, &mut overflow) {
                return;
            }
        }
    }

    #[cold]
    fn push_overflow(&self, t: *mut UThread, h: u32, tail: u32, overflow: &mut impl FnMut(*mut UThread)) -> bool {
        let n = tail.wrapping_sub(h) / 2;
        let mut batch: [*mut UThread; (LEN / 2) as usize] = [core::ptr::null_mut(); (LEN / 2) as usize];
        for (i, b) in batch.iter_mut().enumerate().take(n as usize) {
            *b = self.slot(h.wrapping_add(i as u32)).load(Ordering::Relaxed);
        }
        if self.head.compare_exchange(h, h.wrapping_add(n), Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return false;
        }
        for b in &batch[..n as usize] {
            overflow(*b);
        }
        overflow(t);
        true
    }

    /// Owner only: takes the oldest thread.
    #[inline]
    pub fn pop(&self) -> Option<*mut UThread> {
        loop {
            let h = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Relaxed);
            if t == h {
                return None;
            }
            let th = self.slot(h).load(Ordering::Relaxed);
            if self.head.compare_exchange(h, h.wrapping_add(1), Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                return Some(th);
            }
        }
    }

    /// Thief: moves up to half of `self` into `into` (whose owner is the
    /// caller and which must be empty) and returns one of them to run.
    pub fn steal_into(&self, into: &Self) -> Option<*mut UThread> {
        let dst_tail = into.tail.load(Ordering::Relaxed);
        loop {
            let h = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Acquire);
            let n = t.wrapping_sub(h);
            let n = n - n / 2;
            if n == 0 || n > Self::CAP / 2 + 1 {
                if n == 0 {
                    return None;
                }
                // Torn read of head/tail: retry.
                continue;
            }
            for i in 0..n {
                let th = self.slot(h.wrapping_add(i)).load(Ordering::Relaxed);
                into.slot(dst_tail.wrapping_add(i)).store(th, Ordering::Relaxed);
            }
            if self.head.compare_exchange(h, h.wrapping_add(n), Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                let last = into.slot(dst_tail.wrapping_add(n - 1)).load(Ordering::Relaxed);
                if n > 1 {
                    into.tail.store(dst_tail.wrapping_add(n - 1), Ordering::Release);
                }
                return Some(last);
            }
        }
    }
}

/// Fake thread pointers for the tests: the ring never dereferences them.
#[cfg(test)]
fn item(i: usize) -> *mut UThread {
    core::ptr::without_provenance_mut(i)
}

#[cfg(test)]
fn id(p: *mut UThread) -> usize {
    p.addr()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small ring on `core` atomics.
    type Small = Ring<Core, 8>;

    fn push_all<A: Family, const N: usize>(q: &Ring<A, N>, items: core::ops::RangeInclusive<usize>) -> Vec<usize> {
        let mut spilled = Vec::new();
        for i in items {
            q.push_with(item(i), |p| spilled.push(id(p)));
        }
        spilled
    }

    fn drain<A: Family, const N: usize>(q: &Ring<A, N>) -> Vec<usize> {
        core::iter::from_fn(|| q.pop()).map(id).collect()
    }

    #[test]
    fn new_queue_is_empty() {
        let q = LocalQueue::new();
        assert!(q.is_empty());
        assert_eq!(q.len(), 0);
        assert_eq!(q.pop(), None);
        let into = LocalQueue::default();
        assert_eq!(q.steal_into(&into), None);
        assert!(into.is_empty());
    }

    #[test]
    fn pop_is_fifo() {
        let q = LocalQueue::new();
        assert!(push_all(&q, 1..=10).is_empty());
        assert_eq!(q.len(), 10);
        assert!(!q.is_empty());
        assert_eq!(drain(&q), (1..=10).collect::<Vec<_>>());
        assert!(q.is_empty());
    }

    #[test]
    fn fifo_across_many_wraps() {
        // Indexes go round the ring many times; interleave pushes and pops.
        let q = Small::empty();
        let mut next_in = 1;
        let mut next_out = 1;
        for round in 0..1000 {
            for _ in 0..(round % 7) {
                if q.len() < 8 {
                    assert!(push_all(&q, next_in..=next_in).is_empty());
                    next_in += 1;
                }
            }
            for _ in 0..(round % 5) {
                if let Some(p) = q.pop() {
                    assert_eq!(id(p), next_out);
                    next_out += 1;
                }
            }
            assert_eq!(q.len() as usize, next_in - next_out);
        }
        assert_eq!(drain(&q), (next_out..next_in).collect::<Vec<_>>());
    }

    #[test]
    fn index_wrap_at_u32_max() {
        // Start near the end of u32: the ring must work across the wrap.
        let q = Small::empty();
        q.head.store(u32::MAX - 3, Ordering::Relaxed);
        q.tail.store(u32::MAX - 3, Ordering::Relaxed);
        assert!(push_all(&q, 1..=8).is_empty());
        assert_eq!(q.len(), 8);
        let spilled = push_all(&q, 9..=9);
        assert_eq!(spilled, vec![1, 2, 3, 4, 9]);
        assert_eq!(drain(&q), vec![5, 6, 7, 8]);
        let into = Small::empty();
        assert!(push_all(&q, 10..=14).is_empty());
        assert_eq!(q.steal_into(&into).map(id), Some(12));
        assert_eq!(drain(&into), vec![10, 11]);
        assert_eq!(drain(&q), vec![13, 14]);
    }

    #[test]
    fn full_ring_overflows_half_plus_the_new_one() {
        let q = LocalQueue::new();
        assert!(push_all(&q, 1..=LEN as usize).is_empty(), "LEN items fit");
        assert_eq!(q.len(), LEN);
        let spilled = push_all(&q, LEN as usize + 1..=LEN as usize + 1);
        // The older half, oldest first, then the pushed one.
        let mut want: Vec<usize> = (1..=LEN as usize / 2).collect();
        want.push(LEN as usize + 1);
        assert_eq!(spilled, want);
        assert_eq!(q.len(), LEN / 2);
        // The ring keeps the newer half, in order.
        assert_eq!(drain(&q), (LEN as usize / 2 + 1..=LEN as usize).collect::<Vec<_>>());
    }

    #[test]
    fn overflow_leaves_room_for_more_pushes() {
        let q = Small::empty();
        let spilled = push_all(&q, 1..=20);
        // 1..=8 fill it; 9 spills 1..=4 + 9; 10..=13 fill it again; 14
        // spills 5..=8 + 14; 15..=18 fill; 19 spills 10..=13 + 19; 20 fits.
        assert_eq!(spilled, vec![1, 2, 3, 4, 9, 5, 6, 7, 8, 14, 10, 11, 12, 13, 19]);
        assert_eq!(drain(&q), vec![15, 16, 17, 18, 20]);
    }

    #[test]
    fn steal_takes_half_rounded_up_and_returns_the_last() {
        for k in 1..=8usize {
            let q = Small::empty();
            let into = Small::empty();
            assert!(push_all(&q, 1..=k).is_empty());
            let n = k - k / 2;
            assert_eq!(q.steal_into(&into).map(id), Some(n), "k = {k}");
            // The thief's ring holds the others it took, in order.
            assert_eq!(into.len() as usize, n - 1);
            assert_eq!(drain(&into), (1..n).collect::<Vec<_>>());
            // The victim keeps the newer rest.
            assert_eq!(drain(&q), (n + 1..=k).collect::<Vec<_>>());
        }
    }

    #[test]
    fn steal_from_a_full_local_queue() {
        let q = LocalQueue::new();
        let into = LocalQueue::new();
        assert!(push_all(&q, 1..=LEN as usize).is_empty());
        assert_eq!(q.steal_into(&into).map(id), Some(LEN as usize / 2));
        assert_eq!(into.len(), LEN / 2 - 1);
        assert_eq!(q.len(), LEN / 2);
        // The thief can now be stolen from in turn.
        let third = LocalQueue::new();
        assert_eq!(into.steal_into(&third).map(id), Some(64));
        assert_eq!(drain(&third), (1..64).collect::<Vec<_>>());
        assert_eq!(drain(&into), (65..LEN as usize / 2).collect::<Vec<_>>());
    }

    #[test]
    fn steal_into_appends_at_the_thiefs_tail() {
        // `into` is empty but its indexes are not at 0.
        let q = Small::empty();
        let into = Small::empty();
        assert!(push_all(&into, 100..=105).is_empty());
        drain(&into);
        assert!(push_all(&q, 1..=6).is_empty());
        assert_eq!(q.steal_into(&into).map(id), Some(3));
        assert_eq!(drain(&into), vec![1, 2]);
        assert_eq!(drain(&q), vec![4, 5, 6]);
    }
}

/// Loom models. Run with
/// `RUSTFLAGS="--cfg loom" cargo test --release --lib loom`.
///
/// Every model pushes distinct fake pointers 1..=k and checks, after all
/// threads are joined, that the items taken (by the owner's `pop`, by a
/// thief's `steal_into` and its own pops, by the overflow sink) are exactly
/// 1..=k, each once: none lost, none duplicated. Loom also checks that no
/// relaxed slot read could see a slot's value from before the write that
/// published it (that would show as a wrong or duplicated item).
#[cfg(all(test, loom))]
mod loom_tests {
    use super::{id, item, Ring};
    use crate::sys::atomic::Loom;
    use loom::sync::Arc;
    use loom::thread;

    /// 4 slots: small enough to explore, big enough to wrap and overflow.
    type Q = Ring<Loom, 4>;

    struct Shared(Q);
    // SAFETY: the ring holds only atomics; the pointers are fake ids.
    unsafe impl Send for Shared {}
    // SAFETY: as above.
    unsafe impl Sync for Shared {}

    fn ring() -> Arc<Shared> {
        Arc::new(Shared(Q::empty()))
    }

    use crate::loom_model::model;

    fn drain(q: &Q) -> Vec<usize> {
        core::iter::from_fn(|| q.pop()).map(id).collect()
    }

    /// A thief: one steal from `victim` into its own (empty) `mine`, then
    /// it runs what it got and everything it queued.
    fn thief(victim: Arc<Shared>, mine: Arc<Shared>) -> thread::JoinHandle<Vec<usize>> {
        thread::spawn(move || {
            let mut got: Vec<usize> = victim.0.steal_into(&mine.0).map(id).into_iter().collect();
            got.extend(drain(&mine.0));
            got
        })
    }

    fn assert_exactly_once(mut all: Vec<usize>, k: usize) {
        all.sort_unstable();
        assert_eq!(all, (1..=k).collect::<Vec<_>>(), "items lost or duplicated");
    }

    fn assert_increasing(v: &[usize]) {
        assert!(v.windows(2).all(|w| w[0] < w[1]), "owner took items out of order: {v:?}");
    }

    /// The owner pushes (the ring wraps) and pops while a thief steals.
    #[test]
    fn loom_owner_push_pop_vs_thief() {
        model(None, || {
            let q = ring();
            for i in 1..=2 {
                q.0.push_with(item(i), |_| unreachable!());
            }
            let t = thief(q.clone(), ring());
            let mut owner = Vec::new();
            owner.extend(q.0.pop().map(id));
            for i in 3..=4 {
                q.0.push_with(item(i), |_| unreachable!("4 items never overflow 4 slots"));
            }
            owner.extend(drain(&q.0));
            assert_increasing(&owner);
            let stolen = t.join().unwrap();
            owner.extend(stolen);
            assert_exactly_once(owner, 4);
            assert!(q.0.is_empty());
        });
    }

    /// The ring is full and the owner's next push overflows (a CAS on
    /// `head` for half the ring) while a thief's steal CASes `head` too.
    #[test]
    fn loom_overflow_vs_thief() {
        model(Some(5), || {
            let q = ring();
            for i in 1..=4 {
                q.0.push_with(item(i), |_| unreachable!());
            }
            let t = thief(q.clone(), ring());
            let mut spilled = Vec::new();
            for i in 5..=7 {
                q.0.push_with(item(i), |p| spilled.push(id(p)));
            }
            // Overflow moves the oldest, in order, and the new one last.
            assert_increasing(&spilled);
            let mut owner = drain(&q.0);
            assert_increasing(&owner);
            owner.extend(spilled);
            owner.extend(t.join().unwrap());
            assert_exactly_once(owner, 7);
        });
    }

    /// Two thieves race for the same ring while its owner pops.
    #[test]
    fn loom_two_thieves_and_owner() {
        model(Some(4), || {
            let q = ring();
            for i in 1..=4 {
                q.0.push_with(item(i), |_| unreachable!());
            }
            let a = thief(q.clone(), ring());
            let b = thief(q.clone(), ring());
            let mut all = drain(&q.0);
            assert_increasing(&all);
            all.extend(a.join().unwrap());
            all.extend(b.join().unwrap());
            assert_exactly_once(all, 4);
        });
    }

    /// A thief is robbed while it steals: A steals from the owner's ring
    /// into its own, B steals from A's ring (which A is filling and
    /// draining), and the owner keeps pushing.
    #[test]
    fn loom_steal_from_a_thief() {
        model(Some(4), || {
            let q = ring();
            for i in 1..=3 {
                q.0.push_with(item(i), |_| unreachable!());
            }
            let qa = ring();
            let a = thief(q.clone(), qa.clone());
            let b = thief(qa.clone(), ring());
            q.0.push_with(item(4), |_| unreachable!("at most 4 queued"));
            let mut all = drain(&q.0);
            assert_increasing(&all);
            all.extend(a.join().unwrap());
            all.extend(b.join().unwrap());
            assert_exactly_once(all, 4);
        });
    }
}
