//! The fork protocol, from any thread, before the runtime starts or after.
//!
//! A fork runs the prepare handlers, glibc's fork, then the parent or child
//! handlers — the handlers on the calling thread in its own context (a user
//! thread may park in them). `_Fork`, `vfork`, `posix_spawn` and `system`
//! stay glibc's and run no handlers, as in glibc.
//!
//! glibc's fork walks its thread lists through THREAD_SELF, which in a user
//! thread's TCB is not a list node: the child would crash. So
//! from a user thread the call runs on the carrier's own glibc TCB, borrowed
//! from its idle context (suspended while a user thread runs, and nothing
//! switches during the call), and errno is carried back to the user
//! thread's TCB.
//!
//! # Quiesce: the fork gate
//! The kernel copies memory as it is at the instant of the fork, so no
//! other kernel thread may be inside a runtime critical section then: the
//! child would inherit a runtime lock held by a thread it does not have,
//! and the data under it half changed. The forker closes `sys::lock`'s fork
//! gate and waits until every carrier's running context, and the contexts
//! that are not marked, hold no runtime lock; from then on another kernel
//! thread that wants one waits at the gate, holding none, until the forker
//! opens it again (in the parent and in the child, right after the fork).
//! Nothing else stops: a carrier keeps running its user thread's own code,
//! and a thread blocked in the kernel stays there. The order in the forker:
//! 1. the prepare handlers (they may park, and take any lock);
//! 2. stdio's list lock, which glibc's fork takes too: taken here first,
//!    since a thread that holds it may be one the gate stops next;
//! 3. the gate, then the wait for the others' locks to go (the forker holds
//!    no runtime lock meanwhile: one that waits for it would be counted);
//! 4. the handler registry's lock (the gate lets the forker through), held
//!    across glibc's fork, then glibc's fork;
//! 5. both processes open the gate; the parent lets stdio's lock go (glibc
//!    resets it in the child).
//!
//! The wait is bounded: a runtime lock is held for a short, bounded
//! section (`sys::lock`'s invariant), so a fork that still waits after 10 s
//! reports it and aborts rather than hang.
//!
//! # The child
//! Only the calling thread survives, on its carrier: the run queues,
//! deadlines and wait lists of the parent's other threads are dropped, and
//! that one carrier runs whatever the child creates, with a fresh monitor
//! and signal router; the child handlers run after that repair. A program
//! lock (mutex, rwlock) held at the fork by a thread the child does not have
//! is taken over by the child's next attempt to lock it
//! (`sync::note_fork_child`; `MNTHREAD_FORK_REPAIR=0`: not).

use core::sync::atomic::Ordering;

use crate::arch;
use crate::fork::atfork;
use crate::sched;
use crate::sys::real::real;
use crate::sys::{errno, lock, raw, time};

/// `fork()`: prepare handlers, the quiesced fork with the registry held,
/// the child's repair, then the parent or child handlers.
pub fn fork() -> libc::pid_t {
    let snap = atfork::prepare();
    let pid = glibc_fork();
    if pid == 0 {
        atfork::after(snap, true);
    } else {
        // The parent handlers may set errno; a failed fork reports its own.
        let err = errno::get();
        atfork::after(snap, false);
        if pid < 0 {
            errno::set(err);
        }
    }
    pid
}

/// glibc's fork on a glibc TCB, at an instant no other thread holds a
/// runtime lock (see the module docs), and the child's repair.
fn glibc_fork() -> libc::pid_t {
    // The forker's id as its locks record it (a kernel thread's changes in
    // the child).
    let forker = crate::sync::self_tid();
    let user = sched::current_user();
    let user_tp = arch::thread_pointer();
    // SAFETY: a user thread's carrier has its idle context suspended, its
    // TCB unused while the thread runs.
    let fork_tp = user.map_or(user_tp, |(c, _)| unsafe { (*c.idle.get()).tp });
    let mine = user.map(|(c, _)| c.id);
    // SAFETY: `fork_tp` is this kernel thread's to use (see above); the user
    // TCB is restored before returning, in both processes, and before any
    // runtime lock is taken or let go (its depth is counted in the TCB).
    let (pid, err, held) = unsafe {
        arch::set_thread_pointer(fork_tp);
        (real().io_list_lock)();
        arch::set_thread_pointer(user_tp);
        quiesce([user_tp, fork_tp], mine);
        let held = atfork::hold();
        arch::set_thread_pointer(fork_tp);
        let pid = (real().fork)();
        let err = errno::get();
        if pid != 0 {
            // In the child glibc has reset it.
            (real().io_list_unlock)();
        }
        arch::set_thread_pointer(user_tp);
        (pid, err, held)
    };
    drop(held);
    if pid != 0 {
        lock::open_fork_gate();
        if pid < 0 {
            errno::set(err);
        }
        return pid;
    }
    // The child: only this thread exists, and no lock is held by another.
    // SAFETY: as said.
    unsafe { lock::fork_child_reset() };
    lock::open_fork_gate();
    if user.is_some() {
        // Only this thread lives on in the child (the forget calls'
        // contract): forget the others' queues, waits and offload workers.
        // SAFETY: as said.
        unsafe {
            sched::forget_parent_threads();
            crate::park::lot::forget_all();
            crate::park::offload::forget_all();
            crate::io::poller::forget_in_child();
        }
        crate::thread::runtime::LIVE.store(1, Ordering::Relaxed);
        sched::monitor::restart_in_child();
        // SAFETY: as said.
        unsafe { crate::signal::route::restart_in_child() };
    }
    crate::sync::note_fork_child(forker, crate::mem::tcb::next_tid());
    pid
}

/// Longest a fork waits for another thread to let its runtime locks go.
const QUIESCE_LIMIT_NS: u64 = 10_000_000_000;

/// Closes the fork gate for the forker (contexts `tps`, carrier `mine`),
/// then waits until no other context holds a runtime lock: those that
/// hold one finish their short critical section, and none takes a new one
/// (`sys::lock`). Every carrier's current context is looked at (a context
/// switches holding none), and the shared count of the others.
fn quiesce(tps: [usize; 2], mine: Option<usize>) {
    lock::close_fork_gate(tps);
    let holds_lock = |c: &sched::Carrier| {
        if Some(c.id) == mine || matches!(c.state.load(Ordering::Acquire), sched::GONE | sched::DEAD) {
            return false;
        }
        // Its idle context and the user thread it runs (a carrier may take
        // a lock on its own TCB just before or after a switch).
        // SAFETY: descriptors are type-stable; the idle context's TCB is
        // written before that carrier takes any lock, and cleared before
        // its kernel thread ends, which then waits for the gate to open
        // (`lock::leave_before_fork`): a TCB read here is alive.
        let idle = unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*c.idle.get()).tp)) };
        let cur = c.current.load(Ordering::Acquire);
        // SAFETY: as said.
        let user = if cur.is_null() { 0 } else { unsafe { (*cur).ctx.tp } };
        [idle, user].iter().any(|&tp| tp != 0 && lock::context_depth(tp) != 0)
    };
    let since = time::now();
    while lock::unmarked_depth() != 0 || sched::carriers().iter().any(holds_lock) {
        if time::now() - since > QUIESCE_LIMIT_NS {
            crate::sys::fatal::die(&["fork: another thread kept a runtime lock for 10 s"]);
        }
        raw::sched_yield();
    }
}
