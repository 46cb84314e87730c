//! `fork` from a user thread, the minimum that keeps the child alive.
//!
//! glibc's fork walks its thread lists through THREAD_SELF, which in a user
//! thread's TCB is not a list node: the child would crash (PLATFORM.md). So
//! the call runs on the carrier's own glibc TCB, borrowed from its idle
//! context (suspended while a user thread runs, and nothing switches during
//! the call), and errno is carried back to the user thread's TCB.
//!
//! The child has one kernel thread; it may call async-signal-safe functions
//! and exec, as POSIX allows after fork in a threaded program. Rebuilding the
//! runtime in the child (carriers, queues, threads that did not survive) is
//! the fork milestone's work.

use crate::arch;
use crate::sched;
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
        let err = *libc::__errno_location();
        arch::set_thread_pointer(user_tp);
        if pid < 0 {
            *libc::__errno_location() = err;
        }
        pid
    }
}
