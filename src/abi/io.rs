//! The read/write and send/receive families (positioned reads, `pwritev2`,
//! recvmmsg/sendmmsg, splice and sendfile too), and the closes that must
//! wake a descriptor's waiters: parked by `io::rw` and `io::mmsg` for user
//! threads, glibc's own for every other thread.
//!
//! Each export turns the call into an attempt that cannot block and the
//! plain call, both in the kernel's convention (`-errno`), and sets `errno`
//! from the result.

use core::ffi::{c_int, c_uint, c_void};

use crate::io::fdtab::Dir;
use super::waits::offloaded;
use crate::io::{mmsg, poller, rw};
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

/// A libc return type (`int`, `ssize_t`), convertible to and from the
/// kernel's convention (`-errno` on failure) with errno.
pub(crate) trait LibcRet: Copy {
    /// The result, and errno on failure, as the kernel's result.
    fn kernel(self) -> isize;
    /// The kernel's result as libc returns it (setting errno).
    fn libc(r: isize) -> Self;
}

impl LibcRet for isize {
    fn kernel(self) -> isize {
        kernel_result(self)
    }
    fn libc(r: isize) -> Self {
        libc_result(r)
    }
}

impl LibcRet for c_int {
    fn kernel(self) -> isize {
        kernel_result(self as isize)
    }
    fn libc(r: isize) -> Self {
        libc_result(r) as c_int
    }
}

pub(crate) fn user() -> bool {
    sched::current_user().is_some()
}

/// `preadv2(fd, iov, cnt, off, flags | RWF_NOWAIT)`: a read that does not
/// block, at `off` (-1: the file position).
fn readv_nowait(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64, flags: c_int) -> isize {
    // SAFETY: the program's buffers, checked by the kernel.
    unsafe { raw::syscall6(libc::SYS_preadv2, fd as usize, iov as usize, cnt as usize, off as usize, 0, (flags | libc::RWF_NOWAIT) as usize) }
}

fn writev_nowait(fd: c_int, iov: *const libc::iovec, cnt: c_int, flags: c_int) -> isize {
    // SAFETY: as above.
    unsafe { raw::syscall6(libc::SYS_pwritev2, fd as usize, iov as usize, cnt as usize, usize::MAX, 0, (flags | libc::RWF_NOWAIT) as usize) }
}

#[no_mangle]
pub extern "C" fn read(fd: c_int, buf: *mut c_void, n: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().read)(fd, buf, n) };
    }
    let iov = libc::iovec { iov_base: buf, iov_len: n };
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, &iov, 1, -1, 0), || kernel_result(unsafe { (real().read)(fd, buf, n) })))
    })
}

#[no_mangle]
pub extern "C" fn readv(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().readv)(fd, iov, cnt) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, iov, cnt, -1, 0), || kernel_result(unsafe { (real().readv)(fd, iov, cnt) })))
    })
}

#[no_mangle]
pub extern "C" fn write(fd: c_int, buf: *const c_void, n: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().write)(fd, buf, n) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    blocking_write(fd, buf, n, 0, |p, len| unsafe { (real().write)(fd, p, len) })
    })
}

/// A blocking write of `n` bytes at the file position, with `pwritev2`
/// `flags`, as a user thread: everything is written (see `rw::write_all`);
/// `plain(ptr, len)` is glibc's blocking call for what is left.
fn blocking_write(fd: c_int, buf: *const c_void, n: usize, flags: c_int, plain: impl Fn(*const c_void, usize) -> isize) -> isize {
    let at = |done: usize| (buf as usize + done) as *const c_void;
    libc_result(rw::write_all(
        fd,
        n,
        |done| writev_nowait(fd, &libc::iovec { iov_base: at(done) as *mut c_void, iov_len: n - done }, 1, flags),
        |done| kernel_result(plain(at(done), n - done)),
    ))
}

/// `writev` blocks until everything is written, like `write`; the pieces
/// after a partial write are written one segment at a time.
#[no_mangle]
pub extern "C" fn writev(fd: c_int, iov: *const libc::iovec, cnt: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || cnt <= 0 || cnt > libc::UIO_MAXIOV {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().writev)(fd, iov, cnt) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    blocking_writev(fd, iov, cnt, 0, || unsafe { (real().writev)(fd, iov, cnt) }, |p, n| write(fd, p, n))
    })
}

/// A blocking vectored write at the file position with `pwritev2` `flags`:
/// `plain` is glibc's call, `piece(ptr, len)` a blocking write of one
/// segment's rest after a partial write.
fn blocking_writev(fd: c_int, iov: *const libc::iovec, cnt: c_int, flags: c_int, plain: impl Fn() -> isize, piece: impl FnMut(*const c_void, usize) -> isize) -> isize {
    // The first attempt uses the program's vector as is (the kernel checks it).
    let r = rw::call(fd, Dir::Write, || writev_nowait(fd, iov, cnt, flags), || kernel_result(plain()));
    // SAFETY: the kernel accepted the vector, so it is readable.
    let vec = unsafe { core::slice::from_raw_parts(iov, cnt as usize) };
    let total: usize = vec.iter().map(|v| v.iov_len).sum();
    if r < 0 || r as usize >= total {
        return libc_result(r);
    }
    (r as usize + rw::rest_of_vector(vec, r as usize, piece)) as isize
}

/// `pread`: the attempt is `preadv2` at the offset with `RWF_NOWAIT`
/// (pipes and sockets answer ESPIPE to both, as glibc's; a negative offset
/// is glibc's EINVAL).
#[no_mangle]
pub extern "C" fn pread64(fd: c_int, buf: *mut c_void, n: usize, off: i64) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || off < 0 {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().pread64)(fd, buf, n, off) };
    }
    let iov = libc::iovec { iov_base: buf, iov_len: n };
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, &iov, 1, off, 0), || kernel_result(unsafe { (real().pread64)(fd, buf, n, off) })))
    })
}

#[no_mangle]
pub extern "C" fn pread(fd: c_int, buf: *mut c_void, n: usize, off: i64) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    pread64(fd, buf, n, off)
    })
}

#[no_mangle]
pub extern "C" fn preadv64(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || off < 0 {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().preadv64)(fd, iov, cnt, off) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    libc_result(rw::call(fd, Dir::Read, || readv_nowait(fd, iov, cnt, off, 0), || kernel_result(unsafe { (real().preadv64)(fd, iov, cnt, off) })))
    })
}

#[no_mangle]
pub extern "C" fn preadv(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    preadv64(fd, iov, cnt, off)
    })
}

/// `preadv2`: at an offset, or at the file position (-1: `readv` with
/// flags); the program's own `RWF_NOWAIT` goes to glibc unchanged.
#[no_mangle]
pub extern "C" fn preadv64v2(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || off < -1 || flags & libc::RWF_NOWAIT != 0 {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().preadv64v2)(fd, iov, cnt, off, flags) };
    }
    libc_result(rw::call(
        fd,
        Dir::Read,
        || readv_nowait(fd, iov, cnt, off, flags),
        // SAFETY: glibc's own function, with the program's arguments.
        || kernel_result(unsafe { (real().preadv64v2)(fd, iov, cnt, off, flags) }),
    ))
    })
}

#[no_mangle]
pub extern "C" fn preadv2(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    preadv64v2(fd, iov, cnt, off, flags)
    })
}

/// `pwritev2` at the file position (-1) is `writev` with flags, and blocks
/// until all is written; at an offset it goes to glibc, as `pwrite` and
/// `pwritev` do (not interposed): whatever the poller can watch refuses a
/// positioned write (ESPIPE), and ext4 refuses `RWF_NOWAIT` for buffered
/// writes (EOPNOTSUPP), so an attempt would only add system calls.
#[no_mangle]
pub extern "C" fn pwritev64v2(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || off != -1 || flags & libc::RWF_NOWAIT != 0 || cnt <= 0 || cnt > libc::UIO_MAXIOV {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().pwritev64v2)(fd, iov, cnt, off, flags) };
    }
    // SAFETY: glibc's own function, with the program's arguments (a piece:
    // one segment of the program's buffers).
    let one = |p: *const c_void, n: usize| unsafe { (real().pwritev64v2)(fd, &libc::iovec { iov_base: p as *mut c_void, iov_len: n }, 1, -1, flags) };
    // SAFETY: glibc's own function, with the program's arguments.
    let plain = || unsafe { (real().pwritev64v2)(fd, iov, cnt, -1, flags) };
    blocking_writev(fd, iov, cnt, flags, plain, |p, n| blocking_write(fd, p, n, flags, one))
    })
}

#[no_mangle]
pub extern "C" fn pwritev2(fd: c_int, iov: *const libc::iovec, cnt: c_int, off: i64, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    pwritev64v2(fd, iov, cnt, off, flags)
    })
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
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    recvfrom(fd, buf, n, flags, core::ptr::null_mut(), core::ptr::null_mut())
    })
}

/// `MSG_WAITALL` (without MSG_DONTWAIT) waits for all `n` bytes as the
/// kernel does: the pieces are received one parked wait at a time, and a
/// short count comes back only at end of file or with an error after some.
#[no_mangle]
pub extern "C" fn recvfrom(fd: c_int, buf: *mut c_void, n: usize, flags: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
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
    })
}

/// (`MSG_WAITALL` here waits parked for the first bytes, then finishes in
/// the kernel.)
#[no_mangle]
pub extern "C" fn recvmsg(fd: c_int, msg: *mut libc::msghdr, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().recvmsg)(fd, msg, flags) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    socket_call(fd, Dir::Read, flags, |f| unsafe { (real().recvmsg)(fd, msg, f) })
    })
}

/// Sends block until the whole message is queued, as the kernel's do for a
/// stream socket: a partial non-blocking send continues with the rest.
#[no_mangle]
pub extern "C" fn send(fd: c_int, buf: *const c_void, n: usize, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    sendto(fd, buf, n, flags, core::ptr::null(), 0)
    })
}

#[no_mangle]
pub extern "C" fn sendto(fd: c_int, buf: *const c_void, n: usize, flags: c_int, addr: *const libc::sockaddr, len: libc::socklen_t) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
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
    })
}

#[no_mangle]
pub extern "C" fn sendmsg(fd: c_int, msg: *const libc::msghdr, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().sendmsg)(fd, msg, flags) };
    }
    // SAFETY: glibc's own function, with the program's arguments.
    socket_call(fd, Dir::Write, flags, |f| unsafe { (real().sendmsg)(fd, msg, f) })
    })
}

#[no_mangle]
pub extern "C" fn __read_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    check_buffer(n, buflen);
    read(fd, buf, n)
    })
}

#[no_mangle]
pub extern "C" fn __recv_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    check_buffer(n, buflen);
    recv(fd, buf, n, flags)
    })
}

#[no_mangle]
pub extern "C" fn __recvfrom_chk(fd: c_int, buf: *mut c_void, n: usize, buflen: usize, flags: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    check_buffer(n, buflen);
    recvfrom(fd, buf, n, flags, addr, len)
    })
}

/// The `_FORTIFY_SOURCE` check glibc makes: the buffer holds `n` bytes.
fn check_buffer(n: usize, buflen: usize) {
    if n > buflen {
        // SAFETY: glibc's fortify failure report (does not return).
        unsafe { (real().chk_fail)() }
    }
}

#[no_mangle]
pub extern "C" fn __pread_chk(fd: c_int, buf: *mut c_void, n: usize, off: i64, buflen: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    check_buffer(n, buflen);
    pread64(fd, buf, n, off)
    })
}

#[no_mangle]
pub extern "C" fn __pread64_chk(fd: c_int, buf: *mut c_void, n: usize, off: i64, buflen: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    check_buffer(n, buflen);
    pread64(fd, buf, n, off)
    })
}

/// recvmmsg, with the kernel's batch rules (see `io::mmsg`).
#[no_mangle]
pub extern "C" fn recvmmsg(fd: c_int, vec: *mut libc::mmsghdr, vlen: c_uint, flags: c_int, timeout: *mut libc::timespec) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    let Some((_, t)) = sched::current_user().filter(|_| flags & libc::MSG_DONTWAIT == 0) else {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().recvmmsg)(fd, vec, vlen, flags, timeout) };
    };
    // SAFETY: `t` is the calling thread's descriptor.
    let stack = unsafe { (*t).stack.usable() };
    libc_result(mmsg::recv(fd, vec, vlen, flags, timeout, stack, |v, n, f, ts| {
        // SAFETY: glibc's own function, on the program's vector.
        (unsafe { (real().recvmmsg)(fd, v, n, f, ts) }).kernel()
    })) as c_int
    })
}

#[no_mangle]
pub extern "C" fn sendmmsg(fd: c_int, vec: *mut libc::mmsghdr, vlen: c_uint, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || flags & libc::MSG_DONTWAIT != 0 {
        // SAFETY: glibc's own function, with the program's arguments.
        return unsafe { (real().sendmmsg)(fd, vec, vlen, flags) };
    }
    libc_result(mmsg::send(
        fd,
        vec,
        vlen,
        flags,
        // SAFETY: glibc's own function, on the program's vector.
        |v, n, f| (unsafe { (real().sendmmsg)(fd, v, n, f) }).kernel(),
        |p, n| sendto(fd, p, n, flags, core::ptr::null(), 0),
    )) as c_int
    })
}

/// splice: the program's `SPLICE_F_NONBLOCK` goes to glibc unchanged;
/// otherwise the attempt adds it, so a pipe side never waits on the
/// carrier (see `rw::transfer`).
#[no_mangle]
pub extern "C" fn splice(inp: c_int, off_in: *mut i64, out: c_int, off_out: *mut i64, len: usize, flags: c_uint) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    let (oi, oo) = (off_in as usize, off_out as usize);
    // SAFETY: glibc's own function, with the program's arguments (and, in
    // the attempt, SPLICE_F_NONBLOCK added), made by the caller or by a
    // worker for it.
    let call = move |f: c_uint| unsafe { (real().splice)(inp, oi as *mut i64, out, oo as *mut i64, len, f) };
    if !user() || flags & libc::SPLICE_F_NONBLOCK != 0 {
        return call(flags);
    }
    match rw::transfer(inp, out, true, || call(flags | libc::SPLICE_F_NONBLOCK).kernel(), || call(flags).kernel()) {
        rw::Transfer::Done(r) => libc_result(r),
        rw::Transfer::Offload => offloaded(move || call(flags)),
    }
    })
}

/// sendfile has no non-blocking form: the look of `rw::transfer` decides.
#[no_mangle]
pub extern "C" fn sendfile64(out: c_int, inp: c_int, off: *mut i64, count: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    let o = off as usize;
    // SAFETY: glibc's own function, with the program's arguments, made by
    // the caller or by a worker for it.
    let call = move || unsafe { (real().sendfile64)(out, inp, o as *mut i64, count) };
    if !user() {
        return call();
    }
    match rw::transfer(inp, out, false, || call().kernel(), || call().kernel()) {
        rw::Transfer::Done(r) => libc_result(r),
        rw::Transfer::Offload => offloaded(call),
    }
    })
}

#[no_mangle]
pub extern "C" fn sendfile(out: c_int, inp: c_int, off: *mut i64, count: usize) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    sendfile64(out, inp, off, count)
    })
}

/// Threads parked on a descriptor being closed or replaced are woken first
/// (from any thread): they retry and get what the kernel says then,
/// instead of waiting on whatever file reuses the number.
#[no_mangle]
pub extern "C" fn close(fd: c_int) -> c_int {
    crate::cancel::point(|| {
    poller::wake_all(fd);
    // SAFETY: glibc's own function, with the program's arguments.
    unsafe { (real().close)(fd) }
    })
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
