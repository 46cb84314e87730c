//! Reading the program's memory the way the kernel does: a bad pointer is
//! an error (EFAULT), never a crash inside mnthread.
//!
//! An object inside memory the caller knows to be readable (the calling
//! thread's own stack, where most of these arguments live) is read
//! directly. Anything else goes through `process_vm_readv` on our own
//! process (a system call, ~1 us), which reports an unmapped or unreadable
//! address as EFAULT. Where a sandbox
//! forbids that call (seccomp: ENOSYS or EPERM), mnthread reads directly,
//! so only a pointer the program got wrong would then fault, as it would in
//! the program's own code.

use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, Ordering};

use super::raw;

/// Set once `process_vm_readv` turned out to be forbidden.
static NO_VM_READ: AtomicBool = AtomicBool::new(false);

/// Copies a `T` from the program's pointer `p`: EFAULT for null or an
/// address the process cannot read. `readable` is memory known to be
/// readable (may be empty).
pub fn copy_in<T: Copy>(p: *const T, readable: core::ops::Range<usize>) -> Result<T, c_int> {
    if p.is_null() {
        return Err(libc::EFAULT);
    }
    let (start, end) = (p as usize, (p as usize).saturating_add(core::mem::size_of::<T>()));
    if readable.start <= start && end <= readable.end {
        // SAFETY: the whole object lies in memory the caller vouches for.
        return Ok(unsafe { core::ptr::read_unaligned(p) });
    }
    if !NO_VM_READ.load(Ordering::Relaxed) {
        let mut out = core::mem::MaybeUninit::<T>::uninit();
        let size = core::mem::size_of::<T>();
        let local = libc::iovec { iov_base: out.as_mut_ptr().cast(), iov_len: size };
        let remote = libc::iovec { iov_base: p as *mut _, iov_len: size };
        // SAFETY: the kernel writes at most `size` bytes into `out` and reads
        // the program's memory with its own checks.
        let r = unsafe {
            raw::syscall6(libc::SYS_process_vm_readv, raw::getpid() as usize, &local as *const _ as usize, 1, &remote as *const _ as usize, 1, 0)
        };
        if r == size as isize {
            // SAFETY: the kernel filled all of it.
            return Ok(unsafe { out.assume_init() });
        }
        if r != -(libc::ENOSYS as isize) && r != -(libc::EPERM as isize) {
            return Err(libc::EFAULT);
        }
        NO_VM_READ.store(true, Ordering::Relaxed);
    }
    // SAFETY: non-null; the sandbox leaves no checked way, so this reads as
    // the program itself would.
    Ok(unsafe { core::ptr::read_unaligned(p) })
}
