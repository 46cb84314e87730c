//! `pthread_mutex_t`: one 32-bit lock word, glibc's 40-byte layout.
//!
//! Layout (x86_64, as glibc's `struct __pthread_mutex_s`): `lock`@0,
//! `count`@4 (recursion depth), `owner`@8 (holder's tid, for the kinds that
//! check ownership), `nusers`@12 (holder's pid, process-shared only), `kind`@16 (glibc's kind
//! value: type in the low 2 bits, `KIND_ROBUST`, `KIND_PI`, `KIND_PP`,
//! `KIND_PSHARED` flags), `ceiling`@20 (priority ceiling of a PP mutex),
//! `prev`@24/`next`@32 (robust list links, see `mutex_robust`); glibc's
//! elision bits (256, 512) in `kind` are carried and ignored. All zero is
//! PTHREAD_MUTEX_INITIALIZER; the other static initialisers only set `kind`.
//!
//! Lock word protocol (Drepper's "mutex3" with bits, plus robust flags):
//! * a holder part (the bits under `Enc::mask`) and a waiters bit.
//!   Private NORMAL and ADAPTIVE words: the holder's thread id, waiters bit
//!   31 (the owner comes with the lock word's own CAS, so a fork child can
//!   take over a lock whose holder it lost: `take_over`). Other private
//!   words: holder bit 1, waiters bit 2 (their owner is in `owner`).
//!   Process-shared robust
//!   words use the kernel's robust-futex encoding instead — holder = the
//!   holding process's pid, waiters 0x80000000, `DIED` = FUTEX_OWNER_DIED —
//!   so that the kernel marks them when the process dies (`mutex_robust`).
//! * Acquire: CAS a free word to holder (the inline fast path: 0 -> 1), or
//!   to holder|waiters for a thread that has slept (it cannot know whether
//!   others still sleep). A waiter sets the waiters bit before it sleeps on
//!   the word, so an unlock (swap to 0) that sees the bit wakes one waiter
//!   and one that does not wakes nobody. Barging is allowed: a woken waiter
//!   competes with newcomers. Lockers spin briefly before sleeping.
//! * `DIED` (robust only): the holder exited without unlocking. Set by the
//!   exit hook (which frees the word); the next locker takes the lock
//!   keeping `DIED` and gets EOWNERDEAD; `pthread_mutex_consistent`
//!   clears it; an unlock that still sees it stores `NOTREC` for good.
//! * `NOTREC`: not recoverable; every lock attempt fails with
//!   ENOTRECOVERABLE. Only a new `pthread_mutex_init` clears it.
//! * Only the holder changes `owner`, `count` and the robust flags while it
//!   holds the lock (waiters only add the waiters bit), so these need no CAS.
//! * Fork repair: in a fork child, a locker that finds the word held by a
//!   thread that did not survive the fork (`sync::owner_gone`) takes it with
//!   one CAS from that very word, as if the holder had unlocked — or, robust,
//!   had died (EOWNERDEAD). Never for process-shared words.
//!
//! Condition variables move their waiters onto `lock` (wait morphing, see
//! `cond`): such a waiter later acquires with the waiters bit, like any
//! thread that has slept.

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, Ordering};

use super::futex::{self, Scope};
use super::{self_pid, self_tid};
use crate::sys::time;

#[repr(C)]
pub struct Mutex {
    pub lock: AtomicU32,
    pub count: AtomicU32,
    pub owner: AtomicI32,
    pub nusers: AtomicU32,
    pub kind: AtomicI32,
    pub ceiling: AtomicU32,
    pub prev: AtomicPtr<Mutex>,
    pub next: AtomicPtr<Mutex>,
}

const _: () = assert!(core::mem::size_of::<Mutex>() == 40);
const _: () = assert!(core::mem::size_of::<Mutex>() == core::mem::size_of::<libc::pthread_mutex_t>());

/// Private words: the holder bit and the waiters bit.
pub const HELD: u32 = 1;
pub const WAITERS: u32 = 2;
pub const DIED: u32 = 0x4000_0000;
pub const NOTREC: u32 = 0x2000_0000;
/// The kernel's FUTEX_WAITERS (process-shared robust words).
const KERNEL_WAITERS: u32 = 0x8000_0000;

/// How a lock word says that it is held (bits under `mask`) and that
/// someone waits (`waiters`).
#[derive(Clone, Copy)]
pub struct Enc {
    pub waiters: u32,
    pub mask: u32,
}

const PRIVATE_ENC: Enc = Enc { waiters: WAITERS, mask: HELD };
const KERNEL_ENC: Enc = Enc { waiters: KERNEL_WAITERS, mask: !(KERNEL_WAITERS | DIED | NOTREC) };
/// Private NORMAL and ADAPTIVE words: the holder's thread id (`self_tid`,
/// below 2^31), the waiters bit above it. The holder costs no store beyond
/// the lock word's own, and a fork child can tell a lost holder.
const TID_ENC: Enc = Enc { waiters: TID_WAITERS, mask: !TID_WAITERS };
const TID_WAITERS: u32 = 0x8000_0000;

impl Enc {
    /// The encoding of a mutex of `kind`.
    #[inline]
    pub fn of(kind: i32) -> Enc {
        if kind & (KIND_ROBUST | KIND_PSHARED) == KIND_ROBUST | KIND_PSHARED {
            KERNEL_ENC
        } else if kind & KIND_PSHARED == 0 && Mutex::is_plain(kind) {
            TID_ENC
        } else {
            PRIVATE_ENC
        }
    }

    /// Whether the holder part is the holder's thread id.
    #[inline]
    pub fn is_tid(self) -> bool {
        self.mask == TID_ENC.mask
    }

    #[inline]
    pub fn held(self, w: u32) -> bool {
        w & self.mask != 0
    }

    /// The holder part a locker stores: 1, its thread id, or its process's pid.
    fn holder(self) -> u32 {
        if self.is_tid() {
            self_tid() as u32
        } else if self.waiters == KERNEL_WAITERS {
            self_pid()
        } else {
            HELD
        }
    }
}

pub const TYPE_NORMAL: i32 = 0;
pub const TYPE_RECURSIVE: i32 = 1;
pub const TYPE_ERRORCHECK: i32 = 2;
pub const TYPE_ADAPTIVE: i32 = 3;
pub const TYPE_MASK: i32 = 3;
pub const KIND_ROBUST: i32 = 16;
pub const KIND_PI: i32 = 32;
pub const KIND_PP: i32 = 64;
pub const KIND_PSHARED: i32 = 128;
/// The bits that select the behaviour (glibc's PTHREAD_MUTEX_TYPE).
const KIND_BEHAVIOUR: i32 = 127;

/// Rounds a locker spins before it sleeps; round `i` waits `2^i` pauses
/// before re-reading the word (backing off keeps the line with the holder).
const SPIN_ROUNDS: u32 = 7;

/// A lock attempt's time limit, validated only once the caller must wait
/// (glibc takes a free mutex whatever the timespec says).
#[derive(Clone, Copy)]
pub enum Limit {
    Forever,
    Try,
    Until(libc::clockid_t, *const libc::timespec),
}

impl Limit {
    fn deadline(self) -> Result<Option<u64>, c_int> {
        match self {
            Limit::Forever | Limit::Try => Ok(None),
            Limit::Until(clock, ts) => {
                let d = time::abs_deadline(clock, ts)?;
                // SAFETY: abs_deadline checked the pointer.
                if unsafe { (*ts).tv_sec } < 0 {
                    return Err(libc::ETIMEDOUT);
                }
                Ok(Some(d))
            }
        }
    }
}

impl Mutex {
    /// `pthread_mutex_init` with a checked `kind` and priority `ceiling`:
    /// unlocked, no owner, out of every robust list.
    pub fn init(&self, kind: i32, ceiling: u32) {
        self.lock.store(0, Ordering::Relaxed);
        self.count.store(0, Ordering::Relaxed);
        self.owner.store(0, Ordering::Relaxed);
        self.nusers.store(0, Ordering::Relaxed);
        self.ceiling.store(ceiling, Ordering::Relaxed);
        self.prev.store(core::ptr::null_mut(), Ordering::Relaxed);
        self.next.store(core::ptr::null_mut(), Ordering::Relaxed);
        self.kind.store(kind, Ordering::Release);
    }

    /// `pthread_mutex_destroy`: EBUSY while a non-robust one is held; as
    /// glibc, a destroyed mutex has kind -1, and locking it fails (EINVAL).
    pub fn destroy(&self) -> c_int {
        let kind = self.kind.load(Ordering::Relaxed);
        if kind & KIND_ROBUST == 0 && Enc::of(kind).held(self.lock.load(Ordering::Relaxed)) {
            return libc::EBUSY;
        }
        self.kind.store(-1, Ordering::Relaxed);
        0
    }

    /// The priority ceiling of a PTHREAD_PRIO_PROTECT mutex (else EINVAL).
    pub fn ceiling(&self) -> Result<u32, c_int> {
        if self.kind.load(Ordering::Relaxed) & KIND_PP == 0 {
            return Err(libc::EINVAL);
        }
        Ok(self.ceiling.load(Ordering::Relaxed))
    }

    /// Sets the ceiling of a PTHREAD_PRIO_PROTECT mutex to a valid `prio`,
    /// returning the old one. As glibc: the ceiling changes under the lock,
    /// taken unless the caller holds it already (an error-checking one it
    /// holds: EDEADLK).
    pub fn set_ceiling(&self, prio: u32) -> Result<u32, c_int> {
        let kind = self.kind.load(Ordering::Relaxed);
        if kind & KIND_PP == 0 {
            return Err(libc::EINVAL);
        }
        let held = self.held_by_caller();
        if held && kind & TYPE_MASK == TYPE_ERRORCHECK {
            return Err(libc::EDEADLK);
        }
        if !held {
            let r = self.lock(Limit::Forever);
            if r != 0 {
                return Err(r);
            }
        }
        let prev = self.ceiling.swap(prio, Ordering::Relaxed);
        if !held {
            self.unlock();
        }
        Ok(prev)
    }

    #[inline]
    pub fn scope(kind: i32) -> Scope {
        if kind & KIND_PSHARED != 0 {
            Scope::Shared
        } else {
            Scope::Private
        }
    }

    /// True for NORMAL and ADAPTIVE without robust/PI/PP: no owner kept.
    #[inline]
    pub fn is_plain(kind: i32) -> bool {
        let t = kind & KIND_BEHAVIOUR;
        t == TYPE_NORMAL || t == TYPE_ADAPTIVE
    }

    /// pthread_mutex_lock/trylock/timedlock.
    #[inline]
    pub fn lock(&self, limit: Limit) -> c_int {
        let kind = self.kind.load(Ordering::Relaxed);
        if Self::is_plain(kind) {
            // A private word holds its holder's id (see `TID_ENC`).
            let holder = if kind & KIND_PSHARED == 0 { self_tid() as u32 } else { HELD };
            if self.lock.compare_exchange(0, holder, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return 0;
            }
        }
        self.lock_slow(kind, limit, false)
    }

    /// pthread_mutex_unlock.
    #[inline]
    pub fn unlock(&self) -> c_int {
        let kind = self.kind.load(Ordering::Relaxed);
        if Self::is_plain(kind) {
            self.release_plain(kind);
            return 0;
        }
        self.unlock_checked(kind)
    }

    /// Lets go of a plain mutex (no owner field to clear), waking one if
    /// flagged.
    #[inline]
    fn release_plain(&self, kind: i32) {
        let waiters = if kind & KIND_PSHARED == 0 { TID_WAITERS } else { WAITERS };
        if self.lock.swap(0, Ordering::Release) & waiters != 0 {
            futex::wake(&self.lock, 1, Self::scope(kind));
        }
    }

    /// Whether unlocking without holding it is EPERM (glibc's
    /// non-robust NORMAL/ADAPTIVE with PI or PP do not check either).
    fn unlock_checks_owner(kind: i32) -> bool {
        let ty = kind & TYPE_MASK;
        ty == TYPE_RECURSIVE || ty == TYPE_ERRORCHECK || kind & KIND_ROBUST != 0
    }

    /// Every lock attempt but a plain mutex's uncontended one. `waited`:
    /// the caller comes back from a condition wait (it may have been moved
    /// onto this word, so it must acquire with the waiters bit).
    #[cold]
    pub fn lock_slow(&self, kind: i32, limit: Limit, waited: bool) -> c_int {
        let ty = kind & KIND_BEHAVIOUR;
        if !valid_type(ty) {
            return libc::EINVAL;
        }
        let checks_owner = !Self::is_plain(kind);
        let enc = Enc::of(kind);
        let tid = if checks_owner { self_tid() } else { 0 };
        if checks_owner && self.owned_by(kind, tid) {
            match ty & TYPE_MASK {
                TYPE_RECURSIVE => {
                    let c = self.count.load(Ordering::Relaxed);
                    if c == u32::MAX {
                        return libc::EAGAIN;
                    }
                    self.count.store(c + 1, Ordering::Relaxed);
                    return 0;
                }
                TYPE_ERRORCHECK => {
                    return if matches!(limit, Limit::Try) && kind & KIND_ROBUST == 0 { libc::EBUSY } else { libc::EDEADLK };
                }
                _ => {}
            }
        }
        let r = self.acquire(kind, enc, limit, waited);
        if r != 0 && r != libc::EOWNERDEAD {
            return r;
        }
        if checks_owner {
            self.set_owner(kind, tid);
            self.count.store(1, Ordering::Relaxed);
            if kind & KIND_ROBUST != 0 {
                super::mutex_robust::push(self, kind);
            }
        }
        r
    }

    /// Takes the lock word: 0, EOWNERDEAD (taken, `DIED` kept), EBUSY,
    /// ETIMEDOUT, EINVAL (bad timespec), ENOTRECOVERABLE.
    fn acquire(&self, kind: i32, enc: Enc, limit: Limit, waited: bool) -> c_int {
        let scope = Self::scope(kind);
        let holder = enc.holder();
        let mut take = if waited { holder | enc.waiters } else { holder };
        let mut round = 0;
        let mut deadline: Option<Option<u64>> = None;
        loop {
            let w = self.lock.load(Ordering::Relaxed);
            if kind & KIND_ROBUST != 0 && w & NOTREC != 0 {
                return libc::ENOTRECOVERABLE;
            }
            if !enc.held(w) {
                if self.lock.compare_exchange(w, (w & DIED) | take, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return if w & DIED != 0 { libc::EOWNERDEAD } else { 0 };
                }
                continue;
            }
            if let Some(r) = self.take_over(kind, enc, w, take) {
                return r;
            }
            if matches!(limit, Limit::Try) {
                return libc::EBUSY;
            }
            if round < SPIN_ROUNDS {
                for _ in 0..1u32 << round {
                    core::hint::spin_loop();
                }
                round += 1;
                continue;
            }
            let d = match deadline {
                Some(d) => d,
                None => match limit.deadline() {
                    Ok(d) => *deadline.insert(d),
                    Err(e) => return e,
                },
            };
            let sleeping = w | enc.waiters;
            if w != sleeping && self.lock.compare_exchange(w, sleeping, Ordering::Relaxed, Ordering::Relaxed).is_err() {
                continue;
            }
            take = holder | enc.waiters;
            if futex::wait(&self.lock, sleeping, d, scope) == libc::ETIMEDOUT {
                return libc::ETIMEDOUT;
            }
        }
    }

    /// In a fork child, a held word whose holder did not survive the fork
    /// (`super::owner_gone`; never for a process-shared mutex, whose holder
    /// may live in another process) is taken over: Some(0), or
    /// Some(EOWNERDEAD) for a robust one, as POSIX says for a dead owner
    /// (then marked `DIED` until `pthread_mutex_consistent`). None: not so.
    #[cold]
    fn take_over(&self, kind: i32, enc: Enc, w: u32, take: u32) -> Option<c_int> {
        if kind & KIND_PSHARED != 0 {
            return None;
        }
        let owner = if enc.is_tid() { (w & enc.mask) as i32 } else { self.owner.load(Ordering::Relaxed) };
        if !super::owner_gone(owner) {
            return None;
        }
        let robust = kind & KIND_ROBUST != 0;
        let new = (w & enc.waiters) | take | if robust { DIED } else { 0 };
        self.lock.compare_exchange(w, new, Ordering::Acquire, Ordering::Relaxed).ok()?;
        Some(if robust { libc::EOWNERDEAD } else { 0 })
    }

    /// Unlock of the kinds that check ownership (and of robust, PI, PP).
    #[cold]
    fn unlock_checked(&self, kind: i32) -> c_int {
        let ty = kind & KIND_BEHAVIOUR;
        if !valid_type(ty) {
            return libc::EINVAL;
        }
        if !self.held_by_caller() {
            if Self::unlock_checks_owner(kind) {
                return libc::EPERM;
            }
        } else if ty & TYPE_MASK == TYPE_RECURSIVE {
            let c = self.count.load(Ordering::Relaxed);
            if c > 1 {
                self.count.store(c - 1, Ordering::Relaxed);
                return 0;
            }
        }
        self.release(kind);
        0
    }

    /// Lets go of a held lock word (the caller holds it, any count done).
    pub fn release(&self, kind: i32) {
        let scope = Self::scope(kind);
        self.owner.store(0, Ordering::Relaxed);
        self.count.store(0, Ordering::Relaxed);
        if kind & KIND_ROBUST != 0 {
            super::mutex_robust::remove(self, kind);
            if self.lock.load(Ordering::Relaxed) & DIED != 0 {
                // Unlocked while inconsistent: unusable from now on.
                self.lock.store(NOTREC, Ordering::Release);
                futex::wake(&self.lock, usize::MAX, scope);
                return;
            }
        }
        if self.lock.swap(0, Ordering::Release) & Enc::of(kind).waiters != 0 {
            futex::wake(&self.lock, 1, scope);
        }
    }

    /// A condition wait lets go of the mutex entirely, whatever its
    /// recursion depth; returns the depth to restore, or EPERM for a kind
    /// that checks ownership when the caller does not hold it.
    pub fn unlock_for_wait(&self, kind: i32) -> Result<u32, c_int> {
        if Self::is_plain(kind) {
            self.release_plain(kind);
            return Ok(0);
        }
        if !valid_type(kind & KIND_BEHAVIOUR) {
            return Err(libc::EINVAL);
        }
        if Self::unlock_checks_owner(kind) && !self.held_by_caller() {
            return Err(libc::EPERM);
        }
        let depth = self.count.load(Ordering::Relaxed);
        self.release(kind);
        Ok(depth)
    }

    /// Takes the mutex back after a condition wait (as a waiter: the wait
    /// may have moved the caller onto the lock word) and restores `depth`.
    pub fn relock_after_wait(&self, kind: i32, depth: u32) -> c_int {
        let r = self.lock_slow(kind, Limit::Forever, true);
        if (r == 0 || r == libc::EOWNERDEAD) && depth > 1 {
            self.count.store(depth, Ordering::Relaxed);
        }
        r
    }

    /// pthread_mutex_consistent.
    pub fn consistent(&self) -> c_int {
        let kind = self.kind.load(Ordering::Relaxed);
        let w = self.lock.load(Ordering::Relaxed);
        if kind & KIND_ROBUST == 0 || w & DIED == 0 || !Enc::of(kind).held(w) {
            return libc::EINVAL;
        }
        self.set_owner(kind, self_tid());
        self.lock.fetch_and(!DIED, Ordering::Relaxed);
        0
    }

    /// Whether the caller holds it (for the kinds that record an owner).
    pub fn held_by_caller(&self) -> bool {
        self.owned_by(self.kind.load(Ordering::Relaxed), self_tid())
    }

    /// Records the caller (thread `tid`) as the holder.
    fn set_owner(&self, kind: i32, tid: i32) {
        if kind & KIND_PSHARED != 0 {
            self.nusers.store(self_pid(), Ordering::Relaxed);
        }
        self.owner.store(tid, Ordering::Release);
    }

    /// Whether thread `tid` of this process holds it. Thread ids are only
    /// unique within a process (user threads' synthetic ones repeat across
    /// processes, and a fork child keeps its parent's), so a
    /// process-shared mutex also records the holder's pid (in `nusers`).
    /// (`set_owner` writes the pid before the tid: whoever reads its own
    /// tid in `owner` then reads the holder's pid, never a stale one.)
    fn owned_by(&self, kind: i32, tid: i32) -> bool {
        Enc::of(kind).held(self.lock.load(Ordering::Relaxed))
            && self.owner.load(Ordering::Acquire) == tid
            && (kind & KIND_PSHARED == 0 || self.nusers.load(Ordering::Relaxed) == self_pid())
    }
}

/// glibc's valid PTHREAD_MUTEX_TYPE values: a type, optionally robust,
/// PI, PI+robust or PP.
fn valid_type(ty: i32) -> bool {
    matches!(ty & !TYPE_MASK, 0 | KIND_ROBUST | KIND_PI | 48 | KIND_PP)
}
