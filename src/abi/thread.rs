//! Thread exports: create, join family, detach, exit, self, equal, names,
//! scheduling parameters, getattr_np.

use core::ffi::{c_char, c_int, c_void};

use super::attr::{valid_policy, valid_priority, Attr, FLAG_DETACHSTATE, FLAG_STACKADDR};
use crate::thread::lifecycle;
use crate::thread::runtime;
use crate::sys::real::{real, StartRoutine};
use crate::sys::time;
use crate::mem::uthread::{Kind, SchedInfo, UThread, DETACHED, FREE};

fn desc(t: libc::pthread_t) -> *mut UThread {
    t as *mut UThread
}

pub(crate) fn live(t: libc::pthread_t) -> Option<&'static UThread> {
    if !crate::mem::uthread::SLAB.plausible(desc(t)) {
        return None;
    }
    // SAFETY: a pthread_t is a descriptor pointer from this library; they are
    // type-stable, so even a stale one reads as a (FREE) descriptor.
    let t = unsafe { &*desc(t) };
    (t.join_state.load(core::sync::atomic::Ordering::Acquire) != FREE).then_some(t)
}

#[no_mangle]
pub extern "C" fn pthread_create(
    out: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: StartRoutine,
    arg: *mut c_void,
) -> c_int {
    let me = runtime::current();
    // SAFETY: `me` is the caller's descriptor.
    let spawn = super::attr::spawn_of(attr as *const Attr, unsafe { (*me).sched.get() });
    match lifecycle::create(&spawn, start, arg) {
        Ok(t) => {
            // SAFETY: valid out-pointer from the program.
            unsafe { *out = t as libc::pthread_t };
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_join(t: libc::pthread_t, ret: *mut *mut c_void) -> c_int {
    crate::cancel::point(|| {
    join_common(t, ret, None, false)
    })
}

#[no_mangle]
pub extern "C" fn pthread_tryjoin_np(t: libc::pthread_t, ret: *mut *mut c_void) -> c_int {
    join_common(t, ret, None, true)
}

#[no_mangle]
pub extern "C" fn pthread_timedjoin_np(t: libc::pthread_t, ret: *mut *mut c_void, abstime: *const libc::timespec) -> c_int {
    crate::cancel::point(|| {
    pthread_clockjoin_np(t, ret, libc::CLOCK_REALTIME, abstime)
    })
}

#[no_mangle]
pub extern "C" fn pthread_clockjoin_np(
    t: libc::pthread_t,
    ret: *mut *mut c_void,
    clock: libc::clockid_t,
    abstime: *const libc::timespec,
) -> c_int {
    crate::cancel::point(|| {
    if abstime.is_null() {
        return join_common(t, ret, None, false);
    }
    match time::abs_deadline(clock, abstime) {
        Ok(d) => join_common(t, ret, Some(d), false),
        Err(e) => e,
    }
    })
}

fn join_common(t: libc::pthread_t, ret: *mut *mut c_void, deadline: Option<u64>, try_only: bool) -> c_int {
    if live(t).is_none() {
        return libc::ESRCH;
    }
    match lifecycle::join(desc(t), deadline, try_only) {
        Ok(r) => {
            if !ret.is_null() {
                // SAFETY: valid out-pointer from the program.
                unsafe { *ret = r };
            }
            0
        }
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_detach(t: libc::pthread_t) -> c_int {
    if live(t).is_none() {
        return libc::ESRCH;
    }
    match lifecycle::detach(desc(t)) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

#[no_mangle]
pub extern "C" fn pthread_self() -> libc::pthread_t {
    runtime::current() as libc::pthread_t
}

#[no_mangle]
pub extern "C" fn pthread_equal(a: libc::pthread_t, b: libc::pthread_t) -> c_int {
    (a == b) as c_int
}

#[no_mangle]
pub extern "C" fn pthread_setname_np(t: libc::pthread_t, name: *const c_char) -> c_int {
    let Some(t) = live(t) else { return libc::ESRCH };
    // SAFETY: a NUL-terminated string from the program.
    let bytes = unsafe { core::ffi::CStr::from_ptr(name) }.to_bytes();
    if bytes.len() > 15 {
        return libc::ERANGE;
    }
    let mut n = [0u8; 16];
    n[..bytes.len()].copy_from_slice(bytes);
    t.name.set(n);
    0
}

#[no_mangle]
pub extern "C" fn pthread_getname_np(t: libc::pthread_t, buf: *mut c_char, len: usize) -> c_int {
    let Some(t) = live(t) else { return libc::ESRCH };
    let name = t.name.get();
    let n = name.iter().position(|&b| b == 0).unwrap_or(16);
    if len < n + 1 {
        return libc::ERANGE;
    }
    // SAFETY: `buf` holds `len` > n bytes.
    unsafe {
        core::ptr::copy_nonoverlapping(name.as_ptr(), buf as *mut u8, n);
        *buf.add(n) = 0;
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_getattr_np(t: libc::pthread_t, attr: *mut libc::pthread_attr_t) -> c_int {
    let Some(tr) = live(t) else { return libc::ESRCH };
    if tr.kind != Kind::User {
        // glibc knows the main thread's and its own threads' stacks.
        // SAFETY: for these threads the TCB address *is* glibc's pthread_t.
        return unsafe { (real().pthread_getattr_np)(tr.ctx.tp as libc::pthread_t, attr) };
    }
    super::attr::pthread_attr_init(attr);
    let a = super::attr::attr_mut!(attr);
    let s = tr.stack;
    a.stackaddr = s.top;
    a.stacksize = s.size();
    a.guardsize = s.guard;
    a.flags |= FLAG_STACKADDR;
    if tr.join_state.load(core::sync::atomic::Ordering::Acquire) == DETACHED {
        a.flags |= FLAG_DETACHSTATE;
    }
    let sched = tr.sched.get();
    a.policy = sched.policy;
    a.sched_priority = sched.priority;
    let ut = tr as *const UThread as *mut UThread;
    if crate::sched::bound::is_bound(ut) {
        a.flags &= !super::attr::FLAG_SCOPEPROCESS;
    }
    // As glibc: the thread's CPU mask goes into the attribute too.
    let mut mask = [0u8; 128];
    if crate::thread::affinity::get(ut, &mut mask) == 0 {
        // SAFETY: glibc's own attribute call, on the attribute we initialised.
        let r = unsafe { libc::pthread_attr_setaffinity_np(attr, mask.len(), mask.as_ptr() as *const libc::cpu_set_t) };
        if r != 0 {
            super::attr::pthread_attr_destroy(attr);
            return r;
        }
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_getschedparam(t: libc::pthread_t, policy: *mut c_int, param: *mut libc::sched_param) -> c_int {
    let Some(t) = live(t) else { return libc::ESRCH };
    let sched = t.sched.get();
    // SAFETY: valid out-pointers.
    unsafe {
        *policy = sched.policy;
        (*param).sched_priority = sched.priority;
    }
    0
}

#[no_mangle]
pub extern "C" fn pthread_setschedparam(t: libc::pthread_t, policy: c_int, param: *const libc::sched_param) -> c_int {
    let Some(t) = live(t) else { return libc::ESRCH };
    // SAFETY: valid in-pointer.
    let prio = unsafe { (*param).sched_priority };
    if !valid_policy(policy) || !valid_priority(policy, prio) {
        return libc::EINVAL;
    }
    // The caller's real-time policy, or a bound thread's any: the kernel's
    // (a user thread binds itself first, so it stays its own).
    let ut = t as *const UThread as *mut UThread;
    let own = crate::sched::current_user().is_some_and(|(_, me)| me == ut);
    let tid = if own && policy != libc::SCHED_OTHER {
        if let Err(e) = crate::sched::bound::bind_current() {
            return e;
        }
        Some(0)
    } else {
        crate::sched::bound::kernel_tid(ut).map(|tid| {
            crate::sched::bound::taint(ut);
            if own {
                0
            } else {
                tid
            }
        })
    };
    if let Some(tid) = tid {
        // SAFETY: `param` is the program's valid in-pointer.
        let r = unsafe { crate::sys::raw::syscall3(libc::SYS_sched_setscheduler, tid as usize, policy as usize, param as usize) };
        if r < 0 {
            return -r as c_int;
        }
    }
    t.sched.set(SchedInfo { policy, priority: prio });
    0
}

#[no_mangle]
pub extern "C" fn pthread_setschedprio(t: libc::pthread_t, prio: c_int) -> c_int {
    let Some(t) = live(t) else { return libc::ESRCH };
    loop {
        let policy = t.sched.get().policy;
        if !valid_priority(policy, prio) {
            return libc::EINVAL;
        }
        if t.sched.set_priority(policy, prio) {
            return 0;
        }
    }
}

static CONCURRENCY: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

#[no_mangle]
pub extern "C" fn pthread_getconcurrency() -> c_int {
    CONCURRENCY.load(core::sync::atomic::Ordering::Relaxed)
}

#[no_mangle]
pub extern "C" fn pthread_setconcurrency(level: c_int) -> c_int {
    if level < 0 {
        return libc::EINVAL;
    }
    CONCURRENCY.store(level, core::sync::atomic::Ordering::Relaxed);
    0
}
