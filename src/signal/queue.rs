//! A user thread's pending signals: a bit per signal number in
//! `SignalData::pending` (what the resume check reads) and the siginfos,
//! oldest first, in a list under `SignalData::lock`.
//!
//! Standard signals (1..=31) do not queue: a second one while the first is
//! pending is merged with it. Real-time signals queue, each with its own
//! siginfo. Delivery takes the lowest-numbered signal first, as Linux does.
//! The bit of a signal is set while at least one of its siginfos is in the
//! list (both change under the lock; the bit is read without it).

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use crate::mem::uthread::{PendingSignal as Node, UThread};
use crate::sys::signal::bit;

/// Queues `info` for `t`; false if it was merged with a pending instance.
pub fn push(t: *mut UThread, info: &libc::siginfo_t) -> bool {
    let sig = info.si_signo;
    // SAFETY: descriptors are type-stable; the list is only touched under its lock.
    let s = unsafe { &(*t).sig };
    let _g = s.lock.lock();
    if sig < 32 && s.pending.load(Ordering::Relaxed) & bit(sig) != 0 {
        return false;
    }
    let node = Box::into_raw(Box::new(Node { info: *info, next: core::ptr::null_mut() }));
    // SAFETY: under the lock; the list's nodes are ours.
    unsafe {
        let head = core::ptr::addr_of_mut!((*t).sig.queue);
        let mut at = head;
        while !(*at).is_null() {
            at = &mut (**at).next;
        }
        *at = node;
    }
    s.pending.fetch_or(bit(sig), Ordering::SeqCst);
    true
}

/// Takes the oldest siginfo of the lowest-numbered signal of `set` pending
/// for `t`.
pub fn take(t: *mut UThread, set: u64) -> Option<libc::siginfo_t> {
    // SAFETY: as in `push`.
    let s = unsafe { &(*t).sig };
    let want = s.pending.load(Ordering::Acquire) & set;
    if want == 0 {
        return None;
    }
    let sig = want.trailing_zeros() as c_int + 1;
    let _g = s.lock.lock();
    // SAFETY: under the lock; the list's nodes are ours.
    unsafe {
        let head = core::ptr::addr_of_mut!((*t).sig.queue);
        let mut at = head;
        let mut found: *mut Node = core::ptr::null_mut();
        let mut more = false;
        while !(*at).is_null() {
            let n = *at;
            if (*n).info.si_signo == sig {
                if found.is_null() {
                    found = n;
                    *at = (*n).next;
                    continue;
                }
                more = true;
                break;
            }
            at = &mut (*n).next;
        }
        if !more {
            s.pending.fetch_and(!bit(sig), Ordering::SeqCst);
        }
        if found.is_null() {
            return None;
        }
        let b = Box::from_raw(found);
        Some(b.info)
    }
}

/// The signals pending for `t`.
pub fn pending(t: *mut UThread) -> u64 {
    // SAFETY: descriptors are type-stable.
    unsafe { (*t).sig.pending.load(Ordering::Acquire) }
}
