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
use crate::mem::uthread::{Kind, UThread};
use crate::thread::pool;

/// Both lists are linked through the descriptors themselves (no allocation:
/// an allocator's own initialisation may call in from such a thread): live
/// foreign threads through `next` (the run-queue link, which a kernel thread
/// never uses), released descriptors through `free_next`.
struct Registry {
    live: *mut UThread,
    free: *mut UThread,
}

// SAFETY: the pointers are slab descriptors, only followed under the lock.
unsafe impl Send for Registry {}

static REGISTRY: Locked<Registry> = Locked::new(Registry { live: core::ptr::null_mut(), free: core::ptr::null_mut() });

impl Registry {
    fn find(&self, tp: usize) -> Option<*mut UThread> {
        let mut t = self.live;
        while !t.is_null() {
            // SAFETY: live descriptors are valid slab objects.
            unsafe {
                if (*t).ctx.tp == tp {
                    return Some(t);
                }
                t = (*t).next;
            }
        }
        None
    }

    fn pop_free(&mut self) -> Option<*mut UThread> {
        let t = self.free;
        if t.is_null() {
            return None;
        }
        // SAFETY: a released descriptor, ours under the lock.
        self.free = unsafe { (*t).free_next };
        Some(t)
    }

    fn unlink(&mut self, t: *mut UThread) {
        let mut at: *mut *mut UThread = &mut self.live;
        // SAFETY: walking the live list under the lock.
        unsafe {
            while !(*at).is_null() {
                if *at == t {
                    *at = (*t).next;
                    (*t).next = core::ptr::null_mut();
                    return;
                }
                at = &mut (**at).next;
            }
        }
    }
}

extern "C" {
    /// This library's DSO handle (from crtbeginS.o): ties the exit hook to us.
    static __dso_handle: u8;
}

/// The descriptor of the foreign thread whose TCB is `tp`, made if new.
pub fn lookup(tp: usize) -> *mut UThread {
    if let Some(t) = REGISTRY.with(|r| r.find(tp)) {
        return t;
    }
    let t = REGISTRY
        .with(|r| r.pop_free())
        .or_else(|| crate::mem::uthread::SLAB.alloc())
        .unwrap_or_else(|| die(&["out of memory describing a foreign thread"]));
    // SAFETY: an unused descriptor; we initialise it for this thread.
    unsafe {
        (*t).kind = Kind::Foreign;
        (*t).ctx.tp = tp;
        (*t).join_state.store(crate::mem::uthread::JOINABLE, core::sync::atomic::Ordering::Relaxed);
        (*t).name.set(pool::process_name());
    }
    REGISTRY.with(|r| {
        // SAFETY: `t` is ours until listed.
        unsafe { (*t).next = r.live };
        r.live = t;
    });
    // SAFETY: glibc runs `on_exit(t)` when this kernel thread exits.
    unsafe { (real().cxa_thread_atexit_impl)(on_exit, t as *mut c_void, core::ptr::addr_of!(__dso_handle) as *mut c_void) };
    t
}

extern "C" fn on_exit(t: *mut c_void) {
    let t = t as *mut UThread;
    // Runs on the exiting foreign thread itself, owner of `t`.
    crate::thread::exit::release_thread_state(t);
    REGISTRY.with(|r| {
        r.unlink(t);
        // SAFETY: as above; nobody else uses a foreign descriptor's keys.
        unsafe {
            crate::thread::key::release(&mut (*t).keys);
            (*t).join_state.store(crate::mem::uthread::FREE, core::sync::atomic::Ordering::Release);
        }
        // SAFETY: unlisted, so ours under the lock.
        unsafe { (*t).free_next = r.free };
        r.free = t;
    });
}
