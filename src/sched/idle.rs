//! Idle carriers: spin briefly, then sleep on a futex until woken.
//!
//! Protocol (no lost wake-ups). A carrier that found nothing:
//! 1. spins for a short while (`SPIN_ROUNDS`), counted in `SPINNING`, so a
//!    burst of hand-offs does not pay a futex wake-up each;
//! 2. registers in `SLEEPERS` (count in `SLEEPING`), then — after a SeqCst
//!    fence — looks for work once more, and only then futex-waits (until
//!    the earliest timer deadline, if any).
//!
//! A producer (`notify`) publishes work first, fences, then wakes one
//! sleeper if nobody is spinning. By the fences, either the producer sees
//! the sleeper registered, or the sleeper's last look sees the work.
//! `WAKING` keeps a burst of producers from waking every sleeper at once:
//! the carrier a producer took from `SLEEPERS` clears it as it leaves
//! `sleep` (whether or not it had started waiting).
//!
//! A thread in another carrier's `runnext` cannot be stolen while that
//! carrier keeps switching (it runs the thread itself, on a warm cache),
//! but must not be stranded if that carrier gets stuck (a long computation,
//! a blocking call). So while only such a thread is in sight, an idle
//! carrier *watches*: it sleeps in `WATCH_NS` steps (still listed as a
//! sleeper, so real work wakes it at once) and takes the thread if the
//! other carrier did not switch during a step. Sleeping rather than
//! spinning matters: a spinning sibling slows the busy carrier measurably.
//! Making a thread `runnext` wakes nobody while a carrier is watching
//! (`notify_runnext`).

use core::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};

use super::{carriers, find_next, global, snapshot_ticks, steal_stuck, timer, Carrier, MAX_CARRIERS};
use crate::sys::lock::Locked;
use crate::sys::raw;
use crate::mem::uthread::UThread;

/// How long a watching carrier sleeps between looks at a `runnext` (see
/// `find_work`): the longest a thread waits behind a stuck carrier.
const WATCH_NS: u64 = 100_000;

/// How long an idle carrier keeps looking before it sleeps (rounds of
/// `SPIN_PAUSES` pause instructions plus a full look for work): ~20-50 us.
const SPIN_ROUNDS: u32 = 64;
const SPIN_PAUSES: u32 = 16;

static SPINNING: AtomicUsize = AtomicUsize::new(0);
static SLEEPING: AtomicUsize = AtomicUsize::new(0);
static WAKING: AtomicBool = AtomicBool::new(false);
/// Carriers sleeping on a timeout to watch another carrier's `runnext`.
static WATCHING: AtomicUsize = AtomicUsize::new(0);
/// Ids of sleeping carriers; room for every carrier is reserved when the
/// carriers are made ([`reserve_sleepers`]), so listing one never allocates.
static SLEEPERS: Locked<Vec<usize>> = Locked::new(Vec::new());

/// Called after making a thread this carrier's `runnext` (and nothing
/// else) runnable: only a stuck carrier would need help with it, so a
/// carrier already spinning or watching is enough; otherwise as `notify`.
#[inline]
pub fn notify_runnext() {
    fence(Ordering::SeqCst);
    if WATCHING.load(Ordering::Relaxed) != 0 {
        return;
    }
    notify();
}

/// Called after making work runnable: wakes a sleeper if nobody is looking.
#[inline]
pub fn notify() {
    fence(Ordering::SeqCst);
    if SLEEPING.load(Ordering::Relaxed) == 0 || SPINNING.load(Ordering::Relaxed) != 0 {
        return;
    }
    if WAKING.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_err() {
        return;
    }
    if !wake_one() {
        WAKING.store(false, Ordering::Release);
    }
}

/// A new earliest timer deadline: a sleeper must re-arm its timeout.
pub fn wake_one_for_timer() {
    fence(Ordering::SeqCst);
    if SLEEPING.load(Ordering::Relaxed) != 0 {
        wake_one();
    }
}

fn wake_one() -> bool {
    let Some(id) = SLEEPERS.with(|s| s.pop()) else { return false };
    SLEEPING.fetch_sub(1, Ordering::Relaxed);
    let c = &carriers()[id];
    c.sleep_word.store(1, Ordering::Release);
    raw::futex_wake(&c.sleep_word, 1);
    true
}

/// Whether any runnable work is visible anywhere.
fn work_visible() -> bool {
    !global::is_empty() || carriers().iter().any(|c| !c.runq.is_empty()) || timer::earliest() <= crate::sys::time::now()
}

/// Blocks the idle carrier `c` until it has a thread to run.
pub fn find_work(c: &'static Carrier) -> *mut UThread {
    let mut seen = [0u64; MAX_CARRIERS];
    loop {
        if let Some(t) = find_next(c) {
            return t;
        }
        // Only a thread waiting in another carrier's `runnext` is in sight:
        // that carrier runs it soon, or is stuck; watch it (asleep, so as
        // not to slow it down) and take the thread if it stays stuck.
        if runnext_pending_elsewhere(c) {
            let n = snapshot_ticks(&mut seen);
            sleep(c, Some(WATCH_NS));
            if let Some(t) = find_next(c).or_else(|| steal_stuck(c, &seen[..n])) {
                return t;
            }
            continue;
        }
        SPINNING.fetch_add(1, Ordering::SeqCst);
        let mut found = None;
        for _ in 0..SPIN_ROUNDS {
            for _ in 0..SPIN_PAUSES {
                core::hint::spin_loop();
            }
            found = find_next(c);
            if found.is_some() || runnext_pending_elsewhere(c) {
                break;
            }
        }
        SPINNING.fetch_sub(1, Ordering::SeqCst);
        if let Some(t) = found {
            // We were the one looking; if more work waits, get someone else looking.
            if work_visible() {
                notify();
            }
            return t;
        }
        if !runnext_pending_elsewhere(c) {
            sleep(c, None);
        }
    }
}

fn runnext_pending_elsewhere(c: &Carrier) -> bool {
    carriers().iter().any(|v| v.id != c.id && !v.runnext.load(Ordering::Relaxed).is_null())
}

/// Reserves room in `SLEEPERS` for `n` carriers; false when out of memory.
pub(crate) fn reserve_sleepers(n: usize) -> bool {
    SLEEPERS.with(|s| s.try_reserve_exact(n.saturating_sub(s.len())).is_ok())
}

/// Sleeps until woken, the earliest timer deadline, or `watch` ns (a
/// watching carrier) have passed.
fn sleep(c: &Carrier, watch: Option<u64>) {
    c.sleeps.set(c.sleeps.get() + 1);
    c.sleep_word.store(0, Ordering::Relaxed);
    SLEEPERS.with(|s| s.push(c.id));
    SLEEPING.fetch_add(1, Ordering::Relaxed);
    if watch.is_some() {
        WATCHING.fetch_add(1, Ordering::Relaxed);
    }
    fence(Ordering::SeqCst);
    // The last look. A sleep without timeout must also not miss a thread
    // made `runnext` meanwhile: its producer skipped waking anyone if it
    // still saw us spinning or watching (`notify_runnext`).
    if !work_visible() && (watch.is_some() || !runnext_pending_elsewhere(c)) {
        let deadline = match watch {
            Some(ns) => timer::earliest().min(crate::sys::time::now() + ns),
            None => timer::earliest(),
        };
        raw::futex_wait(&c.sleep_word, 0, (deadline != u64::MAX).then_some(deadline));
    }
    if watch.is_some() {
        WATCHING.fetch_sub(1, Ordering::Relaxed);
    }
    // Still listed (timeout, or work appeared before we slept): unlist.
    let taken_by_waker = SLEEPERS.with(|s| match s.iter().position(|&id| id == c.id) {
        Some(i) => {
            s.swap_remove(i);
            SLEEPING.fetch_sub(1, Ordering::Relaxed);
            false
        }
        None => true,
    });
    if taken_by_waker {
        // A `notify` chose us (its futex wake may even land only after we
        // left): we are its wake-up, so the next producer may wake another.
        // Relying on seeing the futex word set would miss a late store and
        // leave `WAKING` set — every later `notify` silent, a hang.
        WAKING.store(false, Ordering::Release);
    }
}

/// Forgets the sleeping and spinning carriers of the parent in a fork child.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    // SAFETY: forwarded.
    unsafe { SLEEPERS.forget_holder() };
    SLEEPERS.with(|s| s.clear());
    SLEEPING.store(0, Ordering::Relaxed);
    SPINNING.store(0, Ordering::Relaxed);
    WATCHING.store(0, Ordering::Relaxed);
    WAKING.store(false, Ordering::Relaxed);
}
