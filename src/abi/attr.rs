//! `pthread_attr_*` and `pthread_{get,set}attr_default_np` exports; the
//! object's layout and the process-wide defaults are `thread::attr`.
//!
//! The object keeps glibc's exact layout (`struct pthread_attr` in nptl):
//! glibc functions mnthread does not replace (`pthread_attr_setaffinity_np`,
//! `pthread_attr_setsigmask_np`, `timer_create`'s SIGEV_THREAD attributes)
//! read and write the same fields and `extension`, which is why
//! `pthread_attr_destroy` frees that extension exactly as glibc does.

use core::ffi::{c_int, c_void};

use crate::mem::PAGE;
pub use crate::thread::attr::*;

macro_rules! attr_mut {
    ($p:expr) => {
        // SAFETY: the program passes an initialised pthread_attr_t.
        unsafe { &mut *($p as *mut Attr) }
    };
}
macro_rules! attr_ref {
    ($p:expr) => {
        // SAFETY: the program passes an initialised pthread_attr_t.
        unsafe { &*($p as *const Attr) }
    };
}
pub(crate) use attr_mut;

#[no_mangle]
pub extern "C" fn pthread_attr_init(attr: *mut libc::pthread_attr_t) -> c_int {
    let a = attr_mut!(attr);
    *a = Attr::ZERO;
    a.guardsize = PAGE;
    // A user thread by default; PTHREAD_SCOPE_SYSTEM asks for a bound one.
    a.flags = FLAG_SCOPEPROCESS;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_destroy(attr: *mut libc::pthread_attr_t) -> c_int {
    let a = attr_mut!(attr);
    if !a.extension.is_null() {
        // SAFETY: glibc allocated the extension and its cpuset with malloc.
        unsafe {
            libc::free((*a.extension).cpuset);
            libc::free(a.extension as *mut c_void);
        }
        a.extension = core::ptr::null_mut();
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setdetachstate(attr: *mut libc::pthread_attr_t, state: c_int) -> c_int {
    let a = attr_mut!(attr);
    match state {
        libc::PTHREAD_CREATE_JOINABLE => a.flags &= !FLAG_DETACHSTATE,
        libc::PTHREAD_CREATE_DETACHED => a.flags |= FLAG_DETACHSTATE,
        _ => return libc::EINVAL,
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getdetachstate(attr: *const libc::pthread_attr_t, state: *mut c_int) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer from the program.
    unsafe { *state = if a.flags & FLAG_DETACHSTATE != 0 { libc::PTHREAD_CREATE_DETACHED } else { libc::PTHREAD_CREATE_JOINABLE } };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setguardsize(attr: *mut libc::pthread_attr_t, size: usize) -> c_int {
    attr_mut!(attr).guardsize = size;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getguardsize(attr: *const libc::pthread_attr_t, size: *mut usize) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { *size = a.guardsize };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setstacksize(attr: *mut libc::pthread_attr_t, size: usize) -> c_int {
    if size < libc::PTHREAD_STACK_MIN {
        return libc::EINVAL;
    }
    attr_mut!(attr).stacksize = size;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getstacksize(attr: *const libc::pthread_attr_t, size: *mut usize) -> c_int {
    let a = attr_ref!(attr);
    let s = if a.stacksize == 0 { defaults().stacksize } else { a.stacksize };
    // SAFETY: valid out-pointer.
    unsafe { *size = s };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setstack(attr: *mut libc::pthread_attr_t, addr: *mut c_void, size: usize) -> c_int {
    if size < libc::PTHREAD_STACK_MIN {
        return libc::EINVAL;
    }
    let a = attr_mut!(attr);
    a.stacksize = size;
    a.stackaddr = addr as usize + size;
    a.flags |= FLAG_STACKADDR;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getstack(attr: *const libc::pthread_attr_t, addr: *mut *mut c_void, size: *mut usize) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointers.
    unsafe {
        *addr = a.stackaddr.wrapping_sub(a.stacksize) as *mut c_void;
        *size = a.stacksize;
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setstackaddr(attr: *mut libc::pthread_attr_t, addr: *mut c_void) -> c_int {
    let a = attr_mut!(attr);
    a.stackaddr = addr as usize;
    a.flags |= FLAG_STACKADDR;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getstackaddr(attr: *const libc::pthread_attr_t, addr: *mut *mut c_void) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { *addr = a.stackaddr as *mut c_void };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setscope(attr: *mut libc::pthread_attr_t, scope: c_int) -> c_int {
    match scope {
        PTHREAD_SCOPE_SYSTEM => {
            attr_mut!(attr).flags &= !FLAG_SCOPEPROCESS;
            0
        }
        PTHREAD_SCOPE_PROCESS => {
            attr_mut!(attr).flags |= FLAG_SCOPEPROCESS;
            0
        }
        _ => libc::EINVAL,
    }
}

#[no_mangle]
pub extern "C" fn pthread_attr_getscope(attr: *const libc::pthread_attr_t, scope: *mut c_int) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { *scope = if a.flags & FLAG_SCOPEPROCESS != 0 { PTHREAD_SCOPE_PROCESS } else { PTHREAD_SCOPE_SYSTEM } };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setinheritsched(attr: *mut libc::pthread_attr_t, inherit: c_int) -> c_int {
    let a = attr_mut!(attr);
    match inherit {
        libc::PTHREAD_INHERIT_SCHED => a.flags &= !FLAG_NOTINHERITSCHED,
        libc::PTHREAD_EXPLICIT_SCHED => a.flags |= FLAG_NOTINHERITSCHED,
        _ => return libc::EINVAL,
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getinheritsched(attr: *const libc::pthread_attr_t, inherit: *mut c_int) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { *inherit = if a.flags & FLAG_NOTINHERITSCHED != 0 { libc::PTHREAD_EXPLICIT_SCHED } else { libc::PTHREAD_INHERIT_SCHED } };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setschedpolicy(attr: *mut libc::pthread_attr_t, policy: c_int) -> c_int {
    if !valid_policy(policy) {
        return libc::EINVAL;
    }
    let a = attr_mut!(attr);
    a.policy = policy;
    a.flags |= FLAG_POLICY_SET;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getschedpolicy(attr: *const libc::pthread_attr_t, policy: *mut c_int) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { *policy = a.policy };
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_setschedparam(attr: *mut libc::pthread_attr_t, param: *const libc::sched_param) -> c_int {
    let a = attr_mut!(attr);
    // SAFETY: valid in-pointer.
    let prio = unsafe { (*param).sched_priority };
    if !valid_priority(a.policy, prio) {
        return libc::EINVAL;
    }
    a.sched_priority = prio;
    a.flags |= FLAG_SCHED_SET;
    0
}

#[no_mangle]
pub extern "C" fn pthread_attr_getschedparam(attr: *const libc::pthread_attr_t, param: *mut libc::sched_param) -> c_int {
    let a = attr_ref!(attr);
    // SAFETY: valid out-pointer.
    unsafe { (*param).sched_priority = a.sched_priority };
    0
}

#[no_mangle]
pub extern "C" fn pthread_getattr_default_np(attr: *mut libc::pthread_attr_t) -> c_int {
    let a = attr_mut!(attr);
    *a = defaults();
    0
}

#[no_mangle]
pub extern "C" fn pthread_setattr_default_np(attr: *const libc::pthread_attr_t) -> c_int {
    let a = attr_ref!(attr);
    if !valid_policy(a.policy) || !valid_priority(a.policy, a.sched_priority) {
        return libc::EINVAL;
    }
    if a.flags & FLAG_STACKADDR != 0 || (a.stacksize != 0 && a.stacksize < libc::PTHREAD_STACK_MIN) {
        return libc::EINVAL;
    }
    set_defaults(a);
    0
}
