//! The context switch.
//!
//! A suspended context is just a stack pointer: the switch pushes the
//! callee-saved registers (rbp rbx r12-r15) and an 8-byte slot holding MXCSR
//! (low 4 bytes) and the x87 control word (next 2 bytes; the rest zero), stores rsp, loads
//! the other context's rsp, sets `%fs` to that context's TCB, pops the same
//! layout and returns into it. Everything else is caller-saved by the ABI.
//!
//! The value passed to [`switch_to`] comes back as the return value of the
//! `switch_to` call that suspended the resumed context (or, for a new
//! context, as the first argument of its entry function): this is how the
//! resumed side learns which context it came from and finishes that
//! context's suspension (see `sched`).
//!
//! Frame at a saved rsp, lowest address first:
//! `[fp control][r15][r14][r13][r12][rbx][rbp][return address]`.

use core::arch::global_asm;

/// The first half of both switch variants: push the callee-saved registers
/// and the FP control slot (zeroed, then MXCSR and x87 CW; also kept in r8
/// to compare on the other side), save rsp through rdi, load rsi.
macro_rules! save_and_leave {
    () => {
        concat!(
            "push rbp\n", "push rbx\n", "push r12\n", "push r13\n", "push r14\n", "push r15\n",
            "push 0\n",
            "stmxcsr [rsp]\n",
            "fnstcw [rsp+4]\n",
            "mov r8, [rsp]\n",
            "mov [rdi], rsp\n",
            "mov rsp, rsi\n",
        )
    };
}

global_asm!(
    ".text",
    ".globl mnthread_switch_fsbase",
    ".hidden mnthread_switch_fsbase",
    ".type mnthread_switch_fsbase,@function",
    // rdi = where to save the current rsp, rsi = rsp to resume,
    // rdx = %fs base to install, rcx = value to hand over.
    "mnthread_switch_fsbase:",
    ".cfi_startproc",
    save_and_leave!(),
    "wrfsbase rdx",
    "jmp 2f",
    ".cfi_endproc",
    ".size mnthread_switch_fsbase, .-mnthread_switch_fsbase",
    //
    ".globl mnthread_switch_nofs",
    ".hidden mnthread_switch_nofs",
    ".type mnthread_switch_nofs,@function",
    // Same registers; `%fs` was already set by the caller (arch_prctl path).
    "mnthread_switch_nofs:",
    ".cfi_startproc",
    save_and_leave!(),
    "2:",
    // Loading MXCSR and the x87 control word is slow: skip it when the
    // resumed context saved the values already in force (the usual case).
    "cmp r8, [rsp]",
    "je 3f",
    "ldmxcsr [rsp]",
    "fldcw [rsp+4]",
    "3:",
    "add rsp, 8",
    "pop r15", "pop r14", "pop r13", "pop r12", "pop rbx", "pop rbp",
    "mov rax, rcx",
    "mov rdi, rcx",
    "ret",
    ".cfi_endproc",
    ".size mnthread_switch_nofs, .-mnthread_switch_nofs",
    //
    // First instruction of a new context: r12 = entry function, r13 = its
    // second argument, r14 = the exit routine; rdi already holds the
    // handed-over value. The entry returns the routine to run and its
    // argument (rax, rdx); what that routine returns goes to the exit
    // routine (r14 is callee-saved, so it survives both calls). So the routine's
    // frame sits right on this one, which the CFI marks as the outermost:
    // unwinders and debuggers stop here, without crossing a Rust frame.
    ".globl mnthread_context_start",
    ".hidden mnthread_context_start",
    ".type mnthread_context_start,@function",
    "mnthread_context_start:",
    ".cfi_startproc",
    ".cfi_undefined rip",
    "mov rsi, r13",
    "call r12",
    "mov rdi, rdx",
    "call rax",
    "mov rdi, rax",
    "call r14",
    "ud2",
    ".cfi_endproc",
    ".size mnthread_context_start, .-mnthread_context_start",
);

extern "C" {
    fn mnthread_switch_fsbase(save_sp: *mut usize, resume_sp: usize, fs: usize, handover: usize) -> usize;
    fn mnthread_switch_nofs(save_sp: *mut usize, resume_sp: usize, fs: usize, handover: usize) -> usize;
    fn mnthread_context_start();
}

/// Suspends the running context (its rsp goes to `*save_sp`) and resumes
/// the context saved at `resume_sp`, installing `fs` as its thread pointer.
/// Returns the value handed over by whoever later resumes this context.
///
/// # Safety
/// `resume_sp` must be a suspended context (or a fresh one from
/// [`new_context`]) that nobody else resumes, and `fs` its TCB.
#[inline(always)]
pub unsafe fn switch_to(save_sp: *mut usize, resume_sp: usize, fs: usize, handover: usize) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        if super::has_fsgsbase() {
            mnthread_switch_fsbase(save_sp, resume_sp, fs, handover)
        } else {
            crate::sys::raw::arch_set_fs(fs);
            mnthread_switch_nofs(save_sp, resume_sp, fs, handover)
        }
    }
}

/// What a new context runs after its entry: `routine(arg)`.
#[repr(C)]
pub struct Routine {
    pub routine: extern "C" fn(*mut core::ffi::c_void) -> *mut core::ffi::c_void,
    pub arg: *mut core::ffi::c_void,
}

/// Entry of a new context: `entry(handover, arg)` prepares, then returns
/// the routine to run (or never returns).
pub type ContextEntry = unsafe extern "C" fn(usize, usize) -> Routine;

/// What a context's routine returns to; it must not return.
pub type ContextExit = extern "C" fn(*mut core::ffi::c_void) -> !;

/// Lays out a fresh context at the top of `[.., stack_top)` that starts in
/// `entry(handover, arg)`, then runs the routine it returns and hands that
/// routine's result to `exit`, with the given floating-point control state.
/// Returns its saved rsp.
///
/// # Safety
/// The 128 bytes below `stack_top` must be writable and unused.
pub unsafe fn new_context(stack_top: usize, entry: ContextEntry, arg: usize, exit: ContextExit, fp_control: u64) -> usize {
    // After `ret` pops the start address, rsp must be 16-aligned so that the
    // `call` in mnthread_context_start gives `entry` the ABI's alignment.
    let top = (stack_top & !15) - 16;
    let sp = top - 8 * 8;
    let frame = sp as *mut usize;
    // SAFETY: the caller guarantees these 8 words (and the 16-byte pad) are ours.
    unsafe {
        frame.add(0).write(fp_control as usize);
        frame.add(1).write(0); // r15
        frame.add(2).write(exit as usize); // r14
        frame.add(3).write(arg); // r13
        frame.add(4).write(entry as *const () as usize); // r12
        frame.add(5).write(0); // rbx
        frame.add(6).write(0); // rbp
        frame.add(7).write(mnthread_context_start as *const () as usize);
        (top as *mut usize).write(0);
        (top as *mut usize).add(1).write(0);
    }
    sp
}
