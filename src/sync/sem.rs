//! Counting semaphores (`sem_t`) in glibc 2.36's x86_64 layout, so that a
//! process-shared or named semaphore works between a process running
//! mnthread and one running plain glibc.
//!
//! Layout (32 bytes, `struct new_sem` followed by padding):
//! * `data: u64` — the value in the low 32 bits (the futex word: on x86_64
//!   those are the first four bytes), the number of registered waiters in
//!   the high 32 bits. Both change together with one 64-bit atomic, so a
//!   post can add a token and learn whether anyone may be asleep at once.
//! * `private: i32` — glibc's lowlevellock convention, which reads inverted:
//!   0 (LLL_PRIVATE) for a process-private semaphore (waits park in the
//!   lot; also what a zeroed sem_t is), `FUTEX_PRIVATE_FLAG` (LLL_SHARED,
//!   the bit glibc XORs into its futex op) for a process-shared one (kernel
//!   futex, shared key). Checked against glibc 2.36: sem_init(s, 1, v) and
//!   a sem_open file both hold 128 there.
//!
//! Protocol (glibc's, which a foreign process follows too):
//! * post: CAS the value up by one (EOVERFLOW at `VALUE_MAX`), release
//!   order; if the waiter count it replaced was non-zero, wake one waiter of
//!   the value word. Nothing of the semaphore is read after the CAS but
//!   `private`, read before it: a waiter may destroy it as soon as it got
//!   the token.
//! * wait: take a token with a CAS if the value is non-zero (acquire).
//!   Otherwise register as a waiter (+1 in the high half), then loop: while
//!   the value is 0, futex-wait for it to change; when it is non-zero, CAS
//!   away one token *and* the registration together. A waiter that timed
//!   out or was interrupted by a signal (EINTR) withdraws its registration.
//!
//! No wake-up is lost: a waiter is registered before it checks the value,
//! and the futex (emulated or real) re-checks the value under its own lock,
//! so a post either sees the registration and wakes, or its token is seen.
//! A private semaphore's waiters are in the lot, never in the kernel: every
//! wake of one goes through [`futex::wake`] with `Scope::Private`.

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use super::futex::{self, Scope};

/// `SEM_VALUE_MAX`.
pub const VALUE_MAX: u32 = i32::MAX as u32;

const VALUE_MASK: u64 = 0xffff_ffff;
/// One registered waiter in `data`.
const WAITER: u64 = 1 << 32;
/// `private` of a process-shared semaphore (LLL_SHARED).
const SHARED: i32 = libc::FUTEX_PRIVATE_FLAG;

#[repr(C)]
pub struct Sem {
    data: AtomicU64,
    private: AtomicI32,
    pad: [u8; 20],
}

const _: () = assert!(core::mem::size_of::<Sem>() == core::mem::size_of::<libc::sem_t>());

impl Sem {
    /// Sets the semaphore up (sem_init); `value` is at most `VALUE_MAX`.
    pub fn init(&self, pshared: bool, value: u32) {
        self.data.store(value as u64, Ordering::Relaxed);
        self.private.store(if pshared { SHARED } else { 0 }, Ordering::Release);
    }

    /// The value a named semaphore's file starts with: shared, no waiters.
    pub fn initial_bytes(value: u32) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&(value as u64).to_ne_bytes());
        b[8..12].copy_from_slice(&SHARED.to_ne_bytes());
        b
    }

    fn scope(&self) -> Scope {
        if self.private.load(Ordering::Relaxed) == 0 {
            Scope::Private
        } else {
            Scope::Shared
        }
    }

    /// The low half of `data`: the futex word a foreign glibc waits on.
    fn value_word(&self) -> &AtomicU32 {
        // SAFETY: the first four bytes of the (8-aligned) u64 are its low
        // half on little-endian x86_64, and are only accessed atomically.
        unsafe { &*(self.data.as_ptr() as *const AtomicU32) }
    }

    pub fn value(&self) -> u32 {
        (self.data.load(Ordering::Relaxed) & VALUE_MASK) as u32
    }

    /// Takes a token if one is there (sem_trywait's whole job).
    pub fn try_take(&self) -> bool {
        let mut d = self.data.load(Ordering::Relaxed);
        while d & VALUE_MASK != 0 {
            match self.data.compare_exchange_weak(d, d - 1, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(cur) => d = cur,
            }
        }
        false
    }

    /// Takes a token, waiting for one until `deadline` (monotonic ns).
    /// `Err(ETIMEDOUT)` when the deadline passed first.
    pub fn take(&self, deadline: Option<u64>) -> Result<(), c_int> {
        if self.try_take() {
            return Ok(());
        }
        let scope = self.scope();
        let mut d = self.data.fetch_add(WAITER, Ordering::Relaxed) + WAITER;
        loop {
            if d & VALUE_MASK == 0 {
                let r = self.wait_zero(scope, deadline);
                if r == libc::ETIMEDOUT || r == libc::EINTR {
                    self.data.fetch_sub(WAITER, Ordering::Relaxed);
                    return Err(r);
                }
                d = self.data.load(Ordering::Relaxed);
            } else {
                match self.data.compare_exchange_weak(d, d - 1 - WAITER, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => return Ok(()),
                    Err(cur) => d = cur,
                }
            }
        }
    }

    /// Sleeps while the value is 0 (0 woken or spurious, EAGAIN, ETIMEDOUT,
    /// EINTR). A signal handler (or a cancellation) interrupts the sleep of
    /// a kernel thread and of a parked user thread alike, so sem_wait
    /// reports EINTR as glibc's does.
    fn wait_zero(&self, scope: Scope, deadline: Option<u64>) -> c_int {
        futex::wait(self.value_word(), 0, deadline, scope)
    }

    /// Adds a token and wakes a waiter if one may be asleep.
    /// `Err(EOVERFLOW)` when the value is already `VALUE_MAX`.
    pub fn post(&self) -> Result<(), c_int> {
        let scope = self.scope();
        let word = self.value_word() as *const AtomicU32;
        let mut d = self.data.load(Ordering::Relaxed);
        loop {
            if d & VALUE_MASK == VALUE_MAX as u64 {
                return Err(libc::EOVERFLOW);
            }
            match self.data.compare_exchange_weak(d, d + 1, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => break,
                Err(cur) => d = cur,
            }
        }
        if d >> 32 != 0 {
            futex::wake(word, 1, scope);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(pshared: bool, value: u32) -> Sem {
        let s = Sem { data: AtomicU64::new(!0), private: AtomicI32::new(-1), pad: [0; 20] };
        s.init(pshared, value);
        s
    }

    #[test]
    fn layout_matches_glibc() {
        let s = new(true, 3);
        // SAFETY: reading our own 32-byte object as words.
        let words = unsafe { &*(&s as *const Sem as *const [u32; 8]) };
        assert_eq!(words[..3], [3, 0, 128]);
        assert_eq!(Sem::initial_bytes(3)[..12], [3, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0]);
        assert_eq!(new(false, 0).private.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn tokens_and_overflow() {
        let s = new(false, 1);
        assert!(s.try_take());
        assert!(!s.try_take());
        assert_eq!(s.post(), Ok(()));
        assert_eq!(s.take(None), Ok(()));
        assert_eq!(s.take(Some(0)), Err(libc::ETIMEDOUT));
        assert_eq!(s.data.load(Ordering::Relaxed), 0, "a timed-out waiter left its registration");
        let full = new(false, VALUE_MAX);
        assert_eq!(full.post(), Err(libc::EOVERFLOW));
        assert_eq!(full.value(), VALUE_MAX);
    }
}
