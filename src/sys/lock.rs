//! `RawLock`: the runtime's internal lock, for short critical sections only.
//!
//! Protocol (Drepper's "futexes are tricky", mutex #2): the word is 0 free,
//! 1 locked, 2 locked with possible sleepers. Lock spins briefly, then sets 2
//! and futex-waits; unlock swaps to 0 and wakes one sleeper if it saw 2.
//!
//! Invariant: never held across a context switch or a call into user code,
//! so a holder is always running on some kernel thread and the wait is short.
//! It blocks the *kernel* thread, which is why it must stay that short.
//!
//! # The fork gate
//! A fork must copy the process at an instant when no other kernel thread
//! holds a runtime lock (the child would inherit it held by a thread it
//! does not have, and the data under it half changed). So every lock
//! counts how many locks its context holds, and a forker closes the gate:
//! * The depth of a *marked* context — a user thread's TCB, a carrier's own
//!   TCB — lives in its TCB, in glibc's unused `unused_vgetcpu_cache[0]`
//!   (`%fs:0x38`; `%fs:0x40` holds the mark): an unlocked add, private to
//!   the context. Every other context (helper threads, threads mnthread did
//!   not create) counts in one shared word, [`UNMARKED_DEPTH`].
//! * `lock` raises the depth, then looks at the gate, and only then touches
//!   the lock word. If the gate is closed and this is the context's
//!   outermost lock and the context is not the forker's, it lowers the depth
//!   and waits for the gate to open, holding nothing. Nested locks go on
//!   (their context must finish), and so does a lock taken before the gate
//!   closed, even when it has to wait for its holder.
//! * The forker closes the gate ([`close_fork_gate`]), then waits until
//!   every context it can see through the carriers, and the shared word,
//!   hold nothing ([`context_depth`], [`unmarked_depth`]): from then on no
//!   other context holds or can take a lock, and it forks. The forker holds
//!   no runtime lock while it waits (a waiter would wait for it, counted).
//! * Dekker's protocol, with the heavy half on the forker's side: the
//!   acquirer's depth store must be visible before its gate load, or the
//!   forker's gate store before its depth loads. The forker's
//!   `membarrier(PRIVATE_EXPEDITED)` runs a full barrier on every CPU that
//!   runs one of our threads, so the acquirer needs none: its store and load
//!   are ordered by that barrier or come after it. Where the kernel refuses
//!   membarrier, every lock fences instead ([`init`]).
//!
//! A context switches with depth 0 (the invariant above), so a carrier's
//! locks are counted in its own TCB or in the one of the user thread it
//! runs now.
//!
//! Rejected: counting in the shared word only (a write to one cache line
//! by every lock of every carrier), and a fence in every lock (a few ns on
//! paths that take several locks per park).

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// `%fs` offsets of the lock depth and the mark in a TCB (glibc 2.36's
/// `tcbhead_t.unused_vgetcpu_cache`, which nothing reads or writes).
const DEPTH_OFF: usize = 0x38;
const MARK_OFF: usize = 0x40;
/// "mnthrd\0\x01": a context whose depth lives in its TCB.
const MARK: u64 = 0x0100_6472_6874_6e6d;

/// Lock depth of the contexts that are not marked.
static UNMARKED_DEPTH: AtomicU64 = AtomicU64::new(0);
/// Whether the forker's membarrier stands for the acquirers' fences.
static ASYMMETRIC: AtomicBool = AtomicBool::new(false);
/// 0 open; 1 closed by a forker.
static FORK_GATE: AtomicU32 = AtomicU32::new(0);
/// The forker's contexts (its own TCB, and the one it forks on), which
/// pass a closed gate.
static FORKER_TP: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

#[inline(always)]
fn marked() -> bool {
    let m: u64;
    // SAFETY: %fs points at a valid TCB; reading its word at MARK_OFF.
    unsafe { core::arch::asm!("mov {}, qword ptr fs:[0x40]", out(reg) m, options(nostack, readonly, preserves_flags)) };
    m == MARK
}

#[inline(always)]
fn depth_up() {
    if marked() {
        // SAFETY: a marked TCB's depth word is this context's alone.
        unsafe { core::arch::asm!("add qword ptr fs:[0x38], 1", options(nostack)) };
    } else {
        UNMARKED_DEPTH.fetch_add(1, Ordering::SeqCst);
    }
}

#[inline(always)]
fn depth_down() {
    if marked() {
        // SAFETY: as in `depth_up`.
        unsafe { core::arch::asm!("sub qword ptr fs:[0x38], 1", options(nostack)) };
    } else {
        UNMARKED_DEPTH.fetch_sub(1, Ordering::Release);
    }
}

/// This context's own depth, when it is marked (else the shared one's:
/// then "outermost" cannot be told, and the lock is taken as outermost
/// when the shared depth is 1).
fn own_depth() -> u64 {
    if marked() {
        let d: u64;
        // SAFETY: as in `depth_up`.
        unsafe { core::arch::asm!("mov {}, qword ptr fs:[0x38]", out(reg) d, options(nostack, readonly, preserves_flags)) };
        d
    } else {
        UNMARKED_DEPTH.load(Ordering::Relaxed)
    }
}

fn self_tp() -> usize {
    let tp: usize;
    // SAFETY: %fs always points at a valid TCB whose `self` field is at 16.
    unsafe { core::arch::asm!("mov {}, qword ptr fs:[16]", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    tp
}

/// Marks the TCB at `tp` (a user thread's, or a carrier's own, before it
/// takes any lock): its lock depth lives in it from now on.
///
/// # Safety
/// `tp` is a TCB of glibc's layout that no context holding a lock uses.
pub unsafe fn mark_context(tp: usize) {
    // SAFETY: per the contract.
    unsafe {
        *((tp + DEPTH_OFF) as *mut u64) = 0;
        *((tp + MARK_OFF) as *mut u64) = MARK;
    }
}

/// Takes the mark off the TCB at `tp` (its kernel thread ends, and glibc
/// may give the memory to a thread of its own).
///
/// # Safety
/// As [`mark_context`].
pub unsafe fn unmark_context(tp: usize) {
    // SAFETY: per the contract.
    unsafe { *((tp + MARK_OFF) as *mut u64) = 0 };
}

/// How many locks the context of TCB `tp` holds (0 for a TCB not marked:
/// its locks count in [`unmarked_depth`]).
pub fn context_depth(tp: usize) -> u64 {
    // SAFETY: `tp` is a live TCB (the caller's contract); both words are
    // read as atomics (the owner writes them with plain stores).
    unsafe {
        if (*((tp + MARK_OFF) as *const AtomicU64)).load(Ordering::Relaxed) != MARK {
            return 0;
        }
        (*((tp + DEPTH_OFF) as *const AtomicU64)).load(Ordering::Acquire)
    }
}

/// How many locks contexts that are not marked hold.
pub fn unmarked_depth() -> u64 {
    UNMARKED_DEPTH.load(Ordering::Acquire)
}

/// Closes the fork gate for the forker, whose contexts are `tps`; waits
/// while another forker has it closed.
pub fn close_fork_gate(tps: [usize; 2]) {
    loop {
        if FORK_GATE.swap(1, Ordering::SeqCst) == 0 {
            break;
        }
        // Another fork is in progress: it may be the one we wait for.
        while FORK_GATE.load(Ordering::Acquire) == 1 {
            raw::futex_wait(&FORK_GATE, 1, None);
        }
    }
    FORKER_TP[0].store(tps[0], Ordering::Relaxed);
    FORKER_TP[1].store(tps[1], Ordering::Relaxed);
    core::sync::atomic::fence(Ordering::SeqCst);
    if ASYMMETRIC.load(Ordering::Relaxed) {
        // SAFETY: no pointer arguments.
        if unsafe { raw::syscall3(libc::SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) } != 0 {
            crate::sys::fatal::die(&["fork: membarrier failed after it was registered"]);
        }
    }
}

const MEMBARRIER_CMD_PRIVATE_EXPEDITED: usize = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: usize = 1 << 4;

/// Registers for the forker's membarrier, so locks need no fence (see "The
/// fork gate"). Called once, while the process has only one thread.
pub fn init() {
    // SAFETY: no pointer arguments.
    let ok = unsafe { raw::syscall3(libc::SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) } == 0;
    ASYMMETRIC.store(ok, Ordering::Relaxed);
}

/// Opens the gate again (the forker, in the parent and in the child).
pub fn open_fork_gate() {
    FORKER_TP[0].store(0, Ordering::Relaxed);
    FORKER_TP[1].store(0, Ordering::Relaxed);
    FORK_GATE.store(0, Ordering::SeqCst);
    raw::futex_wake(&FORK_GATE, i32::MAX as u32);
}

/// In a fork child: the shared word may have been copied raised by a
/// context that was about to stop at the gate; the forker, the one context
/// left, holds no lock counted there by now.
///
/// # Safety
/// Only one thread may exist in the process, holding no unmarked lock.
pub unsafe fn fork_child_reset() {
    UNMARKED_DEPTH.store(0, Ordering::Relaxed);
}

/// Whether a closed gate must stop this context's outermost lock.
#[cold]
fn stopped_by_gate() -> bool {
    if own_depth() != 1 {
        return false;
    }
    let tp = self_tp();
    FORK_GATE.load(Ordering::SeqCst) == 1 && FORKER_TP.iter().all(|f| f.load(Ordering::Relaxed) != tp)
}

/// A kernel thread whose TCB a forker may read (a carrier's) ends: it has
/// just cleared the pointer through which a forker finds that TCB, and
/// waits here while a fork is in progress, so the TCB outlives a forker's
/// look at it. Dekker again: either the forker sees the pointer cleared,
/// or this load sees the gate closed.
pub fn leave_before_fork() {
    order_before_gate_load();
    wait_for_gate();
}

/// The acquirer's half of the Dekker with the forker: a store of ours
/// (depth, idle pointer) before the following gate load. Only a compiler
/// fence when the forker's membarrier stands for the CPU's.
#[inline(always)]
fn order_before_gate_load() {
    if ASYMMETRIC.load(Ordering::Relaxed) {
        core::sync::atomic::compiler_fence(Ordering::SeqCst);
    } else {
        core::sync::atomic::fence(Ordering::SeqCst);
    }
}

#[cold]
fn wait_for_gate() {
    while FORK_GATE.load(Ordering::Acquire) == 1 {
        raw::futex_wait(&FORK_GATE, 1, None);
    }
}

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
        loop {
            depth_up();
            order_before_gate_load();
            if FORK_GATE.load(Ordering::Relaxed) == 0 || !stopped_by_gate() {
                break;
            }
            depth_down();
            wait_for_gate();
        }
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
    fn release(&self) {
        if self.word.swap(0, Ordering::Release) == 2 {
            raw::futex_wake(&self.word, 1);
        }
    }

    #[inline]
    fn unlock(&self) {
        self.release();
        depth_down();
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
