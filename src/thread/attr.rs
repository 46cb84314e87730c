//! Thread attributes: glibc's `pthread_attr_t` layout, the process-wide
//! defaults (`pthread_setattr_default_np`), and what `pthread_create`
//! makes of them.
//!
//! The object keeps glibc's exact layout (`struct pthread_attr` in nptl):
//! glibc functions mnthread does not replace (`pthread_attr_setaffinity_np`,
//! `pthread_attr_setsigmask_np`, `timer_create`'s SIGEV_THREAD attributes)
//! read and write the same fields and `extension`, which is why
//! `pthread_attr_destroy` frees that extension exactly as glibc does.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

use crate::mem::uthread::SchedInfo;
use crate::mem::{page_round_up, PAGE};
use crate::sys::lock::Locked;
use crate::thread::lifecycle::Spawn;

/// <pthread.h> values the libc crate lacks.
pub const PTHREAD_SCOPE_SYSTEM: c_int = 0;
pub const PTHREAD_SCOPE_PROCESS: c_int = 1;

pub const FLAG_DETACHSTATE: c_int = 0x1;
pub const FLAG_NOTINHERITSCHED: c_int = 0x2;
pub const FLAG_SCOPEPROCESS: c_int = 0x4;
pub const FLAG_STACKADDR: c_int = 0x8;
pub const FLAG_SCHED_SET: c_int = 0x20;
pub const FLAG_POLICY_SET: c_int = 0x40;

/// glibc's `struct pthread_attr` (56 bytes, the size of `pthread_attr_t`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Attr {
    pub sched_priority: c_int,
    pub policy: c_int,
    pub flags: c_int,
    pub guardsize: usize,
    pub stackaddr: usize,
    pub stacksize: usize,
    pub extension: *mut Extension,
    pub unused: *mut c_void,
}

/// glibc's `struct pthread_attr_extension`.
#[repr(C)]
pub struct Extension {
    pub cpuset: *mut c_void,
    pub cpusetsize: usize,
    pub sigmask: libc::sigset_t,
    pub sigmask_set: bool,
}

const _: () = assert!(core::mem::size_of::<Attr>() == core::mem::size_of::<libc::pthread_attr_t>());

impl Attr {
    pub const ZERO: Attr = Attr {
        sched_priority: 0,
        policy: 0,
        flags: 0,
        guardsize: 0,
        stackaddr: 0,
        stacksize: 0,
        extension: core::ptr::null_mut(),
        unused: core::ptr::null_mut(),
    };
}

/// `pthread_setattr_default_np` state. Read on every `pthread_create` with
/// a null attr, so kept in atomics; the writer holds `DEFAULTS_WRITE` and
/// readers tolerate seeing one field of a concurrent update before another.
struct Defaults {
    stacksize: AtomicUsize,
    guardsize: AtomicUsize,
    policy: AtomicI32,
    priority: AtomicI32,
    flags: AtomicI32,
}

static DEFAULTS: Defaults = Defaults {
    stacksize: AtomicUsize::new(0),
    guardsize: AtomicUsize::new(PAGE),
    policy: AtomicI32::new(0),
    priority: AtomicI32::new(0),
    // mnthread's threads are user threads unless asked otherwise.
    flags: AtomicI32::new(FLAG_SCOPEPROCESS),
};
static DEFAULTS_WRITE: Locked<()> = Locked::new(());

pub fn defaults() -> Attr {
    let d = &DEFAULTS;
    Attr {
        sched_priority: d.priority.load(Ordering::Relaxed),
        policy: d.policy.load(Ordering::Relaxed),
        flags: d.flags.load(Ordering::Relaxed),
        guardsize: d.guardsize.load(Ordering::Relaxed),
        stackaddr: 0,
        // 0 until pthread_setattr_default_np sets one: the configured size.
        stacksize: match d.stacksize.load(Ordering::Relaxed) {
            0 => crate::thread::runtime::config().stack_size,
            s => s,
        },
        extension: core::ptr::null_mut(),
        unused: core::ptr::null_mut(),
    }
}

pub fn valid_policy(policy: c_int) -> bool {
    matches!(policy, libc::SCHED_OTHER | libc::SCHED_FIFO | libc::SCHED_RR)
}

pub fn valid_priority(policy: c_int, prio: c_int) -> bool {
    // SAFETY: plain queries.
    let (lo, hi) = unsafe { (libc::sched_get_priority_min(policy), libc::sched_get_priority_max(policy)) };
    prio >= lo && prio <= hi
}

/// What `pthread_create` should do for `attr` (null = defaults), created by
/// a thread with scheduling `inherited`.
pub fn spawn_of(attr: *const Attr, inherited: SchedInfo) -> Spawn {
    let d = defaults();
    // SAFETY: a non-null attr is the program's initialised pthread_attr_t.
    let a = if attr.is_null() { d } else { unsafe { *attr } };
    let explicit = a.flags & FLAG_NOTINHERITSCHED != 0;
    let sched = if explicit { SchedInfo { policy: a.policy, priority: a.sched_priority } } else { inherited };
    let size = if a.stacksize == 0 { d.stacksize } else { a.stacksize };
    // SAFETY: a non-null extension is glibc's, allocated for this attr.
    let sigmask = (!a.extension.is_null()).then(|| unsafe { &*a.extension }).filter(|e| e.sigmask_set).map(|e| {
        // SAFETY: the first word of a sigset_t is the kernel's set.
        unsafe { *(&e.sigmask as *const libc::sigset_t as *const u64) & !crate::sys::signal::INTERNAL }
    });
    // SAFETY: a non-null extension is glibc's; its cpuset has cpusetsize bytes.
    let affinity = (!a.extension.is_null()).then(|| unsafe { &*a.extension }).filter(|e| !e.cpuset.is_null() && e.cpusetsize > 0).map(|e| {
        // SAFETY: as above.
        unsafe { core::slice::from_raw_parts(e.cpuset as *const u8, e.cpusetsize) }.to_vec()
    });
    let bound = a.flags & FLAG_SCOPEPROCESS == 0 || affinity.is_some();
    if a.flags & FLAG_STACKADDR != 0 {
        return Spawn {
            bound,
            affinity,
            stack_size: size,
            guard: 0,
            user_stack: Some(a.stackaddr - size),
            detached: a.flags & FLAG_DETACHSTATE != 0,
            sched,
            sigmask,
        };
    }
    Spawn {
        bound,
        affinity,
        stack_size: page_round_up(size),
        guard: page_round_up(a.guardsize),
        user_stack: None,
        detached: a.flags & FLAG_DETACHSTATE != 0,
        sched,
        sigmask,
    }
}

/// Makes `a` (checked by the caller) the process-wide defaults.
pub fn set_defaults(a: &Attr) {
    DEFAULTS_WRITE.with(|_| {
        let d = &DEFAULTS;
        if a.stacksize != 0 {
            d.stacksize.store(a.stacksize, Ordering::Relaxed);
        }
        d.guardsize.store(a.guardsize, Ordering::Relaxed);
        d.policy.store(a.policy, Ordering::Relaxed);
        d.priority.store(a.sched_priority, Ordering::Relaxed);
        d.flags.store(a.flags & !(FLAG_DETACHSTATE | FLAG_STACKADDR), Ordering::Relaxed);
    });
}
