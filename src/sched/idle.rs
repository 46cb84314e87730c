//! Idle carriers: spin briefly, then sleep on a futex until woken.
//!
//! Protocol (no lost wake-ups). A carrier that found nothing:
//! 1. spins for a short while (`SPIN_ROUNDS`), counted in `spinning`, so a
//!    burst of hand-offs does not pay a futex wake-up each;
//! 2. lists itself among the sleepers (counted in `sleeping`), then — after a SeqCst
//!    fence — looks for work once more, and only then futex-waits (until
//!    the earliest timer deadline, if any).
//!
//! A producer (`notify`) publishes work first, fences, then wakes one
//! sleeper if nobody is spinning. By the fences, either the producer sees
//! the sleeper registered, or the sleeper's last look sees the work.
//! `waking` keeps a burst of producers from waking every sleeper at once:
//! the carrier a producer took from the sleeper list clears it as it leaves
//! `sleep` (whether or not it had started waiting). A producer the gate
//! turns away counts on the gate's holder; so a holder that finds the list
//! empty reopens the gate and looks again (a carrier may have listed itself
//! just after its look: the fences make the second look see it).
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
//!
//! The protocol is written once, generic over the [`Family`] of atomics and
//! over what it needs of the carriers ([`IdleCarrier`]), so the loom models
//! at the bottom run this very code on loom's atomics and futex.

use core::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};

use super::{carriers, find_next, global, snapshot_ticks, steal_stuck, timer, Carrier, MAX_CARRIERS};
use crate::mem::uthread::UThread;
use crate::sys::atomic::{AtomicCount, AtomicFlag, AtomicWord, Core, Family, FutexWord, Guarded};
use crate::sys::lock::Locked;

/// How long a watching carrier sleeps between looks at a `runnext` (see
/// `find_work`): the longest a thread waits behind a stuck carrier.
const WATCH_NS: u64 = 100_000;

/// How long an idle carrier keeps looking before it sleeps (rounds of
/// `SPIN_PAUSES` pause instructions plus a full look for work): ~20-50 us.
const SPIN_ROUNDS: u32 = 64;
const SPIN_PAUSES: u32 = 16;

/// The idle carriers' shared state.
pub(crate) struct Idle<F: Family> {
    spinning: F::Count,
    sleeping: F::Count,
    waking: F::Flag,
    /// Carriers sleeping on a timeout to watch another carrier's `runnext`.
    watching: F::Count,
    /// Ids of sleeping carriers; room for every carrier is reserved when the
    /// carriers are made ([`reserve_sleepers`]), so listing one never allocates.
    sleepers: F::Lock<Vec<usize>>,
}

static IDLE: Idle<Core> = Idle {
    spinning: AtomicUsize::new(0),
    sleeping: AtomicUsize::new(0),
    waking: AtomicBool::new(false),
    watching: AtomicUsize::new(0),
    sleepers: Locked::new(Vec::new()),
};

/// The futex word each carrier sleeps on, by carrier id, and how to wake
/// the carrier once its word is set.
pub(crate) trait SleepWords {
    type F: Family;
    fn sleep_word(&self, id: usize) -> &<Self::F as Family>::Futex;
    fn wake(&self, id: usize) {
        self.sleep_word(id).wake(1);
    }
}

/// What the protocol needs of the carrier running it and of its siblings.
pub(crate) trait IdleCarrier: SleepWords {
    /// What a search for work finds.
    type Found;
    /// The siblings' switch counts, taken before a watch.
    type Seen;
    /// Rounds of looking before sleeping.
    const SPIN_ROUNDS: u32;
    fn id(&self) -> usize;
    fn find_next(&self) -> Option<Self::Found>;
    /// Whether any runnable work is visible anywhere.
    fn work_visible(&self) -> bool;
    /// Whether a thread waits in another carrier's `runnext`.
    fn runnext_pending_elsewhere(&self) -> bool;
    fn snapshot_ticks(&self) -> Self::Seen;
    /// A sibling's `runnext` thread, if that sibling did not switch since `seen`.
    fn steal_stuck(&self, seen: &Self::Seen) -> Option<Self::Found>;
    /// The earliest timer deadline (`u64::MAX`: none) and the clock, in ns.
    fn earliest_deadline(&self) -> u64;
    fn now(&self) -> u64;
    fn count_sleep(&self);
    /// Retires this carrier if a spare replaced it (see `monitor`); returns
    /// when it is revived.
    fn retire_if_replaced(&self) {}
    /// Sleeps while `word` (this carrier's) is 0, at most until `deadline`.
    fn wait(&self, word: &<Self::F as Family>::Futex, deadline: Option<u64>) {
        word.wait(0, deadline);
    }
}

impl<F: Family> Idle<F> {
    #[cfg(loom)]
    fn new() -> Self {
        Idle {
            spinning: AtomicCount::new(0),
            sleeping: AtomicCount::new(0),
            waking: AtomicFlag::new(false),
            watching: AtomicCount::new(0),
            sleepers: Guarded::new(Vec::new()),
        }
    }

    fn notify_runnext(&self, words: &impl SleepWords<F = F>) {
        F::fence(Ordering::SeqCst);
        if self.watching.load(Ordering::Relaxed) != 0 {
            return;
        }
        self.notify(words);
    }

    fn notify(&self, words: &impl SleepWords<F = F>) {
        loop {
            F::fence(Ordering::SeqCst);
            if self.sleeping.load(Ordering::Relaxed) == 0 || self.spinning.load(Ordering::Relaxed) != 0 {
                return;
            }
            if self.waking.compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_err() {
                return;
            }
            if self.wake_one(words) {
                return;
            }
            // Nobody was listed after all. A carrier may have listed itself
            // just after our look, and its producer, turned away by the gate
            // we held, counted on us: reopen the gate and look again.
            self.waking.store(false, Ordering::Release);
        }
    }

    fn wake_one_for_timer(&self, words: &impl SleepWords<F = F>) {
        F::fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) != 0 {
            self.wake_one(words);
        }
    }

    fn wake_one(&self, words: &impl SleepWords<F = F>) -> bool {
        let popped = self.sleepers.with(|s| {
            let id = s.pop()?;
            self.sleeping.fetch_sub(1, Ordering::Relaxed);
            Some(id)
        });
        let Some(id) = popped else { return false };
        words.sleep_word(id).store(1, Ordering::Release);
        words.wake(id);
        true
    }

    fn find_work<C: IdleCarrier<F = F>>(&self, c: &C) -> C::Found {
        loop {
            c.retire_if_replaced();
            if let Some(t) = c.find_next() {
                return t;
            }
            // Only a thread waiting in another carrier's `runnext` is in sight:
            // that carrier runs it soon, or is stuck; watch it (asleep, so as
            // not to slow it down) and take the thread if it stays stuck.
            if c.runnext_pending_elsewhere() {
                let seen = c.snapshot_ticks();
                self.sleep(c, Some(WATCH_NS));
                if let Some(t) = c.find_next().or_else(|| c.steal_stuck(&seen)) {
                    return t;
                }
                continue;
            }
            self.spinning.fetch_add(1, Ordering::SeqCst);
            let mut found = None;
            for _ in 0..C::SPIN_ROUNDS {
                for _ in 0..SPIN_PAUSES {
                    core::hint::spin_loop();
                }
                found = c.find_next();
                if found.is_some() || c.runnext_pending_elsewhere() {
                    break;
                }
            }
            self.spinning.fetch_sub(1, Ordering::SeqCst);
            if let Some(t) = found {
                // We were the one looking; if more work waits, get someone else looking.
                if c.work_visible() {
                    self.notify(c);
                }
                return t;
            }
            if !c.runnext_pending_elsewhere() {
                self.sleep(c, None);
            }
        }
    }

    /// Sleeps until woken, the earliest timer deadline, or `watch` ns (a
    /// watching carrier) have passed.
    fn sleep<C: IdleCarrier<F = F>>(&self, c: &C, watch: Option<u64>) {
        c.count_sleep();
        let word = c.sleep_word(c.id());
        word.store(0, Ordering::Relaxed);
        // The count changes with the list, under its lock: a `notify` that
        // found the list empty then also finds the count at zero (or a new
        // sleeper listed), so its second look ends.
        self.sleepers.with(|s| {
            s.push(c.id());
            self.sleeping.fetch_add(1, Ordering::Relaxed);
        });
        if watch.is_some() {
            self.watching.fetch_add(1, Ordering::Relaxed);
        }
        F::fence(Ordering::SeqCst);
        // The last look. A sleep without timeout must also not miss a thread
        // made `runnext` meanwhile: its producer skipped waking anyone if it
        // still saw us spinning or watching (`notify_runnext`).
        if !c.work_visible() && (watch.is_some() || !c.runnext_pending_elsewhere()) {
            let deadline = match watch {
                Some(ns) => c.earliest_deadline().min(c.now() + ns),
                None => c.earliest_deadline(),
            };
            c.wait(word, (deadline != u64::MAX).then_some(deadline));
        }
        if watch.is_some() {
            self.watching.fetch_sub(1, Ordering::Relaxed);
        }
        // Still listed (timeout, or work appeared before we slept): unlist.
        let taken_by_waker = self.sleepers.with(|s| match s.iter().position(|&id| id == c.id()) {
            Some(i) => {
                s.swap_remove(i);
                self.sleeping.fetch_sub(1, Ordering::Relaxed);
                false
            }
            None => true,
        });
        if taken_by_waker {
            // A `notify` chose us (its futex wake may even land only after we
            // left): we are its wake-up, so the next producer may wake another.
            // Relying on seeing the futex word set would miss a late store and
            // leave `waking` set — every later `notify` silent, a hang.
            self.waking.store(false, Ordering::Release);
        }
    }
}

/// A blocking poll an idle carrier may wait in instead of its futex (the
/// I/O poller): one carrier at a time, the *holder*, waits there, so that
/// readiness is noticed with no carrier awake; the others sleep on their
/// futex words as before.
///
/// Handing a wake-up to the holder (Dekker, by SeqCst fences on both sides):
/// the holder publishes itself in `POLL_HOLDER`, fences, and waits only if
/// its word is still 0; a waker sets the word, fences, and interrupts the
/// poll if it sees the holder is that carrier, or futex-wakes it otherwise.
/// Either the holder sees the word set or the waker sees the holder.
pub struct IdlePoll {
    /// Whether anything is registered to wait for (else: futex sleep).
    pub active: fn() -> bool,
    /// Waits for readiness (making ready threads runnable), until `deadline`
    /// (monotonic ns) or an `interrupt`.
    pub wait: fn(Option<u64>),
    /// Makes a current or next `wait` return at once.
    pub interrupt: fn(),
}

static IDLE_POLL: AtomicPtr<IdlePoll> = AtomicPtr::new(core::ptr::null_mut());
/// 1 + the id of the carrier waiting in the idle poll; 0: none.
static POLL_HOLDER: AtomicUsize = AtomicUsize::new(0);

/// Installs the blocking poll idle carriers wait in (once, at start-up).
pub fn register_idle_poll(p: &'static IdlePoll) {
    IDLE_POLL.store(p as *const IdlePoll as *mut IdlePoll, Ordering::Release);
}

fn idle_poll() -> Option<&'static IdlePoll> {
    // SAFETY: only `register_idle_poll` stores, a `&'static`.
    unsafe { IDLE_POLL.load(Ordering::Acquire).as_ref() }
}

/// Whether threads wait on a work source only an idle carrier (or a busy
/// one's every 61st schedule) looks at: an armed timer, or a descriptor
/// registered with the idle poll.
pub fn sources_pending() -> bool {
    timer::earliest() != u64::MAX || idle_poll().is_some_and(|p| (p.active)())
}

/// Wakes carrier `id`, whose word is set: interrupts its poll if it holds it.
fn wake_carrier(id: usize) {
    fence(Ordering::SeqCst);
    if POLL_HOLDER.load(Ordering::Relaxed) == id + 1 {
        if let Some(p) = idle_poll() {
            (p.interrupt)();
            return;
        }
    }
    crate::sys::raw::futex_wake(&carriers()[id].sleep_word, 1);
}

/// The runtime's carriers, for waking one by id.
struct AllCarriers;

impl SleepWords for AllCarriers {
    type F = Core;
    fn sleep_word(&self, id: usize) -> &core::sync::atomic::AtomicU32 {
        &carriers()[id].sleep_word
    }
    fn wake(&self, id: usize) {
        wake_carrier(id);
    }
}

/// The idle carrier running the protocol.
struct OnCarrier(&'static Carrier);

impl SleepWords for OnCarrier {
    type F = Core;
    fn sleep_word(&self, id: usize) -> &core::sync::atomic::AtomicU32 {
        &carriers()[id].sleep_word
    }
    fn wake(&self, id: usize) {
        wake_carrier(id);
    }
}

impl IdleCarrier for OnCarrier {
    type Found = *mut UThread;
    type Seen = ([u64; MAX_CARRIERS], usize);
    const SPIN_ROUNDS: u32 = SPIN_ROUNDS;
    fn id(&self) -> usize {
        self.0.id
    }
    fn find_next(&self) -> Option<*mut UThread> {
        find_next(self.0)
    }
    fn work_visible(&self) -> bool {
        !global::is_empty() || carriers().iter().any(|c| !c.runq.is_empty()) || timer::earliest() <= crate::sys::time::now()
    }
    fn runnext_pending_elsewhere(&self) -> bool {
        carriers().iter().any(|v| v.id != self.0.id && !v.runnext.load(Ordering::Relaxed).is_null())
    }
    fn snapshot_ticks(&self) -> Self::Seen {
        let mut seen = [0u64; MAX_CARRIERS];
        let n = snapshot_ticks(&mut seen);
        (seen, n)
    }
    fn steal_stuck(&self, (seen, n): &Self::Seen) -> Option<*mut UThread> {
        steal_stuck(self.0, &seen[..*n])
    }
    fn earliest_deadline(&self) -> u64 {
        timer::earliest()
    }
    fn now(&self) -> u64 {
        crate::sys::time::now()
    }
    fn count_sleep(&self) {
        self.0.sleeps.set(self.0.sleeps.get() + 1);
    }
    fn retire_if_replaced(&self) {
        super::monitor::retire_if_replaced(self.0);
    }
    fn wait(&self, word: &core::sync::atomic::AtomicU32, deadline: Option<u64>) {
        let me = self.0.id + 1;
        match idle_poll() {
            Some(p) if (p.active)() && POLL_HOLDER.compare_exchange(0, me, Ordering::SeqCst, Ordering::Relaxed).is_ok() => {
                fence(Ordering::SeqCst);
                if word.load(Ordering::Relaxed) == 0 {
                    (p.wait)(deadline);
                }
                POLL_HOLDER.store(0, Ordering::Release);
            }
            _ => {
                word.wait(0, deadline);
            }
        }
    }
}

/// Called after making a thread this carrier's `runnext` (and nothing
/// else) runnable: only a stuck carrier would need help with it, so a
/// carrier already spinning or watching is enough; otherwise as `notify`.
#[inline]
pub fn notify_runnext() {
    IDLE.notify_runnext(&AllCarriers);
}

/// Called after making work runnable: wakes a sleeper if nobody is looking.
#[inline]
pub fn notify() {
    IDLE.notify(&AllCarriers);
}

/// A new earliest timer deadline: a sleeper must re-arm its timeout.
pub fn wake_one_for_timer() {
    IDLE.wake_one_for_timer(&AllCarriers);
}

/// Blocks the idle carrier `c` until it has a thread to run; None: it is
/// a bound carrier whose kernel thread must end.
pub fn find_work(c: &'static Carrier) -> Option<*mut UThread> {
    match super::bound::work(c) {
        super::bound::Work::Run(t) => Some(t),
        super::bound::Work::End => None,
        super::bound::Work::Pool => Some(IDLE.find_work(&OnCarrier(c))),
    }
}

/// Reserves room in the sleeper list for `n` carriers; false when out of memory.
pub(crate) fn reserve_sleepers(n: usize) -> bool {
    IDLE.sleepers.with(|s| s.try_reserve_exact(n.saturating_sub(s.len())).is_ok())
}

/// Forgets the sleeping and spinning carriers of the parent in a fork child.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    IDLE.sleepers.with(|s| s.clear());
    IDLE.sleeping.store(0, Ordering::Relaxed);
    IDLE.spinning.store(0, Ordering::Relaxed);
    IDLE.watching.store(0, Ordering::Relaxed);
    IDLE.waking.store(false, Ordering::Relaxed);
    POLL_HOLDER.store(0, Ordering::Relaxed);
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Models of the sleep/wake protocol: carriers look for work, spin, then
    //! sleep; producers publish work and `notify`. A lost wake-up leaves
    //! work behind with every carrier asleep, which loom reports as a
    //! deadlock (the futex is a condition variable under loom). A found
    //! item is the model's stand-in for a thread to run.
    use super::{Idle, IdleCarrier, SleepWords};
    use crate::loom_model::model;
    use crate::sys::atomic::{AtomicWord, Loom, LoomFutex};
    use loom::sync::atomic::{AtomicBool, AtomicUsize};
    use loom::sync::Arc;
    use loom::thread;
    use std::sync::atomic::Ordering;

    const CARRIERS: usize = 2;

    struct World {
        idle: Idle<Loom>,
        words: [LoomFutex; CARRIERS],
        /// Published work not yet taken.
        items: AtomicUsize,
        taken: AtomicUsize,
        /// Every item was taken: carriers leave (after passing it on).
        done: AtomicBool,
        total: usize,
    }

    #[derive(PartialEq, Debug)]
    enum Found {
        Item,
        Done,
    }

    impl SleepWords for World {
        type F = Loom;
        fn sleep_word(&self, id: usize) -> &LoomFutex {
            &self.words[id]
        }
    }

    struct Seat {
        world: Arc<World>,
        id: usize,
    }

    impl SleepWords for Seat {
        type F = Loom;
        fn sleep_word(&self, id: usize) -> &LoomFutex {
            &self.world.words[id]
        }
    }

    impl IdleCarrier for Seat {
        type Found = Found;
        type Seen = ();
        const SPIN_ROUNDS: u32 = 1;
        fn id(&self) -> usize {
            self.id
        }
        fn find_next(&self) -> Option<Found> {
            let w = &self.world;
            if w.done.load(Ordering::Relaxed) {
                return Some(Found::Done);
            }
            let mut n = w.items.load(Ordering::Relaxed);
            while n > 0 {
                match w.items.compare_exchange(n, n - 1, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => return Some(Found::Item),
                    Err(now) => n = now,
                }
            }
            None
        }
        fn work_visible(&self) -> bool {
            self.world.items.load(Ordering::Relaxed) > 0 || self.world.done.load(Ordering::Relaxed)
        }
        fn runnext_pending_elsewhere(&self) -> bool {
            false
        }
        fn snapshot_ticks(&self) {}
        fn steal_stuck(&self, _: &()) -> Option<Found> {
            None
        }
        fn earliest_deadline(&self) -> u64 {
            u64::MAX
        }
        fn now(&self) -> u64 {
            0
        }
        fn count_sleep(&self) {}
    }

    fn world(total: usize) -> Arc<World> {
        Arc::new(World {
            idle: Idle::new(),
            words: core::array::from_fn(|_| LoomFutex::new(0)),
            items: AtomicUsize::new(0),
            taken: AtomicUsize::new(0),
            done: AtomicBool::new(false),
            total,
        })
    }

    /// A carrier: runs what it finds until told everything was taken, then
    /// passes the news on as work of its own (so a sleeping sibling learns).
    fn carrier(world: Arc<World>, id: usize) -> thread::JoinHandle<()> {
        thread::spawn(move || {
            let seat = Seat { world, id };
            let w = &seat.world;
            loop {
                match w.idle.find_work(&seat) {
                    Found::Done => {
                        w.idle.notify(&**w);
                        return;
                    }
                    Found::Item => {
                        if w.taken.fetch_add(1, Ordering::Relaxed) + 1 == w.total {
                            w.done.store(true, Ordering::Release);
                            w.idle.notify(&**w);
                        }
                    }
                }
            }
        })
    }

    fn publish(w: &World) {
        w.items.fetch_add(1, Ordering::Release);
        w.idle.notify(w);
    }

    /// One producer, two carriers: every item is taken and every carrier
    /// leaves — no wake-up is lost, whichever carrier sleeps when.
    #[test]
    fn loom_idle_no_lost_wakeup() {
        model(Some(2), || {
            let w = world(2);
            let carriers: Vec<_> = (0..CARRIERS).map(|id| carrier(w.clone(), id)).collect();
            publish(&w);
            publish(&w);
            for c in carriers {
                c.join().unwrap();
            }
            assert_eq!(w.taken.load(Ordering::Relaxed), 2);
        });
    }

    /// Two producers race through `notify` while the carriers go to sleep:
    /// a producer the `waking` gate turns away counts on the gate's holder,
    /// which must not give up on finding the list empty when a carrier
    /// listed itself just after its look (this model caught that hang).
    #[test]
    fn loom_idle_racing_producers() {
        model(Some(2), || {
            let w = world(2);
            let carriers: Vec<_> = (0..CARRIERS).map(|id| carrier(w.clone(), id)).collect();
            let w2 = w.clone();
            let producer = thread::spawn(move || publish(&w2));
            publish(&w);
            producer.join().unwrap();
            for c in carriers {
                c.join().unwrap();
            }
            assert_eq!(w.taken.load(Ordering::Relaxed), 2);
        });
    }
}
