//! `sigsetjmp`/`siglongjmp` with the user thread's mask.
//!
//! glibc's `__sigsetjmp(env, 1)` saves the *kernel* thread's mask and
//! `siglongjmp` restores it — a carrier's constant mask, not the thread's.
//! So the exported `__sigsetjmp`/`setjmp`/`_setjmp` record the user
//! thread's mask in the buffer themselves (in `__saved_mask`, whose first
//! word glibc uses for the kernel set and whose second word here holds a
//! mark; glibc never reads past the first word) and then jump into glibc's
//! `__sigsetjmp` with `savemask = 0`, so glibc saves the registers and
//! leaves the kernel mask alone. The longjmp family restores the recorded
//! mask when the mark is there and jumps with a copy of the buffer whose
//! `__mask_was_saved` is 0. A buffer set by a thread mnthread does not run
//! keeps glibc's own behaviour (no mark).

use core::ffi::c_int;

use super::mask;
use crate::sched;
use crate::sys::real::real;

/// `struct __jmp_buf_tag`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct JmpBuf {
    regs: [u64; 8],
    mask_was_saved: c_int,
    saved_mask: [u64; 16],
}

/// "MNTHMASK": the mask in `saved_mask[0]` is a user thread's.
const MARK: u64 = u64::from_be_bytes(*b"MNTHMASK");

/// Before glibc's `__sigsetjmp`: records the mask; the `savemask` to hand
/// glibc.
pub extern "C" fn mnthread_jmp_save(env: *mut JmpBuf, savemask: c_int) -> c_int {
    // SAFETY: the program's jmp_buf, which it is setting.
    let env = unsafe { &mut *env };
    match sched::current_user() {
        Some((_, t)) if savemask != 0 => {
            // SAFETY: the caller's own descriptor.
            env.saved_mask[0] = unsafe { (*t).sig.mask.load(core::sync::atomic::Ordering::Relaxed) };
            env.saved_mask[1] = MARK;
            0
        }
        _ => {
            env.saved_mask[1] = 0;
            savemask
        }
    }
}

/// glibc's `__sigsetjmp`, which the exported setjmp entries (`abi::jmp`)
/// jump into.
pub static REAL_SIGSETJMP: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// Resolves glibc's `__sigsetjmp` (at initialisation).
pub fn init() {
    REAL_SIGSETJMP.store(real().sigsetjmp, core::sync::atomic::Ordering::Release);
}

/// The buffer to jump with. Only a buffer with the mark (a full jmp_buf a
/// user thread set with `savemask`) is read whole and copied: the mask it
/// recorded is restored now and not again by glibc. Any other is used as
/// it is (it may be a shorter cancellation buffer of `pthread_cleanup_push`,
/// whose words past the registers are the implementation's; the mark's word
/// lies within it).
pub fn prepare(env: *mut JmpBuf, copy: &mut core::mem::MaybeUninit<JmpBuf>) -> *mut JmpBuf {
    // SAFETY: the mark's word is within every buffer a setjmp entry set.
    let marked = unsafe { core::ptr::addr_of!((*env).saved_mask[1]).read() } == MARK;
    if !marked {
        return env;
    }
    // SAFETY: a marked buffer is a whole jmp_buf.
    let c = copy.write(unsafe { *env });
    if let Some((_, t)) = sched::current_user() {
        let _ = mask::change(t, libc::SIG_SETMASK, Some(c.saved_mask[0]));
    }
    c.mask_was_saved = 0;
    c
}
