//! The one atomics shim: the operations the lock-free protocols use, as
//! traits implemented for `core`'s atomics (what the runtime runs) and, under
//! `cfg(loom)`, for loom's (what the models explore).
//!
//! The protocols (`park::state`, `sched::runq`) are written once, generic
//! over these traits, so the loom models check the very code the runtime
//! runs. Why not swap the types themselves under `cfg(loom)`, as tokio's
//! `loom/mod.rs` does for a whole crate: the runtime's atomics live in
//! statics and in the thread descriptor, which need `core`'s `const fn new`,
//! and the rest of the runtime (raw futexes, context switches) cannot run
//! under loom at all. Only the protocols are modelled, so only they are
//! generic.

use core::sync::atomic::Ordering;

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
    ($u32:ty, $ptr:ident) => {
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

use core::sync::atomic::{AtomicPtr, AtomicU32};
forward!(AtomicU32, AtomicPtr);

#[cfg(loom)]
mod loom_impls {
    use super::{AtomicPointer, AtomicWord, Ordering};
    use loom::sync::atomic::{AtomicPtr, AtomicU32};
    forward!(AtomicU32, AtomicPtr);
}
