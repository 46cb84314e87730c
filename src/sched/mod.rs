//! Layer 4: the M:N scheduler.
//!
//! Carriers are kernel threads (made with glibc's real `pthread_create`),
//! each reached through its `%gs` base. A carrier runs one user thread at a
//! time; when that thread yields, parks or exits, the carrier switches
//! *directly* to the next runnable thread, or to its own idle context (its
//! original kernel stack and glibc TCB) when there is none.
//!
//! Finding work (`find_next`), in order: every 61st schedule the global
//! queue (so it cannot starve); `runnext` (the thread most recently woken
//! or created here: a hand-off runs next, on a warm cache) unless it has
//! won 32 times in a row; the local ring; the global queue; due timers;
//! and stealing half of another carrier's ring (also when yielding: a
//! yielder must not starve threads queued behind a carrier stuck in a long
//! call). Thieves leave `runnext` alone except from a carrier that has not
//! switched during a whole watch step (it is stuck: see `idle`).
//!
//! The switch protocol: a thread that stops running cannot publish itself
//! (to a queue, a wait list, the reaper) before its registers are saved, or
//! another carrier could resume it half-saved. So the switch *hands over* a
//! [`Continuation`] — a function and an argument, as Go's `mcall`/`gopark`
//! do — and the context that resumes runs it on its own stack (`finish`)
//! for the thread that left: requeue a yielder (here), complete a park (the
//! park layer), reap an exited thread (the thread layer). The scheduler thus
//! names nothing above it. Invariant: a `UThread` is resumed by at most one
//! carrier, and only after its switch-out and its continuation's start.
//!
//! Work the scheduler does not own (due timers today; the I/O poller and
//! signal delivery later) reaches it as registered *work sources*: `find_next`
//! polls them when the queues are empty and on every 61st schedule (so a
//! carrier kept busy by yielders still wakes its sleepers), and a source
//! makes threads runnable through `ready`.
//!
//! A carrier blocked in the kernel by a call nobody intercepted is replaced
//! by a spare (`monitor`): it then finds no work (`find_next`) and retires
//! at its next schedule point. The carrier array has room for
//! `MNTHREAD_MAX_CARRIERS` slots from the start; spares fill it in order.
//!
//! Never cache a `&Carrier` across a switch: the thread may resume on
//! another carrier. `this_carrier()` re-reads `%gs`.

pub mod bound;
pub mod cputime;
pub mod global;
pub mod idle;
pub mod monitor;
pub mod runq;
pub mod stats;
pub mod timer;

use core::cell::{Cell, UnsafeCell};
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use crate::arch;
use crate::arch::switch::switch_to;
use crate::mem::uthread::{Context, UThread};
use crate::sys::lock::Locked;
use crossbeam_utils::CachePadded;
use runq::LocalQueue;

/// What the context that resumes after a switch runs for the thread that
/// left: `run(prev, arg)`, on the resumed context's stack, once the
/// leaver's registers are saved.
#[derive(Clone, Copy)]
pub struct Continuation {
    pub run: fn(*mut UThread, usize),
    pub arg: usize,
}

/// A switch's hand-over, on the leaving thread's stack: valid until that
/// thread resumes, which cannot happen before `finish` has copied it.
struct Handover {
    prev: *mut UThread,
    then: Continuation,
}

/// Requeues a yielder on the carrier that switched (a context resumed by a
/// switch runs on the carrier that made it).
fn requeue(t: *mut UThread, _: usize) {
    this_carrier().expect("switch finished off its carrier").runq.push(t);
}

const YIELD: Continuation = Continuation { run: requeue, arg: 0 };

/// A source of runnable threads other than the queues (timers, and later
/// the poller): makes what is due runnable with [`ready`] and returns how
/// many it woke.
pub type WorkSource = fn() -> usize;

/// Most work sources that can be registered.
const MAX_SOURCES: usize = 4;

static SOURCES: [AtomicUsize; MAX_SOURCES] = [const { AtomicUsize::new(0) }; MAX_SOURCES];

/// Registers `poll` to be asked for work by `find_next` (see module docs;
/// at start-up, before threads run; registering again is a no-op).
pub fn register_source(poll: WorkSource) {
    let f = poll as usize;
    let slot = SOURCES.iter().find(|s| matches!(s.load(Ordering::Relaxed), 0) || s.load(Ordering::Relaxed) == f);
    slot.expect("too many work sources").store(f, Ordering::Release);
}

/// Polls every registered work source; how many threads they woke.
fn poll_sources() -> usize {
    let mut woke = 0;
    for s in &SOURCES {
        let f = s.load(Ordering::Acquire);
        if f == 0 {
            break;
        }
        // SAFETY: only `register_source` stores non-zero values, each a `WorkSource`.
        let poll = unsafe { core::mem::transmute::<usize, WorkSource>(f) };
        woke += poll();
    }
    woke
}

/// Most threads moved from the global queue at once.
const GLOBAL_BATCH: usize = 64;

/// Runnext may win this many hand-offs in a row before the ring goes first.
const RUNNEXT_STREAK: u32 = 32;

#[repr(C)]
pub struct Carrier {
    /// The idle loop's context (the carrier's own stack and glibc TCB);
    /// written only by the carrier itself.
    pub idle: UnsafeCell<Context>,
    /// The user thread running here; null while idle.
    pub current: AtomicPtr<UThread>,
    pub runnext: AtomicPtr<UThread>,
    /// On cache lines of its own: thieves and idle carriers poll it while
    /// the owner rewrites `current`/`runnext` on every switch.
    pub runq: CachePadded<LocalQueue>,
    /// Counts switches (thieves read it to see whether we are stuck).
    /// Written only by the owner (load + store, no locked RMW).
    pub ticks: AtomicU64,
    /// The time-stamp counter when `current` started running here (see
    /// `cputime`); written only by the owner.
    pub run_since: AtomicU64,
    /// Owner-only statistics (MNTHREAD_STATS).
    pub steals: Cell<u64>,
    pub sleeps: Cell<u64>,
    /// Owner-only counters.
    schedule_count: Cell<u32>,
    runnext_streak: Cell<u32>,
    /// Futex word an idle carrier sleeps on (1 = woken).
    pub sleep_word: AtomicU32,
    pub id: usize,
    /// The carrier's kernel thread id (0 until it runs), for the monitor.
    pub tid: AtomicI32,
    /// Set by the monitor when a spare took over while this carrier was
    /// blocked in the kernel: at its next schedule point it retires.
    pub replaced: AtomicBool,
    /// [`ACTIVE`], [`RETIRED`] or [`GONE`].
    pub state: AtomicU8,
    /// Futex word a retired carrier sleeps on until the monitor revives it.
    pub spare_word: AtomicU32,
    /// The carrier's kernel alternate signal stack (base, size), set once
    /// by its kernel thread.
    altstack: [AtomicUsize; 2],
    /// A `SIGMN` is on its way to this carrier (see [`Carrier::kick`]).
    kicked: AtomicBool,
    /// A [`BOUND`] carrier's thread, once runnable (see `bound`).
    pub bound_next: AtomicPtr<UThread>,
    /// Its bound thread changed the kernel thread's own state (CPU mask,
    /// namespaces, ...): the kernel thread ends with it (see `bound`).
    pub tainted: AtomicBool,
}

impl Carrier {
    pub fn altstack(&self) -> (usize, usize) {
        (self.altstack[0].load(Ordering::Relaxed), self.altstack[1].load(Ordering::Relaxed))
    }

    /// Sends the runtime's `SIGMN` to this carrier's kernel thread, unless
    /// one is already on its way: it is a real-time signal, so every send
    /// would queue another, and a burst of them would nest handler frames
    /// on the running thread's stack.
    pub fn kick(&self) {
        let tid = self.tid.load(Ordering::Relaxed);
        if tid > 0 && !self.kicked.swap(true, Ordering::AcqRel) {
            crate::sys::signal::tgkill(tid, crate::sys::signal::SIGMN);
        }
    }

    /// The `SIGMN` sent by [`Carrier::kick`] has arrived (its handler
    /// calls this first): a later kick sends another.
    pub fn kick_arrived(&self) {
        self.kicked.store(false, Ordering::Release);
    }

    /// A dead slot (no kernel thread, nobody else using it) is made ready
    /// for a new kernel thread.
    pub(crate) fn reset_for_reuse(&self) {
        self.tid.store(0, Ordering::Relaxed);
        self.tainted.store(false, Ordering::Relaxed);
        self.sleep_word.store(0, Ordering::Relaxed);
        self.spare_word.store(0, Ordering::Relaxed);
        self.replaced.store(false, Ordering::Relaxed);
        self.kicked.store(false, Ordering::Relaxed);
        self.bound_next.store(core::ptr::null_mut(), Ordering::Relaxed);
        self.current.store(core::ptr::null_mut(), Ordering::Relaxed);
    }

    pub fn set_altstack(&self, base: usize, size: usize) {
        self.altstack[0].store(base, Ordering::Relaxed);
        self.altstack[1].store(size, Ordering::Relaxed);
    }
}

/// Runs user threads (or looks for them).
pub const ACTIVE: u8 = 0;
/// A spare asleep in [`retire_if_replaced`] until the monitor needs it.
pub const RETIRED: u8 = 1;
/// Its kernel thread does not exist (a fork child's other carriers).
pub const GONE: u8 = 2;
/// Runs one user thread only, its bound thread (see `bound`); not a
/// carrier of the pool.
pub const BOUND: u8 = 3;
/// A bound carrier whose thread ended, asleep until it is given another.
pub const BOUND_IDLE: u8 = 4;
/// A bound carrier whose thread ended after changing its kernel thread's
/// state: the kernel thread is ending.
pub const DYING: u8 = 5;
/// A slot whose kernel thread ended: free for a new bound carrier.
pub const DEAD: u8 = 6;

// SAFETY: the Cells are touched only by the owning carrier (see fields).
unsafe impl Sync for Carrier {}

static CARRIERS: AtomicPtr<Carrier> = AtomicPtr::new(core::ptr::null_mut());
/// Slots made so far (the first `NCARRIERS` of [`MAX_CARRIERS`] are
/// initialised).
static NCARRIERS: AtomicUsize = AtomicUsize::new(0);
/// Most slots of the pool (`MNTHREAD_MAX_CARRIERS`): active carriers not
/// bound to a thread, and retired ones. Bound carriers come on top.
static POOL_CAP: AtomicUsize = AtomicUsize::new(0);
/// Slots of the pool now (counted under `SLOTS`).
static POOL_SLOTS: AtomicUsize = AtomicUsize::new(0);
/// Taken to add a slot (the monitor's spares and bound threads' carriers
/// race for them) and to count the pool's slots.
static SLOTS: Locked<()> = Locked::new(());

/// Every carrier made so far, active, retired or gone.
pub fn carriers() -> &'static [Carrier] {
    let p = CARRIERS.load(Ordering::Acquire);
    if p.is_null() {
        return &[];
    }
    // SAFETY: published by `create_carriers`, never freed; slots below
    // NCARRIERS are initialised before the count is raised (Release).
    unsafe { core::slice::from_raw_parts(p, NCARRIERS.load(Ordering::Acquire)) }
}

/// Most carriers a process may have.
pub const MAX_CARRIERS: usize = 1024;

fn new_carrier(id: usize) -> Carrier {
    Carrier {
        idle: UnsafeCell::new(Context { sp: 0, tp: 0 }),
        current: AtomicPtr::new(core::ptr::null_mut()),
        runnext: AtomicPtr::new(core::ptr::null_mut()),
        runq: CachePadded::new(LocalQueue::new()),
        ticks: AtomicU64::new(0),
        run_since: AtomicU64::new(0),
        steals: Cell::new(0),
        sleeps: Cell::new(0),
        schedule_count: Cell::new(0),
        runnext_streak: Cell::new(0),
        sleep_word: AtomicU32::new(0),
        id,
        tid: AtomicI32::new(0),
        replaced: AtomicBool::new(false),
        state: AtomicU8::new(ACTIVE),
        spare_word: AtomicU32::new(0),
        altstack: [AtomicUsize::new(0), AtomicUsize::new(0)],
        kicked: AtomicBool::new(false),
        bound_next: AtomicPtr::new(core::ptr::null_mut()),
        tainted: AtomicBool::new(false),
    }
}

/// Allocates room for [`MAX_CARRIERS`] carriers, `cap` of them for the
/// pool, and makes the first `n` (not yet running); `None` when memory runs
/// out. The room beyond `n` is reserved address space, touched only when a
/// slot is added ([`add_carrier`]).
pub fn create_carriers(n: usize, cap: usize) -> Option<&'static [Carrier]> {
    let cap = cap.clamp(1, MAX_CARRIERS);
    let n = n.clamp(1, cap);
    let mut v: Vec<Carrier> = Vec::new();
    if v.try_reserve_exact(MAX_CARRIERS).is_err() || !idle::reserve_sleepers(cap) {
        return None;
    }
    v.extend((0..n).map(new_carrier));
    cputime::init();
    let p = core::mem::ManuallyDrop::new(v).as_mut_ptr();
    POOL_CAP.store(cap, Ordering::Relaxed);
    POOL_SLOTS.store(n, Ordering::Relaxed);
    NCARRIERS.store(n, Ordering::Release);
    CARRIERS.store(p, Ordering::Release);
    Some(carriers())
}

/// Makes one more carrier slot (not yet running) in `state`: a spare of the
/// pool ([`ACTIVE`]; `None` when the pool is at its cap) or a bound
/// thread's ([`BOUND`]); `None` when every slot is taken.
pub fn add_carrier(state: u8) -> Option<&'static Carrier> {
    SLOTS.with(|_| {
        let n = NCARRIERS.load(Ordering::Relaxed);
        if n >= MAX_CARRIERS || (state == ACTIVE && POOL_SLOTS.load(Ordering::Relaxed) >= POOL_CAP.load(Ordering::Relaxed)) {
            return None;
        }
        if state == ACTIVE {
            POOL_SLOTS.fetch_add(1, Ordering::Relaxed);
        }
        let p = CARRIERS.load(Ordering::Acquire);
        // SAFETY: slot `n` is inside the reserved capacity and not yet
        // visible to anybody (the count is raised after the write, and
        // slots are added under `SLOTS`).
        unsafe {
            let mut c = new_carrier(n);
            c.state = AtomicU8::new(state);
            p.add(n).write(c);
            NCARRIERS.store(n + 1, Ordering::Release);
            Some(&*p.add(n))
        }
    })
}

/// Slot `c`, made by [`add_carrier`], got no kernel thread: it is never run.
pub fn abandon_carrier(c: &Carrier) {
    SLOTS.with(|_| {
        if c.state.swap(GONE, Ordering::AcqRel) == ACTIVE {
            POOL_SLOTS.fetch_sub(1, Ordering::Relaxed);
        }
    });
}

/// After only the first `n` carriers could be started: the others are never
/// run nor looked at again. (Their slots stay allocated; a carrier that read
/// the longer length meanwhile finds empty queues there.)
pub fn keep_carriers(n: usize) {
    POOL_SLOTS.store(n, Ordering::Relaxed);
    NCARRIERS.store(n, Ordering::Release);
}

/// Starts a carrier's kernel thread on a slot (registered by the runtime).
pub type Spawn = fn(&'static Carrier) -> bool;
static SPAWN: AtomicUsize = AtomicUsize::new(0);

/// Registers how carriers' kernel threads are started (before any spare
/// or bound carrier is needed).
pub fn register_spawn(spawn: Spawn) {
    SPAWN.store(spawn as usize, Ordering::Release);
}

/// Starts the kernel thread of slot `c`; false (and the slot abandoned)
/// if none could be made.
fn spawn(c: &'static Carrier) -> bool {
    let f = SPAWN.load(Ordering::Acquire);
    // SAFETY: only `register_spawn` stores non-zero values, each a `Spawn`.
    let ok = f != 0 && unsafe { core::mem::transmute::<usize, Spawn>(f) }(c);
    if !ok {
        abandon_carrier(c);
    }
    ok
}

/// Gets one more carrier of the pool running: a retired one revived, or a
/// new slot with a new kernel thread. False at the pool's cap, or if no
/// kernel thread could be made.
pub fn start_pool_spare() -> bool {
    for s in carriers() {
        if s.state.compare_exchange(RETIRED, ACTIVE, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            s.spare_word.store(1, Ordering::Release);
            crate::sys::raw::futex_wake(&s.spare_word, 1);
            return true;
        }
    }
    let Some(s) = add_carrier(ACTIVE) else { return false };
    if !spawn(s) {
        return false;
    }
    monitor::SPARES_MADE.fetch_add(1, Ordering::Relaxed);
    true
}

/// A carrier of the pool leaves it (it becomes bound) or comes back.
fn count_pool(leaving: bool) {
    SLOTS.with(|_| {
        if leaving {
            POOL_SLOTS.fetch_sub(1, Ordering::Relaxed);
        } else {
            POOL_SLOTS.fetch_add(1, Ordering::Relaxed);
        }
    });
}

/// Records the kernel thread now running carrier `c` (first thing it does).
pub fn carrier_started(c: &Carrier) {
    // SAFETY: gettid has no arguments and cannot fail.
    let tid = unsafe { crate::sys::raw::syscall3(libc::SYS_gettid, 0, 0, 0) };
    c.tid.store(tid as i32, Ordering::Release);
}

/// The carrier the caller is running on *as its owner* (a user thread or
/// the idle loop). `None` on any other kernel thread, including threads
/// that merely inherited a carrier's `%gs` when they were created.
#[inline]
pub fn this_carrier() -> Option<&'static Carrier> {
    let c = arch::gs_base() as *const Carrier;
    if c.is_null() {
        return None;
    }
    // SAFETY: a non-zero %gs was set by a carrier to its (never freed)
    // Carrier, possibly inherited; the ownership test below sorts that out.
    // Descriptors are type-stable, so reading `current.ctx.tp` is safe.
    unsafe {
        let c = &*c;
        let tp = arch::thread_pointer();
        let cur = c.current.load(Ordering::Relaxed);
        let owner = if cur.is_null() { (*c.idle.get()).tp == tp } else { (*cur).ctx.tp == tp };
        owner.then_some(c)
    }
}

/// The user thread running on this carrier, if the caller is one.
#[inline]
pub fn current_user() -> Option<(&'static Carrier, *mut UThread)> {
    let c = this_carrier()?;
    let t = c.current.load(Ordering::Relaxed);
    (!t.is_null()).then_some((c, t))
}

/// Who a caller off the carriers is (the main thread before it moves onto
/// them, a foreign kernel thread): registered by the thread layer, which
/// owns those descriptors.
static OFF_CARRIER: AtomicUsize = AtomicUsize::new(0);

/// Registers how [`current`] finds the descriptor of a caller that is not a
/// user thread on a carrier (done first in the library's initialisation).
pub fn register_off_carrier(identity: fn() -> *mut UThread) {
    OFF_CARRIER.store(identity as usize, Ordering::Release);
}

/// "Who am I", the one way to ask: the calling thread's descriptor — the
/// running user thread, else the main or foreign thread's (made on first
/// need by the registered identity).
#[inline]
pub fn current() -> *mut UThread {
    if let Some((_, t)) = current_user() {
        return t;
    }
    let f = OFF_CARRIER.load(Ordering::Acquire);
    if f == 0 {
        crate::sys::fatal::die(&["called before its initialisation"]);
    }
    // SAFETY: only `register_off_carrier` stores non-zero values, each such a fn.
    let identity = unsafe { core::mem::transmute::<usize, fn() -> *mut UThread>(f) };
    identity()
}

/// Makes `t` runnable. On a carrier it goes to that carrier (`next`: run
/// it at the next switch, as a hand-off); elsewhere to the global queue.
pub fn ready(t: *mut UThread, next: bool) {
    // SAFETY: descriptors are type-stable.
    let bound_to = unsafe { (*t).bound.load(Ordering::Acquire) };
    if bound_to != 0 {
        bound::ready(t, bound_to);
        return;
    }
    match this_carrier() {
        // A bound carrier runs nobody else.
        Some(c) if c.state.load(Ordering::Relaxed) != ACTIVE => global::push(t),
        Some(c) if next => {
            let old = c.runnext.swap(t, Ordering::AcqRel);
            if old.is_null() {
                idle::notify_runnext();
                return;
            }
            c.runq.push(old);
        }
        Some(c) => c.runq.push(t),
        None => global::push(t),
    }
    idle::notify();
}

/// Finishes the switch-out handed over as `h` (0: nothing to finish) by
/// running its continuation. Every context that a switch resumes calls it
/// first.
#[inline]
pub fn finish(h: usize) {
    if h == 0 {
        return;
    }
    // SAFETY: a non-zero hand-over is a `Handover` on the stack of the
    // thread that left, which stays put until that thread resumes; nothing
    // can resume it before its continuation runs, and we copy it out first.
    let Handover { prev, then } = unsafe { core::ptr::read(h as *const Handover) };
    (then.run)(prev, then.arg)
}

/// Moves up to a fair share of the global queue here (as much as the ring
/// has room for); returns one to run.
fn take_global(c: &Carrier) -> Option<*mut UThread> {
    if global::is_empty() {
        return None;
    }
    let n = carriers().len().max(1);
    let room = (runq::LEN - c.runq.len()) as usize;
    let want = (global::len() / n + 1).min(room + 1).min(GLOBAL_BATCH);
    let mut batch = [core::ptr::null_mut(); GLOBAL_BATCH];
    let got = global::pop_batch(&mut batch[..want]);
    for &t in &batch[1..got.max(1)] {
        c.runq.push(t);
    }
    (got > 0).then_some(batch[0])
}

/// Next thread to run on `c`, without sleeping (see module docs).
pub fn find_next(c: &Carrier) -> Option<*mut UThread> {
    if c.replaced.load(Ordering::Relaxed) || c.state.load(Ordering::Relaxed) != ACTIVE {
        // A spare runs in our place (see `monitor`), or we are bound to
        // one thread (see `bound`): nothing more here.
        return None;
    }
    let n = c.schedule_count.get().wrapping_add(1);
    c.schedule_count.set(n);
    if n.is_multiple_of(61) {
        // A carrier whose queues never drain (threads that keep yielding)
        // must still fire due timers and poll: the sources are asked here
        // too, so a sleeper is not starved behind yielders.
        poll_sources();
        if let Some(t) = take_global(c) {
            return Some(t);
        }
    }
    loop {
        if (c.runnext_streak.get() < RUNNEXT_STREAK || c.runq.is_empty()) && !c.runnext.load(Ordering::Relaxed).is_null() {
            let t = c.runnext.swap(core::ptr::null_mut(), Ordering::AcqRel);
            if !t.is_null() {
                c.runnext_streak.set(c.runnext_streak.get() + 1);
                return Some(t);
            }
        }
        c.runnext_streak.set(0);
        if let Some(t) = c.runq.pop() {
            return Some(t);
        }
        if let Some(t) = take_global(c) {
            return Some(t);
        }
        if poll_sources() > 0 {
            continue;
        }
        break;
    }
    steal_work(c)
}

fn steal_work(c: &Carrier) -> Option<*mut UThread> {
    let all = carriers();
    let n = all.len();
    let start = c.schedule_count.get() as usize % n.max(1);
    for i in 0..n {
        let v = &all[(start + i) % n];
        if v.id == c.id {
            continue;
        }
        if let Some(t) = v.runq.steal_into(&c.runq) {
            c.steals.set(c.steals.get() + 1);
            return Some(t);
        }
    }
    None
}

/// Takes `runnext` from a carrier whose tick count is still `seen` (it has
/// not switched for a whole watch step).
pub(crate) fn steal_stuck(c: &Carrier, seen: &[u64]) -> Option<*mut UThread> {
    for (v, &ticks) in carriers().iter().zip(seen) {
        if v.id != c.id && v.ticks.load(Ordering::Acquire) == ticks {
            let t = v.runnext.swap(core::ptr::null_mut(), Ordering::AcqRel);
            if !t.is_null() {
                c.steals.set(c.steals.get() + 1);
                return Some(t);
            }
        }
    }
    None
}

/// Switches from the running user thread `cur` to `next` on carrier `c`;
/// the resumed context runs `then` for `cur`. Returns once `cur` is
/// resumed (anywhere).
///
/// # Safety
/// `cur` is the thread running on `c` (the caller); `next` is runnable and
/// owned by nobody else.
#[inline]
pub unsafe fn switch_thread(c: &Carrier, cur: *mut UThread, next: *mut UThread, then: Continuation) {
    cputime::end_run(c, cur);
    c.current.store(next, Ordering::Relaxed);
    bump_ticks(c);
    let h = Handover { prev: cur, then };
    // SAFETY: per the contract; `ctx` is the first field of UThread; `h`
    // outlives the switch (see `finish`).
    let h = unsafe { switch_to(&mut (*cur).ctx.sp, (*next).ctx.sp, (*next).ctx.tp, &h as *const Handover as usize) };
    finish(h);
}

/// Gives up the carrier: to the next runnable thread, else to the idle loop.
///
/// # Safety
/// As `switch_thread`.
pub unsafe fn switch_away(c: &Carrier, cur: *mut UThread, then: Continuation) {
    match find_next(c) {
        // SAFETY: forwarded.
        Some(next) => unsafe { switch_thread(c, cur, next, then) },
        None => {
            cputime::end_run(c, cur);
            c.current.store(core::ptr::null_mut(), Ordering::Relaxed);
            let h = Handover { prev: cur, then };
            // SAFETY: the idle context of this carrier is suspended (we are
            // running a user thread on it) and only this carrier resumes it;
            // `h` outlives the switch (see `finish`).
            let h = unsafe {
                let idle = c.idle.get();
                switch_to(&mut (*cur).ctx.sp, (*idle).sp, (*idle).tp, &h as *const Handover as usize)
            };
            finish(h);
        }
    }
}

/// `sched_yield`: a user thread lets the next runnable thread on its
/// carrier run; any other thread yields its kernel thread to the kernel.
pub fn yield_now() {
    let Some((c, cur)) = current_user().filter(|(c, _)| c.state.load(Ordering::Relaxed) == ACTIVE) else {
        crate::sys::raw::sched_yield();
        return;
    };
    if c.replaced.load(Ordering::Relaxed) {
        // Requeued here, then handed on as this carrier retires.
        // SAFETY: `cur` runs on `c`.
        unsafe { switch_away(c, cur, YIELD) };
        return;
    }
    if let Some(next) = find_next(c) {
        // SAFETY: `cur` runs on `c`; `next` was just taken from a queue.
        unsafe { switch_thread(c, cur, next, YIELD) };
    }
}

/// The idle loop of carrier `c`, on the carrier's own stack: run what there
/// is, spin a little when there is nothing, then sleep.
/// Returns only on a bound carrier whose kernel thread must end (see
/// `bound`).
pub fn idle_loop(c: &'static Carrier) {
    loop {
        let Some(next) = idle::find_work(c) else { return };
        cputime::start_run(c);
        c.current.store(next, Ordering::Relaxed);
        if c.state.load(Ordering::Relaxed) == ACTIVE {
            monitor::carrier_busy();
        }
        bump_ticks(c);
        // SAFETY: `next` is runnable and ours; the idle context is saved in
        // `c.idle` and only this carrier resumes it.
        let h = unsafe {
            let idle = c.idle.get();
            switch_to(&mut (*idle).sp, (*next).ctx.sp, (*next).ctx.tp, 0)
        };
        c.current.store(core::ptr::null_mut(), Ordering::Relaxed);
        finish(h);
    }
}

#[inline(always)]
fn bump_ticks(c: &Carrier) {
    c.ticks.store(c.ticks.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

/// Copies every carrier's tick count into `out`; returns how many.
pub(crate) fn snapshot_ticks(out: &mut [u64; MAX_CARRIERS]) -> usize {
    let cs = carriers();
    for (slot, v) in out.iter_mut().zip(cs) {
        *slot = v.ticks.load(Ordering::Acquire);
    }
    cs.len()
}

/// In a fork child: only the calling user thread survived, on its carrier.
/// Every run queue, deadline and idle-carrier record of the parent goes;
/// the other carriers' kernel threads are gone, so this carrier runs
/// everything from now on.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_parent_threads() {
    let me = this_carrier().map(|c| c.id);
    for v in carriers() {
        while v.runq.pop().is_some() {}
        v.runnext.store(core::ptr::null_mut(), Ordering::Relaxed);
        v.replaced.store(false, Ordering::Relaxed);
        if Some(v.id) == me {
            // The child's kernel thread has an id of its own, and is the
            // child's whole pool (a bound forker is bound no more).
            carrier_started(v);
            bound::unbind_in_child(v);
            POOL_SLOTS.store(1, Ordering::Relaxed);
        } else {
            v.current.store(core::ptr::null_mut(), Ordering::Relaxed);
            v.state.store(GONE, Ordering::Relaxed);
        }
    }
    // SAFETY: forwarded.
    unsafe {
        global::forget_all();
        timer::forget_all();
        idle::forget_all();
    }
}
