//! Starting the runtime, and finding out who is calling.
//!
//! `init` (the library constructor) only resolves glibc entry points, reads
//! the TCB layout and describes the main thread: a program that never
//! creates a thread pays nothing more. The first `pthread_create` calls
//! `start`, which
//! 1. creates the carriers with glibc's real `pthread_create` (this also
//!    makes glibc itself multi-threaded: `__libc_single_threaded` cleared,
//!    internal locks atomic);
//! 2. if it runs on the main thread, turns main into a user thread: main's
//!    registers are saved, main's kernel thread moves to a small private
//!    stack, queues main's context for the carriers and sleeps for good with
//!    every signal blocked but the set*id broadcast's (`sys::setxid`: its
//!    credentials must follow the process's). From then on main is
//!    scheduled like any thread, on the process stack and glibc's main TCB.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use crate::arch;
use crate::arch::switch::{new_context, switch_to};
use crate::mem::stack::Stack;
use crate::mem::tcb;
use crate::sched::{self, Carrier};
use crate::sys::fatal::die;
use crate::sys::lock::Locked;
use crate::sys::raw;
use crate::sys::signal as ksig;
use crate::sys::real::real;
use crate::mem::uthread::{Kind, UThread};
use crate::thread::pool;

static MAIN: AtomicUsize = AtomicUsize::new(0);
static STARTED: AtomicBool = AtomicBool::new(false);
static START_LOCK: Locked<()> = Locked::new(());
/// User threads alive, main included; the last one to exit ends the process.
pub static LIVE: AtomicUsize = AtomicUsize::new(1);

pub struct Config {
    pub carriers: usize,
    /// Most carriers, spares included (MNTHREAD_MAX_CARRIERS).
    pub max_carriers: usize,
    /// Default stack size (RLIMIT_STACK, as glibc, unless MNTHREAD_STACK_SIZE).
    pub stack_size: usize,
}

/// MNTHREAD_MAX_CARRIERS unless set (never below MNTHREAD_CARRIERS): spares
/// for carriers blocked in calls mnthread cannot see (`sched::monitor`).
const DEFAULT_MAX_CARRIERS: usize = 256;

static mut CONFIG: Config = Config { carriers: 1, max_carriers: 1, stack_size: 8 << 20 };

pub fn config() -> &'static Config {
    // SAFETY: written once in `init`, before any other thread exists.
    unsafe { &*core::ptr::addr_of!(CONFIG) }
}

fn env_usize(name: &core::ffi::CStr) -> Option<usize> {
    // SAFETY: getenv with a NUL-terminated name; the result is read at once.
    let v = unsafe { libc::getenv(name.as_ptr()) };
    if v.is_null() {
        return None;
    }
    // SAFETY: getenv returns a NUL-terminated string.
    let s = unsafe { core::ffi::CStr::from_ptr(v) }.to_str().ok()?.trim();
    let (num, mul) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1 << 10),
        b'm' | b'M' => (&s[..s.len() - 1], 1 << 20),
        b'g' | b'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<usize>().ok().map(|n| n * mul)
}

/// glibc's default thread stack size: RLIMIT_STACK, 2 MiB if unlimited,
/// at least PTHREAD_STACK_MIN, page-rounded.
fn glibc_default_stack() -> usize {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into `rl`.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_STACK, &mut rl) } == 0;
    let size = if !ok || rl.rlim_cur == libc::RLIM_INFINITY { 2 << 20 } else { rl.rlim_cur as usize };
    crate::mem::page_round_up(size.max(libc::PTHREAD_STACK_MIN))
}

fn online_cpus() -> usize {
    let mut set = [0u8; 1024];
    if crate::thread::affinity::kernel_mask(0, &mut set) == 0 {
        let n = set.iter().map(|b| b.count_ones() as usize).sum();
        if n > 0 {
            return n;
        }
    }
    1
}

/// Library constructor work: cheap, no threads.
pub fn init() {
    if MAIN.load(Ordering::Acquire) != 0 {
        return;
    }
    sched::register_off_carrier(off_carrier);
    crate::sys::real::resolve();
    crate::sys::lock::init();
    let fallbacks = env_usize(c"MNTHREAD_FALLBACKS").is_some_and(|v| v != 0);
    arch::init(fallbacks);
    if fallbacks {
        crate::mem::stack::use_mprotect_guards();
    }
    tcb::init();
    // SAFETY: single-threaded here (constructor); CONFIG is read only later.
    unsafe {
        let c = &mut *core::ptr::addr_of_mut!(CONFIG);
        c.carriers = env_usize(c"MNTHREAD_CARRIERS").filter(|&n| n > 0).unwrap_or_else(online_cpus).min(sched::MAX_CARRIERS);
        c.max_carriers = env_usize(c"MNTHREAD_MAX_CARRIERS").unwrap_or(DEFAULT_MAX_CARRIERS).clamp(c.carriers, sched::MAX_CARRIERS);
        c.stack_size = env_usize(c"MNTHREAD_STACK_SIZE")
            .map(|s| crate::mem::page_round_up(s.max(libc::PTHREAD_STACK_MIN)))
            .unwrap_or_else(glibc_default_stack);
    }
    let main = crate::mem::uthread::SLAB.alloc().unwrap_or_else(|| die(&["out of memory at start-up"]));
    // SAFETY: a fresh zeroed descriptor; fill in the main thread.
    unsafe {
        (*main).kind = Kind::Main;
        (*main).ctx.tp = arch::thread_pointer();
        (*main).stack = Stack::NONE;
        (*main).name.set(pool::process_name());
    }
    MAIN.store(main as usize, Ordering::Release);
}

pub fn main_thread() -> *mut UThread {
    let m = MAIN.load(Ordering::Acquire);
    if m == 0 {
        init();
        return MAIN.load(Ordering::Acquire) as *mut UThread;
    }
    m as *mut UThread
}

pub fn started() -> bool {
    STARTED.load(Ordering::Acquire)
}

/// Starts the carriers (once) and adopts the main thread if it is the caller.
/// `Err(EAGAIN)` when not even one carrier could be made (memory or threads
/// ran out, as glibc's `pthread_create` reports it); nothing has changed
/// then, and a later call tries again. If only some carriers could be made,
/// the runtime runs on those.
pub fn start() -> Result<(), i32> {
    if started() {
        return Ok(());
    }
    let main = main_thread();
    let hibernate_stack = START_LOCK.with(|_| {
        if started() {
            return Ok(None);
        }
        // SAFETY: MAIN is a valid descriptor.
        let on_main = arch::thread_pointer() == unsafe { (*main).ctx.tp };
        // Everything that can fail comes before what cannot be undone.
        let stack = if on_main { Some(map_hibernate_stack().ok_or(libc::EAGAIN)?) } else { None };
        let unmap = |stack: Option<usize>| {
            if let Some(s) = stack {
                // SAFETY: our own mapping, not yet used.
                unsafe { raw::munmap(s, HIBERNATE_STACK) };
            }
        };
        crate::park::init();
        // The kernel threads made below start with every program signal
        // blocked (each then keeps its own constant mask, `sys::signal`).
        let starter_mask = ksig::thread_mask(libc::SIG_SETMASK, Some(ksig::HELPER_MASK));
        if on_main {
            // SAFETY: MAIN is a valid descriptor; nothing else runs on it yet.
            unsafe { (*main).sig.mask.store(starter_mask & !ksig::INTERNAL, Ordering::Relaxed) };
        }
        let restore = || ksig::thread_mask(libc::SIG_SETMASK, Some(starter_mask));
        let Some(cs) = sched::create_carriers(config().carriers, config().max_carriers) else {
            restore();
            unmap(stack);
            return Err(libc::EAGAIN);
        };
        let mut running = 0;
        for c in cs {
            if !spawn_carrier(c) {
                break;
            }
            running += 1;
        }
        if running == 0 {
            restore();
            unmap(stack);
            return Err(libc::EAGAIN);
        }
        sched::keep_carriers(running);
        sched::register_spawn(spawn_carrier);
        if config().max_carriers > running {
            sched::monitor::start();
        }
        run_start_hook();
        restore();
        sched::stats::init();
        STARTED.store(true, Ordering::Release);
        Ok(stack)
    })?;
    if let Some(stack) = hibernate_stack {
        adopt_main(main, stack);
    }
    Ok(())
}

static START_HOOK: AtomicUsize = AtomicUsize::new(0);

/// Registers what a higher layer starts with the runtime (the signal
/// router), run once the carriers exist.
pub fn register_start_hook(f: fn()) {
    START_HOOK.store(f as usize, Ordering::Release);
}

fn run_start_hook() {
    let f = START_HOOK.load(Ordering::Acquire);
    if f != 0 {
        // SAFETY: only `register_start_hook` stores non-zero values, each a fn().
        unsafe { core::mem::transmute::<usize, fn()>(f)() };
    }
}

/// Starts the kernel thread of carrier `c` (at start-up, and for the
/// monitor's spares); false if glibc could not make one.
fn spawn_carrier(c: &'static Carrier) -> bool {
    let mut t: libc::pthread_t = 0;
    // What glibc's pthread_attr_init makes, detached: nobody joins a carrier.
    let mut attr = crate::thread::attr::Attr::ZERO;
    attr.guardsize = crate::mem::PAGE;
    attr.flags = crate::thread::attr::FLAG_DETACHSTATE;
    // SAFETY: the real pthread_create with glibc's attribute layout and a
    // start routine that takes the (never freed) carrier as its argument.
    unsafe {
        (real().pthread_create)(&mut t, &attr as *const _ as *const libc::pthread_attr_t, carrier_main, c as *const Carrier as *mut _) == 0
    }
}

extern "C" fn carrier_main(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the carrier passed by `spawn_carrier`, alive forever.
    let c: &'static Carrier = unsafe { &*(arg as *const Carrier) };
    let tp = arch::thread_pointer();
    // Before any lock: this kernel thread's own TCB counts its runtime
    // locks, which a forker finds through `c.idle` (`sys::lock`).
    // SAFETY: our own glibc TCB, holding no lock; only this carrier writes
    // its idle context.
    unsafe {
        crate::sys::lock::mark_context(tp);
        (*c.idle.get()).tp = tp;
    }
    sched::carrier_started(c);
    arch::set_gs_base(c as *const Carrier as usize);
    // The kernel mask every carrier keeps (see `sys::signal`).
    ksig::thread_mask(libc::SIG_SETMASK, Some(ksig::CARRIER_MASK));
    let alt = crate::thread::overflow::install_altstack();
    c.set_altstack(alt.ss_sp as usize, alt.ss_size);
    sched::idle_loop(c);
    // A bound carrier's kernel thread whose state its thread changed ends
    // here (detached: glibc reclaims it); its slot is free once we are off it.
    crate::thread::overflow::remove_altstack(alt);
    // glibc may free this TCB or give it to a thread of its own: a forker
    // must not look at it any more.
    // SAFETY: our own TCB and idle context; no lock is held here.
    unsafe {
        crate::sys::lock::unmark_context(tp);
        core::ptr::write_volatile(core::ptr::addr_of_mut!((*c.idle.get()).tp), 0);
    }
    crate::sys::lock::leave_before_fork();
    sched::bound::slot_freed(c);
    core::ptr::null_mut()
}

const HIBERNATE_STACK: usize = 64 * 1024;
static HIBERNATE_WORD: AtomicU32 = AtomicU32::new(0);

/// A private stack for the main kernel thread's last days.
fn map_hibernate_stack() -> Option<usize> {
    // SAFETY: a fresh private anonymous mapping.
    let stack = unsafe {
        raw::mmap(0, HIBERNATE_STACK, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS)
    };
    (stack >= 0).then_some(stack as usize)
}

static MAIN_ADOPTED: AtomicBool = AtomicBool::new(false);

/// Whether the main thread runs on the carriers (it started the runtime).
pub fn main_is_user_thread() -> bool {
    MAIN_ADOPTED.load(Ordering::Acquire)
}

/// Moves the running main thread onto the carriers (see module docs).
fn adopt_main(main: *mut UThread, stack: usize) {
    MAIN_ADOPTED.store(true, Ordering::Release);
    // Its CPU time so far is the main kernel thread's.
    // SAFETY: main's own descriptor.
    unsafe { (*main).cpu_before_ns.store(crate::sys::time::clock_ns(libc::CLOCK_THREAD_CPUTIME_ID), Ordering::Relaxed) };
    // SAFETY: the new context is fresh; main's registers are saved into its
    // descriptor, and it is queued only by `hibernate`, after the switch.
    unsafe {
        let sp = new_context(stack + HIBERNATE_STACK, hibernate, 0, hibernate_returned, arch::fp_control());
        let h = switch_to(&mut (*main).ctx.sp, sp, (*main).ctx.tp, main as usize);
        sched::finish(h);
    }
}

/// The main kernel thread's new life: hand main's context to the carriers,
/// then sleep with every signal blocked (so signals go to carriers) but
/// `SIGSETXID`, whose handler returns to this sleep.
unsafe extern "C" fn hibernate(main: usize, _: usize) -> crate::arch::switch::Routine {
    raw::block_all_signals();
    // Main's TCB will count the runtime locks of main's user thread
    // (`sys::lock`), which may run before the hand-over below is done: the
    // hand-over counts its own on a TCB of its own. Without one, main's
    // locks stay counted in the shared word.
    let main_tp = arch::thread_pointer();
    let own = crate::mem::tcb::build();
    if let Some(tp) = own {
        // SAFETY: main's TCB; main's user thread is suspended and holds no lock.
        unsafe { crate::sys::lock::mark_context(main_tp) };
        arch::set_thread_pointer(tp);
    }
    sched::global::push(main as *mut UThread);
    sched::idle::notify();
    if own.is_some() {
        // No more locks here (the SIGSETXID handler takes none).
        arch::set_thread_pointer(main_tp);
    }
    loop {
        raw::futex_wait(&HIBERNATE_WORD, 0, None);
    }
}

/// `hibernate` never returns a routine; its context's exit is never reached.
extern "C" fn hibernate_returned(_: *mut core::ffi::c_void) -> ! {
    crate::sys::fatal::die(&["the main thread's hibernation returned"])
}

/// [`sched::current`] for entry points that may run before the library's
/// constructor (another library's constructor calling in): it initialises
/// first, so the off-carrier identity is registered.
#[inline]
pub fn current() -> *mut UThread {
    if sched::current_user().is_none() {
        main_thread();
    }
    sched::current()
}

/// The descriptor of a caller that is not a user thread on a carrier: main
/// (before it moves onto the carriers), or a foreign kernel thread's (made
/// on first need). Registered as the scheduler's off-carrier identity.
fn off_carrier() -> *mut UThread {
    let main = main_thread();
    let tp = arch::thread_pointer();
    // SAFETY: MAIN is a valid descriptor.
    if unsafe { (*main).ctx.tp } == tp {
        return main;
    }
    crate::thread::foreign::lookup(tp)
}
