//! `pthread_cond_t` (48 bytes, all zero = PTHREAD_COND_INITIALIZER).
//!
//! Fields: `seq`@0 — the futex word waiters sleep on, bumped by every
//! signal and broadcast that finds waiters; `waiters`@4 — threads between
//! "about to release the mutex" and "taken off the queue" (bit 31: a
//! `destroy` sleeps on the word until that count drains); `mutex`@8 —
//! the mutex the (private) waiters use, for wait morphing; `flags`@36 —
//! glibc's bits: 1 process-shared, 2 CLOCK_MONOTONIC. The rest is unused.
//!
//! Wait: read `seq`, publish the mutex, count itself in `waiters`, all
//! while holding the mutex; release the mutex; sleep on `seq` unless it
//! moved. A signal that comes between the release and the sleep changed
//! `seq`, so the sleep does not happen: no signal is lost, and the lot's
//! FIFO order makes a signal take the oldest sleeper, one that blocked
//! before it.
//!
//! Private waiters queue in the lot under two keys: untimed ones under
//! `seq`'s address, timed ones under that address + 1 (`timed_key`), so
//! that only untimed waiters are ever moved (below). A signal takes one
//! untimed waiter, or a timed one if there is none; a broadcast takes all.
//!
//! Counting (private conds): a waker subtracts from `waiters` every thread
//! it took off a queue (woken or moved), so a taken waiter never touches
//! the cond again — the program may destroy it right after a broadcast.
//! A waiter that was not taken (its sleep did not happen, or it timed out:
//! timed waiters are never moved, so a timeout means not taken) subtracts
//! itself. Process-shared waiters always count themselves out (the kernel
//! does not say whom it woke), and all sleep on `seq` in the kernel.
//!
//! Wait morphing (private cond, non-robust private mutex): a signal or
//! broadcast moves waiters from `seq` onto the mutex's lock word instead of
//! waking them into a mutex they cannot have yet. Under both queue locks it
//! first sets the word's waiters bit, so the unlock that follows
//! wakes one of them; if the mutex is free it wakes one waiter instead (a
//! broadcast moves the rest: that one acquires with the waiters bit and passes
//! the wake-up on). Every thread leaving a wait acquires with the waiters bit.

use core::ffi::c_int;
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use super::futex::{self, Scope};
use super::mutex::{Enc, Mutex, KIND_PSHARED, KIND_ROBUST};
use crate::park::lot::{self, WaitResult};

/// Set in `waiters` by `destroy`, which waits for the count under it to
/// drain (the last waiter counted out wakes it).
const DESTROYING: u32 = 1 << 31;

pub const FLAG_PSHARED: u32 = 1;
pub const FLAG_MONOTONIC: u32 = 2;

#[repr(C)]
pub struct Cond {
    pub seq: AtomicU32,
    pub waiters: AtomicU32,
    pub mutex: AtomicPtr<Mutex>,
    reserved: [AtomicU32; 5],
    pub flags: AtomicU32,
    reserved_tail: [AtomicU32; 2],
}

const _: () = assert!(core::mem::size_of::<Cond>() == 48);
const _: () = assert!(core::mem::size_of::<Cond>() == core::mem::size_of::<libc::pthread_cond_t>());
const _: () = assert!(core::mem::offset_of!(Cond, flags) == 36);

impl Cond {
    fn scope(&self) -> Scope {
        if self.flags.load(Ordering::Relaxed) & FLAG_PSHARED != 0 {
            Scope::Shared
        } else {
            Scope::Private
        }
    }

    /// The lot key timed private waiters sleep under (never a real word's
    /// address: `seq` is 4-aligned).
    fn timed_key(&self) -> usize {
        self.seq.as_ptr() as usize + 1
    }

    /// The clock a timedwait's absolute time is on.
    pub fn clock(&self) -> libc::clockid_t {
        if self.flags.load(Ordering::Relaxed) & FLAG_MONOTONIC != 0 {
            libc::CLOCK_MONOTONIC
        } else {
            libc::CLOCK_REALTIME
        }
    }

    /// Waits until signalled or `deadline` (monotonic ns); returns with the
    /// mutex held: 0, ETIMEDOUT, or the relock's error (EOWNERDEAD...);
    /// EPERM/EINVAL without waiting when the mutex cannot be released.
    pub fn wait(&self, m: &Mutex, deadline: Option<u64>) -> c_int {
        let kind = m.kind.load(Ordering::Relaxed);
        let scope = self.scope();
        let seq = self.seq.load(Ordering::Relaxed);
        if scope == Scope::Private {
            self.mutex.store(m as *const Mutex as *mut Mutex, Ordering::Relaxed);
        }
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let depth = match m.unlock_for_wait(kind) {
            Ok(d) => d,
            Err(e) => {
                self.count_out(1, scope);
                return e;
            }
        };
        let r = match (scope, deadline) {
            (Scope::Private, Some(_)) => {
                match lot::wait(self.timed_key(), lot::ALL_BITS, || self.seq.load(Ordering::Acquire) == seq, deadline) {
                    WaitResult::Woken => 0,
                    WaitResult::Invalid => libc::EAGAIN,
                    WaitResult::TimedOut => libc::ETIMEDOUT,
                    WaitResult::Interrupted => libc::EINTR,
                }
            }
            _ => futex::wait(&self.seq, seq, deadline, scope),
        };
        if scope == Scope::Shared || r != 0 {
            self.count_out(1, scope);
        }
        let lr = m.relock_after_wait(kind, depth);
        if lr != 0 {
            return lr;
        }
        if r == libc::ETIMEDOUT {
            libc::ETIMEDOUT
        } else {
            0
        }
    }

    /// Takes `n` waiters out of `waiters` — their last touch of the cond
    /// — and wakes a `destroy` waiting for the count to drain.
    fn count_out(&self, n: u32, scope: Scope) {
        let waiters: *const AtomicU32 = &self.waiters;
        if self.waiters.fetch_sub(n, Ordering::SeqCst) == DESTROYING + n {
            // Only the address is used: the cond may be gone already.
            futex::wake(waiters, usize::MAX, scope);
        }
    }

    /// pthread_cond_destroy: returns once every counted waiter is out, so
    /// the memory may be reused at once (a waiter that released the mutex
    /// but had not slept yet when the last broadcast came still reads
    /// `seq`). A cond destroyed with waiters still blocked (undefined)
    /// keeps it waiting, as glibc's.
    pub fn destroy(&self) {
        let scope = self.scope();
        let mut w = self.waiters.fetch_or(DESTROYING, Ordering::SeqCst) | DESTROYING;
        while w != DESTROYING {
            futex::wait(&self.waiters, w, None, scope);
            w = self.waiters.load(Ordering::SeqCst);
        }
    }

    /// pthread_cond_signal (`all` false) and pthread_cond_broadcast.
    pub fn wake(&self, all: bool) {
        if self.waiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        let scope = self.scope();
        let m = self.mutex.load(Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::SeqCst);
        let n = if all { usize::MAX } else { 1 };
        if scope == Scope::Shared {
            futex::wake(&self.seq, n, scope);
            return;
        }
        let mut taken = if morphable(m) { self.morph(m, all) } else { futex::wake(&self.seq, n, scope) };
        if all || taken == 0 {
            taken += lot::wake(self.timed_key(), n, lot::ALL_BITS);
        }
        if taken > 0 {
            self.count_out(taken as u32, scope);
        }
    }

    /// Moves waiters onto `m`'s lock word (see the module docs). Returns
    /// how many were taken off `seq`.
    fn morph(&self, m: *mut Mutex, all: bool) -> usize {
        // SAFETY: a waiter counted in `waiters` published `m` and will
        // lock it again, so it is alive.
        let lock = unsafe { &(*m).lock };
        let from = self.seq.as_ptr() as usize;
        let to = lock.as_ptr() as usize;
        let nmove = if all { usize::MAX } else { 1 };
        // SAFETY: as above.
        let enc = Enc::of(unsafe { (*m).kind.load(Ordering::Relaxed) });
        if let Some(n) = lot::requeue(from, to, 0, nmove, || mark_contended(lock, enc)) {
            return n;
        }
        // The mutex is free: wake one; a broadcast moves the rest behind it.
        let nmove = if all { usize::MAX } else { 0 };
        lot::requeue(from, to, 1, nmove, || true).unwrap_or(0)
    }
}

/// Whether waiters for the mutex at `m` can be moved onto its lock word.
fn morphable(m: *mut Mutex) -> bool {
    if m.is_null() {
        return false;
    }
    // SAFETY: as in `Cond::morph`.
    let kind = unsafe { (*m).kind.load(Ordering::Relaxed) };
    kind & (KIND_ROBUST | KIND_PSHARED) == 0 && kind != -1
}

/// If the (private) mutex is held, sets its waiters bit and returns true.
fn mark_contended(lock: &AtomicU32, enc: Enc) -> bool {
    let mut w = lock.load(Ordering::Relaxed);
    loop {
        if !enc.held(w) {
            return false;
        }
        if w & enc.waiters != 0 {
            return true;
        }
        match lock.compare_exchange_weak(w, w | enc.waiters, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(now) => w = now,
        }
    }
}
