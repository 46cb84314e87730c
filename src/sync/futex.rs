//! The emulated futex every synchronisation object waits with.
//!
//! `Scope::Private` words (objects of this process): waiters queue in the
//! address-keyed [`lot`] under the word's address — a user thread parks, a
//! kernel thread mnthread does not run futex-waits on a word of its own —
//! so both kinds of thread can share an object. The value check happens
//! under the bucket lock and wakers change the word before waking, as with
//! the kernel's futex: no wake-up is lost. Private waiters never reach the
//! kernel's futex table for the word, so a private word must be woken
//! here, never with a raw FUTEX_WAKE.
//!
//! `Scope::Shared` words (PTHREAD_PROCESS_SHARED objects, possibly in
//! memory another process maps): only the kernel sees both processes, so
//! waits and wakes are real non-private futex calls. A user thread's wait
//! runs on an [`offload`] worker while the user thread is parked.
//!
//! Results are positive errno values as the kernel's: 0 woken (possibly
//! spuriously), EAGAIN the word did not hold `expected`, ETIMEDOUT, EINTR
//! (a signal handler ran in a waiting kernel thread; callers that must not
//! report it treat it as a spurious wake-up).

use core::ffi::c_int;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::park::lot::{self, WaitResult};
use crate::park::offload;
use crate::sched;
use crate::sys::raw;

pub use crate::park::lot::ALL_BITS;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scope {
    Private,
    Shared,
}

const FUTEX_WAIT_BITSET_SHARED: usize = libc::FUTEX_WAIT_BITSET as usize;
const FUTEX_WAKE_BITSET_SHARED: usize = libc::FUTEX_WAKE_BITSET as usize;

/// Waits while `*word == expected`, until woken or `deadline` (absolute
/// CLOCK_MONOTONIC ns).
#[inline]
pub fn wait(word: &AtomicU32, expected: u32, deadline: Option<u64>, scope: Scope) -> c_int {
    wait_bits(word, expected, ALL_BITS, deadline, scope)
}

/// [`wait`] that only wakes whose mask meets `bits` end (FUTEX_WAIT_BITSET).
pub fn wait_bits(word: &AtomicU32, expected: u32, bits: u32, deadline: Option<u64>, scope: Scope) -> c_int {
    match scope {
        Scope::Private => {
            match lot::wait(word.as_ptr() as usize, bits, || word.load(Ordering::Acquire) == expected, deadline) {
                WaitResult::Woken => 0,
                WaitResult::Invalid => libc::EAGAIN,
                WaitResult::TimedOut => libc::ETIMEDOUT,
                WaitResult::Interrupted => libc::EINTR,
            }
        }
        Scope::Shared => {
            if word.load(Ordering::Acquire) != expected {
                return libc::EAGAIN;
            }
            let addr = word.as_ptr() as usize;
            let call = move || {
                let r = raw::futex_wait_op(addr as *const AtomicU32, expected, deadline, FUTEX_WAIT_BITSET_SHARED, bits);
                if r < 0 {
                    -r as c_int
                } else {
                    0
                }
            };
            let r = if sched::current_user().is_some() { offload::run(call) } else { call() };
            match r {
                libc::EAGAIN | libc::ETIMEDOUT | libc::EINTR => r,
                _ => 0,
            }
        }
    }
}

/// Wakes up to `n` waiters on `word`; returns how many were woken. Only
/// the address is used: the object may be gone once the caller let go.
#[inline]
pub fn wake(word: *const AtomicU32, n: usize, scope: Scope) -> usize {
    wake_bits(word, n, ALL_BITS, scope)
}

/// [`wake`] limited to waiters whose bits meet `bits` (FUTEX_WAKE_BITSET).
pub fn wake_bits(word: *const AtomicU32, n: usize, bits: u32, scope: Scope) -> usize {
    match scope {
        Scope::Private => lot::wake(word as usize, n, bits),
        Scope::Shared => {
            let n = n.min(i32::MAX as usize) as u32;
            raw::futex_wake_op(word, n, FUTEX_WAKE_BITSET_SHARED, bits).max(0) as usize
        }
    }
}

/// Private FUTEX_CMP_REQUEUE: if `*from == expected` (`None`: no check),
/// wakes up to `nwake` waiters of `from` and moves up to `nmove` more to
/// wait on `to`. Returns woken + moved, or EAGAIN as `Err`.
pub fn requeue_private(from: &AtomicU32, to: *const AtomicU32, nwake: usize, nmove: usize, expected: Option<u32>) -> Result<usize, c_int> {
    lot::requeue(from.as_ptr() as usize, to as usize, nwake, nmove, || match expected {
        Some(v) => from.load(Ordering::Acquire) == v,
        None => true,
    })
    .ok_or(libc::EAGAIN)
}

/// Private FUTEX_WAKE_OP: with both words' queues locked runs `op` (which
/// applies the operation to `*w2` and says whether its old value passed the
/// comparison), wakes up to `n1` waiters of `w1` and, if it passed, up to
/// `n2` of `w2`. Returns how many were woken.
pub fn wake_op_private(w1: *const AtomicU32, n1: usize, w2: *const AtomicU32, n2: usize, op: impl FnOnce() -> bool) -> usize {
    lot::wake_op(w1 as usize, n1, w2 as usize, n2, op)
}
