//! Calls that change what the kernel keeps per kernel thread — namespaces
//! (`unshare`, `setns`), capabilities (`capset`), `personality`, the
//! per-thread `prctl` options, scheduling policy and nice value of the
//! caller (`sched_setscheduler`, `sched_setparam`, `setpriority` on itself).
//! A user thread binds itself first (`sched::bound`), so the change stays
//! its own instead of landing on a carrier shared with other threads; then
//! the kernel makes the call. Process-wide options and queries bind
//! nobody. `prctl(PR_SET_NAME/PR_GET_NAME)` name the user thread, as
//! `pthread_setname_np` does.

use core::ffi::{c_char, c_int, c_long, c_ulong};

use crate::sched::bound;
use crate::sys::errno;
use crate::sys::raw;
use crate::thread::affinity;

/// A system call's raw result as libc returns it (-1 and errno).
fn libc_result(r: isize) -> c_long {
    if (-4095..0).contains(&r) {
        errno::set(-r as c_int);
        return -1;
    }
    r as c_long
}

/// Binds the calling user thread, then makes the call; -1 with `EAGAIN`
/// if it could not be bound.
fn bound_call(call: impl FnOnce() -> isize) -> c_long {
    match bound::bind_current() {
        Ok(()) => libc_result(call()),
        Err(e) => {
            errno::set(e);
            -1
        }
    }
}

/// Whether `pid` means the calling thread.
fn is_self(pid: libc::pid_t) -> bool {
    affinity::thread_of_pid(pid).is_some_and(|t| crate::sched::current_user().is_some_and(|(_, me)| me == t))
}

#[no_mangle]
pub extern "C" fn unshare(flags: c_int) -> c_int {
    // SAFETY: the kernel checks the flags.
    bound_call(|| unsafe { raw::syscall3(libc::SYS_unshare, flags as usize, 0, 0) }) as c_int
}

#[no_mangle]
pub extern "C" fn setns(fd: c_int, nstype: c_int) -> c_int {
    // SAFETY: the kernel checks its arguments.
    bound_call(|| unsafe { raw::syscall3(libc::SYS_setns, fd as usize, nstype as usize, 0) }) as c_int
}

#[no_mangle]
pub extern "C" fn capset(header: *mut libc::c_void, data: *const libc::c_void) -> c_int {
    // SAFETY: the kernel checks the pointers.
    bound_call(|| unsafe { raw::syscall3(libc::SYS_capset, header as usize, data as usize, 0) }) as c_int
}

#[no_mangle]
pub extern "C" fn personality(persona: c_ulong) -> c_int {
    // SAFETY: the kernel checks the value.
    let call = || unsafe { raw::syscall3(libc::SYS_personality, persona as usize, 0, 0) };
    // 0xffffffff only asks.
    if persona as u32 == u32::MAX {
        return call() as c_int;
    }
    bound_call(call) as c_int
}

/// `prctl` options whose state the kernel keeps per thread.
fn per_thread_option(option: c_int) -> bool {
    const PR_SET_SPECULATION_CTRL: c_int = 53;
    const PR_SET_IO_FLUSHER: c_int = 57;
    const PR_SET_SYSCALL_USER_DISPATCH: c_int = 59;
    matches!(
        option,
        libc::PR_SET_PDEATHSIG
            | libc::PR_SET_KEEPCAPS
            | libc::PR_SET_SECCOMP
            | libc::PR_CAPBSET_DROP
            | libc::PR_SET_TSC
            | libc::PR_SET_SECUREBITS
            | libc::PR_SET_TIMERSLACK
            | libc::PR_SET_NO_NEW_PRIVS
            | libc::PR_CAP_AMBIENT
            | PR_SET_SPECULATION_CTRL
            | PR_SET_IO_FLUSHER
            | PR_SET_SYSCALL_USER_DISPATCH
    )
}

/// `prctl(option, ...)`: its variadic arguments are read as the four
/// words the kernel takes (the x86-64 convention passes them alike).
#[no_mangle]
pub extern "C" fn prctl(option: c_int, a2: c_ulong, a3: c_ulong, a4: c_ulong, a5: c_ulong) -> c_int {
    if let Some((_, me)) = crate::sched::current_user() {
        // SAFETY: the calling thread's own descriptor.
        let name = unsafe { &(*me).name };
        match option {
            libc::PR_SET_NAME if a2 != 0 => {
                // SAFETY: the program's NUL-terminated name; the kernel keeps its first 15 bytes.
                let bytes = unsafe { core::ffi::CStr::from_ptr(a2 as *const c_char) }.to_bytes();
                let mut n = [0u8; 16];
                let len = bytes.len().min(15);
                n[..len].copy_from_slice(&bytes[..len]);
                name.set(n);
                return 0;
            }
            libc::PR_GET_NAME if a2 != 0 => {
                // SAFETY: the kernel's contract: 16 writable bytes.
                unsafe { core::ptr::copy_nonoverlapping(name.get().as_ptr(), a2 as *mut u8, 16) };
                return 0;
            }
            _ => {}
        }
    }
    // SAFETY: the kernel checks its arguments.
    let call = || unsafe { raw::syscall6(libc::SYS_prctl, option as usize, a2 as usize, a3 as usize, a4 as usize, a5 as usize, 0) };
    let is_query = option == libc::PR_CAP_AMBIENT && a2 == libc::PR_CAP_AMBIENT_IS_SET as c_ulong;
    if per_thread_option(option) && !is_query {
        return bound_call(call) as c_int;
    }
    libc_result(call()) as c_int
}

#[no_mangle]
pub extern "C" fn sched_setscheduler(pid: libc::pid_t, policy: c_int, param: *const libc::sched_param) -> c_int {
    // SAFETY: the kernel checks the pointer.
    let call = |pid: libc::pid_t| unsafe { raw::syscall3(libc::SYS_sched_setscheduler, pid as usize, policy as usize, param as usize) };
    if is_self(pid) {
        return bound_call(|| call(0)) as c_int;
    }
    libc_result(call(pid)) as c_int
}

#[no_mangle]
pub extern "C" fn sched_setparam(pid: libc::pid_t, param: *const libc::sched_param) -> c_int {
    // SAFETY: the kernel checks the pointer.
    let call = |pid: libc::pid_t| unsafe { raw::syscall3(libc::SYS_sched_setparam, pid as usize, param as usize, 0) };
    if is_self(pid) {
        return bound_call(|| call(0)) as c_int;
    }
    libc_result(call(pid)) as c_int
}

#[no_mangle]
pub extern "C" fn setpriority(which: c_int, who: libc::id_t, prio: c_int) -> c_int {
    // SAFETY: plain values.
    let call = |who: libc::id_t| unsafe { raw::syscall3(libc::SYS_setpriority, which as usize, who as usize, prio as usize) };
    if which == libc::PRIO_PROCESS as c_int && is_self(who as libc::pid_t) {
        return bound_call(|| call(0)) as c_int;
    }
    libc_result(call(who)) as c_int
}
