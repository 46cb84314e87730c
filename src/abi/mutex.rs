//! `pthread_mutex_*` exports and libc's `__pthread_mutex_*` aliases; the
//! object and its protocol are `sync::mutex`.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use super::mutexattr::{self, MutexAttr};
use crate::sync::mutex::{Enc, Limit, Mutex, KIND_PP, KIND_ROBUST, TYPE_ERRORCHECK, TYPE_MASK};

/// Smallest and largest SCHED_FIFO priority: the valid priority ceilings.
pub const PRIO_MIN: c_int = 1;
pub const PRIO_MAX: c_int = 99;

fn mx<'a>(m: *mut libc::pthread_mutex_t) -> &'a Mutex {
    // SAFETY: the program passes a pthread_mutex_t, which has Mutex's size
    // and alignment; all its fields are atomics.
    unsafe { &*(m as *const Mutex) }
}

#[no_mangle]
pub extern "C" fn pthread_mutex_init(m: *mut libc::pthread_mutex_t, attr: *const libc::pthread_mutexattr_t) -> c_int {
    let a = if attr.is_null() {
        0
    } else {
        // SAFETY: a pthread_mutexattr_t from the program.
        unsafe { (*(attr as *const MutexAttr)).0 }
    };
    let kind = match mutexattr::mutex_kind(a) {
        Ok(k) => k,
        Err(e) => return e,
    };
    let m = mx(m);
    m.lock.store(0, Ordering::Relaxed);
    m.count.store(0, Ordering::Relaxed);
    m.owner.store(0, Ordering::Relaxed);
    m.nusers.store(0, Ordering::Relaxed);
    m.ceiling.store(mutexattr::ceiling_of(a) as u32, Ordering::Relaxed);
    m.prev.store(core::ptr::null_mut(), Ordering::Relaxed);
    m.next.store(core::ptr::null_mut(), Ordering::Relaxed);
    m.kind.store(kind, Ordering::Release);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutex_destroy(m: *mut libc::pthread_mutex_t) -> c_int {
    let m = mx(m);
    let kind = m.kind.load(Ordering::Relaxed);
    if kind & KIND_ROBUST == 0 && Enc::of(kind).held(m.lock.load(Ordering::Relaxed)) {
        return libc::EBUSY;
    }
    // As glibc: a destroyed mutex has kind -1, and locking it fails with EINVAL.
    m.kind.store(-1, Ordering::Relaxed);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutex_lock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Forever)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_trylock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Try)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_unlock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).unlock()
}

#[no_mangle]
pub extern "C" fn pthread_mutex_timedlock(m: *mut libc::pthread_mutex_t, abstime: *const libc::timespec) -> c_int {
    timed(m, libc::CLOCK_REALTIME, abstime)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_clocklock(m: *mut libc::pthread_mutex_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    if clock != libc::CLOCK_REALTIME && clock != libc::CLOCK_MONOTONIC {
        return libc::EINVAL;
    }
    timed(m, clock, abstime)
}

fn timed(m: *mut libc::pthread_mutex_t, clock: libc::clockid_t, abstime: *const libc::timespec) -> c_int {
    if abstime.is_null() {
        return libc::EINVAL;
    }
    mx(m).lock(Limit::Until(clock, abstime))
}

#[no_mangle]
pub extern "C" fn pthread_mutex_consistent(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).consistent()
}

#[no_mangle]
pub extern "C" fn pthread_mutex_consistent_np(m: *mut libc::pthread_mutex_t) -> c_int {
    pthread_mutex_consistent(m)
}

#[no_mangle]
pub extern "C" fn pthread_mutex_getprioceiling(m: *const libc::pthread_mutex_t, out: *mut c_int) -> c_int {
    let m = mx(m as *mut _);
    if m.kind.load(Ordering::Relaxed) & KIND_PP == 0 {
        return libc::EINVAL;
    }
    // SAFETY: valid out-pointer from the program.
    unsafe { *out = m.ceiling.load(Ordering::Relaxed) as c_int };
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutex_setprioceiling(m: *mut libc::pthread_mutex_t, prio: c_int, old: *mut c_int) -> c_int {
    let mr = mx(m);
    let kind = mr.kind.load(Ordering::Relaxed);
    if kind & KIND_PP == 0 || !(PRIO_MIN..=PRIO_MAX).contains(&prio) {
        return libc::EINVAL;
    }
    // As glibc: the ceiling changes under the lock, taken unless the
    // caller holds it already (an error-checking one it holds: EDEADLK).
    let held = mr.held_by_caller();
    if held && kind & TYPE_MASK == TYPE_ERRORCHECK {
        return libc::EDEADLK;
    }
    if !held {
        let r = mr.lock(Limit::Forever);
        if r != 0 {
            return r;
        }
    }
    let prev = mr.ceiling.swap(prio as u32, Ordering::Relaxed);
    if !held {
        mr.unlock();
    }
    if !old.is_null() {
        // SAFETY: valid out-pointer from the program.
        unsafe { *old = prev as c_int };
    }
    0
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_init(m: *mut libc::pthread_mutex_t, attr: *const libc::pthread_mutexattr_t) -> c_int {
    pthread_mutex_init(m, attr)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_destroy(m: *mut libc::pthread_mutex_t) -> c_int {
    pthread_mutex_destroy(m)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_lock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Forever)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_trylock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).lock(Limit::Try)
}

#[no_mangle]
pub extern "C" fn __pthread_mutex_unlock(m: *mut libc::pthread_mutex_t) -> c_int {
    mx(m).unlock()
}
