//! CPU affinity: `pthread_setaffinity_np`, `pthread_getaffinity_np`,
//! `sched_setaffinity`, `sched_getaffinity` (the rules are in
//! `thread::affinity`). glibc's `pthread_attr_setaffinity_np` and
//! `pthread_attr_getaffinity_np` serve as they are: mnthread keeps glibc's
//! attribute layout, and `pthread_create` reads the mask from it.

use core::ffi::c_int;

use super::thread::live;
use crate::mem::uthread::{Kind, UThread};
use crate::sys::errno;
use crate::sched::bound::set_kernel_affinity;
use crate::sys::real::PTHREAD_TID_OFFSET;
use crate::thread::{affinity, runtime};

/// The user thread `t` names, or the kernel thread id of a thread mnthread
/// did not move onto the carriers; `Err(ESRCH)` for no live thread.
fn target(t: libc::pthread_t) -> Result<Result<*mut UThread, i32>, c_int> {
    let tr = live(t).ok_or(libc::ESRCH)?;
    let on_carriers = tr.kind == Kind::User || (tr.kind == Kind::Main && runtime::main_is_user_thread());
    if on_carriers {
        return Ok(Ok(tr as *const UThread as *mut UThread));
    }
    // SAFETY: these threads' TCBs are glibc's, which keep the kernel tid there.
    Ok(Err(unsafe { *((tr.ctx.tp + PTHREAD_TID_OFFSET) as *const i32) }))
}

/// The program's mask, or `EFAULT` for a null one.
fn mask<'a>(size: usize, set: *const libc::cpu_set_t) -> Result<&'a [u8], c_int> {
    if set.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: the caller gives `size` readable bytes at `set`.
    Ok(unsafe { core::slice::from_raw_parts(set as *const u8, size) })
}

fn mask_mut<'a>(size: usize, set: *mut libc::cpu_set_t) -> Result<&'a mut [u8], c_int> {
    if set.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: the caller gives `size` writable bytes at `set`.
    Ok(unsafe { core::slice::from_raw_parts_mut(set as *mut u8, size) })
}

fn set_of(t: libc::pthread_t, size: usize, set: *const libc::cpu_set_t) -> Result<c_int, c_int> {
    let m = mask(size, set)?;
    Ok(match target(t)? {
        Ok(ut) => affinity::set(ut, m),
        Err(tid) => set_kernel_affinity(tid, m),
    })
}

fn get_of(t: libc::pthread_t, size: usize, set: *mut libc::cpu_set_t) -> Result<c_int, c_int> {
    let out = mask_mut(size, set)?;
    Ok(match target(t)? {
        Ok(ut) => affinity::get(ut, out),
        Err(tid) => affinity::kernel_mask(tid, out),
    })
}

#[no_mangle]
pub extern "C" fn pthread_setaffinity_np(t: libc::pthread_t, size: usize, set: *const libc::cpu_set_t) -> c_int {
    set_of(t, size, set).unwrap_or_else(|e| e)
}

#[no_mangle]
pub extern "C" fn pthread_getaffinity_np(t: libc::pthread_t, size: usize, set: *mut libc::cpu_set_t) -> c_int {
    get_of(t, size, set).unwrap_or_else(|e| e)
}

/// 0, or -1 with errno set, from an errno value.
fn posix_result(e: c_int) -> c_int {
    if e == 0 {
        return 0;
    }
    errno::set(e);
    -1
}

#[no_mangle]
pub extern "C" fn sched_setaffinity(pid: libc::pid_t, size: usize, set: *const libc::cpu_set_t) -> c_int {
    let r = mask(size, set).map(|m| match affinity::thread_of_pid(pid) {
        Some(t) => affinity::set(t, m),
        None => set_kernel_affinity(pid, m),
    });
    posix_result(r.unwrap_or_else(|e| e))
}

#[no_mangle]
pub extern "C" fn sched_getaffinity(pid: libc::pid_t, size: usize, set: *mut libc::cpu_set_t) -> c_int {
    let r = mask_mut(size, set).map(|out| match affinity::thread_of_pid(pid) {
        Some(t) => affinity::get(t, out),
        None => affinity::kernel_mask(pid, out),
    });
    posix_result(r.unwrap_or_else(|e| e))
}
