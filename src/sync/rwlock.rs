//! Reader-writer locks in glibc's 56-byte `pthread_rwlock_t`.
//!
//! Layout (offsets as glibc's `struct __pthread_rwlock_arch_t`):
//! * `state` @0 (glibc's `__readers`/`__writers`, one 64-bit word): the
//!   whole lock state, so every acquire and release is one atomic RMW:
//!   - bits 0..32: readers holding the lock (at most [`MAX_READERS`],
//!     glibc's limit; one more is EAGAIN);
//!   - bit 32 [`WRITER`]: write-locked;
//!   - bit 33 [`READERS_WAITING`]: some reader may sleep on `reader_seq`;
//!   - bits 34..64: the number of writers registered to wait (sleeping on
//!     `writer_seq` or about to).
//! * `writer_seq` @8, `reader_seq` @12: futex words writers and readers
//!   sleep on. A waker bumps the sequence after changing `state`, then
//!   wakes; a sleeper reads the sequence, re-checks `state`, and sleeps
//!   only while the sequence is unchanged: no wake-up is lost, and waking
//!   readers never disturbs writers (nor the reverse).
//! * `writer_pid` @20 (glibc's `__pad4`): for process-shared locks, the pid
//!   of the writing process (tids of user threads are unique only within a
//!   process).
//! * `cur_writer` @24: the writer's tid ([`self_tid`]) while write-locked,
//!   0 otherwise, as in glibc; only for EDEADLK.
//! * `shared` @28: the pshared attribute (0 private, 1 shared), as glibc.
//! * `flags` @48: the kind, as glibc (0 prefer reader, 1 prefer writer —
//!   which glibc treats as prefer reader — 2 writer non-recursive).
//!
//! All zero (PTHREAD_RWLOCK_INITIALIZER) is an unlocked private
//! reader-preferring lock; the writer non-recursive initialiser only sets
//! `flags`.
//!
//! Fork repair: in a fork child, a private lock write-held by a thread the
//! child does not have (`cur_writer`, `sync::owner_gone`) loses that hold
//! at the next attempt to lock it (`drop_lost_writer`). Read holds are only
//! counted, so a lost reader's hold stays.
//!
//! Policy. Reader-preferring kinds: a reader enters whenever no writer
//! holds the lock (so recursive readers never deadlock behind a waiting
//! writer). Writer non-recursive: a reader also stays out while any writer
//! waits, so writers cannot starve. A writer enters when nobody holds the
//! lock. When the lock becomes free of its writer, waiting readers are woken
//! (all of them) unless the kind prefers a waiting writer, in which case
//! one writer is woken; the last reader out wakes one writer.
//!
//! Invariants: a sleeping reader has READERS_WAITING set in a state that
//! blocks it (every transition that unblocks readers reads the flag in the
//! same RMW and wakes them if it was set); a sleeping writer is counted
//! and every release that leaves no holder while writers are counted bumps
//! `writer_seq` and wakes one. A writer that times out removes its count
//! and, if that unblocks readers, wakes them. Stale READERS_WAITING bits
//! (a reader timed out) only cost an empty wake-up.

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use super::futex::{self, Scope};
use super::{self_pid, self_tid};

// glibc's kinds: 0 prefer reader, 1 prefer writer (which glibc, and so
// mnthread, treats as prefer reader), 2 writer non-recursive.
pub const KIND_PREFER_READER: u32 = 0;
pub const KIND_WRITER_NONRECURSIVE: u32 = 2;

/// glibc's reader limit: one more reader gets EAGAIN.
pub const MAX_READERS: u64 = (1 << 28) - 1;

const READER: u64 = 1;
const READERS_MASK: u64 = (1 << 32) - 1;
const WRITER: u64 = 1 << 32;
const READERS_WAITING: u64 = 1 << 33;
const WRITER_WAITING: u64 = 1 << 34;
const WRITERS_WAITING_MASK: u64 = !((1 << 34) - 1);

/// Busy re-checks before a waiter sleeps: short critical sections end
/// before a park would.
const SPINS: u32 = 40;

#[repr(C)]
pub struct RwLock {
    state: AtomicU64,
    writer_seq: AtomicU32,
    reader_seq: AtomicU32,
    _pad3: u32,
    writer_pid: AtomicI32,
    cur_writer: AtomicI32,
    shared: AtomicI32,
    _elision: [u8; 8],
    _pad2: u64,
    flags: AtomicU32,
    _pad_end: u32,
}

const _: () = assert!(core::mem::size_of::<RwLock>() == 56);
const _: () = assert!(core::mem::size_of::<RwLock>() == core::mem::size_of::<libc::pthread_rwlock_t>());

fn readers(s: u64) -> u64 {
    s & READERS_MASK
}

impl RwLock {
    /// An unlocked lock of `kind`.
    pub const fn new(kind: u32, shared: bool) -> RwLock {
        RwLock {
            state: AtomicU64::new(0),
            writer_seq: AtomicU32::new(0),
            reader_seq: AtomicU32::new(0),
            _pad3: 0,
            writer_pid: AtomicI32::new(0),
            cur_writer: AtomicI32::new(0),
            shared: AtomicI32::new(shared as i32),
            _elision: [0; 8],
            _pad2: 0,
            flags: AtomicU32::new(kind),
            _pad_end: 0,
        }
    }

    fn scope(&self) -> Scope {
        if self.shared.load(Ordering::Relaxed) != 0 {
            Scope::Shared
        } else {
            Scope::Private
        }
    }

    fn prefers_writers(&self) -> bool {
        self.flags.load(Ordering::Relaxed) == KIND_WRITER_NONRECURSIVE
    }

    fn read_blocked(s: u64, prefer_writers: bool) -> bool {
        s & WRITER != 0 || (prefer_writers && s & WRITERS_WAITING_MASK != 0)
    }

    /// Whether the caller holds the write lock (only it can have stored
    /// its own id in `cur_writer`).
    fn written_by_me(&self) -> bool {
        if self.cur_writer.load(Ordering::Relaxed) != self_tid() {
            return false;
        }
        self.scope() == Scope::Private || self.writer_pid.load(Ordering::Relaxed) == self_pid() as i32
    }

    fn set_writer(&self) {
        if self.scope() == Scope::Shared {
            self.writer_pid.store(self_pid() as i32, Ordering::Relaxed);
        }
        self.cur_writer.store(self_tid(), Ordering::Relaxed);
    }

    /// In a fork child, a write hold of a thread the child does not have is
    /// dropped (private locks only: `super::owner_gone`), so the caller's
    /// attempt goes on as if that writer had unlocked; whether it was.
    /// (`cur_writer` names the writer only while it holds: it is stored
    /// after the lock is taken and cleared before it is let go.)
    #[cold]
    fn drop_lost_writer(&self, s: u64) -> bool {
        if s & WRITER == 0 || self.scope() != Scope::Private || !super::owner_gone(self.cur_writer.load(Ordering::Relaxed)) {
            return false;
        }
        if self.state.compare_exchange(s, s & !WRITER, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return false;
        }
        self.cur_writer.store(0, Ordering::Relaxed);
        true
    }

    /// pthread_rwlock_tryrdlock: 0, EBUSY or EAGAIN.
    #[inline]
    pub fn try_read(&self) -> c_int {
        let prefer_writers = self.prefers_writers();
        let mut s = self.state.load(Ordering::Relaxed);
        loop {
            if Self::read_blocked(s, prefer_writers) {
                if self.drop_lost_writer(s) {
                    s = self.state.load(Ordering::Relaxed);
                    continue;
                }
                return libc::EBUSY;
            }
            if readers(s) == MAX_READERS {
                return libc::EAGAIN;
            }
            match self.state.compare_exchange_weak(s, s + READER, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => return 0,
                Err(now) => s = now,
            }
        }
    }

    /// Read-locks, waiting until `deadline` (monotonic ns; `None`: for
    /// ever). 0, EDEADLK, EAGAIN or ETIMEDOUT.
    #[inline]
    pub fn read(&self, deadline: Option<u64>) -> c_int {
        match self.try_read() {
            libc::EBUSY => self.read_slow(deadline),
            r => r,
        }
    }

    #[cold]
    fn read_slow(&self, deadline: Option<u64>) -> c_int {
        if self.written_by_me() {
            return libc::EDEADLK;
        }
        let prefer_writers = self.prefers_writers();
        let scope = self.scope();
        let mut spins = SPINS;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if !Self::read_blocked(s, prefer_writers) {
                if readers(s) == MAX_READERS {
                    return libc::EAGAIN;
                }
                if self.state.compare_exchange_weak(s, s + READER, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    return 0;
                }
                continue;
            }
            if self.drop_lost_writer(s) {
                continue;
            }
            if spins > 0 {
                spins -= 1;
                core::hint::spin_loop();
                continue;
            }
            if s & READERS_WAITING == 0
                && self.state.compare_exchange_weak(s, s | READERS_WAITING, Ordering::SeqCst, Ordering::Relaxed).is_err()
            {
                continue;
            }
            let seq = self.reader_seq.load(Ordering::SeqCst);
            let s = self.state.load(Ordering::SeqCst);
            if !Self::read_blocked(s, prefer_writers) || s & READERS_WAITING == 0 {
                continue;
            }
            if futex::wait(&self.reader_seq, seq, deadline, scope) == libc::ETIMEDOUT {
                return libc::ETIMEDOUT;
            }
        }
    }

    /// pthread_rwlock_trywrlock: 0 or EBUSY.
    #[inline]
    pub fn try_write(&self) -> c_int {
        let mut s = self.state.load(Ordering::Relaxed);
        if self.drop_lost_writer(s) {
            s = self.state.load(Ordering::Relaxed);
        }
        if s & (WRITER | READERS_MASK) != 0 {
            return libc::EBUSY;
        }
        match self.state.compare_exchange(s, s | WRITER, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => {
                self.set_writer();
                0
            }
            Err(_) => libc::EBUSY,
        }
    }

    /// Write-locks, waiting until `deadline`. 0, EDEADLK or ETIMEDOUT.
    #[inline]
    pub fn write(&self, deadline: Option<u64>) -> c_int {
        if self.state.compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            self.set_writer();
            return 0;
        }
        self.write_slow(deadline)
    }

    #[cold]
    fn write_slow(&self, deadline: Option<u64>) -> c_int {
        if self.written_by_me() {
            return libc::EDEADLK;
        }
        let scope = self.scope();
        let mut registered = false;
        let mut spins = SPINS;
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & (WRITER | READERS_MASK) == 0 {
                let new = if registered { (s | WRITER) - WRITER_WAITING } else { s | WRITER };
                if self.state.compare_exchange_weak(s, new, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                    self.set_writer();
                    return 0;
                }
                continue;
            }
            if self.drop_lost_writer(s) {
                continue;
            }
            if !registered {
                if spins > 0 {
                    spins -= 1;
                    core::hint::spin_loop();
                    continue;
                }
                if self.state.compare_exchange_weak(s, s + WRITER_WAITING, Ordering::SeqCst, Ordering::Relaxed).is_ok() {
                    registered = true;
                }
                continue;
            }
            let seq = self.writer_seq.load(Ordering::SeqCst);
            if self.state.load(Ordering::SeqCst) & (WRITER | READERS_MASK) == 0 {
                continue;
            }
            if futex::wait(&self.writer_seq, seq, deadline, scope) == libc::ETIMEDOUT {
                self.writer_gives_up();
                return libc::ETIMEDOUT;
            }
        }
    }

    /// A registered writer leaves without the lock: uncount it and, if it
    /// was what kept readers out, let them in.
    #[cold]
    fn writer_gives_up(&self) {
        let now = self.state.fetch_sub(WRITER_WAITING, Ordering::SeqCst) - WRITER_WAITING;
        if now & READERS_WAITING != 0 && now & (WRITER | WRITERS_WAITING_MASK) == 0 {
            self.wake_waiters();
        }
    }

    /// pthread_rwlock_unlock: releases the caller's read or write hold.
    /// Unlocking an unlocked lock is undefined; as glibc, it returns 0.
    #[inline]
    pub fn unlock(&self) -> c_int {
        let s = self.state.load(Ordering::Relaxed);
        if s & WRITER != 0 {
            self.cur_writer.store(0, Ordering::Relaxed);
            if s == WRITER && self.state.compare_exchange(WRITER, 0, Ordering::Release, Ordering::Relaxed).is_ok() {
                return 0;
            }
            let old = self.state.fetch_and(!WRITER, Ordering::SeqCst);
            if old & (READERS_WAITING | WRITERS_WAITING_MASK) != 0 {
                self.wake_waiters();
            }
        } else if readers(s) != 0 {
            let old = self.state.fetch_sub(READER, Ordering::SeqCst);
            if readers(old) == 1 && old & (READERS_WAITING | WRITERS_WAITING_MASK) != 0 {
                self.wake_waiters();
            }
        }
        0
    }

    /// Wakes whoever the state lets in now: the readers, unless the kind
    /// prefers a waiting writer; else one writer if nobody holds the lock.
    #[cold]
    fn wake_waiters(&self) {
        let prefer_writers = self.prefers_writers();
        let scope = self.scope();
        loop {
            let s = self.state.load(Ordering::SeqCst);
            if s & WRITER != 0 {
                return; // its unlock wakes
            }
            let writers = s & WRITERS_WAITING_MASK != 0;
            if s & READERS_WAITING != 0 && !(prefer_writers && writers) {
                if self.state.compare_exchange_weak(s, s & !READERS_WAITING, Ordering::SeqCst, Ordering::Relaxed).is_err() {
                    continue;
                }
                self.reader_seq.fetch_add(1, Ordering::SeqCst);
                let woken = futex::wake(&self.reader_seq, usize::MAX, scope);
                // Woken readers pass the duty on at their unlock.
                if woken > 0 || !writers || readers(s) != 0 {
                    return;
                }
            } else if !writers || readers(s) != 0 {
                return; // the last reader out wakes the writer
            }
            self.writer_seq.fetch_add(1, Ordering::SeqCst);
            futex::wake(&self.writer_seq, 1, scope);
            return;
        }
    }
}
