//! The one atomics shim: the operations the lock-free protocols use, as
//! traits implemented for `core`'s atomics (what the runtime runs) and, under
//! `cfg(loom)`, for loom's (what the models explore). A [`Family`] names one
//! whole set — words, counters, flags, pointers, a futex word, a lock and the
//! fence — so a protocol takes one type parameter: [`Core`] in the runtime,
//! [`Loom`] in the models.
//!
//! The protocols (`park::state`, `sched::runq`, `sched::idle`, `park::lot`)
//! are written once, generic over these traits, so the loom models check the
//! very code the runtime runs. Why not swap the types themselves under `cfg(loom)`, as tokio's
//! `loom/mod.rs` does for a whole crate: the runtime's atomics live in
//! statics and in the thread descriptor, which need `core`'s `const fn new`,
//! and the rest of the runtime (raw futexes, context switches) cannot run
//! under loom at all. Only the protocols are modelled, so only they are
//! generic.

use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize, Ordering};

use super::lock::Locked;
use super::raw;

/// An atomic `u32`.
pub trait AtomicWord {
    /// (Only tests and models build rings generically; the runtime's are `const`.)
    #[cfg(any(test, loom))]
    fn new(v: u32) -> Self;
    fn load(&self, order: Ordering) -> u32;
    fn store(&self, v: u32, order: Ordering);
    fn swap(&self, v: u32, order: Ordering) -> u32;
    fn compare_exchange(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32>;
    fn compare_exchange_weak(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32>;
}

/// An atomic `usize` used as a counter or a key.
pub trait AtomicCount {
    fn new(v: usize) -> Self;
    fn load(&self, order: Ordering) -> usize;
    fn store(&self, v: usize, order: Ordering);
    fn fetch_add(&self, v: usize, order: Ordering) -> usize;
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize;
}

/// An atomic `bool`.
pub trait AtomicFlag {
    /// (Only the models build these generically.)
    #[cfg(loom)]
    fn new(v: bool) -> Self;
    fn store(&self, v: bool, order: Ordering);
    fn compare_exchange(&self, current: bool, new: bool, success: Ordering, failure: Ordering) -> Result<bool, bool>;
}

/// A `u32` a kernel thread can sleep on (a futex word).
pub trait FutexWord: AtomicWord {
    /// Sleeps while the word holds `expected`, at most until `deadline`
    /// (monotonic ns). May return early (spuriously, on a signal, on timeout).
    fn wait(&self, expected: u32, deadline: Option<u64>);
    /// Wakes up to `n` sleepers.
    fn wake(&self, n: u32);
}

/// A value behind a lock that blocks the kernel thread.
pub trait Guarded<T> {
    #[cfg(loom)]
    fn new(v: T) -> Self;
    /// Runs `f` with the value locked.
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// One family of synchronisation primitives (see the module doc).
pub trait Family: 'static {
    type Word: AtomicWord;
    type Count: AtomicCount;
    type Flag: AtomicFlag;
    type Ptr<T>: AtomicPointer<T>;
    type Futex: FutexWord;
    type Lock<T>: Guarded<T>;
    fn fence(order: Ordering);
}

/// What the runtime runs: `core`'s atomics, raw futexes, [`Locked`].
pub struct Core;

impl Family for Core {
    type Word = AtomicU32;
    type Count = AtomicUsize;
    type Flag = AtomicBool;
    type Ptr<T> = AtomicPtr<T>;
    type Futex = AtomicU32;
    type Lock<T> = Locked<T>;
    #[inline]
    fn fence(order: Ordering) {
        core::sync::atomic::fence(order)
    }
}

impl FutexWord for AtomicU32 {
    #[inline]
    fn wait(&self, expected: u32, deadline: Option<u64>) {
        raw::futex_wait(self, expected, deadline);
    }
    #[inline]
    fn wake(&self, n: u32) {
        raw::futex_wake(self, n);
    }
}

impl<T> Guarded<T> for Locked<T> {
    #[cfg(loom)]
    fn new(v: T) -> Self {
        Locked::new(v)
    }
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        Locked::with(self, f)
    }
}

/// An atomic `*mut T`.
pub trait AtomicPointer<T> {
    #[cfg(any(test, loom))]
    fn new(p: *mut T) -> Self;
    fn load(&self, order: Ordering) -> *mut T;
    fn store(&self, p: *mut T, order: Ordering);
}

/// Implements the traits for one family of atomic types by forwarding to
/// their inherent methods.
macro_rules! forward {
    ($u32:ty, $usize:ty, $bool:ty, $ptr:ident) => {
        impl AtomicCount for $usize {
            #[inline]
            fn new(v: usize) -> Self {
                <$usize>::new(v)
            }
            #[inline]
            fn load(&self, order: Ordering) -> usize {
                <$usize>::load(self, order)
            }
            #[inline]
            fn store(&self, v: usize, order: Ordering) {
                <$usize>::store(self, v, order)
            }
            #[inline]
            fn fetch_add(&self, v: usize, order: Ordering) -> usize {
                <$usize>::fetch_add(self, v, order)
            }
            #[inline]
            fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
                <$usize>::fetch_sub(self, v, order)
            }
        }

        impl AtomicFlag for $bool {
            #[cfg(loom)]
            #[inline]
            fn new(v: bool) -> Self {
                <$bool>::new(v)
            }
            #[inline]
            fn store(&self, v: bool, order: Ordering) {
                <$bool>::store(self, v, order)
            }
            #[inline]
            fn compare_exchange(&self, current: bool, new: bool, success: Ordering, failure: Ordering) -> Result<bool, bool> {
                <$bool>::compare_exchange(self, current, new, success, failure)
            }
        }

        impl AtomicWord for $u32 {
            #[cfg(any(test, loom))]
            #[inline]
            fn new(v: u32) -> Self {
                <$u32>::new(v)
            }
            #[inline]
            fn load(&self, order: Ordering) -> u32 {
                <$u32>::load(self, order)
            }
            #[inline]
            fn store(&self, v: u32, order: Ordering) {
                <$u32>::store(self, v, order)
            }
            #[inline]
            fn swap(&self, v: u32, order: Ordering) -> u32 {
                <$u32>::swap(self, v, order)
            }
            #[inline]
            fn compare_exchange(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32> {
                <$u32>::compare_exchange(self, current, new, success, failure)
            }
            #[inline]
            fn compare_exchange_weak(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32> {
                <$u32>::compare_exchange_weak(self, current, new, success, failure)
            }
        }

        impl<T> AtomicPointer<T> for $ptr<T> {
            #[cfg(any(test, loom))]
            #[inline]
            fn new(p: *mut T) -> Self {
                $ptr::new(p)
            }
            #[inline]
            fn load(&self, order: Ordering) -> *mut T {
                $ptr::load(self, order)
            }
            #[inline]
            fn store(&self, p: *mut T, order: Ordering) {
                $ptr::store(self, p, order)
            }
        }
    };
}

forward!(AtomicU32, AtomicUsize, AtomicBool, AtomicPtr);

#[cfg(loom)]
pub use loom_impls::{Loom, LoomFutex};

#[cfg(loom)]
mod loom_impls {
    use super::{AtomicCount, AtomicFlag, AtomicPointer, AtomicWord, Family, FutexWord, Guarded, Ordering};
    use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicUsize};
    use loom::sync::{Condvar, Mutex};
    forward!(AtomicU32, AtomicUsize, AtomicBool, AtomicPtr);

    /// What the models explore: loom's atomics and locks, and a futex made
    /// of a mutex and a condition variable, so that a sleeper nobody wakes
    /// is a deadlock loom reports.
    pub struct Loom;

    impl Family for Loom {
        type Word = AtomicU32;
        type Count = AtomicUsize;
        type Flag = AtomicBool;
        type Ptr<T> = AtomicPtr<T>;
        type Futex = LoomFutex;
        type Lock<T> = Mutex<T>;
        fn fence(order: Ordering) {
            loom::sync::atomic::fence(order)
        }
    }

    impl<T> Guarded<T> for Mutex<T> {
        fn new(v: T) -> Self {
            Mutex::new(v)
        }
        fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
            f(&mut self.lock().unwrap())
        }
    }

    /// A futex word: the waiter re-checks the word under `lock`, the waker
    /// changes the word before taking `lock` to notify — the kernel's rule.
    /// A timed wait returns at once, as if its deadline had passed: the
    /// protocols must survive that, so the models need not model clocks.
    pub struct LoomFutex {
        word: AtomicU32,
        lock: Mutex<()>,
        sleepers: Condvar,
    }

    impl AtomicWord for LoomFutex {
        fn new(v: u32) -> Self {
            LoomFutex { word: AtomicU32::new(v), lock: Mutex::new(()), sleepers: Condvar::new() }
        }
        fn load(&self, order: Ordering) -> u32 {
            self.word.load(order)
        }
        fn store(&self, v: u32, order: Ordering) {
            self.word.store(v, order)
        }
        fn swap(&self, v: u32, order: Ordering) -> u32 {
            self.word.swap(v, order)
        }
        fn compare_exchange(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32> {
            self.word.compare_exchange(current, new, success, failure)
        }
        fn compare_exchange_weak(&self, current: u32, new: u32, success: Ordering, failure: Ordering) -> Result<u32, u32> {
            self.word.compare_exchange_weak(current, new, success, failure)
        }
    }

    impl FutexWord for LoomFutex {
        fn wait(&self, expected: u32, deadline: Option<u64>) {
            if deadline.is_some() {
                return;
            }
            let mut g = self.lock.lock().unwrap();
            while self.word.load(Ordering::SeqCst) == expected {
                g = self.sleepers.wait(g).unwrap();
            }
        }
        fn wake(&self, _n: u32) {
            drop(self.lock.lock().unwrap());
            self.sleepers.notify_all();
        }
    }
}
