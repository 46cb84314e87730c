//! Robust mutexes: what happens when their holder exits.
//!
//! Each thread keeps the robust mutexes it holds in a doubly linked list
//! threaded through the mutexes' `prev`/`next` fields (glibc's `__list`),
//! headed by `UThread::robust`. Only the holder links and unlinks a mutex
//! (on acquire and release), and only it walks the list, at its exit: user
//! threads from `lifecycle::exit_current`, foreign kernel threads from the
//! thread-exit hook of `foreign`. There each still-held mutex has its lock
//! word set to `DIED` (free, owner dead) and one waiter woken: the next
//! locker gets EOWNERDEAD.
//!
//! A process-shared robust mutex whose whole *process* dies is not
//! recovered (the kernel's robust list only knows kernel tids).

use core::ptr::null_mut;
use core::sync::atomic::Ordering;

use super::futex;
use super::mutex::{Mutex, CONTENDED, DIED, STATE};
use crate::runtime;
use crate::thread::UThread;

/// Links `m` (just acquired by the caller) into the caller's list.
pub fn push(m: &Mutex) {
    let t = runtime::current();
    let mp = m as *const Mutex as *mut Mutex;
    // SAFETY: `t` is the caller's own descriptor; only its thread touches `robust`.
    let head = unsafe { (*t).robust };
    m.prev.store(null_mut(), Ordering::Relaxed);
    m.next.store(head, Ordering::Relaxed);
    if !head.is_null() {
        // SAFETY: listed mutexes are held by us, hence alive.
        unsafe { (*head).prev.store(mp, Ordering::Relaxed) };
    }
    // SAFETY: as above.
    unsafe { (*t).robust = mp };
}

/// Unlinks `m` (held by the caller, about to be released).
pub fn remove(m: &Mutex) {
    let prev = m.prev.load(Ordering::Relaxed);
    let next = m.next.load(Ordering::Relaxed);
    if !next.is_null() {
        // SAFETY: listed mutexes are held by us, hence alive.
        unsafe { (*next).prev.store(prev, Ordering::Relaxed) };
    }
    if prev.is_null() {
        let t = runtime::current();
        // SAFETY: `t` is the caller's own descriptor.
        unsafe {
            if (*t).robust == m as *const Mutex as *mut Mutex {
                (*t).robust = next;
            }
        }
    } else {
        // SAFETY: as above.
        unsafe { (*prev).next.store(next, Ordering::Relaxed) };
    }
    m.prev.store(null_mut(), Ordering::Relaxed);
    m.next.store(null_mut(), Ordering::Relaxed);
}

/// The exiting thread `t` lets go of every robust mutex it still holds,
/// marking each owner-dead. Runs on `t` itself.
pub fn release_all(t: *mut UThread) {
    // SAFETY: `t` is the exiting caller's descriptor.
    let mut m = unsafe { core::mem::replace(&mut (*t).robust, null_mut()) };
    while !m.is_null() {
        // SAFETY: listed mutexes are held by this thread, hence alive.
        let mr = unsafe { &*m };
        m = mr.next.load(Ordering::Relaxed);
        mr.prev.store(null_mut(), Ordering::Relaxed);
        mr.next.store(null_mut(), Ordering::Relaxed);
        mr.owner.store(0, Ordering::Relaxed);
        mr.count.store(0, Ordering::Relaxed);
        let scope = Mutex::scope(mr.kind.load(Ordering::Relaxed));
        if mr.lock.swap(DIED, Ordering::Release) & STATE == CONTENDED {
            futex::wake(&mr.lock, 1, scope);
        }
    }
}
