//! `pthread_rwlock_*` and `pthread_rwlockattr_*` exports, with libc's
//! `__pthread_rwlock_*` aliases. The lock itself is [`crate::sync::rwlock`].

use core::ffi::c_int;

use crate::sync::rwlock::{RwLock, KIND_PREFER_READER, KIND_WRITER_NONRECURSIVE};
use crate::sys::time;

/// glibc's `struct pthread_rwlockattr` inside the 8-byte `pthread_rwlockattr_t`.
#[repr(C)]
struct RwLockAttr {
    kind: c_int,
    pshared: c_int,
}

const _: () = assert!(core::mem::size_of::<RwLockAttr>() <= core::mem::size_of::<libc::pthread_rwlockattr_t>());

fn lock<'a>(l: *mut libc::pthread_rwlock_t) -> &'a RwLock {
    // SAFETY: the program passes an initialised (or statically
    // initialised, or zeroed) pthread_rwlock_t, whose size and alignment
    // RwLock shares; all of its mutable fields are atomics.
    unsafe { &*(l as *const RwLock) }
}

fn attr<'a>(a: *const libc::pthread_rwlockattr_t) -> &'a RwLockAttr {
    // SAFETY: a pthread_rwlockattr_t from the program, large enough.
    unsafe { &*(a as *const RwLockAttr) }
}

fn attr_mut<'a>(a: *mut libc::pthread_rwlockattr_t) -> &'a mut RwLockAttr {
    // SAFETY: as in `attr`; the program owns the attribute object.
    unsafe { &mut *(a as *mut RwLockAttr) }
}

/// The deadline of a timed lock call, or its EINVAL (glibc checks the
/// clock and the timespec before anything else).
#[no_mangle]
pub extern "C" fn pthread_rwlock_init(l: *mut libc::pthread_rwlock_t, a: *const libc::pthread_rwlockattr_t) -> c_int {
    let (kind, shared) = if a.is_null() {
        (KIND_PREFER_READER, false)
    } else {
        let a = attr(a);
        (a.kind as u32, a.pshared == libc::PTHREAD_PROCESS_SHARED)
    };
    // SAFETY: the program hands us the object to initialise.
    unsafe { (l as *mut RwLock).write(RwLock::new(kind, shared)) };
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_destroy(_l: *mut libc::pthread_rwlock_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_rdlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    lock(l).read(None)
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_tryrdlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    lock(l).try_read()
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_timedrdlock(l: *mut libc::pthread_rwlock_t, abstime: *const libc::timespec) -> c_int {
    pthread_rwlock_clockrdlock(l, libc::CLOCK_REALTIME, abstime)
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_clockrdlock(l: *mut libc::pthread_rwlock_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    match time::abs_deadline(clock, abstime) {
        Ok(d) => lock(l).read(Some(d)),
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_wrlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    lock(l).write(None)
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_trywrlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    lock(l).try_write()
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_timedwrlock(l: *mut libc::pthread_rwlock_t, abstime: *const libc::timespec) -> c_int {
    pthread_rwlock_clockwrlock(l, libc::CLOCK_REALTIME, abstime)
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_clockwrlock(l: *mut libc::pthread_rwlock_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    match time::abs_deadline(clock, abstime) {
        Ok(d) => lock(l).write(Some(d)),
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_rwlock_unlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    lock(l).unlock()
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_init(l: *mut libc::pthread_rwlock_t, a: *const libc::pthread_rwlockattr_t) -> c_int {
    pthread_rwlock_init(l, a)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_destroy(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_destroy(l)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_rdlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_rdlock(l)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_tryrdlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_tryrdlock(l)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_wrlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_wrlock(l)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_trywrlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_trywrlock(l)
}

#[no_mangle]
pub extern "C" fn __pthread_rwlock_unlock(l: *mut libc::pthread_rwlock_t) -> c_int {
    pthread_rwlock_unlock(l)
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_init(a: *mut libc::pthread_rwlockattr_t) -> c_int {
    *attr_mut(a) = RwLockAttr { kind: KIND_PREFER_READER as c_int, pshared: libc::PTHREAD_PROCESS_PRIVATE };
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_destroy(_a: *mut libc::pthread_rwlockattr_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_getkind_np(a: *const libc::pthread_rwlockattr_t, kind: *mut c_int) -> c_int {
    // SAFETY: a valid out-pointer from the program.
    unsafe { *kind = attr(a).kind };
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_setkind_np(a: *mut libc::pthread_rwlockattr_t, kind: c_int) -> c_int {
    if !(KIND_PREFER_READER as c_int..=KIND_WRITER_NONRECURSIVE as c_int).contains(&kind) {
        return libc::EINVAL;
    }
    attr_mut(a).kind = kind;
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_getpshared(a: *const libc::pthread_rwlockattr_t, pshared: *mut c_int) -> c_int {
    // SAFETY: a valid out-pointer from the program.
    unsafe { *pshared = attr(a).pshared };
    0
}

#[no_mangle]
pub extern "C" fn pthread_rwlockattr_setpshared(a: *mut libc::pthread_rwlockattr_t, pshared: c_int) -> c_int {
    if pshared != libc::PTHREAD_PROCESS_PRIVATE && pshared != libc::PTHREAD_PROCESS_SHARED {
        return libc::EINVAL;
    }
    attr_mut(a).pshared = pshared;
    0
}
