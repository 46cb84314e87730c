//! The thread descriptor: what a `pthread_t` points at, as plain data.
//!
//! Every layer above keeps its per-thread state here (the scheduler its
//! saved context and queue link, the park layer its state word, the thread
//! layer its join word, keys, cleanup buffers and robust list), but this
//! module names no type of theirs: like musl's `struct pthread`, the
//! descriptor is data at the bottom, and each layer interprets its fields.
//! Descriptors live in the type-stable [`SLAB`]: never unmapped, so a stale
//! `*mut UThread` always reads a descriptor (its states tell what it is).
//!
//! Lifecycle word `join_state`:
//! `JOINABLE -> EXITED` (finished, not detached; the joiner reaps it),
//! `JOINABLE -> DETACHED -> (reaped at exit)`, `EXITED -> reaped by detach`.
//! `FREE` marks a reaped descriptor, so a late join/detach gets ESRCH.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::mem::slab::Slab;
use crate::mem::stack::Stack;
use crate::sys::lock::RawLock;
use crate::sys::real::StartRoutine;

/// Keys a process may have (`PTHREAD_KEYS_MAX`).
pub const KEYS_MAX: usize = 1024;
/// Key values held inline in the descriptor (and per extra block).
pub const KEY_BLOCK: usize = 32;

pub const JOINABLE: u32 = 0;
pub const DETACHED: u32 = 1;
pub const EXITED: u32 = 2;
pub const FREE: u32 = 3;

/// (A zeroed slab object reads as `User`: the slab hands out zeroes.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum Kind {
    User = 0,
    Main,
    Foreign,
}

/// A suspended context: its saved stack pointer and its thread pointer.
/// Must stay the first field of `UThread` (the switch stores through it).
#[repr(C)]
pub struct Context {
    pub sp: usize,
    pub tp: usize,
}

/// Scheduling attributes, as given and reported (not enforced on carriers).
#[derive(Clone, Copy)]
pub struct SchedInfo {
    pub policy: i32,
    pub priority: i32,
}

#[repr(C, align(16))]
pub struct UThread {
    pub ctx: Context,
    /// Park protocol word (see `park`).
    pub park_state: AtomicU32,
    /// Bumped when a park with a deadline ends (see `sched::timer`).
    pub park_ticket: AtomicU64,
    /// Link in the global run queue.
    pub next: *mut UThread,
    pub kind: Kind,
    pub join_state: AtomicU32,
    /// The thread waiting in join for this one (null if none), and the
    /// `park::Waiter` it sleeps on (taken by whoever wakes it: see `lifecycle`).
    pub joiner: AtomicPtr<UThread>,
    pub join_waiter: AtomicPtr<c_void>,
    pub start: Option<StartRoutine>,
    pub arg: *mut c_void,
    pub retval: *mut c_void,
    pub stack: Stack,
    /// Scheduling attributes, set and read by any thread.
    pub sched: AtomicSched,
    /// `pthread_setname_np`'s name (NUL-padded).
    pub name: ThreadName,
    /// Link in the free pool.
    pub free_next: *mut UThread,
    pub keys: KeyData,
    /// Innermost `pthread_cleanup_push` buffer (see `unwind`).
    pub cleanup: *mut CleanupBuf,
    /// The exception object of a `pthread_exit` in progress.
    pub unwind_exc: UnwindException,
    /// Robust mutexes this thread holds: the first `sync::mutex::Mutex` of
    /// the list `sync::mutex_robust` keeps.
    pub robust: *mut c_void,
    /// Signal mask, pending signals and what a wait was interrupted by
    /// (the signal layer's; the park layer reads `interrupted`).
    pub sig: SignalData,
    /// Cancellation state, the `CANCEL_*` bits (the cancel layer's).
    pub cancel: AtomicU32,
    /// The thread is inside a cancellation point (written and read only by
    /// the thread itself).
    pub in_cancel_point: core::sync::atomic::AtomicBool,
    /// Time-stamp counter ticks the thread has run on carriers (written by
    /// the carrier running it as it switches away; `sched::cputime`).
    pub cpu_ticks: AtomicU64,
    /// CPU time, in ns, the thread had before mnthread ran it (the main
    /// thread's, when the runtime adopts it; else 0).
    pub cpu_before_ns: AtomicU64,
    /// The carrier this thread is bound to (its kernel thread of its own,
    /// `sched::bound`), as an address; 0 while it runs M:N.
    pub bound: AtomicUsize,
    /// A CPU mask another thread set for this unbound thread
    /// (`pthread_setaffinity_np`): it binds itself to it when it next
    /// resumes (`sched::bound::take_pending`); null if none.
    pub affinity: AtomicPtr<CpuMask>,
}

/// A CPU mask as the kernel takes it (`cpu_set_t`, any size), from the
/// runtime's heap.
pub struct CpuMask {
    pub bytes: Vec<u8>,
}

/// A user thread's signal state. Sets are the kernel's layout (bit `n - 1`
/// for signal `n`).
#[repr(C)]
pub struct SignalData {
    /// The thread's signal mask (`pthread_sigmask`).
    pub mask: AtomicU64,
    /// Signals pending for this thread; their siginfos are in `queue`.
    pub pending: AtomicU64,
    /// The set a `sigwait`-family call of this thread waits for (0: none).
    pub waiting: AtomicU64,
    /// `INTR_*` bits: what ran since the current interruptible wait began.
    pub interrupted: AtomicU32,
    /// Guards `queue`.
    pub lock: RawLock,
    /// Pending siginfos, oldest first.
    pub queue: *mut PendingSignal,
    /// `sigaltstack`: base and size (size 0: none), and whether disabled.
    pub altstack_base: usize,
    pub altstack_size: usize,
}

/// One queued signal (allocated by the signal layer, `Box`ed).
pub struct PendingSignal {
    pub info: libc::siginfo_t,
    /// Sent to the process and given to this thread by routing (else sent
    /// to the thread): if the thread blocks it or ends before it is
    /// delivered, it is routed again.
    pub for_process: bool,
    pub next: *mut PendingSignal,
}

impl SignalData {
    /// Drops every queued signal (the thread ends): blocks everything first,
    /// so nothing routes more to it.
    pub fn discard_all(&mut self) {
        self.mask.store(!0, Ordering::SeqCst);
        let _g = self.lock.lock();
        let mut n = core::mem::replace(&mut self.queue, core::ptr::null_mut());
        while !n.is_null() {
            // SAFETY: queued nodes are `Box`es owned by the list.
            let b = unsafe { Box::from_raw(n) };
            n = b.next;
        }
        self.pending.store(0, Ordering::SeqCst);
    }
}

/// `SignalData::interrupted`: a handler ran during the wait.
pub const INTR_HANDLER: u32 = 1;
/// ... and one of them was installed without SA_RESTART.
pub const INTR_NO_RESTART: u32 = 2;
/// The thread is to act on a cancellation request.
pub const INTR_CANCEL: u32 = 4;
/// A signal the thread waits for in `sigwait` came.
pub const INTR_WAITED: u32 = 8;

/// `UThread::cancel` bits. A request acts when it is the only one of
/// `REQUESTED | DISABLED | ACTING` set.
pub const CANCEL_REQUESTED: u32 = 1;
pub const CANCEL_DISABLED: u32 = 2;
pub const CANCEL_ASYNC: u32 = 4;
/// The thread is unwinding for its cancellation (it acts once).
pub const CANCEL_ACTING: u32 = 8;

pub static SLAB: Slab<UThread> = Slab::new();

#[derive(Clone, Copy)]
#[repr(C)]
pub struct KeyEntry {
    pub seq: usize,
    pub value: *mut c_void,
}

/// A thread's values of `pthread_key_*` keys (logic in the thread layer's
/// `key`): the first `KEY_KEY_BLOCK` inline, the rest in blocks made on first use.
#[repr(C)]
pub struct KeyData {
    /// Whether any value was ever set (lets exit skip the key table).
    pub used: bool,
    pub first: [KeyEntry; KEY_BLOCK],
    pub rest: [*mut [KeyEntry; KEY_BLOCK]; KEYS_MAX / KEY_BLOCK - 1],
}

/// `struct _Unwind_Exception` (unwind.h): 16-byte aligned.
#[repr(C, align(16))]
pub struct UnwindException {
    pub class: u64,
    pub cleanup: Option<unsafe extern "C" fn(c_int, *mut UnwindException)>,
    pub private: [usize; 2],
}

/// `__pthread_unwind_buf_t` as glibc's cleanup macros lay it out: a
/// `__jmp_buf`, `__mask_was_saved`, then four words free for the
/// implementation; the first links to the next outer buffer.
#[repr(C)]
pub struct CleanupBuf {
    pub jmp: [usize; 8],
    pub mask_was_saved: c_int,
    pub prev: *mut CleanupBuf,
    pub pad: [*mut c_void; 3],
}

/// A thread's name, read and written by any thread: a sequence lock over
/// two words (odd `seq`: a writer is storing), so a reader never sees half
/// of one name and half of another, and a writer never waits on a reader.
#[repr(C)]
pub struct ThreadName {
    seq: AtomicU32,
    words: [AtomicU64; 2],
}

impl ThreadName {
    pub fn set(&self, name: [u8; 16]) {
        let mut s = self.seq.load(Ordering::Relaxed);
        loop {
            // Take the odd state from an even one (one writer at a time).
            if s.is_multiple_of(2) {
                match self.seq.compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => break,
                    Err(now) => s = now,
                }
            } else {
                core::hint::spin_loop();
                s = self.seq.load(Ordering::Relaxed);
            }
        }
        core::sync::atomic::fence(Ordering::Release);
        self.words[0].store(u64::from_ne_bytes(name[..8].try_into().unwrap()), Ordering::Relaxed);
        self.words[1].store(u64::from_ne_bytes(name[8..].try_into().unwrap()), Ordering::Relaxed);
        self.seq.store(s + 2, Ordering::Release);
    }

    pub fn get(&self) -> [u8; 16] {
        loop {
            let s = self.seq.load(Ordering::Acquire);
            if !s.is_multiple_of(2) {
                core::hint::spin_loop();
                continue;
            }
            let (lo, hi) = (self.words[0].load(Ordering::Relaxed), self.words[1].load(Ordering::Relaxed));
            core::sync::atomic::fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) == s {
                let mut n = [0u8; 16];
                n[..8].copy_from_slice(&lo.to_ne_bytes());
                n[8..].copy_from_slice(&hi.to_ne_bytes());
                return n;
            }
        }
    }
}

/// A [`SchedInfo`] in one word, so `pthread_setschedparam` from another
/// thread never leaves a policy with the wrong priority visible.
#[repr(C)]
pub struct AtomicSched(AtomicU64);

impl AtomicSched {
    pub fn get(&self) -> SchedInfo {
        let v = self.0.load(Ordering::Relaxed);
        SchedInfo { policy: (v >> 32) as i32, priority: v as u32 as i32 }
    }

    pub fn set(&self, s: SchedInfo) {
        self.0.store(((s.policy as u32 as u64) << 32) | s.priority as u32 as u64, Ordering::Relaxed);
    }

    /// Sets the priority only if the policy is still `policy`; false if it
    /// changed meanwhile.
    pub fn set_priority(&self, policy: i32, priority: i32) -> bool {
        let old = self.0.load(Ordering::Relaxed);
        (old >> 32) as i32 == policy && self.0.compare_exchange(old, ((policy as u32 as u64) << 32) | priority as u32 as u64, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}
