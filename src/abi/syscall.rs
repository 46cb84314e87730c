//! `syscall(long number, ...)` with the futex emulation.
//!
//! Rust's std and C++20 `atomic::wait` block through libc's `syscall()`
//! with SYS_futex. Private futex operations (FUTEX_PRIVATE_FLAG set) become
//! operations of the emulated futex (decoded and routed by
//! [`crate::sync::futex_call`], waiting in the lot), so a
//! user thread waiting parks instead of blocking its carrier, and user and
//! foreign threads see each other's waits and wakes. Every other call goes
//! to the kernel unchanged — except a shared FUTEX_WAIT/WAIT_BITSET from a
//! user thread, which runs on an offload worker while the thread is parked.
//!
//! Signals sent to the own process this way (`SYS_kill`,
//! `SYS_pidfd_send_signal`: CPython's `signal.pidfd_send_signal`) go
//! through the exports of the same name, which deliver a signal the caller
//! does not block before the call returns, as the kernel does; a user
//! thread's `SYS_tgkill`/`SYS_tkill` to its own `gettid()` is its `raise`.
//!
//! `syscall` itself is a bare stub like glibc's (no frame: a vfork through
//! it behaves as with glibc): a futex or signal call jumps, with the
//! arguments where the caller put them, to [`mnthread_futex_syscall`] or
//! [`mnthread_signal_syscall`]; anything else is issued directly and a
//! result in [-4095, -1] becomes -1 with errno.
//!
use core::ffi::{c_int, c_long};

use crate::sync::futex_call;
use crate::sys::errno;
use crate::sys::raw;

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn syscall(number: c_long, a1: c_long, a2: c_long, a3: c_long, a4: c_long, a5: c_long, a6: c_long) -> c_long {
    core::arch::naked_asm!(
        "cmp rdi, {futex}",
        "je {emulate}",
        "cmp rdi, {kill}",
        "je {signal}",
        "cmp rdi, {pidfd_send_signal}",
        "je {signal}",
        "cmp rdi, {tgkill}",
        "je {signal}",
        "cmp rdi, {tkill}",
        "je {signal}",
        "mov rax, rdi",
        "mov rdi, rsi",
        "mov rsi, rdx",
        "mov rdx, rcx",
        "mov r10, r8",
        "mov r8, r9",
        "mov r9, [rsp + 8]",
        "syscall",
        "cmp rax, -4095",
        "jae 2f",
        "ret",
        "2:",
        "mov rdi, rax",
        "jmp {error}",
        futex = const libc::SYS_futex,
        emulate = sym mnthread_futex_syscall,
        kill = const libc::SYS_kill,
        pidfd_send_signal = const libc::SYS_pidfd_send_signal,
        tgkill = const libc::SYS_tgkill,
        tkill = const libc::SYS_tkill,
        signal = sym mnthread_signal_syscall,
        error = sym mnthread_syscall_error,
    )
}

/// Sets errno from a raw result `-errno` and returns -1.
extern "C" fn mnthread_syscall_error(raw_result: c_long) -> c_long {
    errno::set(-raw_result as c_int);
    -1
}

/// `syscall(SYS_kill, pid, sig)`, `syscall(SYS_pidfd_send_signal, pidfd,
/// sig, info, flags)`, `syscall(SYS_tgkill, tgid, tid, sig)` and
/// `syscall(SYS_tkill, tid, sig)` (ints: the low 32 bits count).
extern "C" fn mnthread_signal_syscall(number: c_long, a1: c_long, a2: c_long, a3: c_long, a4: c_long) -> c_long {
    use super::signal;
    let r = match number {
        libc::SYS_kill => signal::kill(a1 as libc::pid_t, a2 as c_int),
        libc::SYS_pidfd_send_signal => signal::pidfd_send_signal(a1 as c_int, a2 as c_int, a3 as *mut libc::siginfo_t, a4 as libc::c_uint),
        libc::SYS_tgkill => match signal::raw_self_kill(a1 as libc::pid_t, a2 as libc::pid_t, a3 as c_int) {
            Some(r) => r,
            // SAFETY: plain integers.
            None => return raw_result(unsafe { raw::syscall3(libc::SYS_tgkill, a1 as usize, a2 as usize, a3 as usize) }),
        },
        _ => match signal::raw_self_kill(crate::sys::signal::getpid(), a1 as libc::pid_t, a2 as c_int) {
            Some(r) => r,
            // SAFETY: plain integers.
            None => return raw_result(unsafe { raw::syscall3(libc::SYS_tkill, a1 as usize, a2 as usize, 0) }),
        },
    };
    r as c_long
}

/// A raw system call's result as `syscall()` returns it.
fn raw_result(r: isize) -> c_long {
    if r < 0 {
        mnthread_syscall_error(r as c_long)
    } else {
        r as c_long
    }
}

/// `syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3)`.
/// Only the low 32 bits of the int arguments are meaningful (variadic ints).
extern "C" fn mnthread_futex_syscall(
    _number: c_long,
    uaddr: usize,
    op: c_long,
    val: c_long,
    timeout: usize,
    uaddr2: usize,
    val3: c_long,
) -> c_long {
    let r = futex_call::call(uaddr, op as c_int, val, timeout, uaddr2, val3);
    if r < 0 {
        mnthread_syscall_error(r)
    } else {
        r
    }
}

