//! Offload: blocking work done by a kernel thread on behalf of a parked
//! user thread. Waits only the kernel can see (process-shared futexes,
//! whose other side is another process) must block *some* kernel thread;
//! it should not be a carrier, which runs everybody else.
//!
//! Protocol: `run` puts a job (on the caller's stack) on the FIFO `QUEUE`,
//! makes sure a worker will take it — wakes an idle one, or creates one
//! with glibc's real `pthread_create` when none is idle — and waits on the
//! job's `Waiter` (parking a user thread). A worker pops a job, runs it and
//! wakes its waiter; the job's memory is not touched after that wake.
//! Workers are never destroyed: each sleeps on `IDLE_WORD` when the queue is
//! empty. Invariant: `idle` counts workers that will look at the queue again
//! without being created, so a job pushed while `idle > 0` (decremented by
//! the pusher, under the lock) is always taken.
//!
//! Workers are plain glibc threads; they run only the job closures (raw
//! system calls, or glibc's own blocking functions), never user code.

use core::ffi::c_void;
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use crate::park::{Wake, Waiter};
use crate::sys::fatal::die;
use crate::sys::lock::Locked;
use crate::sys::raw;
use crate::sys::real::real;

struct Job {
    work: *mut dyn FnMut(),
    waiter: *const Waiter,
    next: *mut Job,
    /// The worker's kernel thread id while it runs the job (0 before,
    /// `DONE` after, `KICKING` while the caller signals it).
    worker: AtomicI32,
}

struct Queue {
    head: *mut Job,
    tail: *mut Job,
    /// Workers sleeping (or about to) that a push may claim.
    idle: usize,
    /// Wake-ups granted to sleeping workers and not yet consumed.
    grants: usize,
}

// SAFETY: jobs are only followed under the lock.
unsafe impl Send for Queue {}

const EMPTY: Queue = Queue { head: core::ptr::null_mut(), tail: core::ptr::null_mut(), idle: 0, grants: 0 };

static QUEUE: Locked<Queue> = Locked::new(EMPTY);
/// Bumped on every grant; idle workers futex-wait on it.
static IDLE_WORD: AtomicU32 = AtomicU32::new(0);

/// Runs `work` on an offload worker while the caller waits (parked if it is
/// a user thread), and returns its result.
pub fn run<R>(work: impl FnOnce() -> R + Send) -> R {
    let mut work = Some(work);
    let mut result: Option<R> = None;
    let mut body = || result = Some((work.take().expect("offload job ran twice"))());
    let body: &mut dyn FnMut() = &mut body;
    let waiter = Waiter::for_current();
    // SAFETY: the job and the closure outlive the worker's use of them: we
    // return only after the worker woke `waiter`, its last access.
    let body: *mut (dyn FnMut() + 'static) = unsafe { core::mem::transmute(body as *mut dyn FnMut()) };
    let mut job = Job { work: body, waiter: &waiter, next: core::ptr::null_mut(), worker: AtomicI32::new(0) };
    let jp: *mut Job = &mut job;
    let spawn = QUEUE.with(|q| {
        if q.tail.is_null() {
            q.head = jp;
        } else {
            // SAFETY: `tail` is a queued job, alive while queued.
            unsafe { (*q.tail).next = jp };
        }
        q.tail = jp;
        if q.idle > 0 {
            q.idle -= 1;
            q.grants += 1;
            false
        } else {
            true
        }
    });
    if spawn {
        spawn_worker();
    } else {
        IDLE_WORD.fetch_add(1, Ordering::Release);
        raw::futex_wake(&IDLE_WORD, 1);
    }
    wait_interruptibly(&waiter, &job.worker);
    result.expect("offload job did not run")
}

/// How often a worker is signalled again while its call goes on after the
/// caller was interrupted (the first signal may come before the call).
const REKICK_NS: u64 = 10_000_000;
const KICKING: i32 = -1;
const DONE: i32 = -2;

/// Waits for the worker's wake-up. When a signal handler (or a
/// cancellation) interrupts the caller meanwhile, the worker's call is
/// interrupted too: asked to abandon it, the worker gets `SIGMN`, whose
/// handler makes the blocking system call return EINTR even where the
/// kernel would restart it (`sys::signal::abandon_call`) — again every
/// `REKICK_NS` until it returns (a signal may come just before the call).
fn wait_interruptibly(waiter: &Waiter, worker: &AtomicI32) {
    let t = crate::sched::current_user().map(|(_, t)| t);
    let mut interrupted = false;
    // What interrupted the caller, kept across the waits (each clears it).
    let mut why = 0;
    loop {
        let deadline = interrupted.then(|| crate::sys::time::now() + REKICK_NS);
        let r = waiter.wait_for(deadline, t.is_some());
        if let Some(t) = t {
            why |= crate::park::interruption(t);
        }
        match r {
            Wake::Woken => {
                if let Some(t) = t {
                    // SAFETY: the caller's own descriptor.
                    unsafe { (*t).sig.interrupted.fetch_or(why, Ordering::Relaxed) };
                }
                return;
            }
            Wake::Interrupted | Wake::TimedOut => {
                interrupted = true;
                let tid = worker.load(Ordering::Acquire);
                // The worker cannot leave the job (and take another, which
                // the signal would then interrupt) while we signal it.
                if tid > 0 && worker.compare_exchange(tid, KICKING, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                    crate::sys::signal::ask_to_abandon(tid);
                    crate::sys::signal::tgkill(tid, crate::sys::signal::SIGMN);
                    worker.store(tid, Ordering::Release);
                }
            }
        }
    }
}

fn spawn_worker() {
    let mut t: libc::pthread_t = 0;
    // SAFETY: the real pthread_create; the worker takes no argument.
    let r = unsafe { (real().pthread_create)(&mut t, core::ptr::null(), worker_main, core::ptr::null_mut()) };
    if r != 0 {
        die(&["cannot create an offload kernel thread (resources exhausted)"]);
    }
}

extern "C" fn worker_main(_: *mut c_void) -> *mut c_void {
    // A new kernel thread inherits its creator's %gs: it is not a carrier.
    crate::arch::set_gs_base(0);
    // SIGMN gets through: it interrupts a call for an interrupted caller.
    crate::sys::signal::thread_mask(libc::SIG_SETMASK, Some(crate::sys::signal::HELPER_MASK));
    let me = crate::sys::signal::gettid();
    loop {
        let seen = IDLE_WORD.load(Ordering::Acquire);
        let job = QUEUE.with(|q| {
            let j = q.head;
            if j.is_null() {
                q.idle += 1;
            } else {
                // SAFETY: queued jobs are alive while queued.
                q.head = unsafe { (*j).next };
                if q.head.is_null() {
                    q.tail = core::ptr::null_mut();
                }
            }
            j
        });
        if job.is_null() {
            idle_wait(seen);
            continue;
        }
        // SAFETY: the job's owner waits until we wake its waiter below.
        let (work, waiter) = unsafe { ((*job).work, (*job).waiter) };
        // SAFETY: as above.
        unsafe { (*job).worker.store(me, Ordering::Release) };
        // SAFETY: as above: the closure is alive and only we run it.
        unsafe { (*work)() };
        // SAFETY: as above.
        let w = unsafe { &(*job).worker };
        while w.compare_exchange(me, DONE, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            core::hint::spin_loop();
        }
        crate::sys::signal::withdraw_abandon(me);
        // SAFETY: the waiter is still waiting (for exactly this wake-up).
        unsafe { Waiter::wake(waiter) };
    }
}

/// Sleeps until a push grants this idle worker a wake-up.
fn idle_wait(mut seen: u32) {
    loop {
        let granted = QUEUE.with(|q| {
            if q.grants > 0 {
                q.grants -= 1;
                true
            } else {
                false
            }
        });
        if granted {
            return;
        }
        raw::futex_wait(&IDLE_WORD, seen, None);
        seen = IDLE_WORD.load(Ordering::Acquire);
    }
}

/// Forgets the parent's workers in a fork child (they did not survive).
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    // SAFETY: forwarded.
    unsafe { QUEUE.reset_to(EMPTY) };
}
