//! Deadlines of parked threads.
//!
//! A thread that parks with a deadline files `(deadline, thread, ticket)`
//! here; the ticket is the thread's `park_ticket` at that moment. When the
//! deadline passes, a carrier unparks the thread only if its ticket is
//! unchanged — a thread bumps its ticket when it returns from the park, so an
//! entry for an earlier park fires as a no-op instead of a stray wake-up.
//! Entries are not removed on early wake-ups; they fall out when due, or
//! when stale entries outnumber live parks two to one and `add` sweeps them
//! (so a thread that keeps waking early cannot grow the heap without bound).
//!
//! Filing never allocates: the heap holds at most `max(64, 2 * active) + 1`
//! entries (the sweep's rule) and only user threads park with deadlines,
//! one at a time each, so [`reserve`] — called by thread creation, which
//! reports EAGAIN when it fails — keeps room for every thread there is.
//!
//! `EARLIEST` mirrors the smallest deadline so that carriers can skip the
//! lock (and the clock read) when nothing is due; idle carriers sleep until it.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use alloc_heap::Heap;

use crate::sys::lock::Locked;
use crate::mem::uthread::UThread;

mod alloc_heap {
    /// A binary min-heap of timer entries (Vec-backed).
    pub struct Heap {
        pub items: Vec<(u64, usize, u64)>,
    }

    impl Heap {
        pub fn push(&mut self, e: (u64, usize, u64)) {
            self.items.push(e);
            let mut i = self.items.len() - 1;
            while i > 0 {
                let p = (i - 1) / 2;
                if self.items[p].0 <= self.items[i].0 {
                    break;
                }
                self.items.swap(p, i);
                i = p;
            }
        }

        pub fn pop(&mut self) -> Option<(u64, usize, u64)> {
            let n = self.items.len();
            if n == 0 {
                return None;
            }
            self.items.swap(0, n - 1);
            let top = self.items.pop();
            self.sift_down(0);
            top
        }

        pub fn peek(&self) -> Option<u64> {
            self.items.first().map(|e| e.0)
        }

        /// Keeps only the entries `keep` accepts, restoring heap order in
        /// place (no allocation).
        pub fn retain(&mut self, keep: impl Fn(&(u64, usize, u64)) -> bool) {
            self.items.retain(keep);
            for i in (0..self.items.len() / 2).rev() {
                self.sift_down(i);
            }
        }

        fn sift_down(&mut self, mut i: usize) {
            let n = self.items.len();
            loop {
                let (l, r) = (2 * i + 1, 2 * i + 2);
                let mut m = i;
                if l < n && self.items[l].0 < self.items[m].0 {
                    m = l;
                }
                if r < n && self.items[r].0 < self.items[m].0 {
                    m = r;
                }
                if m == i {
                    break;
                }
                self.items.swap(i, m);
                i = m;
            }
        }
    }
}

static HEAP: Locked<Heap> = Locked::new(Heap { items: Vec::new() });
/// The heap's capacity, mirrored so that `reserve` can skip the lock.
static CAPACITY: AtomicUsize = AtomicUsize::new(0);
static EARLIEST: AtomicU64 = AtomicU64::new(u64::MAX);
/// Parks with a deadline in progress (`add` .. `done`).
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

fn is_live(e: &(u64, usize, u64)) -> bool {
    // SAFETY: descriptors are type-stable (slab).
    unsafe { (*(e.1 as *const UThread)).park_ticket.load(Ordering::Acquire) == e.2 }
}

/// Files a deadline for `t`'s current park.
pub fn add(deadline: u64, t: *mut UThread, ticket: u64) {
    let active = ACTIVE.fetch_add(1, Ordering::Relaxed) + 1;
    let earlier = HEAP.with(|h| {
        if h.items.len() > 64 && h.items.len() > 2 * active {
            h.retain(is_live);
        }
        h.push((deadline, t as usize, ticket));
        let e = h.peek().unwrap_or(u64::MAX);
        let was = EARLIEST.swap(e, Ordering::AcqRel);
        e < was
    });
    if earlier {
        // Sleeping carriers sleep until the old earliest deadline: wake one
        // to sleep until the new one.
        super::idle::wake_one_for_timer();
    }
}

/// Makes room for the deadlines of `threads` threads; false when memory
/// runs out.
pub fn reserve(threads: usize) -> bool {
    let need = 2 * threads + 66;
    if need <= CAPACITY.load(Ordering::Relaxed) {
        return true;
    }
    HEAP.with(|h| {
        let ok = h.items.try_reserve(need.saturating_sub(h.items.len())).is_ok();
        CAPACITY.store(h.items.capacity(), Ordering::Relaxed);
        ok
    })
}

/// The park filed with `add` has ended (its ticket was bumped).
pub fn done() {
    ACTIVE.fetch_sub(1, Ordering::Relaxed);
}

/// Drops every deadline in a fork child (their threads did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    HEAP.with(|h| h.items.clear());
    EARLIEST.store(u64::MAX, Ordering::Relaxed);
    ACTIVE.store(0, Ordering::Relaxed);
}

/// The earliest pending deadline (`u64::MAX` when none).
pub fn earliest() -> u64 {
    EARLIEST.load(Ordering::Acquire)
}

/// Hands the threads whose deadlines have passed to `wake` (the park layer's
/// unpark: the timer heap only orders deadlines). Returns how many entries
/// fired.
pub fn fire_due(wake: fn(*mut UThread)) -> usize {
    if earliest() == u64::MAX {
        return 0;
    }
    let now = crate::sys::time::now();
    if earliest() > now {
        return 0;
    }
    let mut due: [(usize, u64); 32] = [(0, 0); 32];
    let n = HEAP.with(|h| {
        let mut n = 0;
        while n < due.len() {
            match h.peek() {
                Some(d) if d <= now => {
                    let (_, t, ticket) = h.pop().unwrap();
                    due[n] = (t, ticket);
                    n += 1;
                }
                _ => break,
            }
        }
        EARLIEST.store(h.peek().unwrap_or(u64::MAX), Ordering::Release);
        n
    });
    for &(t, ticket) in &due[..n] {
        let t = t as *mut UThread;
        // The ticket check drops entries of finished parks.
        if is_live(&(0, t as usize, ticket)) {
            wake(t);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::alloc_heap::Heap;

    #[test]
    fn heap_pops_in_deadline_order_and_retain_keeps_order() {
        let mut h = Heap { items: Vec::new() };
        for (i, d) in [50u64, 10, 40, 30, 20, 60, 0].iter().enumerate() {
            h.push((*d, i, 0));
        }
        h.retain(|e| e.0 != 40);
        let mut out = Vec::new();
        while let Some(e) = h.pop() {
            out.push(e.0);
        }
        assert_eq!(out, vec![0, 10, 20, 30, 50, 60]);
        assert_eq!(h.peek(), None);
    }
}
