//! Barriers in glibc's 32-byte `pthread_barrier_t` (8-byte aligned; glibc
//! has no static initialiser, so the layout is ours).
//!
//! Words:
//! * `state` @0 (64-bit): low half the threads arrived in the current
//!   round, high half the round's number (wrapping). Arrival is one CAS; the
//!   thread that makes the count complete closes the round in that same CAS
//!   (arrived 0, round + 1), so a thread arriving next belongs to the next
//!   round: the barrier is reusable at once, even while the previous
//!   round's waiters are still on their way out.
//! * `done` @8: futex word, the number of rounds completed (wrapping). The
//!   closer raises it monotonically to its round + 1 (closers of successive
//!   rounds may store out of order) and wakes everyone on it; a waiter of
//!   round r sleeps while `done` has not passed r.
//! * `inside` @12: threads inside `wait` (bit 31: a destroy waits for them
//!   to leave). A thread leaves as its last touch of the barrier, so
//!   memory may be reused as soon as `destroy` returns, as in glibc, whose
//!   destroy also waits for the threads that entered to leave.
//! * `count` @16, `shared` @20 (0 private, 1 process-shared).

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::futex::{self, Scope};

/// glibc's largest count (a larger one is EINVAL).
pub const MAX_COUNT: u32 = i32::MAX as u32 - 1;

const DESTROYING: u32 = 1 << 31;

#[repr(C)]
pub struct Barrier {
    state: AtomicU64,
    done: AtomicU32,
    inside: AtomicU32,
    count: AtomicU32,
    shared: AtomicU32,
    _pad: u64,
}

const _: () = assert!(core::mem::size_of::<Barrier>() == core::mem::size_of::<libc::pthread_barrier_t>());
const _: () = assert!(core::mem::align_of::<Barrier>() <= core::mem::align_of::<libc::pthread_barrier_t>());

/// Whether `done` has reached `target` (wrapping: a waiter is never more
/// than 2^31 rounds behind, since its own round cannot complete without it
/// being counted).
fn reached(done: u32, target: u32) -> bool {
    (done.wrapping_sub(target) as i32) >= 0
}

impl Barrier {
    /// A barrier for `count` threads (1..=[`MAX_COUNT`], checked by the caller).
    pub const fn new(count: u32, shared: bool) -> Barrier {
        Barrier {
            state: AtomicU64::new(0),
            done: AtomicU32::new(0),
            inside: AtomicU32::new(0),
            count: AtomicU32::new(count),
            shared: AtomicU32::new(shared as u32),
            _pad: 0,
        }
    }

    fn scope(&self) -> Scope {
        if self.shared.load(Ordering::Relaxed) != 0 {
            Scope::Shared
        } else {
            Scope::Private
        }
    }

    /// pthread_barrier_wait: true for the one thread of each round that
    /// gets PTHREAD_BARRIER_SERIAL_THREAD.
    pub fn wait(&self) -> bool {
        self.inside.fetch_add(1, Ordering::Acquire);
        let count = self.count.load(Ordering::Relaxed);
        let scope = self.scope();
        let mut s = self.state.load(Ordering::Relaxed);
        let (round, last) = loop {
            let arrived = s as u32 + 1;
            let round = (s >> 32) as u32;
            let last = arrived >= count;
            let new = if last { (round.wrapping_add(1) as u64) << 32 } else { s + 1 };
            match self.state.compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break (round, last),
                Err(now) => s = now,
            }
        };
        let target = round.wrapping_add(1);
        if last {
            let _ = self.done.fetch_update(Ordering::Release, Ordering::Relaxed, |d| (!reached(d, target)).then_some(target));
            futex::wake(&self.done, usize::MAX, scope);
        } else {
            loop {
                let d = self.done.load(Ordering::Acquire);
                if reached(d, target) {
                    break;
                }
                futex::wait(&self.done, d, None, scope);
            }
        }
        self.leave(scope);
        last
    }

    fn leave(&self, scope: Scope) {
        let inside: *const AtomicU32 = &self.inside;
        if self.inside.fetch_sub(1, Ordering::Release) == DESTROYING + 1 {
            // Only the address is used: the barrier may be gone already.
            futex::wake(inside, usize::MAX, scope);
        }
    }

    /// pthread_barrier_destroy: waits until every thread that entered
    /// `wait` has left it (for ever if a round is unfinished, as glibc).
    pub fn destroy(&self) {
        let scope = self.scope();
        let mut v = self.inside.fetch_or(DESTROYING, Ordering::Acquire) | DESTROYING;
        while v != DESTROYING {
            futex::wait(&self.inside, v, None, scope);
            v = self.inside.load(Ordering::Acquire);
        }
    }
}
