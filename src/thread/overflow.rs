//! Stack overflow in a user thread: a clear message instead of silent
//! corruption or a bare SIGSEGV.
//!
//! Each carrier has an alternate signal stack (the faulting thread has no
//! stack left), and the signal layer's handler for SIGSEGV and SIGBUS runs
//! on it and asks [`report_if_overflow`] first: a fault whose address (or
//! stack pointer) lies in the running user thread's guard reports
//! `mnthread: stack overflow in thread ...` and aborts; any other fault
//! gets the program's action (or the default one) as without mnthread.

use core::ffi::c_void;

use crate::sched;
use crate::sys::fatal::{die, fmt_hex, fmt_u64};
use crate::sys::raw;

const ALTSTACK: usize = 64 * 1024;

/// Gives the calling carrier its alternate signal stack; what it is (the
/// signal layer puts it back after a handler moved carriers).
pub fn install_altstack() -> libc::stack_t {
    let none = libc::stack_t { ss_sp: core::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
    // SAFETY: a fresh private mapping, used only as this thread's altstack.
    unsafe {
        let p = raw::mmap(0, ALTSTACK, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS);
        if p < 0 {
            return none;
        }
        let ss = libc::stack_t { ss_sp: p as *mut c_void, ss_flags: 0, ss_size: ALTSTACK };
        raw::syscall3(libc::SYS_sigaltstack, &ss as *const libc::stack_t as usize, 0, 0);
        ss
    }
}

/// Takes down the altstack `install_altstack` gave this kernel thread (it
/// is about to end).
pub fn remove_altstack(ss: libc::stack_t) {
    if ss.ss_sp.is_null() {
        return;
    }
    let off = libc::stack_t { ss_sp: core::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: 0 };
    // SAFETY: this thread's own altstack mapping, no longer in use.
    unsafe {
        raw::syscall3(libc::SYS_sigaltstack, &off as *const libc::stack_t as usize, 0, 0);
        raw::munmap(ss.ss_sp as usize, ss.ss_size);
    }
}

/// Reports a stack overflow of the running user thread and aborts, if the
/// fault `info`/`uctx` (a SIGSEGV or SIGBUS handler's) is one.
pub fn report_if_overflow(info: *const libc::siginfo_t, uctx: *const c_void) {
    // SAFETY: the kernel passes a valid siginfo and ucontext to an SA_SIGINFO handler.
    let (addr, sp) = unsafe {
        let uc = &*(uctx as *const libc::ucontext_t);
        ((*info).si_addr() as usize, uc.uc_mcontext.gregs[libc::REG_RSP as usize] as usize)
    };
    if let Some((_, t)) = sched::current_user() {
        // SAFETY: the running thread's own descriptor.
        let t = unsafe { &*t };
        if t.stack.overflowed(addr, sp) {
            let (mut a, mut b, mut c, mut d) = ([0u8; 20], [0u8; 20], [0u8; 20], [0u8; 20]);
            let name = t.name.get();
            let name_len = name.iter().position(|&b| b == 0).unwrap_or(16);
            let name = core::str::from_utf8(&name[..name_len]).unwrap_or("?");
            die(&[
                "stack overflow in thread ",
                fmt_hex(t as *const _ as u64, &mut a),
                " (\"",
                name,
                "\"): stack ",
                fmt_hex(t.stack.base as u64 + t.stack.guard as u64, &mut b),
                "-",
                fmt_hex(t.stack.top as u64, &mut c),
                ", ",
                fmt_u64((t.stack.size() / 1024) as u64, &mut d),
                " KiB; give it a larger stack (pthread_attr_setstacksize, MNTHREAD_STACK_SIZE)",
            ]);
        }
    }
}
