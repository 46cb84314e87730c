//! The read/write and send/receive families, and the closes that must wake
//! a descriptor's waiters: parked by `io::rw` for user threads, glibc's own
//! for every other thread.
//!
//! Each export turns the call into an attempt that cannot block and the
//! plain call, both in the kernel's convention (`-errno`), and sets `errno`
//! from the result.

use core::ffi::{c_int, c_void};

use crate::io::fdtab::Dir;
use crate::io::{poller, rw};
use crate::sched;
use crate::sys::{errno, raw, real::real};

/// The kernel's result as libc returns it.
pub(crate) fn libc_result(r: isize) -> isize {
    if r < 0 {
        errno::set(-r as c_int);
        -1
    } else {
        r
    }
}

/// A libc call's result in the kernel's convention.
pub(crate) fn kernel_result(r: isize) -> isize {
    if r < 0 {
        -(errno::get() as isize)
    } else {
        r
    }
}

pub(crate) fn user() -> bool {
    sched::current_user().is_some()
}

/// `preadv2(fd, iov, cnt, -1, RWF_NOWAIT)`: a read at the file position
/// that does not block.
fn readv_nowait(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    // SAFETY: the program's buffers, checked by the kernel.
    unsafe { raw::syscall6(libc::SYS_preadv2, fd as usize, iov as usize, cnt as usize, usize::MAX, 0, libc::RWF_NOWAIT as usize) }
}

fn writev_nowait(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    // SAFETY: as above.
    unsafe { raw::syscall6(libc::SYS_pwritev2, fd as usize, iov as usize, cnt as usize, usize::MAX, 0, libc::RWF_NOWAIT as usize) }
}

#[no_mangle]
pub extern "C" fn read(fd: c_int, buf: *mut c_void, n: usize) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().read)(fd, buf, n) };
    }
    let iov = libc::iovec { iov_base: buf, iov_len: n };
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, &iov, 1), || kernel_result(unsafe { (real().read)(fd, buf, n) })))
}

#[no_mangle]
pub extern "C" fn readv(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().readv)(fd, iov, cnt) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, iov, cnt), || kernel_result(unsafe { (real().readv)(fd, iov, cnt) })))
}

#[no_mangle]
pub extern "C" fn write(fd: c_int, buf: *const c_void, n: usize) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().write)(fd, buf, n) };
    }
    let at = |done: usize| (buf as usize + done) as *const c_void;
    libc_result(rw::write_all(
        fd,
        n,
        |done| writev_nowait(fd, &libc::iovec { iov_base: at(done) as *mut c_void, iov_len: n - done }, 1),
        // SAFETY: glibc's own function, with the program's arguments.
        |done| kernel_result(unsafe { (real().write)(fd, at(done), n - done) }),
    ))
}

/// `writev` blocks until everything is written, like `write`; the pieces
/// after a partial write are written from a copy of the vector, advanced.
#[no_mangle]
pub extern "C" fn writev(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    if !user() || cnt <= 0 || cnt > libc::UIO_MAXIOV {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().writev)(fd, iov, cnt) };
    }
    // The first attempt uses the program's vector as is (the kernel checks it).
    // SAFETY: glibc's own function, with the program's arguments.
    let r = rw::call(fd, Dir::Write, || writev_nowait(fd, iov, cnt), || kernel_result(unsafe { (real().writev)(fd, iov, cnt) }));
    // SAFETY: the kernel accepted the vector, so it is readable.
    let vec = unsafe { core::slice::from_raw_parts(iov, cnt as usize) };
    let total: usize = vec.iter().map(|v| v.iov_len).sum();
    if r < 0 || r as usize >= total {
        return libc_result(r);
    }
    // A partial write: the rest, one segment at a time, through `write`.
    let mut done = r as usize;
    let mut skip = done;
    for v in vec {
        if skip >= v.iov_len {
            skip -= v.iov_len;
            continue;
        }
        let rest = v.iov_len - skip;
        let w = write(fd, (v.iov_base as usize + skip) as *const c_void, rest);
        skip = 0;
        if w < 0 {
            break;
        }
        done += w as usize;
        if (w as usize) < rest {
            break;
        }
    }
    done as isize
}

/// The send and receive families: `MSG_DONTWAIT` makes the attempt; a
/// program that asked for MSG_DONTWAIT itself gets the call unchanged.
fn socket_call(fd: c_int, dir: Dir, flags: c_int, call: impl Fn(c_int) -> isize) -> isize {
    if flags & libc::MSG_DONTWAIT != 0 {
        return call(flags);
    }
    libc_result(rw::call(fd, dir, || kernel_result(call(flags | libc::MSG_DONTWAIT)), || kernel_result(call(flags))))
}

#[no_mangle]
pub extern "C" fn recv(fd: c_int, buf: *mut c_void, n: usize, flags: c_int) -> isize {
    recvfrom(fd, buf, n, flags, core::ptr::null_mut(), core::ptr::null_mut())
}

/// `MSG_WAITALL` (without MSG_DONTWAIT) waits for all `n` bytes as the
/// kernel does: the pieces are received one parked wait at a time, and a
/// short count comes back only at end of file or with an error after some.
#[no_mangle]
pub extern "C" fn recvfrom(fd: c_int, buf: *mut c_void, n: usize, flags: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().recvfrom)(fd, buf, n, flags, addr, len) };
    }
    if flags & (libc::MSG_WAITALL | libc::MSG_DONTWAIT) != libc::MSG_WAITALL {
        // SAFETY: glibc's own function, with the program's arguments.
        return socket_call(fd, Dir::Read, flags, |f| unsafe { (real().recvfrom)(fd, buf, n, f, addr, len) });
    }
    let piece = flags & !libc::MSG_WAITALL;
    let mut done = 0usize;
    loop {
        let at = (buf as usize + done) as *mut c_void;
        // SAFETY: glibc's own function, with the program's arguments.
        let r = socket_call(fd, Dir::Read, piece, |f| unsafe { (real().recvfrom)(fd, at, n - done, f, addr, len) });
        if r < 0 {
            return if done > 0 { done as isize } else { r };
        }
        done += r as usize;
        if r == 0 || done >= n {
            return done as isize;
        }
    }
}

/// (`MSG_WAITALL` here waits parked for the first bytes, then finishes in
/// the kernel.)
#[no_mangle]
pub extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().recvmsg)(fd, msg, flags) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    socket_call(fd, Dir::Read, flags, |f| unsafe { (real().recvmsg)(fd, msg, f) })
}

/// Sends block until the whole message is queued, as the kernel's do for a
/// stream socket: a partial non-blocking send continues with the rest.
#[no_mangle]
pub extern "C" fn send(fd: c_int, buf: *const c_void, n: usize, flags: c_int) -> isize {
    sendto(fd, buf, n, flags, core::ptr::null(), 0)
}

#[no_mangle]
pub extern "C" fn sendto(fd: c_int, buf: *const c_void, n: usize, flags: c_int, addr: *const libc::sockaddr, len: libc::socklen_t) -> isize {
    if !user() || flags & libc::MSG_DONTWAIT != 0 {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().sendto)(fd, buf, n, flags, addr, len) };
    }
    let at = |done: usize| (buf as usize + done) as *const c_void;
    libc_result(rw::write_all(
        fd,
        n,
        // SAFETY: glibc's own function, with the program's arguments.
        |done| kernel_result(unsafe { (real().sendto)(fd, at(done), n - done, flags | libc::MSG_DONTWAIT, addr, len) }),
        // SAFETY: glibc's own function, with the program's arguments.
        |done| kernel_result(unsafe { (real().sendto)(fd, at(done), n - done, flags, addr, len) }),
    ))
}

#[no_mangle]
pub extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().sendmsg)(fd, msg, flags) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    socket_call(fd, Dir::Write, flags, |f| unsafe { (real().sendmsg)(fd, msg, f) })
}

#[no_mangle]
pub extern "C" fn __read_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize) -> isize {
    if n > buflen {
        // SAFETY: glibc's fortify failure report (does not return).
        unsafe { (real().chk_fail)() }
    }
    read(fd, buf, n)
}

#[no_mangle]
pub extern "C" fn __recv_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize, flags: c_int) -> isize {
    if n > buflen {
        // SAFETY: as above.
        unsafe { (real().chk_fail)() }
    }
    recv(fd, buf, n, flags)
}

#[no_mangle]
pub extern "C" fn __recvfrom_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize, flags: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> isize {
    if n > buflen {
        // SAFETY: as above.
        unsafe { (real().chk_fail)() }
    }
    recvfrom(fd, buf, n, flags, addr, len)
}

/// Threads parked on a descriptor being closed or replaced are woken first
/// (from any thread): they retry and get what the kernel says then,
/// instead of waiting on whatever file reuses the number.
#[no_mangle]
pub extern "C" fn close(fd: c_int) -> c_int {
    poller::wake_all(fd);
    // SAFETY: glibc's own function, with the program's arguments.
    unsafe { (real().close)(fd) }
}

#[no_mangle]
pub extern "C" fn dup2(old: c_int, new: c_int) -> c_int {
    if old != new {
        poller::wake_all(new);
    }
    // SAFETY: glibc's own function, with the program's arguments.
    unsafe { (real().dup2)(old, new) }
}

#[no_mangle]
pub extern "C" fn dup3(old: c_int, new: c_int, flags: c_int) -> c_int {
    poller::wake_all(new);
    // SAFETY: glibc's own function, with the program's arguments.
    unsafe { (real().dup3)(old, new, flags) }
}
