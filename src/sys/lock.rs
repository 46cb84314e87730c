//! `RawLock`: the runtime's internal lock, for short critical sections only.
//!
//! Protocol (Drepper's "futexes are tricky", mutex #2): the word is 0 free,
//! 1 locked, 2 locked with possible sleepers. Lock spins briefly, then sets 2
//! and futex-waits; unlock swaps to 0 and wakes one sleeper if it saw 2.
//!
//! Invariant: never held across a context switch or a call into user code,
//! so a holder is always running on some kernel thread and the wait is short.
//! It blocks the *kernel* thread, which is why it must stay that short.

use core::sync::atomic::{AtomicU32, Ordering};

use super::raw;

pub struct RawLock {
    word: AtomicU32,
}

impl Default for RawLock {
    fn default() -> Self {
        Self::new()
    }
}

impl RawLock {
    pub const fn new() -> Self {
        RawLock { word: AtomicU32::new(0) }
    }

    #[inline]
    pub fn lock(&self) -> RawLockGuard<'_> {
        if self.word.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow();
        }
        RawLockGuard { lock: self }
    }

    #[cold]
    fn lock_slow(&self) {
        for _ in 0..100 {
            core::hint::spin_loop();
            if self.word.load(Ordering::Relaxed) == 0
                && self.word.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                return;
            }
        }
        while self.word.swap(2, Ordering::Acquire) != 0 {
            raw::futex_wait(&self.word, 2, None);
        }
    }

    #[inline]
    fn unlock(&self) {
        if self.word.swap(0, Ordering::Release) == 2 {
            raw::futex_wake(&self.word, 1);
        }
    }
}

pub struct RawLockGuard<'a> {
    lock: &'a RawLock,
}

impl Drop for RawLockGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

/// A value guarded by a [`RawLock`].
pub struct Locked<T> {
    lock: RawLock,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: access to `value` is serialised by `lock`.
unsafe impl<T: Send> Sync for Locked<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Locked<T> {}

impl<T> Locked<T> {
    pub const fn new(value: T) -> Self {
        Locked { lock: RawLock::new(), value: core::cell::UnsafeCell::new(value) }
    }

    /// Replaces the value without taking the lock, forgetting any holder: for
    /// a fork child, where the holder may be a thread that did not survive.
    ///
    /// # Safety
    /// Only one thread may exist in the process.
    pub unsafe fn reset_to(&self, value: T) {
        self.lock.word.store(0, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: per the contract nobody else can hold or take the lock.
        unsafe { *self.value.get() = value };
    }

    /// Releases the lock whoever holds it, keeping the value: for a fork
    /// child, where the holder may be a thread that did not survive.
    ///
    /// # Safety
    /// Only one thread may exist in the process.
    pub unsafe fn forget_holder(&self) {
        self.lock.word.store(0, core::sync::atomic::Ordering::Relaxed);
    }

    /// Runs `f` with exclusive access to the value.
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _g = self.lock.lock();
        // SAFETY: the guard gives exclusive access until it drops after `f`.
        f(unsafe { &mut *self.value.get() })
    }

    /// Takes the lock; the value is reachable through the guard until it
    /// drops (for code that must hold two locks at once).
    #[inline]
    pub fn lock(&self) -> LockedGuard<'_, T> {
        LockedGuard { _raw: self.lock.lock(), value: self.value.get() }
    }
}

pub struct LockedGuard<'a, T> {
    _raw: RawLockGuard<'a>,
    value: *mut T,
}

impl<T> core::ops::Deref for LockedGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the lock is held for the guard's lifetime.
        unsafe { &*self.value }
    }
}

impl<T> core::ops::DerefMut for LockedGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as above, and the guard is borrowed mutably.
        unsafe { &mut *self.value }
    }
}
