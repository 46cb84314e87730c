//! Calls that block with nothing to poll for — file syncs, file locks,
//! opens of FIFOs, SysV message queues and semaphores, POSIX message
//! queues: for a user thread, the blocking form is glibc's own call with
//! the program's arguments, made by an offload worker (`io::waits`) while
//! the thread parks, its errno carried back; for every other thread,
//! glibc's own call.
//!
//! What cannot block stays on the carrier at no extra cost (`LOCK_NB`,
//! `LOCK_UN`, `F_SETLK`, `F_TLOCK`, `IPC_NOWAIT`, `O_NONBLOCK`, every
//! `fcntl` command but the two waiting ones). What may block is first tried
//! in its non-blocking form on the carrier, whose "would block" error the
//! blocking form never gives, so any other answer is the call's answer and
//! only a real wait costs a hand-over:
//! * `flock`: `LOCK_NB` added, EWOULDBLOCK. (A conversion whose attempt
//!   fails has dropped the old lock, as the blocking call drops it before
//!   it waits.)
//! * `fcntl(F_SETLKW)`, `fcntl(F_OFD_SETLKW)`: `F_SETLK`/`F_OFD_SETLK`,
//!   EAGAIN or EACCES; `lockf(F_LOCK)`: `F_TLOCK`, the same.
//! * `msgrcv`/`msgsnd`: `IPC_NOWAIT` added, ENOMSG/EAGAIN (`MSG_COPY`
//!   requires `IPC_NOWAIT` of the program: such calls stay as they are).
//! * `semop`/`semtimedop`: a copy of the operations (up to 64; more are
//!   offloaded at once) with `IPC_NOWAIT` on each, EAGAIN — also the answer
//!   of an operation the program marked `IPC_NOWAIT`, which the offloaded
//!   call then gives at once.
//! * `mq_receive`, `mq_send` and the timed forms: an absolute timeout
//!   already past (the epoch), ETIMEDOUT. The program's own timeout is
//!   checked first as the kernel checks it (EFAULT, EINVAL), even when a
//!   message is there.
//! * `fsync`, `fdatasync`: always offloaded (nothing tells a sync with
//!   nothing to write); `sync_file_range` when it waits
//!   (`SYNC_FILE_RANGE_WAIT_BEFORE`/`_AFTER`; starting write-out alone
//!   stays).
//!
//! Opens: only a FIFO's open waits (for the other end), and only without
//! `O_NONBLOCK` and read-only or write-only. Telling needs the file's type
//! before the open: an `fstatat` of the path (Linux 6.18, ext4, warm dentry
//! cache: open + close of a regular file 1.1-1.4 us, with the `fstatat`
//! 1.9-2.4 us). No cheaper exact way exists: opening with `O_NONBLOCK`
//! changes what a FIFO's or device's open does and leaves the flag set,
//! `O_PATH` plus `fstat` costs two calls. So the `fstatat` is made only
//! for opens that could wait on a FIFO — not for `O_RDWR`, `O_NONBLOCK`,
//! `O_PATH`, `O_DIRECTORY`, `O_TMPFILE` or `O_CREAT|O_EXCL` — and a FIFO's
//! open is offloaded. (A FIFO made at the path between the `fstatat` and
//! the open is opened on the carrier.)

use core::ffi::{c_char, c_int, c_long, c_uint, c_void};

use super::io::{libc_result, user};
use super::waits::{offloaded, try_then_offload};
use crate::sched;
use crate::sys::{raw, real::real, time, user as mem};

const EAGAIN_EACCES: &[c_int] = &[libc::EAGAIN, libc::EACCES];

#[no_mangle]
pub extern "C" fn fsync(fd: c_int) -> c_int {
    crate::cancel::point(|| {
    if !user() {
        // SAFETY: glibc's own function, with the program's arguments (here
        // and in every call below, made by the caller or by a worker for it).
        return unsafe { (real().fsync)(fd) };
    }
    // SAFETY: as above.
    offloaded(move || unsafe { (real().fsync)(fd) })
    })
}

#[no_mangle]
pub extern "C" fn fdatasync(fd: c_int) -> c_int {
    crate::cancel::point(|| {
    if !user() {
        // SAFETY: as above.
        return unsafe { (real().fdatasync)(fd) };
    }
    // SAFETY: as above.
    offloaded(move || unsafe { (real().fdatasync)(fd) })
    })
}

#[no_mangle]
pub extern "C" fn sync_file_range(fd: c_int, off: i64, n: i64, flags: c_uint) -> c_int {
    if !user() || flags & (libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WAIT_AFTER) == 0 {
        // SAFETY: as above.
        return unsafe { (real().sync_file_range)(fd, off, n, flags) };
    }
    // SAFETY: as above.
    offloaded(move || unsafe { (real().sync_file_range)(fd, off, n, flags) })
}

#[no_mangle]
pub extern "C" fn flock(fd: c_int, op: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || op & (libc::LOCK_NB | libc::LOCK_UN) != 0 {
        // SAFETY: as above.
        return unsafe { (real().flock)(fd, op) };
    }
    // SAFETY: as above.
    try_then_offload(|| unsafe { (real().flock)(fd, op | libc::LOCK_NB) }, &[libc::EWOULDBLOCK], move || unsafe { (real().flock)(fd, op) })
    })
}

/// `fcntl` is variadic in C; its third argument, when there is one, is an
/// `int` or a pointer, which the caller passes in the third argument
/// register either way: read as a word, it goes to glibc's `fcntl` as it
/// came.
#[no_mangle]
pub extern "C" fn fcntl64(fd: c_int, cmd: c_int, arg: usize) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    let attempt = match cmd {
        libc::F_SETLKW => libc::F_SETLK,
        libc::F_OFD_SETLKW => libc::F_OFD_SETLK,
        _ => 0,
    };
    if attempt == 0 || !user() {
        // SAFETY: as above.
        return unsafe { (real().fcntl64)(fd, cmd, arg) };
    }
    // SAFETY: as above.
    try_then_offload(|| unsafe { (real().fcntl64)(fd, attempt, arg) }, EAGAIN_EACCES, move || unsafe { (real().fcntl64)(fd, cmd, arg) })
    })
}

#[no_mangle]
pub extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: usize) -> c_int {
    fcntl64(fd, cmd, arg)
}

#[no_mangle]
pub extern "C" fn lockf64(fd: c_int, cmd: c_int, len: i64) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || cmd != libc::F_LOCK {
        // SAFETY: as above.
        return unsafe { (real().lockf64)(fd, cmd, len) };
    }
    // SAFETY: as above.
    try_then_offload(|| unsafe { (real().lockf64)(fd, libc::F_TLOCK, len) }, EAGAIN_EACCES, move || unsafe { (real().lockf64)(fd, cmd, len) })
    })
}

#[no_mangle]
pub extern "C" fn lockf(fd: c_int, cmd: c_int, len: i64) -> c_int {
    lockf64(fd, cmd, len)
}

/// Whether an open with `flags` would wait if the path is a FIFO.
fn fifo_open_may_wait(flags: c_int) -> bool {
    let acc = flags & libc::O_ACCMODE;
    (acc == libc::O_RDONLY || acc == libc::O_WRONLY)
        && flags & (libc::O_NONBLOCK | libc::O_PATH | libc::O_DIRECTORY) == 0
        && flags & libc::O_TMPFILE != libc::O_TMPFILE
        && flags & (libc::O_CREAT | libc::O_EXCL) != (libc::O_CREAT | libc::O_EXCL)
}

/// Whether `path` (relative to `dirfd`) names a FIFO, for a user thread's
/// open that may wait on one.
fn waiting_fifo_open(dirfd: c_int, path: *const c_char, flags: c_int) -> bool {
    if !user() || !fifo_open_may_wait(flags) {
        return false;
    }
    // SAFETY: all-zero is a valid `stat`.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    let at = if flags & libc::O_NOFOLLOW != 0 { libc::AT_SYMLINK_NOFOLLOW } else { 0 };
    // SAFETY: the kernel reads the program's path (EFAULT if bad) and
    // writes `st`, which is that large.
    let r = unsafe { raw::syscall6(libc::SYS_newfstatat, dirfd as usize, path as usize, &mut st as *mut _ as usize, at as usize, 0, 0) };
    r == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO
}

/// `open` is variadic in C: `mode`, read from the third argument register,
/// means something only with `O_CREAT`/`O_TMPFILE` and goes to glibc as it
/// came (glibc reads it under the same rule).
#[no_mangle]
pub extern "C" fn open64(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !waiting_fifo_open(libc::AT_FDCWD, path, flags) {
        // SAFETY: as above.
        return unsafe { (real().open64)(path, flags, mode) };
    }
    let p = path as usize;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().open64)(p as *const c_char, flags, mode) })
    })
}

#[no_mangle]
pub extern "C" fn open(path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    open64(path, flags, mode)
}

#[no_mangle]
pub extern "C" fn openat64(dirfd: c_int, path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !waiting_fifo_open(dirfd, path, flags) {
        // SAFETY: as above.
        return unsafe { (real().openat64)(dirfd, path, flags, mode) };
    }
    let p = path as usize;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().openat64)(dirfd, p as *const c_char, flags, mode) })
    })
}

#[no_mangle]
pub extern "C" fn openat(dirfd: c_int, path: *const c_char, flags: c_int, mode: c_uint) -> c_int {
    openat64(dirfd, path, flags, mode)
}

#[no_mangle]
pub extern "C" fn creat64(path: *const c_char, mode: c_uint) -> c_int {
    open64(path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, mode)
}

#[no_mangle]
pub extern "C" fn creat(path: *const c_char, mode: c_uint) -> c_int {
    creat64(path, mode)
}

/// The `_FORTIFY_SOURCE` opens without a mode: glibc's own when the flags
/// need one (it reports the bad call), `open` otherwise.
fn needs_mode(flags: c_int) -> bool {
    flags & libc::O_CREAT != 0 || flags & libc::O_TMPFILE == libc::O_TMPFILE
}

#[no_mangle]
pub extern "C" fn __open_2(path: *const c_char, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if needs_mode(flags) {
        // SAFETY: as above.
        return unsafe { (real().open_2)(path, flags) };
    }
    open64(path, flags, 0)
    })
}

#[no_mangle]
pub extern "C" fn __open64_2(path: *const c_char, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    __open_2(path, flags)
    })
}

#[no_mangle]
pub extern "C" fn __openat_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if needs_mode(flags) {
        // SAFETY: as above.
        return unsafe { (real().openat_2)(dirfd, path, flags) };
    }
    openat64(dirfd, path, flags, 0)
    })
}

#[no_mangle]
pub extern "C" fn __openat64_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    __openat_2(dirfd, path, flags)
    })
}

#[no_mangle]
pub extern "C" fn msgrcv(id: c_int, msg: *mut c_void, size: usize, typ: c_long, flags: c_int) -> isize {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || flags & (libc::IPC_NOWAIT | libc::MSG_COPY) != 0 {
        // SAFETY: as above.
        return unsafe { (real().msgrcv)(id, msg, size, typ, flags) };
    }
    let m = msg as usize;
    try_then_offload(
        // SAFETY: as above.
        || unsafe { (real().msgrcv)(id, msg, size, typ, flags | libc::IPC_NOWAIT) },
        &[libc::ENOMSG],
        // SAFETY: as above.
        move || unsafe { (real().msgrcv)(id, m as *mut c_void, size, typ, flags) },
    )
    })
}

#[no_mangle]
pub extern "C" fn msgsnd(id: c_int, msg: *const c_void, size: usize, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || flags & libc::IPC_NOWAIT != 0 {
        // SAFETY: as above.
        return unsafe { (real().msgsnd)(id, msg, size, flags) };
    }
    let m = msg as usize;
    try_then_offload(
        // SAFETY: as above.
        || unsafe { (real().msgsnd)(id, msg, size, flags | libc::IPC_NOWAIT) },
        &[libc::EAGAIN],
        // SAFETY: as above.
        move || unsafe { (real().msgsnd)(id, m as *const c_void, size, flags) },
    )
    })
}

/// Operations copied for the non-blocking attempt; longer arrays are offloaded at once.
const SEM_ATTEMPT_OPS: usize = 64;

#[no_mangle]
pub extern "C" fn semtimedop(id: c_int, sops: *mut libc::sembuf, n: usize, ts: *const libc::timespec) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    let tp = ts as usize;
    // SAFETY: as above.
    let call = move |s: usize| unsafe { (real().semtimedop)(id, s as *mut libc::sembuf, n, tp as *const libc::timespec) };
    let Some((_, t)) = sched::current_user().filter(|_| n > 0) else { return call(sops as usize) };
    let s = sops as usize;
    if n > SEM_ATTEMPT_OPS {
        return offloaded(move || call(s));
    }
    let mut ops = [core::mem::MaybeUninit::<libc::sembuf>::uninit(); SEM_ATTEMPT_OPS];
    // SAFETY: `t` is the calling thread's descriptor.
    if let Err(e) = mem::copy_in_slice(sops, &mut ops[..n], unsafe { (*t).stack.usable() }) {
        return libc_result(-(e as isize)) as c_int;
    }
    // SAFETY: the first `n` were filled by the copy.
    let ops = unsafe { core::slice::from_raw_parts_mut(ops.as_mut_ptr() as *mut libc::sembuf, n) };
    let nowait = libc::IPC_NOWAIT as libc::c_short;
    if ops.iter().all(|o| o.sem_flg & nowait != 0) {
        return call(s);
    }
    ops.iter_mut().for_each(|o| o.sem_flg |= nowait);
    try_then_offload(|| call(ops.as_mut_ptr() as usize), &[libc::EAGAIN], move || call(s))
    })
}

#[no_mangle]
pub extern "C" fn semop(id: c_int, sops: *mut libc::sembuf, n: usize) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    semtimedop(id, sops, n, core::ptr::null())
    })
}

/// The absolute timeout of the message-queue attempts: long past.
const PAST: libc::timespec = libc::timespec { tv_sec: 0, tv_nsec: 0 };

/// The kernel's checks of a message queue call's own timeout (made before
/// it looks at the queue): 0, or the errno.
fn mq_timeout_error(ts: *const libc::timespec) -> c_int {
    let Some((_, t)) = sched::current_user() else { return 0 };
    if ts.is_null() {
        return 0;
    }
    // SAFETY: `t` is the calling thread's descriptor.
    match mem::copy_in(ts, unsafe { (*t).stack.usable() }) {
        Ok(v) if v.tv_sec >= 0 && time::valid_timespec(&v) => 0,
        Ok(_) => libc::EINVAL,
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn mq_timedreceive(q: libc::mqd_t, buf: *mut c_char, len: usize, prio: *mut c_uint, ts: *const libc::timespec) -> isize {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    // SAFETY: as above.
    let call = move |b: usize, p: usize, t: usize| unsafe { (real().mq_timedreceive)(q, b as *mut c_char, len, p as *mut c_uint, t as *const libc::timespec) };
    let (b, p, t) = (buf as usize, prio as usize, ts as usize);
    if !user() {
        return call(b, p, t);
    }
    match mq_timeout_error(ts) {
        0 => try_then_offload(|| call(b, p, &PAST as *const _ as usize), &[libc::ETIMEDOUT], move || call(b, p, t)),
        e => libc_result(-(e as isize)),
    }
    })
}

#[no_mangle]
pub extern "C" fn mq_receive(q: libc::mqd_t, buf: *mut c_char, len: usize, prio: *mut c_uint) -> isize {
    mq_timedreceive(q, buf, len, prio, core::ptr::null())
}

#[no_mangle]
pub extern "C" fn mq_timedsend(q: libc::mqd_t, buf: *const c_char, len: usize, prio: c_uint, ts: *const libc::timespec) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    // SAFETY: as above.
    let call = move |b: usize, t: usize| unsafe { (real().mq_timedsend)(q, b as *const c_char, len, prio, t as *const libc::timespec) };
    let (b, t) = (buf as usize, ts as usize);
    if !user() {
        return call(b, t);
    }
    match mq_timeout_error(ts) {
        0 => try_then_offload(|| call(b, &PAST as *const _ as usize), &[libc::ETIMEDOUT], move || call(b, t)),
        e => libc_result(-(e as isize)) as c_int,
    }
    })
}

#[no_mangle]
pub extern "C" fn mq_send(q: libc::mqd_t, buf: *const c_char, len: usize, prio: c_uint) -> c_int {
    mq_timedsend(q, buf, len, prio, core::ptr::null())
}
