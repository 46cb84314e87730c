//! `fork` from a user thread, the minimum that keeps the child alive.
//!
//! glibc's fork walks its thread lists through THREAD_SELF, which in a user
//! thread's TCB is not a list node: the child would crash (PLATFORM.md). So
//! the call runs on the carrier's own glibc TCB, borrowed from its idle
//! context (suspended while a user thread runs, and nothing switches during
//! the call), and errno is carried back to the user thread's TCB.
//!
//! In the child only the calling thread survives, on its carrier: the run
//! queues, deadlines and wait lists of the parent's other threads are
//! dropped, and that one carrier runs whatever the child creates. Not done
//! yet (the fork milestone): stopping the other carriers at a safe point
//! before forking — a runtime lock one of them held at that instant stays
//! held in the child — and restarting further carriers in the child.

use crate::arch;
use crate::sched;
use crate::sys::errno;
use crate::sys::real::real;

#[no_mangle]
pub extern "C" fn fork() -> libc::pid_t {
    let Some((c, t)) = sched::current_user() else {
        // SAFETY: glibc's fork on a glibc TCB.
        return unsafe { (real().fork)() };
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
            crate::lot::forget_all();
            crate::offload::forget_all();
            crate::sync::named_sem::forget_lock_holder();
            crate::runtime::LIVE.store(1, core::sync::atomic::Ordering::Relaxed);
        }
        pid
    }
}
