//! How an interruptible export ends when a signal handler ran during its
//! wait: -1/EINTR, or the call made again when every handler that ran had
//! SA_RESTART and the call is one the kernel restarts (signal(7):
//! read/write, send/recv, accept, connect, wait, file locks, open; never
//! poll/select/epoll, sleeps, sigtimedwait, SysV IPC). Every such export is
//! also a cancellation point.

use crate::cancel;
use crate::mem::uthread::{INTR_CANCEL, INTR_NO_RESTART};
use crate::park;
use crate::sched;

const EINTR: isize = -(libc::EINTR as isize);
const EPIPE: isize = -(libc::EPIPE as isize);

/// Whether the call may be made again after handlers with SA_RESTART.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    Never,
    WithSaRestart,
}

/// Runs `call` (kernel convention) as a cancellation point, again while it
/// was interrupted only by SA_RESTART handlers and `restart` allows it.
#[inline]
pub fn call(restart: Restart, mut call: impl FnMut() -> isize) -> isize {
    cancel::point(|| loop {
        let r = call();
        if r == EPIPE {
            if let Some((_, t)) = sched::current_user() {
                crate::signal::deliver::take_sigpipe(t);
            }
        }
        if r != EINTR || restart == Restart::Never {
            return r;
        }
        let Some((_, t)) = sched::current_user() else { return r };
        let why = park::interruption(t);
        if why == 0 || why & (INTR_CANCEL | INTR_NO_RESTART) != 0 {
            return r;
        }
    })
}

/// [`call`] for an export in libc's convention (-1 and errno).
#[inline]
pub(crate) fn libc_call<R: super::io::LibcRet>(restart: Restart, mut call_once: impl FnMut() -> R) -> R {
    R::libc(call(restart, || call_once().kernel()))
}
