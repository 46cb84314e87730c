//! `pthread_exit` through the real unwinder, so that everything a thread
//! left on its stack is cleaned up as under glibc: C++ destructors and
//! `catch (...)` blocks (which must rethrow), `__attribute__((cleanup))`,
//! and the C cleanup handlers of `pthread_cleanup_push`.
//!
//! In C, `pthread_cleanup_push` `setjmp`s into a buffer on the stack and
//! registers it (`__pthread_register_cancel`); mnthread chains those buffers
//! in the thread's descriptor. `pthread_exit` starts a forced unwind
//! (`_Unwind_ForcedUnwind`); the unwinder calls `stop` for every frame,
//! running each frame's cleanups as it goes. When the next frame would pass
//! the innermost registered buffer (its frame's CFA reaches the buffer's
//! saved stack pointer), `stop` `longjmp`s into that buffer: the handler
//! runs and calls `__pthread_unwind_next`, which pops it and continues the
//! unwind from there. At the end of the stack (`mnthread_context_start`
//! marks it; `_start` for the main thread) the thread exits for good.
//!
//! Threads mnthread does not run (foreign, or main before the runtime
//! starts) keep glibc's own machinery: their calls are forwarded.

use core::ffi::{c_int, c_void};

use crate::lifecycle;
use crate::mem::tcb;
use crate::runtime;
use crate::sys::fatal::die;
use crate::thread::UThread;

/// `struct _Unwind_Exception` (unwind.h): 16-byte aligned.
#[repr(C, align(16))]
pub struct UnwindException {
    class: u64,
    cleanup: Option<unsafe extern "C" fn(c_int, *mut UnwindException)>,
    private: [usize; 2],
}

/// `__pthread_unwind_buf_t` as glibc's cleanup macros lay it out: a
/// `__jmp_buf`, `__mask_was_saved`, then four words free for the
/// implementation; the first links to the next outer buffer.
#[repr(C)]
pub struct CleanupBuf {
    jmp: [usize; 8],
    mask_was_saved: c_int,
    prev: *mut CleanupBuf,
    pad: [*mut c_void; 3],
}

type StopFn = unsafe extern "C" fn(c_int, c_int, u64, *mut UnwindException, *mut c_void, *mut c_void) -> c_int;

extern "C" {
    fn _Unwind_ForcedUnwind(exc: *mut UnwindException, stop: StopFn, param: *mut c_void) -> c_int;
    fn _Unwind_GetCFA(ctx: *mut c_void) -> usize;
    fn longjmp(env: *mut c_void, val: c_int) -> !;
}

const UA_END_OF_STACK: c_int = 16;
const URC_NO_REASON: c_int = 0;
/// "MNTHEXIT": the class of mnthread's forced-unwind exceptions.
const EXIT_CLASS: u64 = u64::from_be_bytes(*b"MNTHEXIT");
/// glibc's jmp_buf slot of the (mangled) stack pointer.
const JB_RSP: usize = 6;

/// The stack pointer saved in a glibc jmp_buf (PTR_DEMANGLE: ror 17, xor guard).
fn saved_sp(buf: &CleanupBuf) -> usize {
    buf.jmp[JB_RSP].rotate_right(0x11) ^ tcb::pointer_guard()
}

/// Whether the calling thread is one mnthread runs (its cleanup chain is ours).
fn runs_on_carrier() -> Option<*mut UThread> {
    crate::sched::current_user().map(|(_, t)| t)
}

/// Ends the calling user thread with `retval`, unwinding its stack first.
pub fn exit_unwinding(t: *mut UThread, retval: *mut c_void) -> ! {
    // SAFETY: `t` is the calling thread's descriptor.
    unsafe { (*t).retval = retval };
    continue_unwinding(t)
}

fn continue_unwinding(t: *mut UThread) -> ! {
    // SAFETY: `t` is the calling thread's; its exception object lives in its
    // descriptor for as long as the unwind runs.
    unsafe {
        let exc = &mut (*t).unwind_exc;
        exc.class = EXIT_CLASS;
        exc.cleanup = Some(exception_dropped);
        exc.private = [0; 2];
        _Unwind_ForcedUnwind(exc, stop, core::ptr::null_mut());
        // The unwinder could not walk this stack (frames without unwind
        // information): still run the handlers, then exit.
        let top = (*t).cleanup;
        if !top.is_null() {
            longjmp(top as *mut c_void, 1);
        }
        lifecycle::exit_current((*t).retval)
    }
}

unsafe extern "C" fn stop(_version: c_int, actions: c_int, _class: u64, _exc: *mut UnwindException, ctx: *mut c_void, _param: *mut c_void) -> c_int {
    let t = runtime::current();
    // SAFETY: the calling thread's own descriptor.
    let (top, retval) = unsafe { ((*t).cleanup, (*t).retval) };
    if actions & UA_END_OF_STACK != 0 {
        // No lock of the unwinder is held between frames: leave for good.
        lifecycle::exit_current(retval)
    }
    // SAFETY: `top` is a registered buffer in a live frame of this stack;
    // `ctx` is the unwinder's context for the frame about to be unwound.
    unsafe {
        if !top.is_null() && _Unwind_GetCFA(ctx) >= saved_sp(&*top) {
            longjmp(top as *mut c_void, 1);
        }
    }
    URC_NO_REASON
}

unsafe extern "C" fn exception_dropped(_reason: c_int, _exc: *mut UnwindException) {
    die(&["a thread's exit unwinding was caught and not rethrown (catch (...) must rethrow)"]);
}

#[no_mangle]
pub extern "C" fn __pthread_register_cancel(buf: *mut c_void) {
    match runs_on_carrier() {
        // SAFETY: `buf` is the caller's cleanup buffer, alive until unregistered.
        Some(t) => unsafe {
            let b = buf as *mut CleanupBuf;
            (*b).prev = (*t).cleanup;
            (*t).cleanup = b;
        },
        // SAFETY: glibc's own chain for a glibc thread.
        None => unsafe { (crate::sys::real::real().register_cancel)(buf) },
    }
}

#[no_mangle]
pub extern "C" fn __pthread_unregister_cancel(buf: *mut c_void) {
    match runs_on_carrier() {
        // SAFETY: `buf` is the innermost registered buffer (the macros nest).
        Some(t) => unsafe { (*t).cleanup = (*(buf as *mut CleanupBuf)).prev },
        // SAFETY: glibc's own chain for a glibc thread.
        None => unsafe { (crate::sys::real::real().unregister_cancel)(buf) },
    }
}

#[no_mangle]
pub extern "C" fn __pthread_unwind_next(buf: *mut c_void) -> ! {
    match runs_on_carrier() {
        Some(t) => {
            // SAFETY: as in unregister: the handler of `buf` has just run.
            unsafe { (*t).cleanup = (*(buf as *mut CleanupBuf)).prev };
            continue_unwinding(t)
        }
        // SAFETY: glibc's own chain for a glibc thread.
        None => unsafe { (crate::sys::real::real().unwind_next)(buf) },
    }
}
