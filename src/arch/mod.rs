//! Layer 2: the machine. x86_64 only for now; an aarch64 port replaces this
//! module (TPIDR_EL0 for the thread pointer, x18-free carrier pointer).
//!
//! * [`switch`] — the context switch and a new thread's first frame.
//! * `%fs` base: the thread pointer glibc uses (`struct pthread *`).
//! * `%gs` base: the current carrier (`sched::Carrier`); nothing in glibc,
//!   libstdc++ or Rust std touches `%gs` (docs/DESIGN.md, glibc facts).

pub mod switch;

use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};

static FSGSBASE: AtomicBool = AtomicBool::new(false);

/// Probes the FSGSBASE instructions (HWCAP2 bit 1, set by the kernel when it
/// allows them in user mode). `use_fallback` forces the `arch_prctl` path
/// (MNTHREAD_FALLBACKS, so that the path older machines take is tested).
pub fn init(use_fallback: bool) {
    // SAFETY: getauxval only reads the auxiliary vector.
    let hw2 = unsafe { libc::getauxval(libc::AT_HWCAP2) };
    FSGSBASE.store(hw2 & 2 != 0 && !use_fallback, Ordering::Relaxed);
}

#[inline(always)]
pub fn has_fsgsbase() -> bool {
    FSGSBASE.load(Ordering::Relaxed)
}

/// The thread pointer (`%fs` base) through glibc's self pointer at `%fs:16`,
/// which every glibc TCB (and every TCB mnthread builds) holds.
#[inline(always)]
pub fn thread_pointer() -> usize {
    let tp: usize;
    // SAFETY: %fs always points at a valid TCB whose `self` field is at 16.
    unsafe { asm!("mov {}, qword ptr fs:[16]", out(reg) tp, options(nostack, readonly, preserves_flags)) };
    tp
}

/// Sets `%fs` on this kernel thread.
#[inline(always)]
pub fn set_thread_pointer(tp: usize) {
    if has_fsgsbase() {
        // SAFETY: FSGSBASE is enabled (checked); the caller hands a valid TCB.
        unsafe { asm!("wrfsbase {}", in(reg) tp, options(nostack, preserves_flags)) };
    } else {
        crate::sys::raw::arch_set_fs(tp);
    }
}

/// The `%gs` base of this kernel thread: the carrier it is, or whatever it
/// inherited (0 for threads that never met a carrier).
#[inline(always)]
pub fn gs_base() -> usize {
    if has_fsgsbase() {
        let v: usize;
        // SAFETY: FSGSBASE is enabled (checked).
        unsafe { asm!("rdgsbase {}", out(reg) v, options(nostack, nomem, preserves_flags)) };
        v
    } else {
        crate::sys::raw::arch_get_gs()
    }
}

pub fn set_gs_base(v: usize) {
    if has_fsgsbase() {
        // SAFETY: FSGSBASE is enabled (checked); nothing else uses %gs.
        unsafe { asm!("wrgsbase {}", in(reg) v, options(nostack, preserves_flags)) };
    } else {
        crate::sys::raw::arch_set_gs(v);
    }
}

/// The CPU's time-stamp counter (constant-rate on every x86_64 CPU Linux
/// runs user threads on here: `constant_tsc`).
#[inline(always)]
pub fn tsc() -> u64 {
    // SAFETY: rdtsc only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The current MXCSR and x87 control word, packed as the switch saves them.
#[inline]
pub fn fp_control() -> u64 {
    let mut mxcsr: u32 = 0;
    let mut fpcw: u16 = 0;
    // SAFETY: both instructions store to the given stack slots.
    unsafe {
        asm!("stmxcsr [{}]", in(reg) &mut mxcsr, options(nostack));
        asm!("fnstcw [{}]", in(reg) &mut fpcw, options(nostack));
    }
    mxcsr as u64 | (fpcw as u64) << 32
}

/// Makes the Rust function `$f` (an `extern "C" fn`) callable from the
/// crate's own C files (src/c/) as `$name`, without putting it in the
/// library's dynamic symbol table: a hidden symbol that tail-jumps to it, so
/// only the API is exported (`#[no_mangle]` would export it).
#[macro_export]
macro_rules! c_callable {
    ($name:literal => $f:path) => {
        core::arch::global_asm!(
            concat!(".globl ", $name, "\n.hidden ", $name, "\n.type ", $name, ",@function\n", $name, ":\n  jmp {f}\n.size ", $name, ", .-", $name),
            f = sym $f,
        );
    };
}
