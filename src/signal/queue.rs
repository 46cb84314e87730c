//! A user thread's pending signals: a bit per signal number in
//! `SignalData::pending` (what the resume check reads) and the siginfos,
//! oldest first, in a list under `SignalData::lock`.
//!
//! Standard signals (1..=31) do not queue: a second one while the first is
//! pending is merged with it. Real-time signals queue, each with its own
//! siginfo. Delivery takes the lowest-numbered signal first, as Linux does.
//! The bit of a signal is set while at least one of its siginfos is in the
//! list (both change under the lock; the bit is read without it).
//!
//! Each entry says whether the signal was sent to the thread or given to it
//! by routing a signal sent to the process ([`Origin`]): the latter the
//! thread gives back (`take_for_process`) when it blocks it or ends first.

use core::ffi::c_int;
use core::sync::atomic::Ordering;

use crate::mem::uthread::{PendingSignal as Node, UThread};
use crate::sys::signal::bit;

/// To whom a queued signal was sent.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Origin {
    Thread,
    Process,
}

/// Queues `info` for `t`; false if it was merged with a pending instance.
pub fn push(t: *mut UThread, info: &libc::siginfo_t, origin: Origin) -> bool {
    let sig = info.si_signo;
    // SAFETY: descriptors are type-stable; the list is only touched under its lock.
    let s = unsafe { &(*t).sig };
    let _g = s.lock.lock();
    if sig < 32 && s.pending.load(Ordering::Relaxed) & bit(sig) != 0 {
        return false;
    }
    let node = Box::into_raw(Box::new(Node { info: *info, for_process: origin == Origin::Process, next: core::ptr::null_mut() }));
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
    take_where(t, set, |_| true)
}

/// Takes the oldest signal of `set` routed to `t` from the process (see
/// the module doc), lowest-numbered first.
pub fn take_for_process(t: *mut UThread, set: u64) -> Option<libc::siginfo_t> {
    let mut left = set;
    while left != 0 {
        let sig = left.trailing_zeros() as c_int + 1;
        if let Some(i) = take_where(t, bit(sig), |n| n.for_process) {
            return Some(i);
        }
        left &= !bit(sig);
    }
    None
}

/// Takes the oldest entry of the lowest-numbered signal of `set` pending
/// for `t`, among the entries `pick` accepts.
fn take_where(t: *mut UThread, set: u64, pick: impl Fn(&Node) -> bool) -> Option<libc::siginfo_t> {
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
        // Whether an entry of `sig` stays (then its bit does).
        let mut more = false;
        while !(*at).is_null() && (found.is_null() || !more) {
            let n = *at;
            if (*n).info.si_signo == sig {
                if found.is_null() && pick(&*n) {
                    found = n;
                    *at = (*n).next;
                    continue;
                }
                more = true;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem::uthread::SLAB;

    fn info(sig: c_int, value: usize) -> libc::siginfo_t {
        // SAFETY: all-zero is a valid siginfo.
        let mut i: libc::siginfo_t = unsafe { core::mem::zeroed() };
        i.si_signo = sig;
        i.si_errno = value as c_int;
        i
    }

    #[test]
    fn standard_signals_merge_real_time_ones_queue_lowest_first() {
        let t = SLAB.alloc().expect("a descriptor");
        let rt = 40;
        assert!(push(t, &info(rt, 1), Origin::Thread));
        assert!(push(t, &info(libc::SIGUSR2, 2), Origin::Thread));
        assert!(!push(t, &info(libc::SIGUSR2, 3), Origin::Thread), "a second SIGUSR2 merges");
        assert!(push(t, &info(rt, 4), Origin::Thread));
        assert!(push(t, &info(libc::SIGHUP, 5), Origin::Thread));
        assert_eq!(pending(t), bit(rt) | bit(libc::SIGUSR2) | bit(libc::SIGHUP));
        // Only what the set allows, lowest-numbered first, oldest first.
        assert!(take(t, bit(libc::SIGTERM)).is_none());
        let order: Vec<(c_int, c_int)> = core::iter::from_fn(|| take(t, !0)).map(|i| (i.si_signo, i.si_errno)).collect();
        assert_eq!(order, vec![(libc::SIGHUP, 5), (libc::SIGUSR2, 2), (rt, 1), (rt, 4)]);
        assert_eq!(pending(t), 0);
    }

    #[test]
    fn only_signals_routed_from_the_process_are_given_back() {
        let t = SLAB.alloc().expect("a descriptor");
        let rt = 42;
        push(t, &info(rt, 1), Origin::Thread);
        push(t, &info(rt, 2), Origin::Process);
        push(t, &info(rt, 3), Origin::Thread);
        push(t, &info(libc::SIGUSR1, 4), Origin::Thread);
        push(t, &info(libc::SIGUSR2, 5), Origin::Process);
        let back: Vec<c_int> = core::iter::from_fn(|| take_for_process(t, !0)).map(|i| i.si_errno).collect();
        assert_eq!(back, vec![5, 2]);
        assert_eq!(pending(t), bit(rt) | bit(libc::SIGUSR1));
        let rest: Vec<c_int> = core::iter::from_fn(|| take(t, !0)).map(|i| i.si_errno).collect();
        assert_eq!(rest, vec![4, 1, 3]);
        assert_eq!(pending(t), 0);
    }

    #[test]
    fn a_bit_stays_while_instances_remain() {
        let t = SLAB.alloc().expect("a descriptor");
        push(t, &info(41, 1), Origin::Thread);
        push(t, &info(41, 2), Origin::Thread);
        assert_eq!(take(t, bit(41)).map(|i| i.si_errno), Some(1));
        assert_eq!(pending(t), bit(41));
        assert_eq!(take(t, bit(41)).map(|i| i.si_errno), Some(2));
        assert_eq!(pending(t), 0);
    }
}
