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
//! In the child only the calling thread survives, on its carrier: the run
//! queues, deadlines and wait lists of the parent's other threads are
//! dropped, and that one carrier runs whatever the child creates; the child
//! handlers run after that repair. A program lock (mutex) held at the fork
//! by a thread the child does not have is taken over by the child's next
//! attempt to lock it (`sync::note_fork_child`, `MNTHREAD_FORK_REPAIR=0`:
//! not). Not done yet (the fork milestone):
//! stopping the other carriers at a safe point before forking — a runtime
//! lock one of them held at that instant stays held in the child — and
//! restarting further carriers in the child.

use crate::arch;
use crate::fork::atfork;
use crate::sched;
use crate::sys::errno;
use crate::sys::real::real;

/// `fork()`: prepare handlers, glibc's fork with the registry held, the
/// child's repair, then the parent or child handlers.
pub fn fork() -> libc::pid_t {
    let snap = atfork::prepare();
    let pid = {
        let _held = atfork::hold();
        glibc_fork()
    };
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

/// glibc's fork on a glibc TCB, and the child's repair.
fn glibc_fork() -> libc::pid_t {
    // The forker's id as its locks record it (a kernel thread's changes in
    // the child).
    let forker = crate::sync::self_tid();
    let Some((c, t)) = sched::current_user() else {
        // SAFETY: glibc's fork on a glibc TCB.
        let pid = unsafe { (real().fork)() };
        if pid == 0 {
            crate::sync::note_fork_child(forker, crate::mem::tcb::next_tid());
        }
        return pid;
    };
    // SAFETY: `t` runs on `c`, so `c`'s idle context is suspended and its
    // TCB unused; we restore the user TCB before returning in both processes.
    unsafe {
        let user_tp = (*t).ctx.tp;
        arch::set_thread_pointer((*c.idle.get()).tp);
        let pid = (real().fork)();
        let err = errno::get();
        arch::set_thread_pointer(user_tp);
        if pid < 0 {
            errno::set(err);
        }
        if pid == 0 {
            // Only this thread lives on in the child (the forget calls'
            // contract): forget the others' queues, waits and offload
            // workers, and free the locks whose holders did not survive.
            crate::mem::heap::forget_lock_holders();
            sched::forget_parent_threads();
            crate::park::lot::forget_all();
            crate::park::offload::forget_all();
            crate::io::poller::forget_in_child();
            crate::sync::named_sem::forget_lock_holder();
            crate::thread::runtime::LIVE.store(1, core::sync::atomic::Ordering::Relaxed);
            sched::monitor::restart_in_child();
            crate::signal::route::restart_in_child();
            crate::sync::note_fork_child(forker, crate::mem::tcb::next_tid());
        }
        pid
    }
}
