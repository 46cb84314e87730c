//! poll, select, epoll_wait, accept, connect and the wait family: for a
//! user thread, waited for in the poller by `io::readiness` where it can
//! (one descriptor in one direction, an epoll descriptor, a listening
//! socket, one child), else made by `io::waits` (parked while a worker
//! waits in the kernel); for every other thread, glibc's own.
//!
//! The closures handed to a worker carry the program's pointers as
//! addresses (`usize`): the caller stays parked, its memory untouched, until
//! the worker is done with them.

use core::ffi::c_int;

use super::io::{user, LibcRet};
use crate::io::{readiness, rw, waits};
use crate::sys::time;
use crate::sys::real::real;

/// glibc's `call`, made by an offload worker while the caller parks: its
/// result, and the errno it set on the worker, become the caller's.
pub(crate) fn offloaded<R: LibcRet>(call: impl FnOnce() -> R + Send) -> R {
    R::libc(waits::in_kernel(move || call().kernel()))
}

/// `look` (glibc's call without blocking) answers unless it found nothing
/// (0); then the blocking `call` is [`offloaded`].
pub(crate) fn look_then_offload<R: LibcRet>(look: impl FnOnce() -> R, call: impl FnOnce() -> R + Send) -> R {
    R::libc(waits::look_then_wait(|| look().kernel(), move || call().kernel()))
}

/// `attempt` (the call's non-blocking form) answers unless it failed with
/// one of `blocked`, its "would block" errnos; then the blocking `call` is
/// [`offloaded`].
pub(crate) fn try_then_offload<R: LibcRet>(attempt: impl FnOnce() -> R, blocked: &[c_int], call: impl FnOnce() -> R + Send) -> R {
    R::libc(waits::try_then_wait(|| attempt().kernel(), |r| blocked.iter().any(|&e| r == -(e as isize)), move || call().kernel()))
}

fn zero_timespec(ts: *const libc::timespec) -> bool {
    // SAFETY: a non-null timeout is the program's, valid to read (glibc reads it too).
    !ts.is_null() && unsafe { (*ts).tv_sec == 0 && (*ts).tv_nsec == 0 }
}

const ZERO: libc::timespec = libc::timespec { tv_sec: 0, tv_nsec: 0 };

#[no_mangle]
pub extern "C" fn poll(fds: *mut libc::pollfd, n: libc::nfds_t, timeout: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || timeout == 0 {
        // SAFETY: glibc's own function, with the program's arguments (here
        // and in every call below, made by the caller or by a worker for it).
        return unsafe { (real().poll)(fds, n, timeout) };
    }
    // SAFETY: as above.
    let look = || unsafe { (real().poll)(fds, n, 0) };
    if let Some(r) = on_poller(fds, n, readiness::deadline_ms(timeout), &look) {
        return r;
    }
    let a = fds as usize;
    // SAFETY: as above.
    look_then_offload(look, move || unsafe { (real().poll)(a as *mut libc::pollfd, n, timeout) })
    })
}

/// poll of one descriptor in one direction, in the poller (`None`: not
/// such a poll; the caller offloads it, looking once more).
fn on_poller(fds: *mut libc::pollfd, n: libc::nfds_t, deadline: Option<u64>, look: &impl Fn() -> c_int) -> Option<c_int> {
    if n != 1 {
        return None;
    }
    let first = look();
    if first != 0 {
        return Some(first);
    }
    // SAFETY: the look just read this pollfd (a bad pointer is EFAULT there).
    let p = unsafe { *fds };
    let dir = readiness::poll_dir(p.events).filter(|_| p.fd >= 0)?;
    readiness::look_between_waits(p.fd, dir, deadline, || look().kernel()).map(c_int::libc)
}

/// A relative timeout as a deadline: `Some(None)` for none, `None` for an
/// invalid one (the kernel's call reports it).
fn deadline_ts(ts: *const libc::timespec) -> Option<Option<u64>> {
    if ts.is_null() {
        return Some(None);
    }
    // SAFETY: a non-null timeout is the program's, valid to read.
    let t = unsafe { *ts };
    (t.tv_sec >= 0 && time::valid_timespec(&t)).then(|| Some(time::now().saturating_add(time::timespec_ns(&t))))
}

#[no_mangle]
pub extern "C" fn ppoll(fds: *mut libc::pollfd, n: libc::nfds_t, ts: *const libc::timespec, mask: *const libc::sigset_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || zero_timespec(ts) {
        // SAFETY: as above.
        return unsafe { (real().ppoll)(fds, n, ts, mask) };
    }
    if mask.is_null() {
        if let Some(deadline) = deadline_ts(ts) {
            // SAFETY: as above.
            if let Some(r) = on_poller(fds, n, deadline, &|| unsafe { (real().ppoll)(fds, n, &ZERO, core::ptr::null()) }) {
                return r;
            }
        }
    }
    let (a, t, m) = (fds as usize, ts as usize, mask as usize);
    // The look keeps the carrier's signal mask; the worker's call applies the program's.
    look_then_offload(
        // SAFETY: as above.
        || unsafe { (real().ppoll)(fds, n, &ZERO, core::ptr::null()) },
        // SAFETY: as above.
        move || unsafe { (real().ppoll)(a as *mut libc::pollfd, n, t as *const libc::timespec, m as *const libc::sigset_t) },
    )
    })
}

/// The `_FORTIFY_SOURCE` check glibc makes: the array holds `n` entries.
fn check_pollfds(n: libc::nfds_t, fdslen: usize) {
    if (fdslen / core::mem::size_of::<libc::pollfd>()) < n as usize {
        // SAFETY: glibc's fortify failure report (does not return).
        unsafe { (real().chk_fail)() }
    }
}

#[no_mangle]
pub extern "C" fn __poll_chk(fds: *mut libc::pollfd, n: libc::nfds_t, timeout: c_int, fdslen: usize) -> c_int {
    check_pollfds(n, fdslen);
    poll(fds, n, timeout)
}

#[no_mangle]
pub extern "C" fn __ppoll_chk(fds: *mut libc::pollfd, n: libc::nfds_t, ts: *const libc::timespec, mask: *const libc::sigset_t, fdslen: usize) -> c_int {
    check_pollfds(n, fdslen);
    ppoll(fds, n, ts, mask)
}

/// select and pselect rewrite the descriptor sets even when nothing is
/// ready, so there is no look first: only a zero timeout stays here.
#[no_mangle]
pub extern "C" fn select(n: c_int, r: *mut libc::fd_set, w: *mut libc::fd_set, e: *mut libc::fd_set, tv: *mut libc::timeval) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    // SAFETY: a non-null timeout is the program's, valid to read.
    if !user() || (!tv.is_null() && unsafe { (*tv).tv_sec == 0 && (*tv).tv_usec == 0 }) {
        // SAFETY: as above.
        return unsafe { (real().select)(n, r, w, e, tv) };
    }
    let (r, w, e, tv) = (r as usize, w as usize, e as usize, tv as usize);
    let set = |p: usize| p as *mut libc::fd_set;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().select)(n, set(r), set(w), set(e), tv as *mut libc::timeval) })
    })
}

#[no_mangle]
pub extern "C" fn pselect(n: c_int, r: *mut libc::fd_set, w: *mut libc::fd_set, e: *mut libc::fd_set, ts: *const libc::timespec, mask: *const libc::sigset_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || zero_timespec(ts) {
        // SAFETY: as above.
        return unsafe { (real().pselect)(n, r, w, e, ts, mask) };
    }
    let (r, w, e, ts, m) = (r as usize, w as usize, e as usize, ts as usize, mask as usize);
    let set = |p: usize| p as *mut libc::fd_set;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().pselect)(n, set(r), set(w), set(e), ts as *const libc::timespec, m as *const libc::sigset_t) })
    })
}

#[no_mangle]
pub extern "C" fn epoll_wait(ep: c_int, ev: *mut libc::epoll_event, max: c_int, timeout: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || timeout == 0 {
        // SAFETY: as above.
        return unsafe { (real().epoll_wait)(ep, ev, max, timeout) };
    }
    if let Some(r) = epoll_on_poller(ep, ev, max, readiness::deadline_ms(timeout)) {
        return r;
    }
    let a = ev as usize;
    look_then_offload(
        // SAFETY: as above.
        || unsafe { (real().epoll_wait)(ep, ev, max, 0) },
        // SAFETY: as above.
        move || unsafe { (real().epoll_wait)(ep, a as *mut libc::epoll_event, max, timeout) },
    )
    })
}

/// epoll_wait in the poller, on the epoll descriptor itself.
fn epoll_on_poller(ep: c_int, ev: *mut libc::epoll_event, max: c_int, deadline: Option<u64>) -> Option<c_int> {
    // SAFETY: as above.
    let look = || unsafe { (real().epoll_wait)(ep, ev, max, 0) }.kernel();
    readiness::look_between_waits(ep, crate::io::fdtab::Dir::Read, deadline, look).map(c_int::libc)
}

#[no_mangle]
pub extern "C" fn epoll_pwait(ep: c_int, ev: *mut libc::epoll_event, max: c_int, timeout: c_int, mask: *const libc::sigset_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || timeout == 0 {
        // SAFETY: as above.
        return unsafe { (real().epoll_pwait)(ep, ev, max, timeout, mask) };
    }
    if mask.is_null() {
        if let Some(r) = epoll_on_poller(ep, ev, max, readiness::deadline_ms(timeout)) {
            return r;
        }
    }
    let (a, m) = (ev as usize, mask as usize);
    look_then_offload(
        // SAFETY: as above.
        || unsafe { (real().epoll_wait)(ep, ev, max, 0) },
        // SAFETY: as above.
        move || unsafe { (real().epoll_pwait)(ep, a as *mut libc::epoll_event, max, timeout, m as *const libc::sigset_t) },
    )
    })
}

#[no_mangle]
pub extern "C" fn epoll_pwait2(ep: c_int, ev: *mut libc::epoll_event, max: c_int, ts: *const libc::timespec, mask: *const libc::sigset_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::Never, || {
    if !user() || zero_timespec(ts) {
        // SAFETY: as above.
        return unsafe { (real().epoll_pwait2)(ep, ev, max, ts, mask) };
    }
    if mask.is_null() {
        if let Some(r) = deadline_ts(ts).and_then(|d| epoll_on_poller(ep, ev, max, d)) {
            return r;
        }
    }
    let (a, t, m) = (ev as usize, ts as usize, mask as usize);
    look_then_offload(
        // SAFETY: as above.
        || unsafe { (real().epoll_wait)(ep, ev, max, 0) },
        // SAFETY: as above.
        move || unsafe { (real().epoll_pwait2)(ep, a as *mut libc::epoll_event, max, t as *const libc::timespec, m as *const libc::sigset_t) },
    )
    })
}

#[no_mangle]
pub extern "C" fn accept(fd: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || rw::nonblocking(fd) {
        // SAFETY: as above.
        return unsafe { (real().accept)(fd, addr, len) };
    }
    // SAFETY: as above.
    if let Some(r) = readiness::accept(fd, || unsafe { (real().accept)(fd, addr, len) }.kernel()) {
        return c_int::libc(r);
    }
    let (a, n) = (addr as usize, len as usize);
    // SAFETY: as above.
    offloaded(move || unsafe { (real().accept)(fd, a as *mut libc::sockaddr, n as *mut libc::socklen_t) })
    })
}

#[no_mangle]
pub extern "C" fn accept4(fd: c_int, addr: *mut libc::sockaddr, len: *mut libc::socklen_t, flags: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || rw::nonblocking(fd) {
        // SAFETY: as above.
        return unsafe { (real().accept4)(fd, addr, len, flags) };
    }
    // SAFETY: as above.
    if let Some(r) = readiness::accept(fd, || unsafe { (real().accept4)(fd, addr, len, flags) }.kernel()) {
        return c_int::libc(r);
    }
    let (a, n) = (addr as usize, len as usize);
    // SAFETY: as above.
    offloaded(move || unsafe { (real().accept4)(fd, a as *mut libc::sockaddr, n as *mut libc::socklen_t, flags) })
    })
}

#[no_mangle]
pub extern "C" fn connect(fd: c_int, addr: *const libc::sockaddr, len: libc::socklen_t) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || rw::nonblocking(fd) {
        // SAFETY: as above.
        return unsafe { (real().connect)(fd, addr, len) };
    }
    let a = addr as usize;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().connect)(fd, a as *const libc::sockaddr, len) })
    })
}

#[no_mangle]
pub extern "C" fn wait4(pid: libc::pid_t, status: *mut c_int, options: c_int, ru: *mut libc::rusage) -> libc::pid_t {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || options & libc::WNOHANG != 0 {
        // SAFETY: as above.
        return unsafe { (real().wait4)(pid, status, options, ru) };
    }
    // SAFETY: as above.
    let look = || unsafe { (real().wait4)(pid, status, options | libc::WNOHANG, ru) };
    // Only an exit makes a pidfd readable: stops and continues are waited
    // for by a worker.
    if pid > 0 && options & (libc::WUNTRACED | libc::WCONTINUED) == 0 {
        if let Some(r) = readiness::wait_child(pid, || look().kernel()) {
            return libc::pid_t::libc(r);
        }
    }
    let (s, r) = (status as usize, ru as usize);
    look_then_offload(
        // SAFETY: as above.
        || unsafe { (real().wait4)(pid, status, options | libc::WNOHANG, ru) },
        // SAFETY: as above.
        move || unsafe { (real().wait4)(pid, s as *mut c_int, options, r as *mut libc::rusage) },
    )
    })
}

#[no_mangle]
pub extern "C" fn waitpid(pid: libc::pid_t, status: *mut c_int, options: c_int) -> libc::pid_t {
    wait4(pid, status, options, core::ptr::null_mut())
}

#[no_mangle]
pub extern "C" fn wait(status: *mut c_int) -> libc::pid_t {
    wait4(-1, status, 0, core::ptr::null_mut())
}

#[no_mangle]
pub extern "C" fn wait3(status: *mut c_int, options: c_int, ru: *mut libc::rusage) -> libc::pid_t {
    wait4(-1, status, options, ru)
}

/// A `WNOHANG` look reports "nothing yet" as 0 with `si_pid` left 0 (which
/// the look clears first, as POSIX has callers do).
#[no_mangle]
pub extern "C" fn waitid(idtype: libc::idtype_t, id: libc::id_t, info: *mut libc::siginfo_t, options: c_int) -> c_int {
    super::restart::libc_call(super::restart::Restart::WithSaRestart, || {
    if !user() || options & libc::WNOHANG != 0 || info.is_null() {
        // SAFETY: as above.
        return unsafe { (real().waitid)(idtype, id, info, options) };
    }
    // SAFETY: `info` is the program's siginfo_t, which the call writes anyway.
    unsafe { core::ptr::write_bytes(info as *mut u8, 0, core::mem::size_of::<libc::siginfo_t>()) };
    // SAFETY: as above.
    let r = unsafe { (real().waitid)(idtype, id, info, options | libc::WNOHANG) };
    // SAFETY: as above (a successful call filled it, or left it zeroed).
    if r != 0 || unsafe { (*info).si_pid() } != 0 {
        return r;
    }
    let a = info as usize;
    // SAFETY: as above.
    offloaded(move || unsafe { (real().waitid)(idtype, id, a as *mut libc::siginfo_t, options) })
    })
}

