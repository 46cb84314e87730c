//! The router: the kernel thread that takes process-directed signals from
//! the kernel and gives each to a user thread (protocol in the layer doc).
//!
//! It waits in `rt_sigtimedwait` for every signal but those in `PARKED`
//! (signals that every thread blocked when one came: they stay pending in
//! the kernel). A signal it takes goes, under `WAITERS`' lock (which
//! `sigwait` registration also takes, so a waiter is never missed), to:
//! 1. a thread waiting for it in the `sigwait` family;
//! 2. else, unless ignored, a thread that does not block it — the main
//!    thread first, then any — where a default action that ends or stops
//!    the process is carried out at once by the router;
//! 3. else it is marked parked and queued for the process again. The masks
//!    are read once more after the mark (a thread that unblocked meanwhile
//!    stored its mask before it read the mark; SeqCst both sides).
//!
//! `SIGMN` to the router (`kick`) makes it recompute what it waits for.
//! When a carrier could not take a signal at once (not at a safe point,
//! `entry`), the router sends `SIGMN` again every `RETRY_NS` to each
//! carrier whose running thread still has a signal or an asynchronous
//! cancellation due, until none has.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};

use super::queue::{self, Origin};
use super::{action, deliver};
use crate::mem::uthread::{Kind, UThread, CANCEL_ACTING, CANCEL_ASYNC, CANCEL_DISABLED, CANCEL_REQUESTED, DETACHED, JOINABLE, SLAB};
use crate::park;
use crate::sched;
use crate::sys::fatal::die;
use crate::sys::lock::Locked;
use crate::sys::real::real;
use crate::sys::signal::{self as ksig, bit, HELPER_MASK, INTERNAL, SIGMN, SYNCHRONOUS, UNBLOCKABLE};

/// What the router may take from the kernel.
const ROUTABLE: u64 = !(INTERNAL | UNBLOCKABLE | SYNCHRONOUS);
/// How soon a signal a carrier deferred is tried again.
const RETRY_NS: u64 = 200_000;

static ROUTER_TID: AtomicI32 = AtomicI32::new(0);
/// Signals left pending in the kernel for the process (nobody takes them).
static PARKED: AtomicU64 = AtomicU64::new(0);
static RETRY: AtomicBool = AtomicBool::new(false);

/// Threads in the `sigwait` family (their `sig.waiting` says for what).
static WAITERS: Locked<Waiters> = Locked::new(Waiters(Vec::new()));

struct Waiters(Vec<*mut UThread>);

// SAFETY: slab descriptors, only followed under the lock.
unsafe impl Send for Waiters {}

/// Starts the router (the runtime's start hook; again in a fork child).
/// What the main thread blocks now, nobody unblocks yet: parked.
pub fn start() {
    let main = crate::thread::runtime::main_thread();
    // SAFETY: MAIN is a valid descriptor.
    let main_mask = unsafe { (*main).sig.mask.load(Ordering::Relaxed) };
    PARKED.store(main_mask & ROUTABLE, Ordering::SeqCst);
    let mut t: libc::pthread_t = 0;
    // SAFETY: the real pthread_create; the router never returns.
    if unsafe { (real().pthread_create)(&mut t, core::ptr::null(), router_main, core::ptr::null_mut()) } != 0 {
        die(&["cannot start the signal router thread"]);
    }
}

extern "C" fn router_main(_: *mut c_void) -> *mut c_void {
    // `SIGMN` stays blocked here and is waited for with the rest: a kick
    // that comes before the wait starts stays pending and ends it, where a
    // handler would have run before the wait and left it to sleep.
    ksig::thread_mask(libc::SIG_SETMASK, Some(HELPER_MASK | bit(SIGMN)));
    ROUTER_TID.store(ksig::gettid(), Ordering::Release);
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    loop {
        let retry = RETRY.swap(false, Ordering::AcqRel) && kick_deferred();
        if retry {
            RETRY.store(true, Ordering::Release);
        }
        let asked = ASKED.load(Ordering::SeqCst);
        let want = ROUTABLE & !PARKED.load(Ordering::SeqCst);
        SEEN.store(asked, Ordering::SeqCst);
        let drain = DRAIN_ASKED.load(Ordering::SeqCst);
        if DRAINED.load(Ordering::Relaxed) < drain {
            while ksig::take_pending(want, &mut info, Some(0)) > 0 {
                route(&info);
            }
            DRAINED.store(drain, Ordering::SeqCst);
        }
        let r = ksig::take_pending(want | bit(SIGMN), &mut info, retry.then_some(RETRY_NS));
        if r > 0 && r != SIGMN as isize {
            route(&info);
        }
    }
}

/// Makes the router recompute the set it waits for.
fn kick() {
    let tid = ROUTER_TID.load(Ordering::Acquire);
    if tid > 0 {
        ksig::tgkill(tid, SIGMN);
    }
}

/// Requests to recompute the wait set, and the last request the router
/// computed it for (see [`stop_waiting_for_parked`]).
static ASKED: AtomicU64 = AtomicU64::new(0);
static SEEN: AtomicU64 = AtomicU64::new(0);

/// A signal was just parked by a thread other than the router: the router
/// must stop waiting for it before the signal goes back to the kernel, or it
/// would take it again (and `sigpending` miss it meanwhile). Waits until the
/// router has recomputed its set.
fn stop_waiting_for_parked() {
    ask_router(&ASKED, &SEEN);
}

/// Requests to route whatever the kernel holds for the process now, and
/// the last request the router did so for (see [`drain`]).
static DRAIN_ASKED: AtomicU64 = AtomicU64::new(0);
static DRAINED: AtomicU64 = AtomicU64::new(0);

/// Waits until every process signal the kernel had queued when this was
/// called, and the router waits for, has been routed (taken by the router,
/// given to a thread or parked). For a caller that sent a signal to its own
/// process by a path that goes through the kernel.
pub fn drain() {
    if ROUTER_TID.load(Ordering::Acquire) > 0 {
        ask_router(&DRAIN_ASKED, &DRAINED);
    }
}

/// Makes a request on `asked` and waits until the router has answered it
/// on `answered` (one kick is enough: it stays pending until the router's
/// next wait, which it ends).
fn ask_router(asked: &AtomicU64, answered: &AtomicU64) {
    let req = asked.fetch_add(1, Ordering::SeqCst) + 1;
    kick();
    while answered.load(Ordering::SeqCst) < req {
        core::hint::spin_loop();
    }
}

/// A carrier deferred a signal (see the module doc).
pub fn retry_soon() {
    if !RETRY.swap(true, Ordering::AcqRel) {
        kick();
    }
}

/// `SIGMN` to each carrier whose running thread has something due now;
/// whether there was one.
fn kick_deferred() -> bool {
    let mut any = false;
    for c in sched::carriers() {
        let t = c.current.load(Ordering::Acquire);
        if !t.is_null() && due_while_running(t) {
            c.kick();
            any = true;
        }
    }
    any
}

fn due_while_running(t: *mut UThread) -> bool {
    // SAFETY: descriptors are type-stable.
    let (s, c) = unsafe { (&(*t).sig, (*t).cancel.load(Ordering::Relaxed)) };
    let cancel = c & (CANCEL_REQUESTED | CANCEL_DISABLED | CANCEL_ACTING | CANCEL_ASYNC) == CANCEL_REQUESTED | CANCEL_ASYNC;
    cancel || s.pending.load(Ordering::Relaxed) & !s.mask.load(Ordering::Relaxed) != 0
}

/// The router waits for `set` again (a thread unblocked those signals or
/// waits for them).
pub fn unpark_signals(set: u64) {
    if PARKED.fetch_and(!set, Ordering::SeqCst) & set != 0 {
        kick();
    }
}

/// The calling thread `t` no longer blocks `set`: those of them the router
/// left pending for the process (parked) it waits for again, and the ones
/// already pending move into `t`'s queue. After the mask store (SeqCst),
/// the other half of the re-read in `route_once`.
pub fn take_parked(t: *mut UThread, set: u64) {
    let parked = parked(set);
    if parked != 0 {
        unpark_signals(parked);
        let _ = take_from_kernel(t, parked);
    }
}

/// Moves the signals of `set` pending for the process — in the kernel (the
/// carrier blocks them, so a zero-timeout `rt_sigtimedwait` dequeues them)
/// or kept in `PROCESS` — into `t`'s queue; whether there was one.
pub fn take_from_kernel(t: *mut UThread, set: u64) -> bool {
    // SAFETY: all-zero is a valid siginfo.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let mut took = false;
    while ksig::take_pending(set, &mut info, Some(0)) > 0 {
        queue::push(t, &info, Origin::Process);
        took = true;
    }
    while let Some(i) = take_process(set) {
        queue::push(t, &i, Origin::Process);
        took = true;
    }
    took
}

/// The calling thread `t` blocked `set` (or ends: all): the signals of it
/// that routing gave `t` and it has not taken yet go to another thread, or
/// back to the process, as if they had just been sent.
pub fn give_back(t: *mut UThread, set: u64) {
    while let Some(info) = queue::take_for_process(t, set) {
        route(&info);
    }
}

/// A thread ends: nothing more is routed to it (its mask is full) and what
/// it was given goes to the others.
pub fn on_exit(t: *mut UThread) {
    // SAFETY: the caller's own descriptor.
    unsafe { (*t).sig.mask.store(!0, Ordering::SeqCst) };
    give_back(t, !0);
}

/// Signals of `set` the router leaves pending in the kernel.
pub fn parked(set: u64) -> u64 {
    PARKED.load(Ordering::SeqCst) & set
}

/// Whether `t` is a live user thread that would take `sig` now.
fn takes(t: *mut UThread, sig: i32) -> bool {
    // SAFETY: slab descriptors are type-stable; the states tell what it is.
    unsafe {
        let state = (*t).join_state.load(Ordering::Acquire);
        let kind = (*t).kind;
        (kind == Kind::User || (kind == Kind::Main && crate::thread::runtime::main_is_user_thread()))
            && (*t).ctx.tp != 0
            && (state == JOINABLE || state == DETACHED)
            && (*t).sig.mask.load(Ordering::SeqCst) & bit(sig) == 0
    }
}

/// A thread to give `sig` to: the main thread if it takes it, else the
/// first that does.
fn taker(sig: i32) -> Option<*mut UThread> {
    let main = crate::thread::runtime::main_thread();
    if takes(main, sig) {
        return Some(main);
    }
    let mut found = None;
    SLAB.for_each(|t| {
        if found.is_none() && takes(t, sig) {
            found = Some(t);
        }
    });
    found
}

/// Gives the process-directed signal `info` to a thread (module doc): the
/// router's work, and a user thread's own `kill` of its process, routed at
/// once so that the signal is where POSIX says before `kill` returns.
pub fn route(info: &libc::siginfo_t) {
    // A signal newly parked by another thread than the router: the router
    // must stop waiting for it first (outside the lock, which the router
    // may be waiting for), then the routing starts again.
    while route_once(info) {
        stop_waiting_for_parked();
    }
}

/// One routing attempt; true if it parked the signal afresh and must wait
/// for the router before going on.
fn route_once(info: &libc::siginfo_t) -> bool {
    let sig = info.si_signo;
    let router = ROUTER_TID.load(Ordering::Acquire);
    // The list is looked at only while someone waits (a waiter registers
    // before it looks at the kernel and its queue, so one registering now
    // finds a signal this routing leaves there).
    if WAITING.load(Ordering::SeqCst) > 0 {
        let given = WAITERS.with(|w| {
            // SAFETY: registered waiters stay registered until they take the lock.
            let t = *w.0.iter().find(|&&t| unsafe { (*t).sig.waiting.load(Ordering::SeqCst) } & bit(sig) != 0)?;
            // Older ones may wait in the kernel: keep the order there.
            if parked(bit(sig)) == 0 || !requeue(info) {
                queue::push(t, info, Origin::Process);
            }
            park::unpark(t);
            Some(())
        });
        if given.is_some() {
            return false;
        }
    }
    if action::ignored(sig) {
        return false;
    }
    let give = |t: *mut UThread| {
        if action::get(sig).handler == libc::SIG_DFL {
            deliver::default_action(sig);
        } else {
            deliver::post(t, info, Origin::Process);
            // The mask is read again after the push (SeqCst), as a thread
            // that blocks the signal or ends reads its queue after its mask
            // store: one of the two gives the signal back.
            if !takes(t, sig) {
                give_back(t, bit(sig));
            }
        }
        false
    };
    if let Some(t) = taker(sig) {
        return give(t);
    }
    let fresh = PARKED.fetch_or(bit(sig), Ordering::SeqCst) & bit(sig) == 0;
    if fresh && router > 0 && router != ksig::gettid() {
        return true;
    }
    if let Some(t) = taker(sig) {
        PARKED.fetch_and(!bit(sig), Ordering::SeqCst);
        return give(t);
    }
    if !requeue(info) {
        PROCESS.with(|p| p.0.push(*info));
    }
    false
}

/// Signals the router took that no thread could take and the kernel
/// cannot be given back as they were (see [`requeue`]): pending for the
/// process here, taken by `take_process`.
static PROCESS: Locked<Held> = Locked::new(Held(Vec::new()));

struct Held(Vec<libc::siginfo_t>);

// SAFETY: plain data.
unsafe impl Send for Held {}

/// Gives `info` back to the kernel, pending for the process; false when the
/// kernel would not take it as it was. The kernel lets a thread queue a
/// signal with `si_code >= 0` only to its own thread id, so a `kill` from
/// this process is sent again as one, and other sources (another process's
/// `kill`, the kernel's own signals) are kept here instead.
fn requeue(info: &libc::siginfo_t) -> bool {
    let code = info.si_code;
    if code < 0 && code != libc::SI_TKILL {
        return ksig::requeue_for_process(info) == 0;
    }
    // SAFETY: the kill fields of an SI_USER siginfo.
    if code == libc::SI_USER && unsafe { info.si_pid() } == ksig::getpid() {
        // SAFETY: plain integers.
        return unsafe { crate::sys::raw::syscall3(libc::SYS_kill, ksig::getpid() as usize, info.si_signo as usize, 0) } == 0;
    }
    false
}

/// Takes a signal of `set` kept for the process (see `PROCESS`).
pub fn take_process(set: u64) -> Option<libc::siginfo_t> {
    PROCESS.with(|p| {
        let i = p.0.iter().position(|i| set & bit(i.si_signo) != 0)?;
        Some(p.0.remove(i))
    })
}

/// The signals kept for the process.
pub fn process_pending() -> u64 {
    PROCESS.with(|p| p.0.iter().fold(0, |s, i| s | bit(i.si_signo)))
}

/// A program signal the kernel delivered to an idle carrier (a fault-type
/// signal another process sent to this one): the main thread's.
pub fn route_later(info: &libc::siginfo_t) {
    deliver::post(crate::thread::runtime::main_thread(), info, Origin::Process);
}

/// Registers the calling thread `t` as waiting for what its `sig.waiting`
/// says: a signal of that set the router takes goes to it first.
pub fn register_waiter(t: *mut UThread) {
    WAITERS.with(|w| w.0.push(t));
    WAITING.fetch_add(1, Ordering::SeqCst);
}

pub fn unregister_waiter(t: *mut UThread) {
    WAITERS.with(|w| w.0.retain(|&x| x != t));
    WAITING.fetch_sub(1, Ordering::SeqCst);
}

/// How many threads are registered in `WAITERS`.
static WAITING: AtomicU64 = AtomicU64::new(0);

/// In a fork child: the parent's router is gone, and so are its waiters.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn restart_in_child() {
    action::forked();
    WAITERS.with(|w| w.0.clear());
    WAITING.store(0, Ordering::Relaxed);
    RETRY.store(false, Ordering::Relaxed);
    ROUTER_TID.store(0, Ordering::Relaxed);
    if crate::thread::runtime::started() {
        start();
    }
}
