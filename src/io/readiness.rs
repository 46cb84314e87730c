//! Waits for one descriptor's readiness parked in the poller, without an
//! offload worker: poll and ppoll of one descriptor in one direction,
//! epoll_wait (an epoll descriptor is readable while its ready list is not
//! empty, so it waits in our epoll set like a pipe), accept, and waitpid of
//! one child (its pidfd becomes readable when it exits).
//!
//! Protocol, as for reads: *look* without blocking (glibc's call with a zero
//! timeout, or `WNOHANG`); if it found nothing, park in the poller until the
//! descriptor may be ready or the deadline passes, then look again. The
//! look is the program's own call, so results, revents, the events
//! epoll_wait copies out and errno are the kernel's. A timed-out wait looks
//! once more, so a call that times out reports what is ready at that
//! instant, as the kernel's. Whatever the poller cannot watch (epoll refuses
//! the descriptor, a direction mix, a signal mask to apply) answers `None`
//! and goes to an offload worker as before.
//!
//! accept has no non-blocking form that leaves the file's flags alone, so
//! its look is a zero-timeout ppoll, and the accept follows only when the
//! socket reported something (a connection, an error, a bad descriptor).
//! Another thread may take that connection first; then this accept blocks
//! its carrier until the next one, and the monitor brings in a spare
//! meanwhile (poll-then-call with the monitor as the safety net).

use core::ffi::c_int;

use super::fdtab::Dir;
use super::poller::{self, Ready};
use super::rw;
use crate::sys::raw;
use crate::sys::time;

/// The poller direction poll's `events` wait for, when it watches exactly
/// that: reads (POLLIN, POLLRDNORM, POLLRDHUP) or writes (POLLOUT,
/// POLLWRNORM). Errors and hang-ups wake both.
pub fn poll_dir(events: i16) -> Option<Dir> {
    let read = libc::POLLIN | libc::POLLRDNORM | libc::POLLRDHUP;
    let write = libc::POLLOUT | libc::POLLWRNORM;
    match events {
        0 => None,
        e if e & !read == 0 => Some(Dir::Read),
        e if e & !write == 0 => Some(Dir::Write),
        _ => None,
    }
}

/// poll's timeout (ms, negative: none) as a deadline.
pub fn deadline_ms(timeout: c_int) -> Option<u64> {
    (timeout >= 0).then(|| time::now().saturating_add(timeout as u64 * 1_000_000))
}

/// `look` (the call without blocking, `-errno` convention, 0: nothing yet)
/// until it answers, parked in the poller on `fd` for `dir` between looks.
/// `None`: the poller cannot watch `fd`.
pub fn look_between_waits(fd: c_int, dir: Dir, deadline: Option<u64>, mut look: impl FnMut() -> isize) -> Option<isize> {
    loop {
        let r = look();
        if r != 0 {
            return Some(r);
        }
        match poller::wait(fd, dir, deadline) {
            Ready::Retry => {}
            Ready::TimedOut => return Some(look()),
            Ready::Interrupted => return Some(rw::EINTR),
            Ready::NotPollable => return None,
        }
    }
}

/// Whether a zero-timeout ppoll reports anything for `fd` (readable, an
/// error, a hang-up, a bad descriptor).
fn reports_read(fd: c_int) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: one pollfd, a zero timeout, no signal mask.
    unsafe { raw::syscall6(libc::SYS_ppoll, &mut p as *mut _ as usize, 1, &zero as *const _ as usize, 0, 8, 0) != 0 }
}

/// accept on a blocking socket: waits in the poller until the socket
/// reports a connection (or `SO_RCVTIMEO` passes: EAGAIN, as the kernel),
/// then makes the program's `accept`. `None`: the poller cannot watch it.
pub fn accept(fd: c_int, mut accept: impl FnMut() -> isize) -> Option<isize> {
    let deadline = rw::socket_deadline(fd, Dir::Read);
    loop {
        if reports_read(fd) {
            return Some(accept());
        }
        match poller::wait(fd, Dir::Read, deadline) {
            Ready::Retry => {}
            Ready::TimedOut => return Some(-(libc::EAGAIN as isize)),
            Ready::Interrupted => return Some(rw::EINTR),
            Ready::NotPollable => return None,
        }
    }
}

/// waitpid/wait4 of one child (`pid > 0`) for its exit: `look` is the call
/// with `WNOHANG`; between looks the thread waits in the poller on the
/// child's pidfd. `None` when no pidfd can be had (an old kernel, no
/// descriptors left, no such process).
pub fn wait_child(pid: libc::pid_t, mut look: impl FnMut() -> isize) -> Option<isize> {
    // SAFETY: pidfd_open takes a pid and flags; it creates a descriptor.
    let pidfd = unsafe { raw::syscall3(libc::SYS_pidfd_open, pid as usize, 0, 0) };
    if pidfd < 0 {
        return None;
    }
    let r = look_between_waits(pidfd as c_int, Dir::Read, None, &mut look);
    raw::close(pidfd as c_int);
    r
}
