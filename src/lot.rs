//! Address-keyed wait queues ("parking lot"): wait until woken on behalf of
//! an address, with no storage in the object itself. Join and once use it;
//! so will every synchronisation object, which is why they can keep glibc's
//! sizes and static initialisers.
//!
//! A key hashes to one of `BUCKETS` buckets, each a lock and a FIFO of
//! waiting nodes (on the waiters' stacks). `wait` checks its condition
//! *under the bucket lock* before queueing, and wakers change the condition
//! before taking the lock to dequeue: so a wake-up is never lost between
//! the check and the sleep. A timed-out waiter removes its node under the
//! lock; if a waker had already dequeued it, it waits for that wake-up to
//! land before returning (its node must outlive the waker's last touch).

use crate::park::Waiter;
use crate::sys::lock::Locked;

const BUCKETS: usize = 256;

struct Node {
    key: usize,
    waiter: *const Waiter,
    next: *mut Node,
}

struct Queue {
    head: *mut Node,
    tail: *mut Node,
}

// SAFETY: the nodes are only followed under the bucket lock.
unsafe impl Send for Queue {}

impl Queue {
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
}

static TABLE: [Locked<Queue>; BUCKETS] =
    [const { Locked::new(Queue { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }) }; BUCKETS];

fn bucket(key: usize) -> &'static Locked<Queue> {
    let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56;
    &TABLE[h as usize % BUCKETS]
}

#[derive(PartialEq, Eq, Debug)]
pub enum WaitResult {
    Woken,
    /// The condition no longer held when checked.
    Invalid,
    TimedOut,
}

/// Waits on `key` if `still_wait()` holds (checked under the bucket lock),
/// until woken or `deadline`.
pub fn wait(key: usize, still_wait: impl FnOnce() -> bool, deadline: Option<u64>) -> WaitResult {
    let waiter = Waiter::for_current();
    let mut node = Node { key, waiter: &waiter, next: core::ptr::null_mut() };
    let np: *mut Node = &mut node;
    let b = bucket(key);
    let queued = b.with(|q| {
        if !still_wait() {
            return false;
        }
        if q.tail.is_null() {
            q.head = np;
        } else {
            // SAFETY: `tail` is a queued node, alive while queued.
            unsafe { (*q.tail).next = np };
        }
        q.tail = np;
        true
    });
    if !queued {
        return WaitResult::Invalid;
    }
    if waiter.wait(deadline) {
        return WaitResult::Woken;
    }
    let removed = b.with(|q| q.unlink_where(|node| node == np, 1, |_| {})) == 1;
    if removed {
        return WaitResult::TimedOut;
    }
    waiter.wait(None);
    WaitResult::Woken
}

/// Wakes the oldest `n` waiters on `key`. Returns how many.
pub fn wake(key: usize, n: usize) -> usize {
    let mut woken: *mut Node = core::ptr::null_mut();
    let count = bucket(key).with(|q| {
        q.unlink_where(
            // SAFETY: queued nodes are alive while queued; we hold the lock.
            |node| unsafe { (*node).key } == key,
            n,
            |node| {
                // SAFETY: dequeued: the node is ours until its waiter is woken.
                unsafe { (*node).next = woken };
                woken = node;
            },
        )
    });
    while !woken.is_null() {
        // SAFETY: dequeued nodes stay alive until their waiter is woken; read
        // what we need first.
        let (next, waiter) = unsafe { ((*woken).next, (*woken).waiter) };
        // SAFETY: the waiter has not been woken yet, so it is still waiting.
        unsafe { Waiter::wake(waiter) };
        woken = next;
    }
    count
}

/// Drops every waiter in a fork child (they did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    for b in &TABLE {
        // SAFETY: forwarded.
        unsafe { b.reset_to(Queue { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }) };
    }
}
