//! recvmmsg and sendmmsg as parked user threads: the kernel's loop over
//! messages, in batches that cannot block, with the waits between batches
//! parked in the poller.
//!
//! What the kernel does for a blocking socket, and what is done here:
//! * recvmmsg waits for the first message. Without `MSG_WAITFORONE` it then
//!   waits for each further one, until `vlen` arrived, the timeout is over
//!   — checked only after a message arrived, never during a wait
//!   (recvmmsg(2), BUGS) — or an out-of-band message ends the batch; with
//!   `MSG_WAITFORONE` it takes only what is there after the first. Here a
//!   batch is one `MSG_DONTWAIT` call taking what is there; while more is
//!   wanted the thread parks until the socket is readable and calls again.
//!   The timeout's end is fixed at the first call: the first batch gets the
//!   program's timespec (so the kernel checks it, EFAULT or EINVAL, and
//!   writes back the time left); later ones get the time left then, zero
//!   once past — with which the kernel takes one message and stops, as it
//!   would after a wait that overran — and the program's timespec gets the
//!   time left at the end, as from the kernel.
//! * sendmmsg sends each message whole. Here a batch is one `MSG_DONTWAIT`
//!   call; a stream socket may take part of the batch's last message, whose
//!   rest is then sent with blocking, parking sends (and its `msg_len`
//!   updated) before the next batch.
//!
//! The program's `O_NONBLOCK` ends the loop where the kernel's would end.
//! An error after some messages: the count so far is the result, as from
//! the kernel, but the kernel would also keep the error for the next call
//! (`sk_err`), which here sees it only if it persists.

use core::cell::Cell;
use core::ffi::{c_int, c_void};
use core::ops::Range;

use super::fdtab::Dir;
use super::rw;
use crate::sys::{time, user};

const EFAULT: isize = -(libc::EFAULT as isize);

/// recvmmsg for a user thread, whose `flags` lack `MSG_DONTWAIT`: `call`
/// is glibc's recvmmsg on part of the vector (kernel convention);
/// `writable` is memory known to be writable (the caller's stack).
pub fn recv(
    fd: c_int,
    vec: *mut libc::mmsghdr,
    vlen: u32,
    flags: c_int,
    timeout: *mut libc::timespec,
    writable: Range<usize>,
    call: impl Fn(*mut libc::mmsghdr, u32, c_int, *mut libc::timespec) -> isize,
) -> isize {
    let vlen = vlen.min(libc::UIO_MAXIOV as u32);
    let start = time::now();
    let first = call(vec, vlen, flags | libc::MSG_DONTWAIT, timeout);
    if first < 0 && first != rw::EAGAIN || first as u32 == vlen || (first > 0 && flags & libc::MSG_WAITFORONE != 0) {
        return first;
    }
    let mut got = first.max(0) as u32;
    if rw::nonblocking(fd) {
        return if got > 0 { got as isize } else { first };
    }
    // The timeout's end: the kernel read the program's timespec (it would
    // have failed otherwise) and wrote the time left back if it took some.
    let end = if timeout.is_null() {
        None
    } else {
        match user::copy_in(timeout, writable.clone()) {
            Ok(t) if got > 0 && t.tv_sec == 0 && t.tv_nsec == 0 => return got as isize,
            Ok(t) => Some(if got > 0 { time::now() } else { start }.saturating_add(time::timespec_ns(&t))),
            Err(_) => return if got > 0 { got as isize } else { EFAULT },
        }
    };
    let left = Cell::new(libc::timespec { tv_sec: 0, tv_nsec: 0 });
    let tsp = if end.is_some() { left.as_ptr() } else { core::ptr::null_mut() };
    let set_left = || {
        if let Some(e) = end {
            left.set(time::timespec_from_ns(e.saturating_sub(time::now())));
        }
    };
    while got < vlen && !out_of_band(vec, got) {
        // SAFETY: `got < vlen`, inside the program's vector.
        let rest = unsafe { vec.add(got as usize) };
        let n = vlen - got;
        let r = rw::call(
            fd,
            Dir::Read,
            || {
                set_left();
                call(rest, n, flags | libc::MSG_DONTWAIT, tsp)
            },
            || {
                set_left();
                call(rest, n, flags, tsp)
            },
        );
        if r <= 0 {
            if got == 0 {
                return r;
            }
            break;
        }
        got += r as u32;
        let t = left.get();
        if flags & libc::MSG_WAITFORONE != 0 || (end.is_some() && t.tv_sec == 0 && t.tv_nsec == 0) || rw::nonblocking(fd) {
            break;
        }
    }
    if end.is_some() && user::copy_out(timeout, left.get(), writable).is_err() {
        return EFAULT;
    }
    got as isize
}

/// Whether the last of the first `got` messages was out-of-band data.
fn out_of_band(vec: *const libc::mmsghdr, got: u32) -> bool {
    // SAFETY: the kernel wrote that entry (it is the program's vector).
    got > 0 && unsafe { (*vec.add(got as usize - 1)).msg_hdr.msg_flags } & libc::MSG_OOB != 0
}

/// sendmmsg for a user thread, whose `flags` lack `MSG_DONTWAIT`: `call`
/// is glibc's sendmmsg on part of the vector (kernel convention), `piece`
/// a blocking send of one buffer (libc convention, parking).
pub fn send(
    fd: c_int,
    vec: *mut libc::mmsghdr,
    vlen: u32,
    flags: c_int,
    call: impl Fn(*mut libc::mmsghdr, u32, c_int) -> isize,
    mut piece: impl FnMut(*const c_void, usize) -> isize,
) -> isize {
    let vlen = vlen.min(libc::UIO_MAXIOV as u32);
    let mut done = 0u32;
    loop {
        // SAFETY: `done < vlen` (or both 0), inside the program's vector.
        let rest = unsafe { vec.add(done as usize) };
        let n = vlen - done;
        let r = rw::call(fd, Dir::Write, || call(rest, n, flags | libc::MSG_DONTWAIT), || call(rest, n, flags));
        if r <= 0 {
            return if done > 0 { done as isize } else { r };
        }
        done += r as u32;
        // SAFETY: the kernel read this entry and its iovecs, and wrote its
        // `msg_len`: the program's memory, readable and writable.
        let m = unsafe { &mut *vec.add(done as usize - 1) };
        // SAFETY: as above.
        let iov = unsafe { core::slice::from_raw_parts(m.msg_hdr.msg_iov, m.msg_hdr.msg_iovlen) };
        let total: usize = iov.iter().map(|v| v.iov_len).sum();
        if (m.msg_len as usize) < total {
            if rw::nonblocking(fd) {
                return done as isize;
            }
            m.msg_len += rw::rest_of_vector(iov, m.msg_len as usize, &mut piece) as u32;
            if (m.msg_len as usize) < total {
                return done as isize;
            }
        }
        if done == vlen || rw::nonblocking(fd) {
            return done as isize;
        }
    }
}
