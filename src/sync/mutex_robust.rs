//! Robust mutexes: what happens when their holder exits.
//!
//! Private robust mutexes: each thread keeps those it holds in a doubly
//! linked list threaded through the mutexes' `prev`/`next` fields (glibc's
//! `__list`), headed by `UThread::robust`. Only the holder links and unlinks
//! a mutex (on acquire and release) and walks the list, at its exit: user
//! threads from `lifecycle::exit_current`, foreign kernel threads from the
//! thread-exit hook of `foreign`. There each still-held mutex has its lock
//! word set to `DIED` (free, owner dead) and one waiter woken: the next
//! locker gets EOWNERDEAD.
//!
//! Process-shared robust mutexes must also survive the death of the whole
//! *process*, which only the kernel sees: their words carry the holding
//! process's pid (kernel robust-futex encoding, see `mutex`) and they are
//! linked, through `next`, into the robust list the kernel keeps for the
//! process's main kernel thread (glibc registered it with
//! `set_robust_list`; we find it with `get_robust_list(pid)`). When the
//! process dies, the kernel walks that list and marks every word that still
//! names the pid FUTEX_OWNER_DIED (our `DIED`), waking a waiter. The list
//! is singly linked and circular (the kernel's ABI); `KLIST`'s lock
//! serialises every change, and `list_op_pending` covers one in progress.
//! A thread of ours exiting walks it for the mutexes it owns (`owner`).
//! If the list cannot be found (a fork child), such mutexes only get the
//! per-thread treatment, like private ones.

use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, Ordering};

use super::futex;
use super::mutex::{Enc, Mutex, DIED, KIND_PSHARED};
use super::{self_pid, self_tid};
use crate::sched;
use crate::sys::lock::Locked;
use crate::sys::raw;
use crate::mem::uthread::UThread;

/// The kernel's `struct robust_list_head`.
#[repr(C)]
struct RobustHead {
    list: *mut usize,
    futex_offset: isize,
    pending: *mut usize,
}

/// Where a mutex's kernel-list link is, relative to its lock word.
const LINK_OFFSET: isize = core::mem::offset_of!(Mutex, next) as isize;

struct KList {
    /// The process the head below was looked up for (0: not yet).
    pid: u32,
    /// The main thread's registered head, or null if unusable.
    head: *mut RobustHead,
}

// SAFETY: the head is only followed under the lock.
unsafe impl Send for KList {}

static KLIST: Locked<KList> = Locked::new(KList { pid: 0, head: null_mut() });

/// A mutex was ever put in the kernel list (else thread exit skips it).
static KLIST_USED: AtomicBool = AtomicBool::new(false);

/// The kernel list head for this process (looked up again after a fork).
fn head(k: &mut KList) -> *mut RobustHead {
    let me = self_pid();
    if k.pid != me {
        k.pid = me;
        let mut h: *mut RobustHead = null_mut();
        let mut len: usize = 0;
        // SAFETY: valid out-pointers; the main thread is in our thread group.
        let r = unsafe { raw::syscall3(libc::SYS_get_robust_list, me as usize, &mut h as *mut _ as usize, &mut len as *mut usize as usize) };
        // SAFETY: a registered head is glibc's, in the main thread's TCB.
        let usable = r == 0 && !h.is_null() && len == core::mem::size_of::<RobustHead>() && unsafe { (*h).futex_offset == -LINK_OFFSET && !(*h).list.is_null() };
        k.head = if usable { h } else { null_mut() };
    }
    k.head
}

fn in_kernel_list(kind: i32) -> bool {
    kind & KIND_PSHARED != 0
}

fn link_of(m: &Mutex) -> *mut usize {
    m.next.as_ptr() as *mut usize
}

/// Links `m` (just acquired by the caller) into the right list.
pub fn push(m: &Mutex, kind: i32) {
    if in_kernel_list(kind) {
        // A thread with a descriptor runs `release_all` when it exits.
        sched::current();
        let done = KLIST.with(|k| {
            let h = head(k);
            if h.is_null() {
                return false;
            }
            KLIST_USED.store(true, Ordering::Relaxed);
            let link = link_of(m);
            // SAFETY: `h` is the live registered head; we hold the lock.
            unsafe {
                (*h).pending = link;
                *link = (*h).list as usize;
                (*h).list = link;
                (*h).pending = null_mut();
            }
            true
        });
        if done {
            return;
        }
    }
    let t = sched::current();
    let mp = m as *const Mutex as *mut Mutex;
    // SAFETY: `t` is the caller's own descriptor; only its thread touches `robust`.
    let head: *mut Mutex = unsafe { (*t).robust.cast() };
    m.prev.store(null_mut(), Ordering::Relaxed);
    m.next.store(head, Ordering::Relaxed);
    if !head.is_null() {
        // SAFETY: listed mutexes are held by us, hence alive.
        unsafe { (*head).prev.store(mp, Ordering::Relaxed) };
    }
    // SAFETY: as above.
    unsafe { (*t).robust = mp.cast() };
}

/// Unlinks `m` from the kernel list; false if it is not there.
fn kernel_unlink(k: &mut KList, link: *mut usize) -> bool {
    let h = head(k);
    if h.is_null() {
        return false;
    }
    // SAFETY: `h` is the live registered head and every entry a listed,
    // held mutex's link; we hold the lock.
    unsafe {
        let end = core::ptr::addr_of_mut!((*h).list) as *mut usize;
        let mut prev = end;
        let mut cur = *prev as *mut usize;
        while cur != end && !cur.is_null() {
            if cur == link {
                (*h).pending = link;
                *prev = *cur;
                *cur = 0;
                (*h).pending = null_mut();
                return true;
            }
            prev = cur;
            cur = *cur as *mut usize;
        }
    }
    false
}

/// Unlinks `m` (held by the caller, about to be released).
pub fn remove(m: &Mutex, kind: i32) {
    if in_kernel_list(kind) && KLIST.with(|k| kernel_unlink(k, link_of(m))) {
        return;
    }
    let prev = m.prev.load(Ordering::Relaxed);
    let next = m.next.load(Ordering::Relaxed);
    if !next.is_null() {
        // SAFETY: listed mutexes are held by us, hence alive.
        unsafe { (*next).prev.store(prev, Ordering::Relaxed) };
    }
    if prev.is_null() {
        let t = sched::current();
        // SAFETY: `t` is the caller's own descriptor.
        unsafe {
            if core::ptr::eq((*t).robust.cast::<Mutex>(), m) {
                (*t).robust = next.cast();
            }
        }
    } else {
        // SAFETY: as above.
        unsafe { (*prev).next.store(next, Ordering::Relaxed) };
    }
    m.prev.store(null_mut(), Ordering::Relaxed);
    m.next.store(null_mut(), Ordering::Relaxed);
}

/// Frees a held mutex whose holder is gone: `DIED`, one waiter woken.
fn mark_dead(m: &Mutex) {
    m.owner.store(0, Ordering::Relaxed);
    m.count.store(0, Ordering::Relaxed);
    let kind = m.kind.load(Ordering::Relaxed);
    if m.lock.swap(DIED, Ordering::Release) & Enc::of(kind).waiters != 0 {
        futex::wake(&m.lock, 1, Mutex::scope(kind));
    }
}

/// The exiting thread `t` lets go of every robust mutex it still holds,
/// marking each owner-dead. Runs on `t` itself.
pub fn release_all(t: *mut UThread) {
    // SAFETY: `t` is the exiting caller's descriptor.
    let mut m: *mut Mutex = unsafe { core::mem::replace(&mut (*t).robust, null_mut()).cast() };
    while !m.is_null() {
        // SAFETY: listed mutexes are held by this thread, hence alive.
        let mr = unsafe { &*m };
        m = mr.next.load(Ordering::Relaxed);
        mr.prev.store(null_mut(), Ordering::Relaxed);
        mr.next.store(null_mut(), Ordering::Relaxed);
        mark_dead(mr);
    }
    release_kernel_listed();
}

/// The caller's process-shared robust mutexes, from the kernel list.
fn release_kernel_listed() {
    if !KLIST_USED.load(Ordering::Relaxed) {
        return;
    }
    let (tid, me) = (self_tid(), self_pid());
    loop {
        let found = KLIST.with(|k| {
            if head(k).is_null() {
                return None;
            }
            let h = k.head;
            // SAFETY: as in `kernel_unlink`.
            let owned = unsafe {
                let end = core::ptr::addr_of_mut!((*h).list) as *mut usize;
                let mut cur = *end as *mut usize;
                let mut hit = None;
                while cur != end && !cur.is_null() {
                    let m = &*((cur as *mut u8).offset(-LINK_OFFSET) as *const Mutex);
                    if m.owner.load(Ordering::Relaxed) == tid && m.nusers.load(Ordering::Relaxed) == me {
                        hit = Some(m);
                        break;
                    }
                    cur = *cur as *mut usize;
                }
                hit
            };
            let m = owned?;
            kernel_unlink(k, link_of(m));
            Some(m as *const Mutex)
        });
        match found {
            // SAFETY: a mutex we held: alive.
            Some(m) => mark_dead(unsafe { &*m }),
            None => return,
        }
    }
}
