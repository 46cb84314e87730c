//! The kernel's side of signals, as raw system calls: dispositions
//! (`rt_sigaction` with the kernel's own struct), kernel thread masks,
//! `tgkill`, `rt_sigtimedwait`, `rt_sigqueueinfo`, and the masks every
//! kind of kernel thread of the runtime keeps.
//!
//! Signal sets here are the kernel's: one `u64`, bit `n - 1` for signal `n`.

use core::ffi::c_int;

use super::raw::{syscall3, syscall6};
use super::setxid::SIGSETXID;

/// The runtime's own signal: it reaches a carrier so that the user thread
/// running there takes a signal or a cancellation (glibc reserves it as
/// SIGCANCEL; glibc's `sigaction` refuses it, so a program cannot touch it).
pub const SIGMN: c_int = 32;

/// Bit of signal `sig` in a kernel set.
#[inline]
pub const fn bit(sig: c_int) -> u64 {
    1u64 << (sig - 1)
}

/// Signals the kernel delivers to the thread that caused them (faults).
pub const SYNCHRONOUS: u64 = bit(libc::SIGSEGV) | bit(libc::SIGBUS) | bit(libc::SIGFPE) | bit(libc::SIGILL) | bit(libc::SIGTRAP) | bit(libc::SIGSYS);
/// The runtime's signals, never part of a program's view.
pub const INTERNAL: u64 = bit(SIGMN) | bit(SIGSETXID);
/// Signals nobody can block, catch or wait for.
pub const UNBLOCKABLE: u64 = bit(libc::SIGKILL) | bit(libc::SIGSTOP);

/// A carrier's kernel mask, constant for its whole life: every signal of the
/// program is blocked (they are routed in user space), except faults, which
/// the kernel forces on the faulting thread anyway, and the runtime's own.
pub const CARRIER_MASK: u64 = !(SYNCHRONOUS | INTERNAL);
/// The mask of the runtime's helper kernel threads (offload workers, the
/// monitor, the signal router): only the runtime's signals get through.
pub const HELPER_MASK: u64 = !INTERNAL;

/// Kernel threads asked to abandon the system call they block in (offload
/// workers whose caller was interrupted: `park::offload`), by thread id.
static ABANDON: [core::sync::atomic::AtomicI32; 32] = [const { core::sync::atomic::AtomicI32::new(0) }; 32];

/// Asks kernel thread `tid` to end its blocking call with EINTR when
/// `SIGMN` reaches it (see [`abandon_call`]); then send it `SIGMN`.
pub fn ask_to_abandon(tid: i32) {
    use core::sync::atomic::Ordering;
    if ABANDON.iter().any(|s| s.load(Ordering::Acquire) == tid) {
        return;
    }
    let _ = ABANDON.iter().find(|s| s.compare_exchange(0, tid, Ordering::AcqRel, Ordering::Relaxed).is_ok());
}

/// In a `SIGMN` handler on a kernel thread that was asked to abandon its
/// call: if the interrupted context is at a system call instruction — the
/// kernel rewinds to it to restart a call interrupted under SA_RESTART, or
/// the call was about to start — makes that call return -EINTR instead.
/// True if done.
///
/// # Safety
/// `uc` is the kernel's ucontext of this signal.
pub unsafe fn abandon_call(uc: *mut core::ffi::c_void) -> bool {
    use core::sync::atomic::Ordering;
    let me = gettid();
    let Some(slot) = ABANDON.iter().find(|s| s.load(Ordering::Acquire) == me) else { return false };
    // SAFETY: per the contract; the instruction bytes at the interrupted
    // pc are mapped code of this thread.
    unsafe {
        let g = &mut (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs;
        let pc = g[libc::REG_RIP as usize] as usize;
        if *(pc as *const [u8; 2]) != [0x0f, 0x05] {
            return false;
        }
        g[libc::REG_RIP as usize] = (pc + 2) as i64;
        g[libc::REG_RAX as usize] = -(libc::EINTR as i64);
    }
    slot.store(0, Ordering::Release);
    true
}

/// Withdraws a request of [`ask_to_abandon`] (the call ended by itself).
pub fn withdraw_abandon(tid: i32) {
    use core::sync::atomic::Ordering;
    for s in &ABANDON {
        let _ = s.compare_exchange(tid, 0, Ordering::AcqRel, Ordering::Relaxed);
    }
}

/// The kernel's `struct sigaction` on x86_64.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct KernelSigaction {
    pub handler: usize,
    pub flags: u64,
    pub restorer: usize,
    pub mask: u64,
}

pub const SA_RESTORER: u64 = 0x0400_0000;

/// Returns from a handler: `rt_sigreturn`, spelled with the exact bytes of
/// `mov $15, %rax; syscall` that unwinders recognise as a signal frame.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() {
    core::arch::naked_asm!(".byte 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00", "syscall", "ud2");
}

/// A disposition running `handler(sig, info, ucontext)` with `flags`
/// (SA_SIGINFO and SA_RESTORER are added) and `mask` blocked meanwhile.
pub fn handler_action(handler: usize, flags: u64, mask: u64) -> KernelSigaction {
    KernelSigaction { handler, flags: flags | libc::SA_SIGINFO as u64 | SA_RESTORER, restorer: restore_rt as *const () as usize, mask }
}

/// Sets the kernel disposition of `sig`; the old one if `old`.
pub fn set_action(sig: c_int, new: Option<&KernelSigaction>, old: Option<&mut KernelSigaction>) -> isize {
    let n = new.map_or(0, |a| a as *const KernelSigaction as usize);
    let o = old.map_or(0, |a| a as *mut KernelSigaction as usize);
    // SAFETY: valid kernel sigaction structs (or null) for the call.
    unsafe { syscall6(libc::SYS_rt_sigaction, sig as usize, n, o, 8, 0, 0) }
}

/// The kernel disposition of `sig`.
pub fn action(sig: c_int) -> KernelSigaction {
    let mut a = KernelSigaction { handler: 0, flags: 0, restorer: 0, mask: 0 };
    set_action(sig, None, Some(&mut a));
    a
}

/// Changes the calling kernel thread's mask (`how` as sigprocmask); the
/// old mask.
pub fn thread_mask(how: c_int, set: Option<u64>) -> u64 {
    let mut old = 0u64;
    let s = set.as_ref().map_or(0, |s| s as *const u64 as usize);
    // SAFETY: both sets are u64s on this stack.
    unsafe { syscall6(libc::SYS_rt_sigprocmask, how as usize, s, &mut old as *mut u64 as usize, 8, 0, 0) };
    old
}

/// The pending set of this kernel thread and of the process.
pub fn kernel_pending() -> u64 {
    let mut set = 0u64;
    // SAFETY: the kernel writes one 8-byte set.
    unsafe { syscall3(libc::SYS_rt_sigpending, &mut set as *mut u64 as usize, 8, 0) };
    set
}

pub fn gettid() -> i32 {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_gettid, 0, 0, 0) as i32 }
}

pub fn getpid() -> i32 {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_getpid, 0, 0, 0) as i32 }
}

/// Sends `sig` to kernel thread `tid` of this process.
pub fn tgkill(tid: i32, sig: c_int) -> isize {
    // SAFETY: plain integers.
    unsafe { syscall3(libc::SYS_tgkill, getpid() as usize, tid as usize, sig as usize) }
}

/// Takes a signal of `set` pending for this kernel thread or the process
/// (blocked here), waiting until `timeout_ns` from now (`None`: forever;
/// `Some(0)`: only look). The signal number, or `-errno` (EAGAIN, EINTR).
pub fn take_pending(set: u64, info: &mut libc::siginfo_t, timeout_ns: Option<u64>) -> isize {
    let ts;
    let tsp = match timeout_ns {
        Some(ns) => {
            ts = libc::timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 };
            &ts as *const libc::timespec as usize
        }
        None => 0,
    };
    // SAFETY: the set, the siginfo and the timespec live on this stack.
    unsafe { syscall6(libc::SYS_rt_sigtimedwait, &set as *const u64 as usize, info as *mut libc::siginfo_t as usize, tsp, 8, 0, 0) }
}

/// Queues `info` for the whole process again (a signal taken by the router
/// that no thread can take now: see `signal::route`). The kernel lets a
/// process queue any `si_code` to itself.
pub fn requeue_for_process(info: &libc::siginfo_t) -> isize {
    // SAFETY: a valid siginfo on the caller's side.
    unsafe { syscall3(libc::SYS_rt_sigqueueinfo, getpid() as usize, info.si_signo as usize, info as *const libc::siginfo_t as usize) }
}
