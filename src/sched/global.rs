//! The global run queue: a FIFO of runnable threads, linked through
//! `UThread::next`, under one lock. It takes what threads that are not on a
//! carrier make runnable, and the overflow of local rings. Carriers look at
//! it every 61st schedule (so it cannot starve) and whenever their own ring
//! is empty. `LEN` lets them skip the lock while it is empty.

use core::sync::atomic::{AtomicUsize, Ordering};

use crate::sys::lock::Locked;
use crate::mem::uthread::UThread;

struct Fifo {
    head: *mut UThread,
    tail: *mut UThread,
}

// SAFETY: the raw pointers are only followed under the lock.
unsafe impl Send for Fifo {}

static QUEUE: Locked<Fifo> = Locked::new(Fifo { head: core::ptr::null_mut(), tail: core::ptr::null_mut() });
static LEN: AtomicUsize = AtomicUsize::new(0);

pub fn is_empty() -> bool {
    LEN.load(Ordering::Acquire) == 0
}

pub fn push(t: *mut UThread) {
    QUEUE.with(|q| {
        // SAFETY: `t` is a runnable descriptor owned by the queue from now on.
        unsafe { (*t).next = core::ptr::null_mut() };
        if q.tail.is_null() {
            q.head = t;
        } else {
            // SAFETY: `tail` is a queued descriptor.
            unsafe { (*q.tail).next = t };
        }
        q.tail = t;
        LEN.fetch_add(1, Ordering::Release);
    });
}

/// Takes up to `out.len()` threads into `out`; returns how many.
pub fn pop_batch(out: &mut [*mut UThread]) -> usize {
    if is_empty() {
        return 0;
    }
    QUEUE.with(|q| {
        let mut taken = 0;
        while taken < out.len() && !q.head.is_null() {
            out[taken] = q.head;
            // SAFETY: `head` is a queued descriptor.
            q.head = unsafe { (*q.head).next };
            taken += 1;
        }
        if q.head.is_null() {
            q.tail = core::ptr::null_mut();
        }
        LEN.fetch_sub(taken, Ordering::Release);
        taken
    })
}

pub fn len() -> usize {
    LEN.load(Ordering::Acquire)
}

/// Empties the queue in a fork child (its threads did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    // SAFETY: forwarded.
    unsafe { QUEUE.reset_to(Fifo { head: core::ptr::null_mut(), tail: core::ptr::null_mut() }) };
    LEN.store(0, Ordering::Relaxed);
}
