//! `setjmp`, `_setjmp`, `__sigsetjmp` and the longjmp family, so that a
//! saved and restored signal mask is the user thread's (`signal::jmp`).

use core::ffi::c_int;

use crate::signal::jmp::{self, JmpBuf, REAL_SIGSETJMP};
use crate::sys::real::real;

/// The setjmp entries: record the mask (a call out that preserves every
/// register glibc saves), then jump into glibc's `__sigsetjmp`, which saves
/// the caller's registers and return address: they return twice.
macro_rules! save_then_glibc {
    ($set_savemask:literal) => {
        core::arch::naked_asm!(
            $set_savemask,
            "push rdi",
            "push rsi",
            "sub rsp, 8",
            "call {save}",
            "add rsp, 8",
            "pop rsi",
            "pop rdi",
            "mov esi, eax",
            "jmp qword ptr [rip + {real}]",
            save = sym jmp::mnthread_jmp_save,
            real = sym REAL_SIGSETJMP,
        )
    };
}

/// `__sigsetjmp(env, savemask)` (what the `sigsetjmp` macro calls).
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn __sigsetjmp(env: *mut JmpBuf, savemask: c_int) -> c_int {
    save_then_glibc!("")
}

/// `setjmp` the function saves the mask (the `<setjmp.h>` macro calls `_setjmp`).
#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn setjmp(env: *mut JmpBuf) -> c_int {
    save_then_glibc!("mov esi, 1")
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn _setjmp(env: *mut JmpBuf) -> c_int {
    save_then_glibc!("xor esi, esi")
}

#[no_mangle]
pub extern "C" fn siglongjmp(env: *mut JmpBuf, val: c_int) -> ! {
    let mut copy = core::mem::MaybeUninit::uninit();
    let env = jmp::prepare(env, &mut copy);
    // SAFETY: glibc's longjmp with the program's registers (perhaps a copy:
    // glibc reads every one before it switches stacks).
    unsafe { (real().siglongjmp)(env as *mut core::ffi::c_void, val) }
}

#[no_mangle]
pub extern "C" fn longjmp(env: *mut JmpBuf, val: c_int) -> ! {
    siglongjmp(env, val)
}

#[no_mangle]
pub extern "C" fn _longjmp(env: *mut JmpBuf, val: c_int) -> ! {
    siglongjmp(env, val)
}

#[no_mangle]
pub extern "C" fn __longjmp_chk(env: *mut JmpBuf, val: c_int) -> ! {
    let mut copy = core::mem::MaybeUninit::uninit();
    let env = jmp::prepare(env, &mut copy);
    // SAFETY: as in `siglongjmp`.
    unsafe { (real().longjmp_chk)(env as *mut core::ffi::c_void, val) }
}
