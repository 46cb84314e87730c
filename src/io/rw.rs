//! Reads and writes that park: try without blocking, wait for readiness in
//! the poller, try again.
//!
//! The attempt never touches the file's flags (an open file description is
//! shared with every process that inherited it: a child reading the same
//! pipe must still block there). Sockets get `MSG_DONTWAIT` on the call;
//! everything else `preadv2`/`pwritev2` with `RWF_NOWAIT` (pipes, sockets,
//! FIFOs, and regular files, for which EAGAIN means "not in the page
//! cache"). A file type that refuses `RWF_NOWAIT` (EOPNOTSUPP: terminals,
//! some devices) waits for readiness first and then makes the plain call.
//!
//! What the program set is what it sees: on EAGAIN the descriptor's own
//! `O_NONBLOCK` is checked (`F_GETFL`, only on this slow path) and, if set,
//! EAGAIN is the answer as before. A socket's `SO_RCVTIMEO`/`SO_SNDTIMEO`
//! become the wait's deadline (EAGAIN when it passes, as the kernel).
//! A descriptor the poller cannot watch (a regular file) gets the plain
//! blocking call. Blocking writes write everything, as the kernel's do:
//! a partial non-blocking write continues until done, and reports the bytes
//! written if an error comes after some.

use core::ffi::c_int;

use super::fdtab::Dir;
use super::poller::{self, Ready};
use crate::sys::raw;
use crate::sys::time;

const EAGAIN: isize = -(libc::EAGAIN as isize);
const EOPNOTSUPP: isize = -(libc::EOPNOTSUPP as isize);

/// Whether the program made `fd` non-blocking itself.
pub fn nonblocking(fd: c_int) -> bool {
    // SAFETY: F_GETFL reads the descriptor's flags.
    let fl = unsafe { raw::syscall3(libc::SYS_fcntl, fd as usize, libc::F_GETFL as usize, 0) };
    fl >= 0 && fl as c_int & libc::O_NONBLOCK != 0
}

/// The socket timeout for `dir` (`SO_RCVTIMEO`/`SO_SNDTIMEO`) as a deadline
/// from now; `None` when unset or not a socket.
fn socket_deadline(fd: c_int, dir: Dir) -> Option<u64> {
    let opt = if dir == Dir::Read { libc::SO_RCVTIMEO } else { libc::SO_SNDTIMEO };
    let mut tv = libc::timeval { tv_sec: 0, tv_usec: 0 };
    let mut len = core::mem::size_of::<libc::timeval>() as libc::socklen_t;
    // SAFETY: `tv` and `len` are valid out-parameters of that size.
    let r = unsafe {
        raw::syscall6(libc::SYS_getsockopt, fd as usize, libc::SOL_SOCKET as usize, opt as usize, &mut tv as *mut _ as usize, &mut len as *mut _ as usize, 0)
    };
    let ns = (tv.tv_sec.max(0) as u64).saturating_mul(time::NS_PER_SEC).saturating_add(tv.tv_usec.max(0) as u64 * 1000);
    (r == 0 && ns > 0).then(|| time::now().saturating_add(ns))
}

/// Runs one blocking call as a parked user thread: `attempt` is the call
/// without blocking, `plain` the call as the program made it; both return
/// the kernel's result (`-errno` on failure).
pub fn call(fd: c_int, dir: Dir, mut attempt: impl FnMut() -> isize, mut plain: impl FnMut() -> isize) -> isize {
    let mut deadline: Option<Option<u64>> = None;
    loop {
        let r = attempt();
        if r == EOPNOTSUPP {
            return wait_then_call(fd, dir, plain);
        }
        if r != EAGAIN {
            return r;
        }
        if nonblocking(fd) {
            return EAGAIN;
        }
        let d = *deadline.get_or_insert_with(|| socket_deadline(fd, dir));
        match poller::wait(fd, dir, d) {
            Ready::Retry => {}
            Ready::TimedOut => return EAGAIN,
            Ready::NotPollable => return plain(),
        }
    }
}

/// For descriptors without a non-blocking variant of the call: wait until
/// ppoll says ready (or the descriptor is non-blocking anyway), then call.
/// (Another reader may take the data first; then the call blocks.)
fn wait_then_call(fd: c_int, dir: Dir, mut plain: impl FnMut() -> isize) -> isize {
    if nonblocking(fd) {
        return plain();
    }
    loop {
        let events = if dir == Dir::Read { libc::POLLIN } else { libc::POLLOUT };
        let mut p = libc::pollfd { fd, events, revents: 0 };
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: one pollfd, a zero timeout, no signal mask.
        let n = unsafe { raw::syscall6(libc::SYS_ppoll, &mut p as *mut _ as usize, 1, &zero as *const _ as usize, 0, 8, 0) };
        if n != 0 {
            return plain();
        }
        if poller::wait(fd, dir, None) == Ready::NotPollable {
            return plain();
        }
    }
}

/// A blocking write of `len` bytes done in pieces: `piece(done)` attempts
/// the rest from offset `done`; continues until all is written.
pub fn write_all(fd: c_int, len: usize, mut attempt: impl FnMut(usize) -> isize, mut plain: impl FnMut(usize) -> isize) -> isize {
    let mut done = 0usize;
    loop {
        let r = call(fd, Dir::Write, || attempt(done), || plain(done));
        if r < 0 {
            return if done > 0 { done as isize } else { r };
        }
        done += r as usize;
        if done >= len || r == 0 || nonblocking(fd) {
            return done as isize;
        }
    }
}
