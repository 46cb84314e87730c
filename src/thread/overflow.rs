//! Stack overflow in a user thread: a clear message instead of silent
//! corruption or a bare SIGSEGV.
//!
//! Each carrier has an alternate signal stack (the faulting thread has no
//! stack left). If the program has not installed its own SIGSEGV handler
//! when the runtime starts, mnthread installs one: a fault whose address (or
//! stack pointer) lies in the running user thread's guard reports
//! `mnthread: stack overflow in thread ...` and aborts; any other fault
//! restores the default action and returns, so the fault repeats and kills
//! the process exactly as it would have without mnthread.

use core::ffi::c_void;

use crate::sched;
use crate::sys::fatal::{die, fmt_hex, fmt_u64};
use crate::sys::raw;
use crate::sys::real::real;

const ALTSTACK: usize = 64 * 1024;

/// Installs the SIGSEGV handler unless the program has its own.
pub fn install() {
    // SAFETY: plain sigaction calls on valid structs.
    unsafe {
        let mut old: libc::sigaction = core::mem::zeroed();
        (real().sigaction)(libc::SIGSEGV, core::ptr::null(), &mut old);
        if old.sa_sigaction != libc::SIG_DFL {
            return;
        }
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = on_segv as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
        (real().sigaction)(libc::SIGSEGV, &sa, core::ptr::null_mut());
    }
}

/// Gives the calling carrier its alternate signal stack.
pub fn install_altstack() {
    // SAFETY: a fresh private mapping, used only as this thread's altstack.
    unsafe {
        let p = raw::mmap(0, ALTSTACK, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS);
        if p < 0 {
            return;
        }
        let ss = libc::stack_t { ss_sp: p as *mut c_void, ss_flags: 0, ss_size: ALTSTACK };
        raw::syscall3(libc::SYS_sigaltstack, &ss as *const libc::stack_t as usize, 0, 0);
    }
}

extern "C" fn on_segv(_sig: i32, info: *mut libc::siginfo_t, uctx: *mut c_void) {
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
    // Not an overflow we can name: let the fault happen as without us.
    // SAFETY: resetting a disposition.
    unsafe {
        let mut sa: libc::sigaction = core::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        (real().sigaction)(libc::SIGSEGV, &sa, core::ptr::null_mut());
    }
}
