//! `pthread_mutexattr_*` exports, in glibc's encoding of the 4-byte
//! attribute: the type in the low bits (plus glibc's "no elision" bit 512
//! that `settype(NORMAL)` sets), the protocol at bits 28-29, robust
//! 0x40000000, process-shared 0x80000000, the priority ceiling at bits 12-23.

use core::ffi::c_int;

use super::mutex::{PRIO_MAX, PRIO_MIN};
use crate::sync::mutex::{KIND_PI, KIND_PP, KIND_PSHARED, KIND_ROBUST, TYPE_ADAPTIVE, TYPE_NORMAL};

#[repr(C)]
pub struct MutexAttr(pub c_int);

const _: () = assert!(core::mem::size_of::<MutexAttr>() == core::mem::size_of::<libc::pthread_mutexattr_t>());

const FLAG_ROBUST: c_int = 0x4000_0000;
const FLAG_PSHARED: c_int = 0x8000_0000u32 as c_int;
const PROTOCOL_SHIFT: u32 = 28;
const PROTOCOL_MASK: c_int = 0x3000_0000;
const CEILING_SHIFT: u32 = 12;
const CEILING_MASK: c_int = 0x00ff_f000;
const FLAG_BITS: c_int = FLAG_ROBUST | FLAG_PSHARED | PROTOCOL_MASK | CEILING_MASK;
const NO_ELISION: c_int = 512;

const PRIO_NONE: c_int = 0;
const PRIO_INHERIT: c_int = 1;
const PRIO_PROTECT: c_int = 2;

/// The mutex `kind` an attribute value makes, or pthread_mutex_init's error.
pub fn mutex_kind(a: c_int) -> Result<i32, c_int> {
    let protocol = (a & PROTOCOL_MASK) >> PROTOCOL_SHIFT;
    if protocol == PRIO_PROTECT && a & FLAG_ROBUST != 0 {
        return Err(libc::ENOTSUP);
    }
    let mut kind = a & !FLAG_BITS;
    if a & FLAG_ROBUST != 0 {
        kind |= KIND_ROBUST;
    }
    match protocol {
        PRIO_INHERIT => kind |= KIND_PI,
        PRIO_PROTECT => kind |= KIND_PP,
        _ => {}
    }
    if a & FLAG_PSHARED != 0 {
        kind |= KIND_PSHARED;
    }
    Ok(kind)
}

/// The ceiling a PP mutex made from `a` starts with (unset: the lowest).
pub fn ceiling_of(a: c_int) -> c_int {
    match (a & CEILING_MASK) >> CEILING_SHIFT {
        0 => PRIO_MIN,
        c => c,
    }
}

fn attr<'a>(a: *mut libc::pthread_mutexattr_t) -> &'a mut c_int {
    // SAFETY: the program passes a pthread_mutexattr_t (4 bytes, int-aligned).
    unsafe { &mut (*(a as *mut MutexAttr)).0 }
}

fn get(a: *const libc::pthread_mutexattr_t) -> c_int {
    *attr(a as *mut _)
}

fn put(out: *mut c_int, v: c_int) -> c_int {
    // SAFETY: valid out-pointer from the program.
    unsafe { *out = v };
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_init(a: *mut libc::pthread_mutexattr_t) -> c_int {
    *attr(a) = TYPE_NORMAL;
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_destroy(_a: *mut libc::pthread_mutexattr_t) -> c_int {
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_settype(a: *mut libc::pthread_mutexattr_t, kind: c_int) -> c_int {
    if !(TYPE_NORMAL..=TYPE_ADAPTIVE).contains(&kind) {
        return libc::EINVAL;
    }
    let kind = if kind == TYPE_NORMAL { kind | NO_ELISION } else { kind };
    let v = attr(a);
    *v = (*v & FLAG_BITS) | kind;
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_gettype(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    put(out, get(a) & !FLAG_BITS & !NO_ELISION)
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setkind_np(a: *mut libc::pthread_mutexattr_t, kind: c_int) -> c_int {
    pthread_mutexattr_settype(a, kind)
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getkind_np(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    pthread_mutexattr_gettype(a, out)
}

fn set_flag(a: *mut libc::pthread_mutexattr_t, flag: c_int, on: bool) {
    let v = attr(a);
    *v = if on { *v | flag } else { *v & !flag };
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setpshared(a: *mut libc::pthread_mutexattr_t, pshared: c_int) -> c_int {
    if pshared != libc::PTHREAD_PROCESS_PRIVATE && pshared != libc::PTHREAD_PROCESS_SHARED {
        return libc::EINVAL;
    }
    set_flag(a, FLAG_PSHARED, pshared == libc::PTHREAD_PROCESS_SHARED);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getpshared(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    put(out, if get(a) & FLAG_PSHARED != 0 { libc::PTHREAD_PROCESS_SHARED } else { libc::PTHREAD_PROCESS_PRIVATE })
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setrobust(a: *mut libc::pthread_mutexattr_t, robust: c_int) -> c_int {
    if robust != libc::PTHREAD_MUTEX_STALLED && robust != libc::PTHREAD_MUTEX_ROBUST {
        return libc::EINVAL;
    }
    set_flag(a, FLAG_ROBUST, robust == libc::PTHREAD_MUTEX_ROBUST);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getrobust(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    put(out, if get(a) & FLAG_ROBUST != 0 { libc::PTHREAD_MUTEX_ROBUST } else { libc::PTHREAD_MUTEX_STALLED })
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setrobust_np(a: *mut libc::pthread_mutexattr_t, robust: c_int) -> c_int {
    pthread_mutexattr_setrobust(a, robust)
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getrobust_np(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    pthread_mutexattr_getrobust(a, out)
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setprotocol(a: *mut libc::pthread_mutexattr_t, protocol: c_int) -> c_int {
    if protocol != PRIO_NONE && protocol != PRIO_INHERIT && protocol != PRIO_PROTECT {
        return libc::EINVAL;
    }
    let v = attr(a);
    *v = (*v & !PROTOCOL_MASK) | (protocol << PROTOCOL_SHIFT);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getprotocol(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    put(out, (get(a) & PROTOCOL_MASK) >> PROTOCOL_SHIFT)
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_setprioceiling(a: *mut libc::pthread_mutexattr_t, prio: c_int) -> c_int {
    if !(PRIO_MIN..=PRIO_MAX).contains(&prio) {
        return libc::EINVAL;
    }
    let v = attr(a);
    *v = (*v & !CEILING_MASK) | (prio << CEILING_SHIFT);
    0
}

#[no_mangle]
pub extern "C" fn pthread_mutexattr_getprioceiling(a: *const libc::pthread_mutexattr_t, out: *mut c_int) -> c_int {
    put(out, ceiling_of(get(a)))
}

#[no_mangle]
pub extern "C" fn __pthread_mutexattr_init(a: *mut libc::pthread_mutexattr_t) -> c_int {
    pthread_mutexattr_init(a)
}

#[no_mangle]
pub extern "C" fn __pthread_mutexattr_destroy(a: *mut libc::pthread_mutexattr_t) -> c_int {
    pthread_mutexattr_destroy(a)
}

#[no_mangle]
pub extern "C" fn __pthread_mutexattr_settype(a: *mut libc::pthread_mutexattr_t, kind: c_int) -> c_int {
    pthread_mutexattr_settype(a, kind)
}
