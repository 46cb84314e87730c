//! Raw Linux system calls (x86_64). Each returns the kernel's result: a
//! non-negative value, or `-errno`. No libc entry point is involved, so these
//! are safe to use on any stack and under any `%fs`.

use core::arch::asm;

/// # Safety
/// The caller passes arguments that are valid for system call `n`.
#[inline(always)]
pub unsafe fn syscall6(n: i64, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> isize {
    let ret: isize;
    // SAFETY: the x86_64 syscall ABI: number in rax, args in rdi rsi rdx r10 r8 r9,
    // rcx and r11 are clobbered by the instruction.
    unsafe {
        asm!("syscall",
            inlateout("rax") n as isize => ret,
            in("rdi") a1, in("rsi") a2, in("rdx") a3, in("r10") a4, in("r8") a5, in("r9") a6,
            lateout("rcx") _, lateout("r11") _,
            options(nostack));
    }
    ret
}

/// # Safety
/// As [`syscall6`].
#[inline(always)]
pub unsafe fn syscall3(n: i64, a1: usize, a2: usize, a3: usize) -> isize {
    // SAFETY: forwarded contract; the unused arguments are zero.
    unsafe { syscall6(n, a1, a2, a3, 0, 0, 0) }
}

pub const FUTEX_WAIT_BITSET_PRIVATE: usize = (libc::FUTEX_WAIT_BITSET | libc::FUTEX_PRIVATE_FLAG) as usize;
pub const FUTEX_WAKE_PRIVATE: usize = (libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG) as usize;

/// Sleeps while `*word == expected`, until woken or until the absolute
/// CLOCK_MONOTONIC `deadline` (ns; `None` = forever). Returns the raw result.
pub fn futex_wait(word: &core::sync::atomic::AtomicU32, expected: u32, deadline: Option<u64>) -> isize {
    futex_wait_op(word, expected, deadline, FUTEX_WAIT_BITSET_PRIVATE, !0)
}

/// [`futex_wait`] with the operation (a FUTEX_WAIT_BITSET, private or
/// shared) and the bit mask chosen by the caller.
pub fn futex_wait_op(word: *const core::sync::atomic::AtomicU32, expected: u32, deadline: Option<u64>, op: usize, bits: u32) -> isize {
    let ts;
    let tsp = match deadline {
        Some(ns) => {
            ts = crate::sys::time::timespec_from_ns(ns);
            &ts as *const libc::timespec as usize
        }
        None => 0,
    };
    // SAFETY: the kernel reads `word` (faulting it in, or returning EFAULT);
    // `tsp` is null or points at a timespec on this stack during the call.
    unsafe { syscall6(libc::SYS_futex, word as usize, op, expected as usize, tsp, 0, bits as usize) }
}

/// Wakes up to `n` kernel threads sleeping on `word`. Waking an address that
/// has since been reused is harmless: every futex sleeper re-checks its word.
pub fn futex_wake(word: *const core::sync::atomic::AtomicU32, n: u32) {
    futex_wake_op(word, n, FUTEX_WAKE_PRIVATE, !0);
}

/// [`futex_wake`] with the operation (a FUTEX_WAKE or WAKE_BITSET, private
/// or shared) and mask chosen by the caller. Returns the raw result.
pub fn futex_wake_op(word: *const core::sync::atomic::AtomicU32, n: u32, op: usize, bits: u32) -> isize {
    // SAFETY: FUTEX_WAKE only uses the address as a key; it never dereferences it
    // in a way that can fault the caller.
    unsafe { syscall6(libc::SYS_futex, word as usize, op, n as usize, 0, 0, bits as usize) }
}

pub fn sched_yield() {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_sched_yield, 0, 0, 0) };
}

pub fn getpid() -> libc::pid_t {
    // SAFETY: no arguments.
    unsafe { syscall3(libc::SYS_getpid, 0, 0, 0) as libc::pid_t }
}

/// Closes a descriptor the runtime made (the kernel's result; the
/// program's `close` export is not re-entered).
pub fn close(fd: i32) -> isize {
    // SAFETY: closing a descriptor has no memory effects.
    unsafe { syscall3(libc::SYS_close, fd as usize, 0, 0) }
}

/// `write(2)` of `bytes` to `fd`, once; the kernel's result.
pub fn write(fd: i32, bytes: &[u8]) -> isize {
    // SAFETY: the slice is valid for reads of its length.
    unsafe { syscall3(libc::SYS_write, fd as usize, bytes.as_ptr() as usize, bytes.len()) }
}

pub fn write_stderr(bytes: &[u8]) {
    let mut off = 0;
    while off < bytes.len() {
        // SAFETY: the slice is valid for reads of its length.
        let r = unsafe { syscall3(libc::SYS_write, 2, bytes.as_ptr() as usize + off, bytes.len() - off) };
        if r <= 0 {
            if r == -(libc::EINTR as isize) {
                continue;
            }
            return;
        }
        off += r as usize;
    }
}

/// `mmap`; returns the address or `-errno`.
///
/// # Safety
/// As mmap(2): a fixed mapping may replace memory the caller still uses.
pub unsafe fn mmap(addr: usize, len: usize, prot: i32, flags: i32) -> isize {
    // SAFETY: forwarded contract (mmap(2) checks its arguments).
    unsafe { syscall6(libc::SYS_mmap, addr, len, prot as usize, flags as usize, !0usize, 0) }
}

/// # Safety
/// The range must not be in use by anyone.
pub unsafe fn munmap(addr: usize, len: usize) -> isize {
    // SAFETY: forwarded contract.
    unsafe { syscall3(libc::SYS_munmap, addr, len, 0) }
}

/// # Safety
/// As madvise(2): discarding advice loses the range's contents.
pub unsafe fn madvise(addr: usize, len: usize, advice: i32) -> isize {
    // SAFETY: forwarded contract.
    unsafe { syscall3(libc::SYS_madvise, addr, len, advice as usize) }
}

/// # Safety
/// As mprotect(2).
pub unsafe fn mprotect(addr: usize, len: usize, prot: i32) -> isize {
    // SAFETY: forwarded contract.
    unsafe { syscall3(libc::SYS_mprotect, addr, len, prot as usize) }
}

/// Blocks every signal on the calling kernel thread but `SIGSETXID`, which
/// every kernel thread of the process must take (see `sys::setxid`).
pub fn block_all_signals() {
    let all: u64 = !(1u64 << (super::setxid::SIGSETXID - 1));
    // SAFETY: `all` outlives the call; the old mask is not wanted.
    unsafe { syscall6(libc::SYS_rt_sigprocmask, libc::SIG_SETMASK as usize, &all as *const u64 as usize, 0, 8, 0, 0) };
}

/// arch_prctl codes (asm/prctl.h).
const ARCH_SET_GS: usize = 0x1001;
const ARCH_SET_FS: usize = 0x1002;
const ARCH_GET_GS: usize = 0x1004;

/// Sets the `%fs` base through the kernel (fallback when FSGSBASE is absent).
pub fn arch_set_fs(base: usize) {
    // SAFETY: changing the fs base is what the caller asked for.
    unsafe { syscall3(libc::SYS_arch_prctl, ARCH_SET_FS, base, 0) };
}

pub fn arch_set_gs(base: usize) {
    // SAFETY: nothing in glibc or the program uses %gs (docs/DESIGN.md, glibc facts).
    unsafe { syscall3(libc::SYS_arch_prctl, ARCH_SET_GS, base, 0) };
}

pub fn arch_get_gs() -> usize {
    let mut v: usize = 0;
    // SAFETY: the kernel writes one usize to `v`.
    unsafe { syscall3(libc::SYS_arch_prctl, ARCH_GET_GS, &mut v as *mut usize as usize, 0) };
    v
}
