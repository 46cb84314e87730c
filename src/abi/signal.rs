//! Signal exports: dispositions (`sigaction` and the older `signal`
//! family), masks, sending (`pthread_kill`, `pthread_sigqueue`, `raise`,
//! and `kill`/`sigqueue` to the process itself), pending sets, the
//! `sigwait` family, `sigsuspend`/`pause` and `sigaltstack`.
//!
//! For a user thread they go to the signal layer. Threads mnthread does
//! not run (main before the runtime starts, foreign threads) keep the
//! kernel's own per-thread masks and waits, through raw calls that leave
//! out the runtime's signals as glibc's leave out its own.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::io::libc_result;
use crate::cancel;
use crate::mem::uthread::{Kind, UThread, EXITED, FREE};
use crate::sched;
use crate::signal::action::{self, Action, NSIG};
use crate::signal::queue::{self, Origin};
use crate::signal::{altstack, deliver, mask, route, wait};
use crate::sys::errno;
use crate::sys::raw;
use crate::sys::real::real;
use crate::sys::signal::{self as ksig, bit, INTERNAL, UNBLOCKABLE};
use crate::sys::time;
use crate::thread::runtime;

/// The first word of a sigset_t (the kernel's set).
fn set_in(s: *const libc::sigset_t) -> Option<u64> {
    // SAFETY: a non-null sigset_t of the program.
    (!s.is_null()).then(|| unsafe { *(s as *const u64) })
}

fn set_out(s: *mut libc::sigset_t, v: u64) {
    if !s.is_null() {
        // SAFETY: the program's sigset_t, which it asked us to fill.
        unsafe {
            core::ptr::write_bytes(s, 0, 1);
            *(s as *mut u64) = v;
        }
    }
}

fn fail(e: c_int) -> c_int {
    errno::set(e);
    -1
}

/// The calling user thread, if it is one.
fn me() -> Option<*mut UThread> {
    sched::current_user().map(|(_, t)| t)
}

// ---------------------------------------------------------------- actions

#[no_mangle]
pub extern "C" fn sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int {
    runtime::main_thread();
    if action::in_vfork_child() {
        // The child's own kernel dispositions, as glibc would set them.
        // SAFETY: glibc's sigaction with the program's arguments.
        return unsafe { (real().sigaction)(sig, act, old) };
    }
    if !action::valid(sig, !act.is_null()) {
        return fail(libc::EINVAL);
    }
    let new = (!act.is_null()).then(|| {
        // SAFETY: the program's sigaction.
        let a = unsafe { &*act };
        Action { handler: a.sa_sigaction, flags: a.sa_flags as u64 | ksig::SA_RESTORER, mask: set_in(&a.sa_mask).unwrap_or(0), restorer: ksig::restore_rt as *const () as usize }
    });
    let prev = action::set(sig, new);
    if !old.is_null() {
        // SAFETY: the program's out-parameter.
        unsafe {
            core::ptr::write_bytes(old, 0, 1);
            (*old).sa_sigaction = prev.handler;
            (*old).sa_flags = prev.flags as c_int;
            set_out(&mut (*old).sa_mask, prev.mask);
            (*old).sa_restorer = core::mem::transmute::<usize, Option<extern "C" fn()>>(prev.restorer);
        }
    }
    0
}

#[no_mangle]
pub extern "C" fn __sigaction(sig: c_int, act: *const libc::sigaction, old: *mut libc::sigaction) -> c_int {
    sigaction(sig, act, old)
}

/// Signals `siginterrupt` made interrupting (no SA_RESTART for `signal`).
static INTERRUPTING: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Sets `handler` with `flags` and `mask`; the old handler or SIG_ERR.
fn set_handler(sig: c_int, handler: usize, flags: c_int, mask: u64) -> usize {
    // SAFETY: all-zero is a valid sigaction.
    let mut a: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
    a.sa_sigaction = handler;
    a.sa_flags = flags;
    set_out(&mut a.sa_mask, mask);
    if handler == libc::SIG_ERR || sigaction(sig, &a, &mut old) != 0 {
        errno::set(libc::EINVAL);
        return libc::SIG_ERR;
    }
    old.sa_sigaction
}

#[no_mangle]
pub extern "C" fn signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    if !action::valid(sig, true) {
        errno::set(libc::EINVAL);
        return libc::SIG_ERR;
    }
    let restart = if INTERRUPTING.load(Ordering::Relaxed) & bit(sig) != 0 { 0 } else { libc::SA_RESTART };
    set_handler(sig, handler, restart, bit(sig))
}

#[no_mangle]
pub extern "C" fn bsd_signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    signal(sig, handler)
}

#[no_mangle]
pub extern "C" fn sysv_signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    if !action::valid(sig, true) {
        errno::set(libc::EINVAL);
        return libc::SIG_ERR;
    }
    set_handler(sig, handler, libc::SA_RESETHAND | libc::SA_NODEFER, 0)
}

#[no_mangle]
pub extern "C" fn __sysv_signal(sig: c_int, handler: libc::sighandler_t) -> libc::sighandler_t {
    sysv_signal(sig, handler)
}

#[no_mangle]
pub extern "C" fn siginterrupt(sig: c_int, interrupt: c_int) -> c_int {
    if !action::valid(sig, true) {
        return fail(libc::EINVAL);
    }
    // SAFETY: all-zero is a valid sigaction.
    let mut a: libc::sigaction = unsafe { core::mem::zeroed() };
    sigaction(sig, core::ptr::null(), &mut a);
    if interrupt != 0 {
        INTERRUPTING.fetch_or(bit(sig), Ordering::Relaxed);
        a.sa_flags &= !libc::SA_RESTART;
    } else {
        INTERRUPTING.fetch_and(!bit(sig), Ordering::Relaxed);
        a.sa_flags |= libc::SA_RESTART;
    }
    sigaction(sig, &a, core::ptr::null_mut())
}

const SIG_HOLD: usize = 2;

#[no_mangle]
pub extern "C" fn sigset(sig: c_int, disp: libc::sighandler_t) -> libc::sighandler_t {
    if !action::valid(sig, true) {
        errno::set(libc::EINVAL);
        return libc::SIG_ERR;
    }
    let blocked = mask_of(sig);
    if disp == SIG_HOLD {
        change_mask(libc::SIG_BLOCK, bit(sig));
        return if blocked { SIG_HOLD } else { action::get(sig).handler };
    }
    let old = set_handler(sig, disp, 0, 0);
    if old == libc::SIG_ERR {
        return old;
    }
    change_mask(libc::SIG_UNBLOCK, bit(sig));
    if blocked {
        SIG_HOLD
    } else {
        old
    }
}

#[no_mangle]
pub extern "C" fn sigignore(sig: c_int) -> c_int {
    if set_handler(sig, libc::SIG_IGN, 0, 0) == libc::SIG_ERR {
        -1
    } else {
        0
    }
}

// ------------------------------------------------------------------ masks

/// sigprocmask's work for any thread; an errno value on failure.
fn sigmask(how: c_int, set: Option<u64>, old: *mut libc::sigset_t) -> c_int {
    match me() {
        Some(t) => match mask::change(t, how, set) {
            Ok(o) => {
                set_out(old, o);
                0
            }
            Err(e) => e,
        },
        None => {
            if set.is_some() && !matches!(how, libc::SIG_BLOCK | libc::SIG_UNBLOCK | libc::SIG_SETMASK) {
                return libc::EINVAL;
            }
            let mut o = 0u64;
            let s = set.map(|s| s & !INTERNAL);
            let sp = s.as_ref().map_or(0, |s| s as *const u64 as usize);
            // SAFETY: sets on this stack.
            let r = unsafe { raw::syscall6(libc::SYS_rt_sigprocmask, how as usize, sp, &mut o as *mut u64 as usize, 8, 0, 0) };
            if r < 0 {
                return -r as c_int;
            }
            set_out(old, o & !INTERNAL);
            0
        }
    }
}

fn change_mask(how: c_int, set: u64) {
    sigmask(how, Some(set), core::ptr::null_mut());
}

fn mask_of(sig: c_int) -> bool {
    let mut s = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    sigmask(libc::SIG_BLOCK, None, s.as_mut_ptr());
    // SAFETY: filled above (zeroed at worst).
    set_in(s.as_ptr()).unwrap_or(0) & bit(sig) != 0
}

#[no_mangle]
pub extern "C" fn pthread_sigmask(how: c_int, set: *const libc::sigset_t, old: *mut libc::sigset_t) -> c_int {
    sigmask(how, set_in(set), old)
}

#[no_mangle]
pub extern "C" fn sigprocmask(how: c_int, set: *const libc::sigset_t, old: *mut libc::sigset_t) -> c_int {
    match sigmask(how, set_in(set), old) {
        0 => 0,
        e => fail(e),
    }
}

#[no_mangle]
pub extern "C" fn sighold(sig: c_int) -> c_int {
    if !action::valid(sig, false) {
        return fail(libc::EINVAL);
    }
    change_mask(libc::SIG_BLOCK, bit(sig));
    0
}

#[no_mangle]
pub extern "C" fn sigrelse(sig: c_int) -> c_int {
    if !action::valid(sig, false) {
        return fail(libc::EINVAL);
    }
    change_mask(libc::SIG_UNBLOCK, bit(sig));
    0
}

#[no_mangle]
pub extern "C" fn sigblock(m: c_int) -> c_int {
    let mut old = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    sigmask(libc::SIG_BLOCK, Some(m as u32 as u64), old.as_mut_ptr());
    // SAFETY: filled above.
    set_in(old.as_ptr()).unwrap_or(0) as c_int
}

#[no_mangle]
pub extern "C" fn sigsetmask(m: c_int) -> c_int {
    let mut old = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    sigmask(libc::SIG_SETMASK, Some(m as u32 as u64), old.as_mut_ptr());
    // SAFETY: filled above.
    set_in(old.as_ptr()).unwrap_or(0) as c_int
}

#[no_mangle]
pub extern "C" fn siggetmask() -> c_int {
    sigblock(0)
}

#[no_mangle]
pub extern "C" fn sigpending(set: *mut libc::sigset_t) -> c_int {
    let kernel = (ksig::kernel_pending() | crate::signal::route::process_pending()) & !INTERNAL;
    let own = me().map_or(0, queue::pending);
    set_out(set, kernel | own);
    0
}

// ---------------------------------------------------------------- sending

/// A siginfo as the kernel makes it for a signal sent by this process.
fn info(sig: c_int, code: c_int, value: Option<libc::sigval>) -> libc::siginfo_t {
    #[repr(C)]
    struct Kill {
        signo: c_int,
        errno: c_int,
        code: c_int,
        pad: c_int,
        pid: libc::pid_t,
        uid: libc::uid_t,
        value: usize,
    }
    // SAFETY: all-zero is a valid siginfo.
    let mut i: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let k = Kill {
        signo: sig,
        errno: 0,
        code,
        pad: 0,
        pid: ksig::getpid(),
        // SAFETY: getuid has no arguments.
        uid: unsafe { raw::syscall3(libc::SYS_getuid, 0, 0, 0) } as libc::uid_t,
        value: value.map_or(0, |v| v.sival_ptr as usize),
    };
    // SAFETY: `Kill` is the prefix of the kernel's siginfo for kill/sigqueue.
    unsafe { core::ptr::write(&mut i as *mut libc::siginfo_t as *mut Kill, k) };
    i
}

fn valid_to_send(sig: c_int) -> bool {
    (0..=NSIG).contains(&sig) && (sig == 0 || INTERNAL & bit(sig) == 0)
}

/// Sends `info` to the user thread `t` (the caller delivers at once to
/// itself, as the kernel does before `pthread_kill` returns).
fn send_to(t: *mut UThread, info: &libc::siginfo_t) {
    let sig = info.si_signo;
    if UNBLOCKABLE & bit(sig) != 0 {
        // SIGKILL and SIGSTOP act on the whole process.
        // SAFETY: plain integers.
        unsafe { raw::syscall3(libc::SYS_kill, ksig::getpid() as usize, sig as usize, 0) };
        return;
    }
    if me() == Some(t) {
        queue::push(t, info, Origin::Thread);
        deliver::deliver_pending(t, core::ptr::null_mut());
    } else {
        deliver::post(t, info, Origin::Thread);
    }
}

/// Whether `t` is a thread this library runs (else: the kernel's own).
fn runs_here(t: *mut UThread) -> bool {
    // SAFETY: a plausible descriptor (checked by the caller).
    match unsafe { (*t).kind } {
        Kind::User => true,
        Kind::Main => runtime::main_is_user_thread(),
        Kind::Foreign => false,
    }
}

/// The target of a `pthread_kill`-like call: Ok(None) when the signal is
/// to be dropped (an exited thread), Err(errno) for a bad one.
fn target(th: libc::pthread_t) -> Result<Option<*mut UThread>, c_int> {
    let t = th as *mut UThread;
    if !crate::mem::uthread::SLAB.plausible(t) {
        return Err(libc::ESRCH);
    }
    // SAFETY: slab descriptors are type-stable.
    match unsafe { (*t).join_state.load(Ordering::Acquire) } {
        FREE => Err(libc::ESRCH),
        EXITED => Ok(None),
        _ => Ok(Some(t)),
    }
}

#[no_mangle]
pub extern "C" fn pthread_kill(th: libc::pthread_t, sig: c_int) -> c_int {
    if !valid_to_send(sig) {
        return libc::EINVAL;
    }
    let t = match target(th) {
        Ok(Some(t)) => t,
        Ok(None) => return 0,
        Err(e) => return e,
    };
    if !runs_here(t) {
        // SAFETY: glibc's pthread_kill with glibc's own handle (the TCB).
        return unsafe { (real().pthread_kill)((*t).ctx.tp as libc::pthread_t, sig) };
    }
    if sig != 0 {
        send_to(t, &info(sig, libc::SI_TKILL, None));
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_sigqueue(th: libc::pthread_t, sig: c_int, value: libc::sigval) -> c_int {
    if !valid_to_send(sig) {
        return libc::EINVAL;
    }
    let t = match target(th) {
        Ok(Some(t)) => t,
        Ok(None) => return 0,
        Err(e) => return e,
    };
    if !runs_here(t) {
        // SAFETY: glibc's pthread_sigqueue with glibc's own handle.
        return unsafe { (real().pthread_sigqueue)((*t).ctx.tp as libc::pthread_t, sig, value) };
    }
    if sig != 0 {
        send_to(t, &info(sig, libc::SI_QUEUE, Some(value)));
    }
    0
}

/// `syscall(SYS_tgkill, getpid(), gettid(), sig)` and `syscall(SYS_tkill,
/// gettid(), sig)` from a user thread: `gettid()` there is its carrier's
/// kernel thread, so a thread signalling that id means itself (the kernel
/// would leave the signal blocked on the carrier). None: not that case.
pub fn raw_self_kill(tgid: libc::pid_t, tid: libc::pid_t, sig: c_int) -> Option<c_int> {
    me()?;
    (tgid == ksig::getpid() && tid == ksig::gettid()).then(|| raise(sig))
}

#[no_mangle]
pub extern "C" fn raise(sig: c_int) -> c_int {
    let Some(t) = me() else {
        // SAFETY: glibc's raise for a kernel thread.
        return unsafe { (real().raise)(sig) };
    };
    if !valid_to_send(sig) {
        return fail(libc::EINVAL);
    }
    if sig != 0 {
        send_to(t, &info(sig, libc::SI_TKILL, None));
    }
    0
}

#[no_mangle]
pub extern "C" fn gsignal(sig: c_int) -> c_int {
    raise(sig)
}

/// `kill`/`sigqueue` of the caller's own process by a user thread: the
/// caller takes the signal if it does not block it (delivered before the
/// call returns, as POSIX asks of a process sending to itself), else it is
/// routed at once as the router would. True if done so.
fn to_own_process(pid: libc::pid_t, info: &libc::siginfo_t) -> bool {
    let sig = info.si_signo;
    let Some(t) = me() else { return false };
    if pid != ksig::getpid() || !valid_to_send(sig) || sig == 0 || UNBLOCKABLE & bit(sig) != 0 {
        return false;
    }
    // SAFETY: the caller's own descriptor.
    if unsafe { (*t).sig.mask.load(Ordering::Relaxed) } & bit(sig) == 0 {
        send_to(t, info);
    } else {
        crate::signal::route::route(info);
    }
    true
}

#[no_mangle]
pub extern "C" fn kill(pid: libc::pid_t, sig: c_int) -> c_int {
    if to_own_process(pid, &info(sig, libc::SI_USER, None)) {
        return 0;
    }
    // SAFETY: plain integers.
    let r = unsafe { raw::syscall3(libc::SYS_kill, pid as usize, sig as usize, 0) };
    take_own_share(pid, sig);
    libc_result(r) as c_int
}

#[no_mangle]
pub extern "C" fn sigqueue(pid: libc::pid_t, sig: c_int, value: libc::sigval) -> c_int {
    let i = info(sig, libc::SI_QUEUE, Some(value));
    if to_own_process(pid, &i) {
        return 0;
    }
    // SAFETY: a valid siginfo on this stack.
    libc_result(unsafe { raw::syscall3(libc::SYS_rt_sigqueueinfo, pid as usize, sig as usize, &i as *const libc::siginfo_t as usize) }) as c_int
}

#[no_mangle]
pub extern "C" fn killpg(pgrp: libc::pid_t, sig: c_int) -> c_int {
    if pgrp < 0 {
        return fail(libc::EINVAL);
    }
    kill(-pgrp, sig)
}

/// After a `kill` that may have reached this process (a group it is in).
fn take_own_share(pid: libc::pid_t, sig: c_int) {
    if pid <= 0 {
        take_share(sig);
    }
}

/// After a signal `sig` went through the kernel to a process that may be
/// this one: a caller that does not block it takes it now if it is still
/// pending; else the router may have taken it, and the caller waits until
/// it has been routed — to the caller, when no other thread takes it, so
/// that it is delivered before the call returns as POSIX asks.
fn take_share(sig: c_int) {
    let Some(t) = me() else { return };
    if sig <= 0 || sig > NSIG || (INTERNAL | UNBLOCKABLE) & bit(sig) != 0 {
        return;
    }
    // SAFETY: the caller's own descriptor.
    if unsafe { (*t).sig.mask.load(Ordering::Relaxed) } & bit(sig) == 0 {
        if !route::take_from_kernel(t, bit(sig)) {
            route::drain();
        }
        deliver::deliver_pending(t, core::ptr::null_mut());
    }
}

/// `pidfd_send_signal`: the pidfd may be this process's own (a pidfd of
/// it, or its `/proc` directory), which only the kernel knows.
#[no_mangle]
pub extern "C" fn pidfd_send_signal(pidfd: c_int, sig: c_int, info: *mut libc::siginfo_t, flags: libc::c_uint) -> c_int {
    // SAFETY: the kernel checks the arguments.
    let r = unsafe { raw::syscall6(libc::SYS_pidfd_send_signal, pidfd as usize, sig as usize, info as usize, flags as usize, 0, 0) };
    if r == 0 {
        take_share(sig);
    }
    libc_result(r) as c_int
}

// ---------------------------------------------------------------- waiting

/// The `sigtimedwait` family for the calling user thread `t`.
fn wait_signal(t: *mut UThread, set: u64, info: *mut libc::siginfo_t, deadline: Option<u64>) -> Result<c_int, c_int> {
    let i = wait::wait_for(t, set, deadline)?;
    if !info.is_null() {
        // SAFETY: the program's out-parameter.
        unsafe { *info = i };
    }
    Ok(i.si_signo)
}

#[no_mangle]
pub extern "C" fn sigwait(set: *const libc::sigset_t, sig: *mut c_int) -> c_int {
    let Some(s) = set_in(set) else { return libc::EINVAL };
    let Some(t) = me() else {
        // SAFETY: glibc's own, for a thread glibc runs (its cancellation too).
        return unsafe { (real().sigwait)(set, sig) };
    };
    cancel::point(|| loop {
        let r = match wait_signal(t, s, core::ptr::null_mut(), None) {
            Ok(n) => n as isize,
            Err(e) => -(e as isize),
        };
        if r > 0 {
            // SAFETY: the program's out-parameter.
            unsafe { *sig = r as c_int };
            return 0;
        }
        if r != -(libc::EINTR as isize) {
            return -r as c_int;
        }
        if crate::park::interruption(t) & crate::mem::uthread::INTR_CANCEL != 0 {
            return libc::EINTR;
        }
    })
}

#[no_mangle]
pub extern "C" fn sigwaitinfo(set: *const libc::sigset_t, info: *mut libc::siginfo_t) -> c_int {
    sigtimedwait(set, info, core::ptr::null())
}

#[no_mangle]
pub extern "C" fn sigtimedwait(set: *const libc::sigset_t, info: *mut libc::siginfo_t, ts: *const libc::timespec) -> c_int {
    let Some(s) = set_in(set) else { return fail(libc::EFAULT) };
    let Some(t) = me() else {
        // SAFETY: glibc's own, for a thread glibc runs.
        return unsafe { (real().sigtimedwait)(set, info, ts) };
    };
    cancel::point(|| {
        let deadline = if ts.is_null() {
            None
        } else {
            // SAFETY: the program's timespec.
            let ts = unsafe { *ts };
            if !time::valid_timespec(&ts) || ts.tv_sec < 0 {
                return fail(libc::EINVAL);
            }
            Some(time::now().saturating_add(time::timespec_ns(&ts)))
        };
        match wait_signal(t, s, info, deadline) {
            Ok(n) => n,
            Err(e) => fail(e),
        }
    })
}

#[no_mangle]
pub extern "C" fn sigsuspend(set: *const libc::sigset_t) -> c_int {
    let Some(s) = set_in(set) else { return fail(libc::EFAULT) };
    match me() {
        Some(t) => cancel::point(|| fail(wait::suspend(t, Some(s)))),
        // SAFETY: glibc's own, for a thread glibc runs.
        None => unsafe { (real().sigsuspend)(set) },
    }
}

#[no_mangle]
pub extern "C" fn __sigsuspend(set: *const libc::sigset_t) -> c_int {
    sigsuspend(set)
}

#[no_mangle]
pub extern "C" fn pause() -> c_int {
    match me() {
        Some(t) => cancel::point(|| fail(wait::suspend(t, None))),
        // SAFETY: glibc's own, for a thread glibc runs.
        None => unsafe { (real().pause)() },
    }
}

/// `sigpause(sig)` (XPG): waits with `sig` removed from the mask.
#[no_mangle]
pub extern "C" fn __xpg_sigpause(sig: c_int) -> c_int {
    if !action::valid(sig, false) {
        return fail(libc::EINVAL);
    }
    let mut cur = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    sigmask(libc::SIG_BLOCK, None, cur.as_mut_ptr());
    // SAFETY: filled above.
    let m = set_in(cur.as_ptr()).unwrap_or(0) & !bit(sig);
    let mut s = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    set_out(s.as_mut_ptr(), m);
    sigsuspend(s.as_ptr())
}

/// `__sigpause(sig_or_mask, is_sig)`: BSD `sigpause(mask)` when `is_sig` is 0.
#[no_mangle]
pub extern "C" fn __sigpause(sig_or_mask: c_int, is_sig: c_int) -> c_int {
    if is_sig != 0 {
        return __xpg_sigpause(sig_or_mask);
    }
    let mut s = core::mem::MaybeUninit::<libc::sigset_t>::zeroed();
    set_out(s.as_mut_ptr(), sig_or_mask as u32 as u64);
    sigsuspend(s.as_ptr())
}

#[no_mangle]
pub extern "C" fn sigpause(m: c_int) -> c_int {
    __sigpause(m, 0)
}

#[no_mangle]
pub extern "C" fn sigaltstack(new: *const libc::stack_t, old: *mut libc::stack_t) -> c_int {
    let Some(t) = me() else {
        // SAFETY: the program's structs, checked by the kernel.
        return libc_result(unsafe { raw::syscall3(libc::SYS_sigaltstack, new as usize, old as usize, 0) }) as c_int;
    };
    // SAFETY: the program's structs (null or valid).
    let (n, o) = unsafe { (new.as_ref(), old.as_mut()) };
    match altstack::set(t, n, o) {
        Ok(()) => 0,
        Err(e) => fail(e),
    }
}
