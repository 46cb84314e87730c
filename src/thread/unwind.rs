//! `pthread_exit` through the real unwinder, so that everything a thread
//! left on its stack is cleaned up as under glibc: C++ destructors and
//! `catch (...)` blocks (which must rethrow), `__attribute__((cleanup))`,
//! and the C cleanup handlers of `pthread_cleanup_push`.
//!
//! In C, `pthread_cleanup_push` `setjmp`s into a buffer on the stack and
//! registers it (`__pthread_register_cancel`); mnthread chains those buffers
//! in the thread's descriptor. `pthread_exit` starts a forced unwind; for
//! each frame the unwinder asks a stop function, which `longjmp`s into the
//! innermost buffer once the next frame would pass it (that frame's CFA
//! reaches the buffer's saved stack pointer). The handler runs and calls
//! `__pthread_unwind_next`, which pops the buffer and unwinds on. At the end
//! of the stack (`mnthread_context_start`, on which a thread's start routine
//! sits directly; `_start` for the main thread) the thread exits for good.
//!
//! The driver — `pthread_exit`, `__pthread_unwind_next` and the stop
//! function — is C (src/c/unwind.c): the unwinder must never cross a Rust
//! frame (Rust built with panic=abort must not be unwound through). The
//! exports (`abi::unwind`) are bare jumps into it; the functions below are
//! the thread state the driver needs.
//!
//! Threads mnthread does not run (foreign, or main before the runtime
//! starts) keep glibc's own machinery: their calls are forwarded.

use core::ffi::{c_int, c_void};

use crate::thread::lifecycle;
use crate::mem::tcb;
use crate::sched;
use crate::sys::fatal::die;
use crate::sys::real::real;
use crate::mem::uthread::UThread;

use crate::mem::uthread::{CleanupBuf, UnwindException};

/// "MNTHEXIT": the class of mnthread's forced-unwind exceptions.
const EXIT_CLASS: u64 = u64::from_be_bytes(*b"MNTHEXIT");
/// glibc's jmp_buf slot of the (mangled) stack pointer.
const JB_RSP: usize = 6;

/// A fresh exception object for the thread's exit unwinding.
fn exit_exception(t: *mut UThread) -> *mut UnwindException {
    // SAFETY: the calling thread's own descriptor; the object lives there for
    // as long as the unwind runs.
    unsafe {
        let exc = &mut (*t).unwind_exc;
        exc.class = EXIT_CLASS;
        exc.cleanup = Some(exception_dropped);
        exc.private = [0; 2];
        exc
    }
}

unsafe extern "C" fn exception_dropped(_reason: c_int, _exc: *mut UnwindException) {
    die(&["a thread's exit unwinding was caught and not rethrown (catch (...) must rethrow)"]);
}

/// `pthread_exit` begins: records the value; null if glibc runs the thread.
extern "C" fn mnthread_exit_begin(retval: *mut c_void) -> *mut UnwindException {
    let Some(t) = sched::current_user().map(|(_, t)| t) else { return core::ptr::null_mut() };
    // SAFETY: the calling thread's own descriptor.
    unsafe { (*t).retval = retval };
    exit_exception(t)
}

/// The handler of `buf` has run: pops it; null if glibc runs the thread.
extern "C" fn mnthread_unwind_resume(buf: *mut c_void) -> *mut UnwindException {
    let Some(t) = sched::current_user().map(|(_, t)| t) else { return core::ptr::null_mut() };
    // SAFETY: `buf` is the innermost registered buffer, whose handler ran.
    unsafe { (*t).cleanup = (*(buf as *mut CleanupBuf)).prev };
    exit_exception(t)
}

/// The innermost registered cleanup buffer of the calling thread, or null.
extern "C" fn mnthread_cleanup_top() -> *mut CleanupBuf {
    // SAFETY: the calling thread's own descriptor.
    sched::current_user().map(|(_, t)| t).map_or(core::ptr::null_mut(), |t| unsafe { (*t).cleanup })
}

/// The stack pointer saved in a cleanup buffer's jmp_buf (glibc's
/// PTR_DEMANGLE: rotate right 17, xor the pointer guard).
extern "C" fn mnthread_cleanup_sp(buf: *const CleanupBuf) -> usize {
    // SAFETY: a registered buffer in a live frame of this stack.
    unsafe { (*buf).jmp[JB_RSP].rotate_right(0x11) ^ tcb::pointer_guard() }
}

/// The unwinding is over: the thread exits with its recorded value.
extern "C" fn mnthread_exit_now() -> ! {
    let t = sched::current_user().map(|(_, t)| t).unwrap_or_else(|| die(&["exit unwinding on a thread mnthread does not run"]));
    // SAFETY: the calling thread's own descriptor.
    lifecycle::exit_current(unsafe { (*t).retval })
}

extern "C" fn mnthread_real_pthread_exit(retval: *mut c_void) -> ! {
    // SAFETY: glibc's pthread_exit for a thread glibc runs.
    unsafe { (real().pthread_exit)(retval) }
}

extern "C" fn mnthread_real_unwind_next(buf: *mut c_void) -> ! {
    // SAFETY: glibc's own chain for a thread glibc runs.
    unsafe { (real().unwind_next)(buf) }
}

/// Registers `buf` (a `pthread_cleanup_push` buffer) as the calling
/// thread's innermost; glibc's chain for a thread mnthread does not run.
pub fn register_cleanup(buf: *mut c_void) {
    match sched::current_user().map(|(_, t)| t) {
        // SAFETY: `buf` is the caller's cleanup buffer, alive until unregistered.
        Some(t) => unsafe {
            let b = buf as *mut CleanupBuf;
            (*b).prev = (*t).cleanup;
            (*t).cleanup = b;
        },
        // SAFETY: glibc's own chain for a glibc thread.
        None => unsafe { (real().register_cancel)(buf) },
    }
}

/// Pops `buf`, the innermost registered buffer (`pthread_cleanup_pop`).
pub fn unregister_cleanup(buf: *mut c_void) {
    match sched::current_user().map(|(_, t)| t) {
        // SAFETY: `buf` is the innermost registered buffer (the macros nest).
        Some(t) => unsafe { (*t).cleanup = (*(buf as *mut CleanupBuf)).prev },
        // SAFETY: glibc's own chain for a glibc thread.
        None => unsafe { (real().unregister_cancel)(buf) },
    }
}

// What src/c/unwind.c calls.
crate::c_callable!("mnthread_exit_begin" => mnthread_exit_begin);
crate::c_callable!("mnthread_unwind_resume" => mnthread_unwind_resume);
crate::c_callable!("mnthread_cleanup_top" => mnthread_cleanup_top);
crate::c_callable!("mnthread_cleanup_sp" => mnthread_cleanup_sp);
crate::c_callable!("mnthread_exit_now" => mnthread_exit_now);
crate::c_callable!("mnthread_real_pthread_exit" => mnthread_real_pthread_exit);
crate::c_callable!("mnthread_real_unwind_next" => mnthread_real_unwind_next);
