//! Thread lifecycle: create, run, exit, join, detach.
//!
//! Create takes a descriptor from the pool (its TCB recycled, its stack
//! reused when the size fits) or builds one, lays out a first frame
//! that enters `thread_start`, and makes it runnable as this carrier's
//! `runnext` — the creator keeps running, and a creator that then joins
//! hands its carrier straight to the new thread.
//!
//! Exit runs, on the exiting thread: C++/Rust `thread_local` destructors
//! (`__call_tls_dtors`), then key destructors, then resets the thread's
//! locale. Then it switches away with the `finish_exit` continuation — straight to its
//! joiner if that one is parked — and `finish_exit`, on the next context,
//! publishes EXITED and wakes the joiner (one waiter slot in the
//! descriptor: POSIX allows one joiner), or reaps a detached thread — only
//! then is its stack free to reuse. When the last thread exits, the process
//! exits with status 0, as with glibc. `pthread_exit` gets here after
//! unwinding the thread's stack (see `unwind`).

use core::ffi::c_void;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::arch;
use crate::arch::switch::{new_context, Routine};
use crate::mem::stack::{self, Stack, StackKind};
use crate::mem::tcb;
use crate::park::{self, Wake, Waiter};
use crate::park::state as park_state;
use crate::thread::runtime::{self, LIVE};
use crate::sched::{self, Continuation};
use crate::sys::real::{real, StartRoutine};
use crate::mem::uthread::{CpuMask, Kind, SchedInfo, UThread, DETACHED, EXITED, FREE, INTR_CANCEL, JOINABLE};
use crate::thread::pool;

/// What `pthread_create` was asked for, validated.
pub struct Spawn {
    pub stack_size: usize,
    pub guard: usize,
    /// A program-supplied stack `[low, low + stack_size)`.
    pub user_stack: Option<usize>,
    pub detached: bool,
    pub sched: SchedInfo,
    /// `pthread_attr_setsigmask_np`'s mask; None: the creator's.
    pub sigmask: Option<u64>,
    /// A kernel thread of its own (`PTHREAD_SCOPE_SYSTEM`, or a CPU mask).
    pub bound: bool,
    /// `pthread_attr_setaffinity_np`'s mask (the kernel's `cpu_set_t`).
    pub affinity: Option<Vec<u8>>,
}

/// Creates a thread running `start(arg)`. `Err(EAGAIN)` when memory runs out.
pub fn create(spawn: &Spawn, start: StartRoutine, arg: *mut c_void) -> Result<*mut UThread, i32> {
    runtime::start()?;
    if !sched::timer::reserve(LIVE.load(Ordering::Relaxed) + 1) {
        return Err(libc::EAGAIN);
    }
    let t = pool::take().ok_or(libc::EAGAIN)?;
    // SAFETY: `t` is ours alone until it is made runnable below.
    unsafe {
        let tr = &mut *t;
        if tr.ctx.tp == 0 {
            tr.ctx.tp = tcb::build().ok_or_else(|| {
                pool::give_back(t);
                libc::EAGAIN
            })?;
        } else {
            tcb::recycle(tr.ctx.tp);
        }
        // The cached slot is either reused or handed back by choose_stack.
        let cached = core::mem::replace(&mut tr.stack, Stack::NONE);
        let st = match choose_stack(cached, spawn) {
            Some(s) => s,
            None => {
                pool::give_back(t);
                return Err(libc::EAGAIN);
            }
        };
        tr.stack = st;
        tcb::set_stack(tr.ctx.tp, st.base + st.guard, st.top - st.base - st.guard);
        tr.kind = Kind::User;
        tr.start = Some(start);
        tr.arg = arg;
        tr.retval = core::ptr::null_mut();
        tr.cleanup = core::ptr::null_mut();
        tr.sched.set(spawn.sched);
        tr.joiner.store(core::ptr::null_mut(), Ordering::Relaxed);
        tr.park_state.store(0, Ordering::Relaxed);
        tr.sig.mask.store(spawn.sigmask.unwrap_or_else(creator_mask), Ordering::Relaxed);
        tr.sig.pending.store(0, Ordering::Relaxed);
        tr.sig.waiting.store(0, Ordering::Relaxed);
        tr.sig.interrupted.store(0, Ordering::Relaxed);
        tr.sig.altstack_base = 0;
        tr.sig.altstack_size = 0;
        tr.cancel.store(0, Ordering::Relaxed);
        tr.in_cancel_point.store(false, Ordering::Relaxed);
        tr.cpu_ticks.store(0, Ordering::Relaxed);
        tr.cpu_before_ns.store(0, Ordering::Relaxed);
        tr.name.set(pool::process_name());
        tr.join_state.store(if spawn.detached { DETACHED } else { JOINABLE }, Ordering::Relaxed);
        tr.ctx.sp = new_context(st.top, thread_start, t as usize, mnthread_context_return, arch::fp_control());
    }
    if spawn.bound {
        if let Err(e) = sched::bound::spawn_bound(t) {
            // `t` never ran: its stack and descriptor go back.
            pool::give_back(t);
            return Err(e);
        }
        if let Some(bytes) = &spawn.affinity {
            // Applied by the thread itself before its start routine runs.
            sched::bound::set_pending(t, CpuMask { bytes: bytes.clone() });
        }
    }
    sched::stats::count_created();
    if LIVE.fetch_add(1, Ordering::Relaxed) == 1 {
        // SAFETY: libc's flag; glibc clears it in its own pthread_create.
        unsafe { *real().libc_single_threaded = 0 };
    }
    sched::ready(t, true);
    Ok(t)
}

/// The signal mask a new thread inherits: its creator's (a user thread's
/// own word, else the kernel thread's mask).
fn creator_mask() -> u64 {
    match sched::current_user() {
        // SAFETY: the caller's own descriptor.
        Some((_, me)) => unsafe { (*me).sig.mask.load(Ordering::Relaxed) },
        None => crate::sys::signal::thread_mask(libc::SIG_BLOCK, None) & !crate::sys::signal::INTERNAL,
    }
}

/// The stack `spawn` asks for: the program's own, a default-size arena
/// slot (the one `cached` with the descriptor, if any), or a mapping of its
/// own. A cached slot that does not fit goes back to the slot cache.
fn choose_stack(cached: Stack, spawn: &Spawn) -> Option<Stack> {
    let arena = spawn.user_stack.is_none() && spawn.stack_size == runtime::config().stack_size && spawn.guard == crate::mem::PAGE;
    if cached.kind == StackKind::Arena {
        if arena {
            return Some(cached);
        }
        stack::release(&cached);
    }
    if let Some(low) = spawn.user_stack {
        Some(Stack { base: low, guard: 0, top: low + spawn.stack_size, kind: StackKind::User })
    } else if arena {
        stack::alloc_arena(spawn.stack_size, spawn.guard)
    } else {
        stack::alloc_mapped(spawn.stack_size, spawn.guard)
    }
}

/// First code of every user thread: finish the switch that started it,
/// set up what glibc's thread start would, and hand back the thread's start
/// routine, which `mnthread_context_start` calls.
unsafe extern "C" fn thread_start(handover: usize, t: usize) -> Routine {
    sched::finish(handover);
    let t = t as *mut UThread;
    // A signal sent before the thread first ran, or a cancellation.
    park::on_resume(t);
    // SAFETY: we are thread `t`, on its TCB; glibc's thread start does the same.
    unsafe {
        (real().ctype_init)();
        Routine { routine: (*t).start.expect("thread without start routine"), arg: (*t).arg }
    }
}

/// Where a thread's start routine returns to.
pub extern "C" fn mnthread_context_return(retval: *mut c_void) -> ! {
    exit_current(retval)
}

static EXIT_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Registers what a higher layer does for a thread that ends, on that
/// thread, before its signals are dropped (the signal layer gives back
/// the process's signals it was given).
pub fn register_exit_hook(f: fn(*mut UThread)) {
    EXIT_HOOK.store(f as usize, Ordering::Release);
}

/// Ends the calling thread with `retval` (pthread_exit for mnthread's threads).
pub fn exit_current(retval: *mut c_void) -> ! {
    let t = sched::current();
    let hook = EXIT_HOOK.load(Ordering::Acquire);
    if hook != 0 {
        // SAFETY: only `register_exit_hook` stores non-zero values, each a fn(*mut UThread).
        unsafe { core::mem::transmute::<usize, fn(*mut UThread)>(hook)(t) };
    }
    // SAFETY: `t` is the calling thread's descriptor.
    unsafe {
        (*t).sig.discard_all();
        (*t).retval = retval;
        if (*t).kind != Kind::Main {
            (real().call_tls_dtors)();
        }
        crate::thread::exit::release_thread_state(t);
        libc::uselocale(-1isize as libc::locale_t); // LC_GLOBAL_LOCALE
    }
    if LIVE.fetch_sub(1, Ordering::AcqRel) == 1 {
        // SAFETY: the last thread: end the process as glibc does.
        unsafe { libc::exit(0) };
    }
    let (c, cur) = sched::current_user().expect("exiting thread is not on a carrier");
    // A bound carrier is handed to nobody: it waits for its next thread.
    let bound = sched::bound::release_on_exit(t);
    // A joiner parked on us runs next, directly: claiming it from PARKED
    // makes us its only waker, and `finish_exit` on its stack wakes it.
    // SAFETY: `t == cur`; descriptors are type-stable.
    let joiner = unsafe { (*t).joiner.load(Ordering::Acquire) };
    // SAFETY: `cur` runs on `c` and never resumes; a claimed joiner is ours to run.
    unsafe {
        if !bound && !joiner.is_null() && park_state::claim_parked(&(*joiner).park_state) {
            sched::switch_thread(c, cur, joiner, FINISH_EXIT);
        } else {
            sched::switch_away(c, cur, FINISH_EXIT);
        }
    }
    unreachable!("an exited thread was resumed")
}

const FINISH_EXIT: Continuation = Continuation { run: finish_exit, arg: 0 };

/// After `t` switched away for good: publish its end and wake its joiner,
/// or reap it.
fn finish_exit(t: *mut UThread, _: usize) {
    // SAFETY: `t` has exited and its context is saved: nothing runs on it.
    let tr = unsafe { &*t };
    match tr.join_state.compare_exchange(JOINABLE, EXITED, Ordering::SeqCst, Ordering::Acquire) {
        Ok(_) => {
            let w = tr.join_waiter.swap(core::ptr::null_mut(), Ordering::SeqCst);
            if !w.is_null() {
                // SAFETY: taking the waiter from the slot makes us its one
                // waker; the joiner waits for us before it returns.
                unsafe { Waiter::wake(w as *const Waiter) };
            }
        }
        Err(_) => reap(t),
    }
}

fn reap(t: *mut UThread) {
    // SAFETY: the thread has ended and nobody else reaps it (join_state).
    if unsafe { (*t).kind } == Kind::User {
        pool::give_back(t);
    }
}

/// Join with an optional deadline; `try_only` for pthread_tryjoin_np.
pub fn join(t: *mut UThread, deadline: Option<u64>, try_only: bool) -> Result<*mut c_void, i32> {
    let me = sched::current();
    if t == me {
        return Err(libc::EDEADLK);
    }
    // SAFETY: descriptors are type-stable; states tell what it is.
    let tr = unsafe { &*t };
    match tr.join_state.load(Ordering::Acquire) {
        FREE => return Err(libc::ESRCH),
        DETACHED => return Err(libc::EINVAL),
        _ => {}
    }
    if tr.kind == Kind::Foreign {
        return Err(libc::EINVAL);
    }
    if try_only {
        if tr.join_state.load(Ordering::Acquire) != EXITED {
            return Err(libc::EBUSY);
        }
    } else {
        // SAFETY: `me` is the caller's descriptor.
        if unsafe { (*me).joiner.load(Ordering::Acquire) } == t {
            return Err(libc::EDEADLK);
        }
        if tr.joiner.compare_exchange(core::ptr::null_mut(), me, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return Err(libc::EINVAL);
        }
        if let Err(e) = wait_for_exit(tr, deadline) {
            tr.joiner.store(core::ptr::null_mut(), Ordering::Release);
            return Err(e);
        }
    }
    if tr.join_state.compare_exchange(EXITED, FREE, Ordering::AcqRel, Ordering::Acquire).is_err() {
        return Err(libc::ESRCH);
    }
    let r = tr.retval;
    tr.joiner.store(core::ptr::null_mut(), Ordering::Relaxed);
    reap(t);
    Ok(r)
}

/// Sleeps until `t` has exited, or `deadline` passes (ETIMEDOUT), or the
/// caller is to act on a cancellation (ECANCELED; signal handlers that run
/// meanwhile do not end the wait).
///
/// Protocol with `finish_exit` (Dekker, all SeqCst): the joiner publishes
/// its waiter, then reads the state; the exiter publishes EXITED, then takes
/// the waiter. So either the exiter finds the waiter (and wakes it), or the
/// joiner sees EXITED. Whoever takes the waiter out of the slot owns the
/// wake-up: a joiner that cannot take it back must wait for that wake-up,
/// since the waiter lives on its stack.
fn wait_for_exit(tr: &UThread, deadline: Option<u64>) -> Result<(), i32> {
    let waiter = Waiter::for_current();
    let wp = &waiter as *const Waiter as *mut Waiter;
    tr.join_waiter.store(wp.cast(), Ordering::SeqCst);
    let mut ended = Ok(());
    if tr.join_state.load(Ordering::SeqCst) != EXITED {
        let me = sched::current();
        ended = loop {
            match waiter.wait_for(deadline, true) {
                Wake::Woken => break Ok(()),
                Wake::TimedOut => break Err(libc::ETIMEDOUT),
                Wake::Interrupted if park::interruption(me) & INTR_CANCEL != 0 => break Err(libc::ECANCELED),
                Wake::Interrupted => {}
            }
        };
    }
    if tr.join_waiter.compare_exchange(wp.cast(), core::ptr::null_mut(), Ordering::SeqCst, Ordering::SeqCst).is_err() {
        // The exiter took the waiter: its wake-up is on the way.
        waiter.wait(None);
        return Ok(());
    }
    ended
}

pub fn detach(t: *mut UThread) -> Result<(), i32> {
    // SAFETY: type-stable descriptor.
    let tr = unsafe { &*t };
    match tr.join_state.compare_exchange(JOINABLE, DETACHED, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(()),
        Err(EXITED) => {
            if tr.join_state.compare_exchange(EXITED, FREE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                reap(t);
            }
            Ok(())
        }
        Err(FREE) => Err(libc::ESRCH),
        Err(_) => Err(libc::EINVAL),
    }
}
