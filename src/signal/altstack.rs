//! Alternate signal stacks, per user thread, and the call of a handler on
//! the stack it must run on.
//!
//! `sigaltstack` from a user thread records the stack in its descriptor;
//! the kernel's alternate stack of each carrier stays the runtime's own
//! (for stack-overflow reports). A handler with SA_ONSTACK runs on the
//! thread's alternate stack if it has one and is not on it already; a
//! handler for a fault, entered on the carrier's alternate stack, moves
//! back to the interrupted stack (below its red zone) when the program did
//! not ask for an alternate stack, as the kernel would have run it there.

use core::ffi::{c_int, c_void};

use crate::mem::uthread::UThread;
use crate::sched;

extern "C" {
    fn mnthread_call_on_stack(handler: usize, sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void, top: usize);
}

/// The x86_64 red zone below the interrupted stack pointer.
const RED_ZONE: usize = 128;

#[inline(always)]
fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads a register.
    unsafe { core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// `t`'s alternate stack, if it has one: (base, size).
fn of(t: *mut UThread) -> Option<(usize, usize)> {
    // SAFETY: the caller's own descriptor.
    let (base, size) = unsafe { ((*t).sig.altstack_base, (*t).sig.altstack_size) };
    (size != 0).then_some((base, size))
}

fn within(sp: usize, (base, size): (usize, usize)) -> bool {
    sp > base && sp <= base + size
}

/// Calls `handler(sig, info, uc)` for the calling thread `t` on the stack
/// it must run on (see the module doc).
pub fn call_handler(t: *mut UThread, handler: usize, sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void, on_alt: bool) {
    let sp = stack_pointer();
    let top = match of(t) {
        Some(alt) if on_alt && !within(sp, alt) => Some(alt.0 + alt.1),
        _ => interrupted_stack(sp, uc),
    };
    // A handler without SA_SIGINFO takes one argument; passing three is
    // harmless in the x86_64 calling convention.
    match top {
        // SAFETY: `top` is the top of a stack the thread owns and nothing
        // else runs on now.
        Some(top) => unsafe { mnthread_call_on_stack(handler, sig, info, uc, top) },
        None => {
            // SAFETY: a program handler, called as the kernel would.
            let f = unsafe { core::mem::transmute::<usize, extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void)>(handler) };
            f(sig, info, uc)
        }
    }
}

/// When running on the carrier's own alternate stack (a fault's entry), the
/// interrupted stack's usable top; else `None`.
fn interrupted_stack(sp: usize, uc: *mut c_void) -> Option<usize> {
    let c = sched::this_carrier()?;
    let alt = c.altstack();
    if uc.is_null() || !within(sp, alt) {
        return None;
    }
    // SAFETY: the kernel's ucontext of the interrupted code.
    let rsp = unsafe { (*(uc as *const libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RSP as usize] as usize };
    (!within(rsp, alt)).then_some(rsp - RED_ZONE)
}

/// `sigaltstack` for the calling user thread `t`: `Err(errno)` as the kernel.
pub fn set(t: *mut UThread, new: Option<&libc::stack_t>, old: Option<&mut libc::stack_t>) -> Result<(), c_int> {
    let sp = stack_pointer();
    let cur = of(t);
    let on = cur.is_some_and(|a| within(sp, a));
    if let Some(o) = old {
        let (base, size) = cur.unwrap_or((0, 0));
        o.ss_sp = base as *mut c_void;
        o.ss_size = size;
        o.ss_flags = if on { libc::SS_ONSTACK } else if cur.is_none() { libc::SS_DISABLE } else { 0 };
    }
    let Some(n) = new else { return Ok(()) };
    if on {
        return Err(libc::EPERM);
    }
    const SS_AUTODISARM: c_int = 1 << 31;
    if n.ss_flags & !(libc::SS_DISABLE | SS_AUTODISARM) != 0 {
        return Err(libc::EINVAL);
    }
    // SAFETY: the caller's own descriptor.
    let s = unsafe { &mut (*t).sig };
    if n.ss_flags & libc::SS_DISABLE != 0 {
        s.altstack_base = 0;
        s.altstack_size = 0;
        return Ok(());
    }
    if n.ss_size < libc::MINSIGSTKSZ {
        return Err(libc::ENOMEM);
    }
    s.altstack_base = n.ss_sp as usize;
    s.altstack_size = n.ss_size;
    Ok(())
}
