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
//!
//! Positioned reads (`pread`, `preadv`) make the same attempt at their
//! offset; everything the poller can watch refuses them (ESPIPE), so in
//! practice they reach regular files and devices, i.e. the kernel.
//!
//! [`transfer`] serves `splice` and `sendfile`, which may wait on either of
//! two descriptors and, but for splice's pipe side, have no non-blocking
//! form (a blocking socket waits even under `SPLICE_F_NONBLOCK`): it looks
//! first (one `ppoll` of both, zero timeout, and an `fstat` of one), parks
//! on a side that is not ready, and makes the call once both are — on an
//! offload worker when the output is a blocking socket, which may take
//! the transfer in many waits.

use core::ffi::{c_int, c_void};

use super::fdtab::Dir;
use super::poller::{self, Ready};
use crate::sys::raw;
use crate::sys::time;

pub const EAGAIN: isize = -(libc::EAGAIN as isize);
/// A signal handler or a cancellation interrupted the wait (the exports
/// decide whether the call restarts).
pub const EINTR: isize = -(libc::EINTR as isize);
const EOPNOTSUPP: isize = -(libc::EOPNOTSUPP as isize);

/// Whether the program made `fd` non-blocking itself.
pub fn nonblocking(fd: c_int) -> bool {
    // SAFETY: F_GETFL reads the descriptor's flags.
    let fl = unsafe { raw::syscall3(libc::SYS_fcntl, fd as usize, libc::F_GETFL as usize, 0) };
    fl >= 0 && fl as c_int & libc::O_NONBLOCK != 0
}

/// The socket timeout for `dir` (`SO_RCVTIMEO`/`SO_SNDTIMEO`) as a deadline
/// from now; `None` when unset or not a socket.
pub fn socket_deadline(fd: c_int, dir: Dir) -> Option<u64> {
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
            Ready::Interrupted => {
                if d.is_some() {
                    crate::park::forbid_restart();
                }
                return EINTR;
            }
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
        match poller::wait(fd, dir, None) {
            Ready::NotPollable => return plain(),
            Ready::Interrupted => return EINTR,
            _ => {}
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

/// What a partial vectored write left of `vec` after its first `skip`
/// bytes, written one segment at a time by `piece(ptr, len)` (a blocking,
/// parking write); the bytes written. Stops at an error or a short piece.
pub fn rest_of_vector(vec: &[libc::iovec], mut skip: usize, mut piece: impl FnMut(*const c_void, usize) -> isize) -> usize {
    let mut done = 0usize;
    for v in vec {
        if skip >= v.iov_len {
            skip -= v.iov_len;
            continue;
        }
        let rest = v.iov_len - skip;
        let w = piece((v.iov_base as usize + skip) as *const c_void, rest);
        skip = 0;
        if w < 0 {
            break;
        }
        done += w as usize;
        if (w as usize) < rest {
            break;
        }
    }
    done
}

/// How [`transfer`] ended.
pub enum Transfer {
    /// The call's result (kernel convention).
    Done(isize),
    /// Both sides are ready and the output is a blocking socket: the
    /// program's call must be made by an offload worker.
    Offload,
}

/// A transfer from `inp` to `out` (splice, sendfile) as a parked user
/// thread: `attempt` is the call that cannot wait on a pipe (splice with
/// `SPLICE_F_NONBLOCK` added; `pipes_nowait`), `plain` the program's call.
///
/// Both descriptors are looked at first (`ppoll`, zero timeout). When both
/// look ready the attempt is made — unless the output is a blocking
/// socket: the kernel then sends everything it was given, blocking while
/// the socket has no room (there is no non-blocking form of the call), so
/// the caller hands the call to an offload worker ([`Transfer::Offload`]).
/// A side not ready is waited for in the poller (its socket timeout as
/// deadline), then the look is repeated; but first, if that side is a pipe
/// and the attempt cannot wait on pipes, the attempt is made, so that the
/// kernel's argument errors (EBADF, ESPIPE, EINVAL) come at once, as from
/// glibc. An EAGAIN when both looked ready (another thread took the data
/// or the room) parks on the output, which returns at once if it is ready,
/// and looks again. If the program made either descriptor non-blocking,
/// the kernel decides: the plain call, on the carrier (the kernel's rules
/// for which side's `O_NONBLOCK` counts differ per direction; the plain
/// call keeps them exact). Regular files always look ready; a descriptor
/// the poller cannot watch gets the plain call.
pub fn transfer(inp: c_int, out: c_int, pipes_nowait: bool, mut attempt: impl FnMut() -> isize, mut plain: impl FnMut() -> isize) -> Transfer {
    loop {
        let mut p = [libc::pollfd { fd: inp, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: out, events: libc::POLLOUT, revents: 0 }];
        let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: two pollfds, a zero timeout, no signal mask.
        unsafe { raw::syscall6(libc::SYS_ppoll, p.as_mut_ptr() as usize, 2, &zero as *const _ as usize, 0, 8, 0) };
        let (fd, dir) = if p[0].revents == 0 {
            (inp, Dir::Read)
        } else if p[1].revents == 0 {
            (out, Dir::Write)
        } else {
            (-1, Dir::Write)
        };
        if fd < 0 && file_type(out) == libc::S_IFSOCK && !nonblocking(out) {
            return Transfer::Offload;
        }
        if fd < 0 || (pipes_nowait && file_type(fd) == libc::S_IFIFO) {
            let r = attempt();
            if r != EAGAIN || (fd < 0 && (nonblocking(inp) || nonblocking(out))) {
                return Transfer::Done(r);
            }
        }
        if nonblocking(inp) || nonblocking(out) {
            return Transfer::Done(plain());
        }
        let (fd, dir) = if fd < 0 { (out, Dir::Write) } else { (fd, dir) };
        match poller::wait(fd, dir, socket_deadline(fd, dir)) {
            Ready::Retry => {}
            Ready::TimedOut => return Transfer::Done(EAGAIN),
            Ready::Interrupted => return Transfer::Done(EINTR),
            Ready::NotPollable => return Transfer::Done(plain()),
        }
    }
}

/// The file type bits (`S_IFMT`) of `fd`'s `st_mode`; 0 if `fstat` fails.
fn file_type(fd: c_int) -> libc::mode_t {
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: the kernel writes `st`, which is that large.
    let r = unsafe { raw::syscall3(libc::SYS_fstat, fd as usize, &mut st as *mut _ as usize, 0) };
    if r == 0 {
        st.st_mode & libc::S_IFMT
    } else {
        0
    }
}
