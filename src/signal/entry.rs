//! The kernel's entry into mnthread for signals (`mnthread_signal_entry`
//! in src/c/signal.c calls [`mnthread_on_signal`]).
//!
//! On a carrier, by kind:
//! * `SIGMN` (the runtime's): the user thread running there has a signal to
//!   take or an asynchronous cancellation to act on. It is taken here only
//!   at a *safe point*: the interrupted instruction is the program's own, not
//!   mnthread's, glibc's or ld.so's (which may hold a lock the handler would
//!   need, or be halfway through a switch). Otherwise the router is asked to
//!   send `SIGMN` again shortly (`route::retry_soon`).
//! * A fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS raised by the
//!   kernel for the running code): stack overflows are reported; otherwise
//!   the program's action runs at once on the faulting thread, whatever its
//!   mask (the kernel forces faults), with the kernel's context (a handler
//!   may change the registers, or `siglongjmp` out). A fault inside its own
//!   handler without SA_NODEFER gets the default action, as the kernel's
//!   blocked fault would.
//! * Any other program signal came because code on this carrier unblocked
//!   it in the kernel and sent it to itself (glibc's `abort` does): it is
//!   the running thread's, and it runs now if safe, else is queued for it.
//!
//! After a handler that ran here, the context's saved mask and alternate
//! stack are this carrier's (the thread may have moved to another carrier
//! while its handler ran: `rt_sigreturn` must not give this carrier the
//! other's stack).
//!
//! On any other kernel thread (main before the runtime starts, threads
//! mnthread did not create) the program's handler runs as the kernel would
//! have run it; `SIGMN` there belongs to glibc (its SIGCANCEL handler, for a
//! cancelled foreign thread), which is called if glibc installed one.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

use super::{action, deliver, queue, route};
use crate::mem::uthread::{UThread, CANCEL_ACTING, CANCEL_ASYNC, CANCEL_DISABLED, CANCEL_REQUESTED};
use crate::sched::{self, Carrier};
use crate::sys::signal::{self as ksig, bit, CARRIER_MASK, SIGMN, SYNCHRONOUS};

extern "C" {
    fn mnthread_signal_entry(sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void);
}

/// The address the kernel is given for every signal mnthread handles.
pub fn handler_address() -> usize {
    mnthread_signal_entry as *const () as usize
}

/// Text ranges where a signal must not run a handler at once: mnthread,
/// glibc and ld.so (start, end).
const MAX_RANGES: usize = 8;
static UNSAFE_TEXT: [[AtomicUsize; 2]; MAX_RANGES] = [const { [AtomicUsize::new(0), AtomicUsize::new(0)] }; MAX_RANGES];
/// glibc's SIGCANCEL handler, when glibc installed one over ours.
static CHAINED: AtomicUsize = AtomicUsize::new(0);

/// Finds the text ranges and installs the `SIGMN` handler.
pub fn init() {
    let mut n = 0usize;
    // SAFETY: dl_iterate_phdr with a callback that only reads the headers.
    unsafe { libc::dl_iterate_phdr(Some(note_text), &mut n as *mut usize as *mut c_void) };
    install_sigmn();
}

fn install_sigmn() {
    let flags = (libc::SA_RESTART | libc::SA_NODEFER) as u64;
    ksig::set_action(SIGMN, Some(&ksig::handler_action(handler_address(), flags, 0)), None);
}

unsafe extern "C" fn note_text(info: *mut libc::dl_phdr_info, _size: usize, n: *mut c_void) -> c_int {
    // SAFETY: the loader's description of one object, valid during the call.
    let info = unsafe { &*info };
    let n = n as *mut usize;
    let name = if info.dlpi_name.is_null() {
        &b""[..]
    } else {
        // SAFETY: a NUL-terminated name.
        unsafe { core::ffi::CStr::from_ptr(info.dlpi_name) }.to_bytes()
    };
    let base = info.dlpi_addr as usize;
    // SAFETY: the object's program headers.
    let phdrs = unsafe { core::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize) };
    let text = |p: &&libc::Elf64_Phdr| p.p_type == libc::PT_LOAD && p.p_flags & libc::PF_X != 0;
    let me = handler_address();
    let ours = phdrs.iter().filter(text).any(|p| (base + p.p_vaddr as usize..base + (p.p_vaddr + p.p_memsz) as usize).contains(&me));
    let libc_or_ldso = contains(name, b"/libc.so") || contains(name, b"/ld-linux") || name.starts_with(b"libc.so") || name.starts_with(b"ld-linux");
    if ours || libc_or_ldso {
        for p in phdrs.iter().filter(text) {
            // SAFETY: the callback's argument is our counter.
            let i = unsafe { *n };
            if i < MAX_RANGES {
                UNSAFE_TEXT[i][0].store(base + p.p_vaddr as usize, Ordering::Relaxed);
                UNSAFE_TEXT[i][1].store(base + (p.p_vaddr + p.p_memsz) as usize, Ordering::Relaxed);
                // SAFETY: as above.
                unsafe { *n = i + 1 };
            }
        }
    }
    0
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The interrupted instruction pointer of a handler's context.
fn interrupted_pc(uc: *mut c_void) -> usize {
    // SAFETY: the kernel's ucontext for this signal.
    unsafe { (*(uc as *const libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] as usize }
}

/// Whether the interrupted code is the program's own (see the module doc).
pub fn safe_point(uc: *mut c_void) -> bool {
    let pc = interrupted_pc(uc);
    !UNSAFE_TEXT.iter().any(|r| (r[0].load(Ordering::Relaxed)..r[1].load(Ordering::Relaxed)).contains(&pc))
}

/// Whether `t` is to act on an asynchronous cancellation now.
fn async_cancel_due(t: *mut UThread) -> bool {
    // SAFETY: descriptors are type-stable.
    let c = unsafe { (*t).cancel.load(Ordering::Acquire) };
    c & (CANCEL_REQUESTED | CANCEL_DISABLED | CANCEL_ACTING | CANCEL_ASYNC) == CANCEL_REQUESTED | CANCEL_ASYNC
}

/// What the C entry calls: 1 asks it to act on an asynchronous cancellation.
extern "C" fn mnthread_on_signal(sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void) -> c_int {
    if sig == SIGMN {
        let gs = crate::arch::gs_base();
        if gs != 0 {
            // SAFETY: a non-zero %gs is a carrier's (never freed), perhaps
            // inherited: at worst another kick gets through sooner.
            unsafe { (*(gs as *const Carrier)).kick_arrived() };
        }
    }
    match sched::this_carrier() {
        Some(c) => on_carrier(c, sig, info, uc),
        None => {
            off_carrier(sig, info, uc);
            0
        }
    }
}

crate::c_callable!("mnthread_on_signal" => mnthread_on_signal);

fn on_carrier(c: &'static Carrier, sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void) -> c_int {
    let t = c.current.load(Ordering::Relaxed);
    if sig == SIGMN {
        if t.is_null() {
            return 0;
        }
        if !safe_point(uc) {
            route::retry_soon();
            return 0;
        }
        if async_cancel_due(t) {
            return 1;
        }
        deliver::deliver_pending(t, uc);
        after_handler(uc);
        return 0;
    }
    // SAFETY: the kernel's siginfo for this signal.
    let code = unsafe { (*info).si_code };
    if SYNCHRONOUS & bit(sig) != 0 && code > 0 {
        fault(t, sig, info, uc);
        after_handler(uc);
        return 0;
    }
    set_saved_mask(uc, CARRIER_MASK);
    if t.is_null() {
        // SAFETY: the kernel's siginfo, copied.
        route::route_later(unsafe { &*info });
        return 0;
    }
    // The running thread unblocked it (in the kernel) and raised it.
    // SAFETY: the running thread's descriptor.
    unsafe { (*t).sig.mask.fetch_and(!bit(sig), Ordering::SeqCst) };
    // SAFETY: as above.
    queue::push(t, unsafe { &*info }, queue::Origin::Thread);
    if safe_point(uc) {
        deliver::deliver_pending(t, uc);
        after_handler(uc);
    }
    0
}

/// A fault on the running thread `t` (null: in the runtime's own idle code).
fn fault(t: *mut UThread, sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void) {
    if matches!(sig, libc::SIGSEGV | libc::SIGBUS) {
        crate::thread::overflow::report_if_overflow(info, uc);
    }
    let a = action::get(sig);
    // SAFETY: the running thread's descriptor.
    let nested = !t.is_null() && unsafe { (*t).sig.mask.load(Ordering::Relaxed) } & bit(sig) != 0;
    if t.is_null() || !a.is_handler() || nested {
        // Return into the fault with the default action: it repeats and
        // ends the process as it would have without mnthread.
        let dfl = ksig::KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
        ksig::set_action(sig, Some(&dfl), None);
        return;
    }
    // SAFETY: the kernel's siginfo.
    let r = deliver::run_handler(t, unsafe { &*info }, &a, uc);
    // SAFETY: as above.
    unsafe { (*t).sig.interrupted.fetch_or(r, Ordering::Relaxed) };
}

/// A handler ran from this signal frame: whatever carrier the thread is on
/// now, `rt_sigreturn` must restore that carrier's mask and stack.
fn after_handler(uc: *mut c_void) {
    set_saved_mask(uc, CARRIER_MASK);
    if let Some(c) = sched::this_carrier() {
        let (base, size) = c.altstack();
        // SAFETY: the kernel's ucontext for this signal, which it reads back.
        unsafe {
            let u = &mut *(uc as *mut libc::ucontext_t);
            u.uc_stack.ss_sp = base as *mut c_void;
            u.uc_stack.ss_size = size;
            u.uc_stack.ss_flags = if size == 0 { libc::SS_DISABLE } else { 0 };
        }
    }
}

fn set_saved_mask(uc: *mut c_void, mask: u64) {
    // SAFETY: the kernel's ucontext; its sigset's first word is the kernel set.
    unsafe { *(&mut (*(uc as *mut libc::ucontext_t)).uc_sigmask as *mut libc::sigset_t as *mut u64) = mask };
}

/// A signal on a kernel thread mnthread does not run (see the module doc).
fn off_carrier(sig: c_int, info: *mut libc::siginfo_t, uc: *mut c_void) {
    if sig == SIGMN {
        // SAFETY: the kernel's ucontext for this signal.
        if unsafe { ksig::abandon_call(uc) } {
            return;
        }
        let f = CHAINED.load(Ordering::Acquire);
        if f != 0 {
            // SAFETY: glibc's SA_SIGINFO handler, saved by `take_back_sigmn`.
            let h = unsafe { core::mem::transmute::<usize, extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void)>(f) };
            h(sig, info, uc);
        } else if crate::arch::gs_base() != 0 {
            // Perhaps a carrier caught halfway through a switch: try again.
            route::retry_soon();
        }
        return;
    }
    let a = action::get(sig);
    if !a.is_handler() {
        // SAFETY: the kernel's siginfo.
        let code = unsafe { (*info).si_code };
        if a.handler == libc::SIG_DFL && !(SYNCHRONOUS & bit(sig) != 0 && code > 0) {
            deliver::default_action(sig);
        } else if a.handler == libc::SIG_DFL {
            let dfl = ksig::KernelSigaction { handler: libc::SIG_DFL, flags: 0, restorer: 0, mask: 0 };
            ksig::set_action(sig, Some(&dfl), None);
        }
        return;
    }
    // The kernel thread's own mask for the handler's run; `rt_sigreturn`
    // restores the saved one.
    let add = a.mask | if a.flags & libc::SA_NODEFER as u64 == 0 { bit(sig) } else { 0 };
    ksig::thread_mask(libc::SIG_BLOCK, Some(add & !ksig::INTERNAL));
    if a.flags & libc::SA_RESETHAND as u64 != 0 {
        action::reset_for_delivery(sig);
    }
    // SAFETY: the program's handler, called as the kernel would.
    let h = unsafe { core::mem::transmute::<usize, extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void)>(a.handler) };
    h(sig, info, uc);
}

/// After glibc's own `pthread_cancel` (of a thread mnthread did not create)
/// installed its SIGCANCEL handler: keep it to call on such threads, and
/// put mnthread's back.
pub fn take_back_sigmn() {
    let k = ksig::action(SIGMN);
    if k.handler != handler_address() && k.handler > 1 {
        CHAINED.store(k.handler, Ordering::Release);
        install_sigmn();
    }
}
