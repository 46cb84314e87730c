//! Descriptors for kernel threads mnthread did not create.
//!
//! glibc makes its own helper threads (SIGEV_THREAD timers, `mq_notify`,
//! AIO) with its internal `pthread_create`, programs may use `clone`, and a
//! thread may exist before the runtime starts. When such a thread calls an
//! export that needs its descriptor (`pthread_self`, keys, join), it gets
//! one, found again by its TCB address. A thread-exit hook registered with
//! glibc (`__cxa_thread_atexit_impl`) runs its key destructors and recycles
//! the descriptor when the kernel thread ends.

use core::ffi::c_void;

use crate::sys::fatal::die;
use crate::sys::lock::Locked;
use crate::sys::real::real;
use crate::thread::{self, Kind, UThread};

struct Registry {
    live: Vec<(usize, *mut UThread)>,
    free: Vec<*mut UThread>,
}

// SAFETY: the pointers are slab descriptors, only used under the lock or by
// their own thread.
unsafe impl Send for Registry {}

static REGISTRY: Locked<Registry> = Locked::new(Registry { live: Vec::new(), free: Vec::new() });

extern "C" {
    /// This library's DSO handle (from crtbeginS.o): ties the exit hook to us.
    static __dso_handle: u8;
}

/// The descriptor of the foreign thread whose TCB is `tp`, made if new.
pub fn lookup(tp: usize) -> *mut UThread {
    if let Some(t) = REGISTRY.with(|r| r.live.iter().find(|e| e.0 == tp).map(|e| e.1)) {
        return t;
    }
    let t = REGISTRY
        .with(|r| r.free.pop())
        .or_else(|| thread::SLAB.alloc())
        .unwrap_or_else(|| die(&["out of memory describing a foreign thread"]));
    // SAFETY: an unused descriptor; we initialise it for this thread.
    unsafe {
        (*t).kind = Kind::Foreign;
        (*t).ctx.tp = tp;
        (*t).join_state.store(thread::JOINABLE, core::sync::atomic::Ordering::Relaxed);
        (*t).name = thread::process_name();
    }
    REGISTRY.with(|r| r.live.push((tp, t)));
    // SAFETY: glibc runs `on_exit(t)` when this kernel thread exits.
    unsafe { (real().cxa_thread_atexit_impl)(on_exit, t as *mut c_void, core::ptr::addr_of!(__dso_handle) as *mut c_void) };
    t
}

extern "C" fn on_exit(t: *mut c_void) {
    let t = t as *mut UThread;
    // SAFETY: runs on the exiting foreign thread itself, owner of `t`.
    unsafe { crate::key::run_destructors(&mut (*t).keys) };
    crate::sync::mutex_robust::release_all(t);
    REGISTRY.with(|r| {
        r.live.retain(|e| e.1 != t);
        // SAFETY: as above; nobody else uses a foreign descriptor's keys.
        unsafe {
            crate::key::release(&mut (*t).keys);
            (*t).join_state.store(thread::FREE, core::sync::atomic::Ordering::Release);
        }
        r.free.push(t);
    });
}
