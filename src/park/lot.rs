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
//!   kernel thread whose sleep a signal handler interrupted leaves the
//!   same way (EINTR for the callers that report it, such as sem_wait).
//! * `bits` filter wake-ups as FUTEX_WAIT_BITSET/WAKE_BITSET do: a wake with
//!   mask `m` takes only nodes with `bits & m != 0`.

use core::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_utils::CachePadded;

use crate::park::{Wake, Waiter};
use crate::sys::lock::Locked;

const BUCKET_BITS: u32 = 12;
const BUCKETS: usize = 1 << BUCKET_BITS;

/// Wait or wake for every bit (plain futex semantics).
pub const ALL_BITS: u32 = !0;

struct Node {
    key: AtomicUsize,
    bits: u32,
    waiter: *const Waiter,
    next: *mut Node,
}

struct Queue {
    head: *mut Node,
    tail: *mut Node,
}

// SAFETY: the nodes are only followed under the bucket lock.
unsafe impl Send for Queue {}

const EMPTY: Queue = Queue { head: core::ptr::null_mut(), tail: core::ptr::null_mut() };

impl Queue {
    fn push(&mut self, n: *mut Node) {
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
    fn unlink_where(&mut self, matches: impl Fn(*mut Node) -> bool, max: usize, mut taken: impl FnMut(*mut Node)) -> usize {
        let mut count = 0;
        let mut prev: *mut Node = core::ptr::null_mut();
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
    fn take(&mut self, key: usize, bits: u32, max: usize, out: &mut Queue) -> usize {
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
            unsafe { Waiter::wake(waiter) };
            n = next;
        }
    }
}

static TABLE: [CachePadded<Locked<Queue>>; BUCKETS] = [const { CachePadded::new(Locked::new(EMPTY)) }; BUCKETS];

fn index(key: usize) -> usize {
    ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - BUCKET_BITS)) as usize
}

fn bucket(key: usize) -> &'static Locked<Queue> {
    &TABLE[index(key)]
}

/// Runs `f` with the queues of `k1` and `k2` locked (`None` for the second
/// when both keys share a bucket). Locks are taken in table order.
fn with_two<R>(k1: usize, k2: usize, f: impl FnOnce(&mut Queue, Option<&mut Queue>) -> R) -> R {
    let (i1, i2) = (index(k1), index(k2));
    if i1 == i2 {
        return f(&mut TABLE[i1].lock(), None);
    }
    let (mut first, mut second) = if i1 < i2 {
        let a = TABLE[i1].lock();
        (a, TABLE[i2].lock())
    } else {
        let b = TABLE[i2].lock();
        (TABLE[i1].lock(), b)
    };
    f(&mut first, Some(&mut second))
}

#[derive(PartialEq, Eq, Debug)]
pub enum WaitResult {
    Woken,
    /// The condition no longer held when checked.
    Invalid,
    TimedOut,
    /// A signal handler interrupted a kernel thread's sleep (EINTR).
    Interrupted,
}

/// Waits on `key` if `still_wait()` holds (checked under the bucket lock),
/// until woken by a wake whose mask meets `bits`, or until `deadline`
/// (monotonic ns).
pub fn wait(key: usize, bits: u32, still_wait: impl FnOnce() -> bool, deadline: Option<u64>) -> WaitResult {
    let waiter = Waiter::for_current();
    let mut node = Node { key: AtomicUsize::new(key), bits, waiter: &waiter, next: core::ptr::null_mut() };
    let np: *mut Node = &mut node;
    let queued = bucket(key).with(|q| {
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
        let mut q = bucket(k).lock();
        // SAFETY: as above; a requeue changes the key only under this lock too.
        if unsafe { (*np).key.load(Ordering::Relaxed) } != k {
            continue;
        }
        break q.unlink_where(|n| n == np, 1, |_| {}) == 1;
    };
    if removed {
        return if ended == Wake::TimedOut { WaitResult::TimedOut } else { WaitResult::Interrupted };
    }
    waiter.wait(None);
    WaitResult::Woken
}

/// Wakes the oldest `n` waiters on `key` whose bits meet `bits`. Returns
/// how many.
pub fn wake(key: usize, n: usize, bits: u32) -> usize {
    let mut list = EMPTY;
    let count = bucket(key).with(|q| q.take(key, bits, n, &mut list));
    list.wake_all();
    count
}

/// If `check()` holds (run with both queues locked): wakes up to `nwake`
/// waiters on `from` and moves up to `nmove` more to wait on `to`. Returns
/// woken + moved, or `None` when `check()` failed.
pub fn requeue(from: usize, to: usize, nwake: usize, nmove: usize, check: impl FnOnce() -> bool) -> Option<usize> {
    let mut list = EMPTY;
    let count = with_two(from, to, |qf, qt| {
        if !check() {
            return None;
        }
        let woken = qf.take(from, ALL_BITS, nwake, &mut list);
        let mut moving = EMPTY;
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

/// With both queues locked, runs `op()` (FUTEX_WAKE_OP's atomic operation
/// and comparison), wakes up to `n1` waiters on `k1` and, if `op()` said
/// so, up to `n2` on `k2`. Returns how many were woken.
pub fn wake_op(k1: usize, n1: usize, k2: usize, n2: usize, op: impl FnOnce() -> bool) -> usize {
    let mut list = EMPTY;
    let count = with_two(k1, k2, |q1, q2| {
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

/// Drops every waiter in a fork child (they did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    for b in &TABLE {
        // SAFETY: forwarded.
        unsafe { b.reset_to(EMPTY) };
    }
}
