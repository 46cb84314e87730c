//! Bound threads: a user thread with a kernel thread of its own.
//!
//! A bound thread runs on a carrier that runs nothing else and that the
//! thread never leaves: a thread created with `PTHREAD_SCOPE_SYSTEM` or a
//! CPU mask, one that pins itself (`pthread_setaffinity_np`), or one that
//! changes state the kernel keeps per kernel thread (`unshare`, a real-time
//! policy, ...: the abi layer binds before it makes such a call, as Go's
//! `LockOSThread`). It blocks its own kernel thread in any call, seen or
//! unseen, and stops nobody else; the kernel schedules it.
//!
//! A bound carrier is a slot of the carrier array in state [`BOUND`] (not a
//! carrier of the pool: the monitor, the idle protocol and stealing look
//! only at [`ACTIVE`] ones). `UThread::bound` names it; `ready` hands the
//! thread to it instead of a run queue; `find_next` gives it nothing, so
//! when its thread parks it goes to its idle context, where [`work`] waits
//! for the thread alone.
//!
//! Binding.
//! * A running thread binds itself ([`bind_current`]): its carrier leaves
//!   the pool (becomes `BOUND`), after a spare of the pool is running in
//!   its place (revived or new, as the monitor's rescue does, so the pool
//!   keeps its size even with `MNTHREAD_MAX_CARRIERS=1`); then the threads
//!   queued on it go to the global queue.
//! * A new thread ([`spawn_bound`]), before it first runs, gets a carrier
//!   whose thread ended (`BOUND_IDLE`, revived) or a new slot and kernel
//!   thread.
//! * A thread whose mask another thread set binds itself when it next
//!   resumes from a park ([`take_pending`]).
//!
//! Hand-off to the bound carrier ([`ready`] / [`wait_thread`]): the waker
//! stores the thread in `bound_next`, then swaps `sleep_word` to `AWAKE`
//! and futex-wakes only if it was `SLEEPING`; the carrier stores `SLEEPING`,
//! looks at `bound_next` once more, and only then waits. SeqCst on both
//! sides: either the carrier's last look sees the thread, or the waker sees
//! `SLEEPING`.
//!
//! Unbinding. A bound thread that ends ([`release_on_exit`]) leaves its
//! carrier `BOUND_IDLE`: it sleeps on `spare_word` until a new bound thread
//! takes it (CAS `BOUND_IDLE` → `BOUND`, then the word set and woken), so
//! bound kernel threads are reused as glibc reuses stacks. In a fork child
//! the surviving thread is unbound: its carrier is the child's pool.
//!
//! Invariants: a `BOUND` carrier runs only the thread whose `bound` names
//! it; a bound thread is never in a run queue; the pool's slot count
//! changes only under the slot lock.
//!
//! Alternatives rejected: carriers per CPU for pinned threads (a pinned
//! thread that blocks in an unseen call would still stop its CPU's other
//! threads, and per-thread kernel state could not be kept apart); giving a
//! bound thread's carrier other work while its thread parks (the thread's
//! kernel state and CPU mask would apply to them).

use core::sync::atomic::Ordering;

use super::{add_carrier, count_pool, current_user, global, idle, spawn, start_pool_spare, Carrier, ACTIVE, BOUND, BOUND_IDLE, DEAD, DYING};
use crate::mem::uthread::{CpuMask, UThread};
use crate::sys::lock::Locked;
use crate::sys::raw;

/// `sleep_word` values of a bound carrier.
const AWAKE: u32 = 0;
const SLEEPING: u32 = 2;

fn carrier_of(addr: usize) -> &'static Carrier {
    // SAFETY: `bound` holds the address of a carrier slot, never freed.
    unsafe { &*(addr as *const Carrier) }
}

/// Whether user thread `t` is bound.
pub fn is_bound(t: *mut UThread) -> bool {
    // SAFETY: descriptors are type-stable.
    unsafe { (*t).bound.load(Ordering::Acquire) != 0 }
}

/// The kernel thread id of bound thread `t` (None: not bound, or its
/// kernel thread has not started yet).
pub fn kernel_tid(t: *mut UThread) -> Option<i32> {
    // SAFETY: descriptors are type-stable.
    let addr = unsafe { (*t).bound.load(Ordering::Acquire) };
    (addr != 0).then(|| carrier_of(addr).tid.load(Ordering::Acquire)).filter(|&tid| tid > 0)
}

/// Binds the calling user thread to the carrier it runs on (a no-op for a
/// bound thread and for a kernel thread off the carriers, which has its
/// own already). `Err(EAGAIN)` if no carrier could take this one's place
/// in the pool.
pub fn bind_current() -> Result<(), i32> {
    let Some((c, t)) = current_user() else { return Ok(()) };
    // Every caller is about to change the kernel thread's own state.
    c.tainted.store(true, Ordering::Relaxed);
    if is_bound(t) {
        return Ok(());
    }
    count_pool(true);
    // A carrier the monitor replaced already has its spare running.
    if !c.replaced.swap(false, Ordering::AcqRel) && !start_pool_spare() {
        count_pool(false);
        return Err(libc::EAGAIN);
    }
    c.sleep_word.store(AWAKE, Ordering::Relaxed);
    c.state.store(BOUND, Ordering::SeqCst);
    // SAFETY: the caller's own descriptor.
    unsafe { (*t).bound.store(c as *const Carrier as usize, Ordering::Release) };
    // From here on `ready` sends nothing to this carrier: hand on what was
    // queued here.
    let next = c.runnext.swap(core::ptr::null_mut(), Ordering::AcqRel);
    let mut moved = 0;
    for q in core::iter::once(next).filter(|q| !q.is_null()).chain(core::iter::from_fn(|| c.runq.pop())) {
        global::push(q);
        moved += 1;
    }
    if moved > 0 {
        idle::notify();
    }
    Ok(())
}

/// Gives `t`, a new thread not yet runnable, a bound carrier of its own.
/// `Err(EAGAIN)` when no kernel thread could be had.
pub fn spawn_bound(t: *mut UThread) -> Result<(), i32> {
    let all = super::carriers();
    let claim = |from: u8| all.iter().find(|c| c.state.compare_exchange(from, BOUND, Ordering::AcqRel, Ordering::Relaxed).is_ok());
    let revived = claim(BOUND_IDLE);
    let c = match revived {
        Some(c) => c,
        None => {
            let c = match claim(DEAD) {
                Some(c) => {
                    c.reset_for_reuse();
                    c
                }
                None => add_carrier(BOUND).ok_or(libc::EAGAIN)?,
            };
            if !spawn(c) {
                return Err(libc::EAGAIN);
            }
            c
        }
    };
    // SAFETY: `t` is not runnable yet: its creator alone touches it.
    unsafe { (*t).bound.store(c as *const Carrier as usize, Ordering::Release) };
    if revived.is_some() {
        c.spare_word.store(1, Ordering::Release);
        raw::futex_wake(&c.spare_word, 1);
    }
    Ok(())
}

/// Makes bound thread `t` runnable on its carrier (`addr`): see the module
/// docs.
pub(super) fn ready(t: *mut UThread, addr: usize) {
    let c = carrier_of(addr);
    c.bound_next.store(t, Ordering::SeqCst);
    if c.sleep_word.swap(AWAKE, Ordering::SeqCst) == SLEEPING {
        raw::futex_wake(&c.sleep_word, 1);
    }
}

/// What an idle carrier does next.
pub(super) enum Work {
    /// Run this (bound) thread.
    Run(*mut UThread),
    /// End the kernel thread (its bound thread changed its state, ended).
    End,
    /// Look for work as a carrier of the pool.
    Pool,
}

/// What an idle bound carrier runs: its thread, once runnable; a carrier
/// whose thread ended sleeps until it is given another, or ends.
pub(super) fn work(c: &Carrier) -> Work {
    loop {
        match c.state.load(Ordering::Acquire) {
            BOUND => return Work::Run(wait_thread(c)),
            BOUND_IDLE => {
                while c.spare_word.load(Ordering::Acquire) == 0 && c.state.load(Ordering::Acquire) == BOUND_IDLE {
                    raw::futex_wait(&c.spare_word, 0, None);
                }
            }
            DYING => return Work::End,
            _ => return Work::Pool,
        }
    }
}

/// The kernel thread of `c`, a `DYING` carrier, no longer uses its slot.
pub fn slot_freed(c: &Carrier) {
    // Its id may soon name another kernel thread: nobody must signal it.
    c.tid.store(0, Ordering::Release);
    c.state.store(DEAD, Ordering::Release);
}

fn wait_thread(c: &Carrier) -> *mut UThread {
    loop {
        let t = c.bound_next.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !t.is_null() {
            return t;
        }
        c.sleep_word.store(SLEEPING, Ordering::SeqCst);
        let t = c.bound_next.swap(core::ptr::null_mut(), Ordering::SeqCst);
        if !t.is_null() {
            c.sleep_word.store(AWAKE, Ordering::Relaxed);
            return t;
        }
        raw::futex_wait(&c.sleep_word, SLEEPING, None);
    }
}

/// The calling bound thread `t` ends: its carrier becomes `BOUND_IDLE`
/// once it switches away. Returns whether `t` was bound (then it must
/// switch to its idle context, not hand its carrier to another thread).
pub fn release_on_exit(t: *mut UThread) -> bool {
    // SAFETY: the caller's own descriptor.
    let tr = unsafe { &*t };
    drop_pending(t);
    let addr = tr.bound.swap(0, Ordering::AcqRel);
    if addr == 0 {
        return false;
    }
    let c = carrier_of(addr);
    c.spare_word.store(0, Ordering::Relaxed);
    // A kernel thread whose own state the thread changed serves nobody else.
    let next = if c.tainted.load(Ordering::Relaxed) { DYING } else { BOUND_IDLE };
    c.state.store(next, Ordering::SeqCst);
    true
}

/// In a fork child, on the surviving carrier `c`: it becomes the child's
/// pool, and its thread (the forker) is bound no more.
pub(super) fn unbind_in_child(c: &Carrier) {
    if matches!(c.state.load(Ordering::Relaxed), BOUND | BOUND_IDLE) {
        let t = c.current.load(Ordering::Relaxed);
        if !t.is_null() {
            // SAFETY: the child's only thread, the caller.
            unsafe { (*t).bound.store(0, Ordering::Relaxed) };
        }
        c.bound_next.store(core::ptr::null_mut(), Ordering::Relaxed);
        c.state.store(ACTIVE, Ordering::Relaxed);
    }
}

/// Guards the masks left for threads: taking one out of a descriptor and
/// reading one happen under it, so a reader never sees a mask freed (all
/// rare: the owner's fast path is one load of its own `affinity`).
static PENDING: Locked<()> = Locked::new(());

/// Swaps the mask left for `t` with `new` (null: none) under [`PENDING`];
/// the old one is the caller's.
fn swap_pending(t: *mut UThread, new: *mut CpuMask) -> Option<Box<CpuMask>> {
    // SAFETY: descriptors are type-stable.
    let old = PENDING.with(|_| unsafe { (*t).affinity.swap(new, Ordering::AcqRel) });
    // SAFETY: masks are boxed by `set_pending`; the swap made this one ours.
    (!old.is_null()).then(|| unsafe { Box::from_raw(old) })
}

/// Leaves `mask` for thread `t` (not the caller, not bound): `t` binds
/// itself to it when it next resumes from a park ([`take_pending`]).
pub fn set_pending(t: *mut UThread, mask: CpuMask) {
    drop(swap_pending(t, Box::into_raw(Box::new(mask))));
}

/// A copy of the mask left for `t`, if any.
pub fn pending(t: *mut UThread) -> Option<Vec<u8>> {
    // SAFETY: descriptors are type-stable; under PENDING nobody frees the mask.
    PENDING.with(|_| unsafe { (*t).affinity.load(Ordering::Acquire).as_ref().map(|m| m.bytes.clone()) })
}

fn drop_pending(t: *mut UThread) {
    // SAFETY: the caller's own descriptor.
    if !unsafe { (*t).affinity.load(Ordering::Relaxed) }.is_null() {
        drop(swap_pending(t, core::ptr::null_mut()));
    }
}

/// The calling thread `t` resumes: if a mask was left for it, it binds
/// itself and takes the mask (an error the kernel gives now is dropped:
/// the setter checked the mask against the process's CPUs).
#[inline]
pub fn take_pending(t: *mut UThread) {
    // SAFETY: the caller's own descriptor.
    if !unsafe { (*t).affinity.load(Ordering::Relaxed) }.is_null() {
        bind_to_pending(t);
    }
}

#[cold]
fn bind_to_pending(t: *mut UThread) {
    let Some(mask) = swap_pending(t, core::ptr::null_mut()) else { return };
    if bind_current().is_ok() {
        set_kernel_affinity(0, &mask.bytes);
    }
}

/// `sched_setaffinity` of kernel thread `tid` (0: the caller's): 0 or an
/// errno value.
pub fn set_kernel_affinity(tid: i32, bytes: &[u8]) -> i32 {
    // SAFETY: the kernel reads `bytes.len()` bytes.
    let r = unsafe { raw::syscall3(libc::SYS_sched_setaffinity, tid as usize, bytes.len(), bytes.as_ptr() as usize) };
    if r < 0 {
        -r as i32
    } else {
        0
    }
}

/// Another thread changes bound thread `t`'s kernel thread state (its CPU
/// mask): that kernel thread ends with `t`.
pub fn taint(t: *mut UThread) {
    // SAFETY: descriptors are type-stable.
    let addr = unsafe { (*t).bound.load(Ordering::Acquire) };
    if addr != 0 {
        carrier_of(addr).tainted.store(true, Ordering::Relaxed);
    }
}
