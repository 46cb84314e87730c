//! CPU masks of user threads, and the calls that change what the kernel
//! keeps per kernel thread.
//!
//! A user thread has no kernel thread of its own, so a CPU mask (or a
//! namespace, a real-time policy, ...) set on "the calling kernel thread"
//! would land on whichever carrier runs it and leak to every thread that
//! carrier runs next. So a thread first *binds* itself (`sched::bound`):
//! from then on its carrier is its own kernel thread, and the kernel's
//! answer is the thread's.
//!
//! Rules.
//! * The caller's own mask (`pthread_setaffinity_np(pthread_self())`,
//!   `sched_setaffinity(0)`, or its carrier's tid, which `gettid` gives):
//!   bind, then the kernel sets it.
//! * Another bound thread's: the kernel sets its kernel thread's.
//! * Another unbound thread's: the mask is checked against the process's
//!   CPUs (the main kernel thread's mask, which nothing in mnthread
//!   changes) and left with the thread, which binds itself to it when it
//!   next resumes from a park (until then it runs where it ran).
//! * Reading: a bound thread's kernel mask, else the mask left for it, else
//!   the process's, in glibc's form (the kernel's bytes, the rest of the
//!   caller's buffer zeroed; `EINVAL` for a buffer smaller than the
//!   kernel's mask).
//!
//! Threads mnthread did not create (the main thread before the runtime
//! starts, foreign threads) are kernel threads already: glibc's own calls
//! serve them.

use crate::mem::uthread::{CpuMask, UThread};
use crate::sched::{self, bound};
use crate::sys::raw;

/// The process id (the main kernel thread's id).
fn pid() -> i32 {
    // SAFETY: getpid has no arguments and cannot fail.
    unsafe { raw::syscall3(libc::SYS_getpid, 0, 0, 0) as i32 }
}

/// `sched_getaffinity` of kernel thread `tid` into `out`, glibc's way: 0 or
/// an errno value.
pub fn kernel_mask(tid: i32, out: &mut [u8]) -> i32 {
    let len = out.len().min(i32::MAX as usize);
    // SAFETY: the kernel writes at most `len` bytes.
    let r = unsafe { raw::syscall3(libc::SYS_sched_getaffinity, tid as usize, len, out.as_mut_ptr() as usize) };
    if r < 0 {
        return -r as i32;
    }
    out[r as usize..].fill(0);
    0
}

/// Whether `mask` names a CPU the process may run on.
fn allows_some_cpu(mask: &[u8]) -> bool {
    let mut process = [0u8; 1024];
    if kernel_mask(pid(), &mut process) != 0 {
        return true;
    }
    mask.iter().zip(process.iter()).any(|(a, b)| a & b != 0)
}

/// Sets the CPU mask of user thread `t` (see the module rules): 0 or an
/// errno value.
pub fn set(t: *mut UThread, mask: &[u8]) -> i32 {
    if sched::current_user().is_some_and(|(_, me)| me == t) {
        if let Err(e) = bound::bind_current() {
            return e;
        }
        return bound::set_kernel_affinity(0, mask);
    }
    if let Some(tid) = bound::kernel_tid(t) {
        bound::taint(t);
        return bound::set_kernel_affinity(tid, mask);
    }
    if !allows_some_cpu(mask) {
        return libc::EINVAL;
    }
    bound::set_pending(t, CpuMask { bytes: mask.to_vec() });
    0
}

/// Reads the CPU mask of user thread `t` into `out` (see the module
/// rules): 0 or an errno value.
pub fn get(t: *mut UThread, out: &mut [u8]) -> i32 {
    if let Some(tid) = bound::kernel_tid(t) {
        return kernel_mask(tid, out);
    }
    // The process's mask first: it checks the buffer's size as glibc would.
    let r = kernel_mask(pid(), out);
    if r != 0 {
        return r;
    }
    if let Some(left) = bound::pending(t) {
        let n = left.len().min(out.len());
        out[..n].copy_from_slice(&left[..n]);
        out[n..].fill(0);
    }
    0
}

/// The user thread a `pid` argument of `sched_setaffinity` and friends
/// means, if one: 0 and the calling carrier's tid (what `gettid` returns)
/// are the caller; the process id is the main thread once it runs on the
/// carriers. Other ids are kernel threads, the kernel's business.
pub fn thread_of_pid(pid_arg: i32) -> Option<*mut UThread> {
    if let Some((c, me)) = sched::current_user() {
        if pid_arg == 0 || pid_arg == c.tid.load(core::sync::atomic::Ordering::Relaxed) {
            return Some(me);
        }
    } else if pid_arg == 0 {
        return None;
    }
    (pid_arg == pid() && crate::thread::runtime::main_is_user_thread()).then(crate::thread::runtime::main_thread)
}
