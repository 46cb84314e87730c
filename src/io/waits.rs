//! Waits the poller does not serve — poll, select, epoll_wait, accept,
//! connect and the wait family, and the calls that block with nothing to
//! poll for (file sync, file locks, FIFO opens, SysV IPC, POSIX message
//! queues) — made in the kernel by an offload worker (a kernel thread of
//! the park layer) while the calling user thread parks.
//!
//! The worker makes glibc's own call with the program's arguments, so the
//! kernel sees exactly that call: its timeout, its signal mask, the
//! descriptor sets and the remaining time `select` writes back, errno as
//! glibc sets it. The price is a hand-over to a worker per call that really
//! waits, and one worker kernel thread per such call in progress (as many
//! kernel threads as glibc would block, never more). Calls that cannot
//! block stay on the carrier: a zero timeout, `WNOHANG`, a descriptor the
//! program made non-blocking; and poll, epoll_wait and the wait family
//! first look without blocking ([`look_then_wait`]), so a call that finds
//! something ready at once costs no hand-over; locks, IPC and message
//! queues likewise first try their non-blocking form ([`try_then_wait`]:
//! `LOCK_NB`, `F_SETLK`, `IPC_NOWAIT`, a timeout already past), whose
//! "would block" error is one the blocking form never returns, so any
//! other answer is the blocking call's answer too.

use crate::park::offload;

/// Makes `call` (glibc's function, in the kernel's `-errno` convention, as
/// computed on the worker) on an offload worker; the caller parks meanwhile.
pub fn in_kernel(call: impl FnOnce() -> isize + Send) -> isize {
    offload::run(call)
}

/// `look` is the call without blocking; if it found nothing (0), the
/// blocking `call` is made by a worker.
pub fn look_then_wait(look: impl FnOnce() -> isize, call: impl FnOnce() -> isize + Send) -> isize {
    try_then_wait(look, |r| r == 0, call)
}

/// `attempt` is the call without blocking; if its result says it would
/// have blocked (`blocked`), the blocking `call` is made by a worker.
pub fn try_then_wait(attempt: impl FnOnce() -> isize, blocked: impl FnOnce(isize) -> bool, call: impl FnOnce() -> isize + Send) -> isize {
    match attempt() {
        r if blocked(r) => in_kernel(call),
        r => r,
    }
}
