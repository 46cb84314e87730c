//! Thread descriptors' pool: reaped user threads kept for reuse.
//!
//! Every thread mnthread knows has a descriptor (`mem::uthread`):
//! * `User` threads it created (own stack, own TCB, run by carriers);
//! * the `Main` thread, which becomes a user thread when the runtime starts
//!   and keeps the process stack and glibc's main TCB;
//! * `Foreign` kernel threads it did not create (glibc's helper threads,
//!   threads of `clone`, a caller before the runtime starts) that call in:
//!   they get a descriptor on first need, found again by their TCB address,
//!   and released by a thread-exit hook glibc runs for them.
//!
//! A reaped user thread's descriptor keeps its TCB and (default-size) stack
//! in the pool, so the next create reuses all three.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::mem::stack::Stack;
use crate::mem::uthread::{Kind, UThread, FREE, SLAB};
use crate::sys::lock::Locked;

/// Reaped user-thread descriptors, each still owning its TCB and, when it
/// had a default-size stack, that stack (reused with it).
struct Pool {
    head: *mut UThread,
    len: usize,
}

// SAFETY: pointers are only followed under the lock.
unsafe impl Send for Pool {}

static POOL: Locked<Pool> = Locked::new(Pool { head: core::ptr::null_mut(), len: 0 });

/// Pooled descriptors beyond this many give their stack's pages back.
const POOL_WARM: usize = 256;

/// A descriptor from the pool (with a TCB) or a fresh one (`ctx.tp == 0`).
/// `None` when memory runs out.
pub fn take() -> Option<*mut UThread> {
    let pooled = POOL.with(|p| {
        let t = p.head;
        if !t.is_null() {
            // SAFETY: pooled descriptors are ours under the lock.
            p.head = unsafe { (*t).free_next };
            p.len -= 1;
        }
        t
    });
    if !pooled.is_null() {
        return Some(pooled);
    }
    SLAB.alloc()
}

/// Returns a reaped user thread's descriptor for reuse, with its stack if
/// that is an arena slot (beyond the first `POOL_WARM`, the slot's pages go
/// back to the kernel first: a racing `take` may reuse it at once).
pub fn give_back(t: *mut UThread) {
    use crate::mem::stack::{self, StackKind};
    // SAFETY: `t` has been reaped: nothing runs on it or refers to it any more.
    unsafe {
        crate::thread::key::release(&mut (*t).keys);
        if (*t).stack.kind == StackKind::Arena {
            if POOL.with(|p| p.len >= POOL_WARM) {
                stack::discard(&(*t).stack);
            }
        } else {
            stack::release(&(*t).stack);
            (*t).stack = Stack::NONE;
        }
        (*t).join_state.store(FREE, Ordering::Release);
    }
    POOL.with(|p| {
        // SAFETY: as above.
        unsafe { (*t).free_next = p.head };
        p.head = t;
        p.len += 1;
    });
}

/// The process name (what a new kernel thread would be called), read once.
pub fn process_name() -> [u8; 16] {
    static NAME: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
    let (lo, hi) = (NAME[0].load(Ordering::Relaxed), NAME[1].load(Ordering::Relaxed));
    let mut n = [0u8; 16];
    if lo != 0 {
        n[..8].copy_from_slice(&lo.to_ne_bytes());
        n[8..].copy_from_slice(&hi.to_ne_bytes());
        return n;
    }
    // SAFETY: PR_GET_NAME writes at most 16 bytes including the NUL.
    unsafe { libc::prctl(libc::PR_GET_NAME, n.as_mut_ptr()) };
    NAME[1].store(u64::from_ne_bytes(n[8..].try_into().unwrap()), Ordering::Relaxed);
    NAME[0].store(u64::from_ne_bytes(n[..8].try_into().unwrap()), Ordering::Relaxed);
    n
}

/// Iterates every user TCB mnthread owns (live and pooled).
pub fn for_each_owned_tcb(mut f: impl FnMut(usize)) {
    SLAB.for_each(|t| {
        // SAFETY: slab objects are descriptors or zeroes.
        let t = unsafe { &*t };
        if t.kind == Kind::User && t.ctx.tp != 0 {
            f(t.ctx.tp);
        }
    });
}
