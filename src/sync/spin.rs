//! Spinlocks in glibc's `pthread_spinlock_t` (an `int`): 0 unlocked, 1
//! locked.
//!
//! Under M:N the holder may be a user thread descheduled on the very
//! carrier the spinner runs on, so pure spinning could last for ever
//! (certainly with one carrier). A waiter spins a bounded number of times
//! on a plain load, then yields: to the next runnable user thread on its
//! carrier if it is a user thread, to the kernel otherwise, and starts
//! over.

use core::sync::atomic::{AtomicI32, Ordering};

/// Busy re-checks between yields.
const SPINS: u32 = 100;

fn try_acquire(word: &AtomicI32) -> bool {
    word.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok()
}

/// pthread_spin_trylock: true if the lock was taken.
#[inline]
pub fn try_lock(word: &AtomicI32) -> bool {
    word.load(Ordering::Relaxed) == 0 && try_acquire(word)
}

/// pthread_spin_lock.
#[inline]
pub fn lock(word: &AtomicI32) {
    if !try_acquire(word) {
        lock_slow(word);
    }
}

#[cold]
fn lock_slow(word: &AtomicI32) {
    loop {
        let mut spins = 0;
        while word.load(Ordering::Relaxed) != 0 {
            if spins < SPINS {
                spins += 1;
                core::hint::spin_loop();
            } else {
                crate::sched::yield_now();
                spins = 0;
            }
        }
        if try_acquire(word) {
            return;
        }
    }
}

/// pthread_spin_unlock (and init, which glibc makes the same operation).
#[inline]
pub fn unlock(word: &AtomicI32) {
    word.store(0, Ordering::Release);
}
