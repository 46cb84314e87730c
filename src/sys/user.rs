//! Reading and writing the program's memory the way the kernel does: a bad
//! pointer is an error (EFAULT), never a crash inside mnthread.
//!
//! An object inside memory the caller knows to be readable (the calling
//! thread's own stack, where most of these arguments live) is read
//! directly. Anything else goes through `process_vm_readv` (or `_writev`)
//! on our own process (a system call, ~1 us), which reports an unmapped or unreadable
//! address as EFAULT. Where a sandbox
//! forbids that call (seccomp: ENOSYS or EPERM), mnthread reads directly,
//! so only a pointer the program got wrong would then fault, as it would in
//! the program's own code.

use core::ffi::c_int;
use core::sync::atomic::{AtomicBool, Ordering};

use super::raw;

/// Set once `process_vm_readv`/`_writev` turned out to be forbidden.
static NO_VM_READ: AtomicBool = AtomicBool::new(false);

/// Copies a `T` from the program's pointer `p`: EFAULT for null or an
/// address the process cannot read. `readable` is memory known to be
/// readable (may be empty).
pub fn copy_in<T: Copy>(p: *const T, readable: core::ops::Range<usize>) -> Result<T, c_int> {
    let mut out = core::mem::MaybeUninit::<T>::uninit();
    copy_in_slice(p, core::slice::from_mut(&mut out), readable)?;
    // SAFETY: `copy_in_slice` filled all of it.
    Ok(unsafe { out.assume_init() })
}

/// Copies `out.len()` `T`s from the program's array at `p` into `out`, with
/// [`copy_in`]'s rule.
pub fn copy_in_slice<T: Copy>(p: *const T, out: &mut [core::mem::MaybeUninit<T>], readable: core::ops::Range<usize>) -> Result<(), c_int> {
    let size = core::mem::size_of_val(out);
    transfer(p as usize, out.as_mut_ptr() as usize, size, readable, libc::SYS_process_vm_readv, || {
        // SAFETY: the caller vouches for (or the sandbox leaves only) a
        // direct read of `size` bytes at `p` into `out`, which holds them.
        unsafe { core::ptr::copy_nonoverlapping(p as *const u8, out.as_mut_ptr() as *mut u8, size) }
    })
}

/// Writes `v` to the program's pointer `p`, the same way: EFAULT for null
/// or an address the process cannot write; `writable` is memory known to
/// be writable.
pub fn copy_out<T: Copy>(p: *mut T, v: T, writable: core::ops::Range<usize>) -> Result<(), c_int> {
    let size = core::mem::size_of::<T>();
    transfer(p as usize, &v as *const T as usize, size, writable, libc::SYS_process_vm_writev, || {
        // SAFETY: as in `copy_in_slice`, for a write of `v` to `p`.
        unsafe { core::ptr::write_unaligned(p, v) }
    })
}

/// Moves `size` bytes between the program's address `prog` and our own
/// buffer `ours` with system call `call` (`process_vm_readv` reads `prog`
/// into `ours`, `process_vm_writev` writes `ours` to `prog`), or with
/// `direct` when `prog` lies in `known` or the sandbox forbids the call.
fn transfer(prog: usize, ours: usize, size: usize, known: core::ops::Range<usize>, call: i64, direct: impl FnOnce()) -> Result<(), c_int> {
    if prog == 0 {
        return Err(libc::EFAULT);
    }
    let end = prog.saturating_add(size);
    if (known.start <= prog && end <= known.end) || size == 0 {
        direct();
        return Ok(());
    }
    if !NO_VM_READ.load(Ordering::Relaxed) {
        let local = libc::iovec { iov_base: ours as *mut _, iov_len: size };
        let remote = libc::iovec { iov_base: prog as *mut _, iov_len: size };
        // SAFETY: the kernel moves at most `size` bytes between `ours`
        // (ours, that large) and the program's memory, with its own checks.
        let r = unsafe { raw::syscall6(call, raw::getpid() as usize, &local as *const _ as usize, 1, &remote as *const _ as usize, 1, 0) };
        if r == size as isize {
            return Ok(());
        }
        if r != -(libc::ENOSYS as isize) && r != -(libc::EPERM as isize) {
            return Err(libc::EFAULT);
        }
        NO_VM_READ.store(true, Ordering::Relaxed);
    }
    // The sandbox leaves no checked way: this reads or writes as the
    // program itself would.
    direct();
    Ok(())
}
