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

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::thread::UThread;

pub const LEN: u32 = 256;

pub struct LocalQueue {
    head: AtomicU32,
    tail: AtomicU32,
    slots: [AtomicPtr<UThread>; LEN as usize],
}

impl Default for LocalQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalQueue {
    pub const fn new() -> Self {
        LocalQueue {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            slots: [const { AtomicPtr::new(core::ptr::null_mut()) }; LEN as usize],
        }
    }

    #[inline]
    fn slot(&self, i: u32) -> &AtomicPtr<UThread> {
        &self.slots[(i % LEN) as usize]
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
    /// `t` to the global queue instead.
    #[inline]
    pub fn push(&self, t: *mut UThread) {
        loop {
            let h = self.head.load(Ordering::Acquire);
            let tail = self.tail.load(Ordering::Relaxed);
            if tail.wrapping_sub(h) < LEN {
                self.slot(tail).store(t, Ordering::Relaxed);
                self.tail.store(tail.wrapping_add(1), Ordering::Release);
                return;
            }
            if self.push_overflow(t, h, tail) {
                return;
            }
        }
    }

    #[cold]
    fn push_overflow(&self, t: *mut UThread, h: u32, tail: u32) -> bool {
        let n = tail.wrapping_sub(h) / 2;
        let mut batch: [*mut UThread; (LEN / 2) as usize] = [core::ptr::null_mut(); (LEN / 2) as usize];
        for (i, b) in batch.iter_mut().enumerate().take(n as usize) {
            *b = self.slot(h.wrapping_add(i as u32)).load(Ordering::Relaxed);
        }
        if self.head.compare_exchange(h, h.wrapping_add(n), Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return false;
        }
        for b in &batch[..n as usize] {
            super::global::push(*b);
        }
        super::global::push(t);
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
    pub fn steal_into(&self, into: &LocalQueue) -> Option<*mut UThread> {
        let dst_tail = into.tail.load(Ordering::Relaxed);
        loop {
            let h = self.head.load(Ordering::Acquire);
            let t = self.tail.load(Ordering::Acquire);
            let n = t.wrapping_sub(h);
            let n = n - n / 2;
            if n == 0 || n > LEN / 2 + 1 {
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
