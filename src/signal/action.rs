//! The program's dispositions, as `sigaction` set them, and what the
//! kernel is given for each.
//!
//! A program handler (or SIG_DFL/SIG_IGN) is recorded here; the kernel gets
//! [`entry`](super::entry)'s handler for every signal with a program
//! handler, and for SIGSEGV and SIGBUS always (stack-overflow reports),
//! with the program's mask and flags (which count where the kernel itself
//! delivers: threads mnthread does not run; carriers block these signals
//! and delivery applies them to the user thread) — except that faults get
//! SA_NODEFER and an empty mask, so that a fault handler that parks never
//! leaves its carrier's kernel mask changed; SIG_DFL and SIG_IGN go to the
//! kernel as they are, so the
//! kernel discards ignored signals and carries out default actions of
//! signals it delivers itself. SIGCHLD's SA_NOCLDSTOP/SA_NOCLDWAIT reach the
//! kernel, which acts on them when the child changes state.
//!
//! Readers (delivery, possibly in a signal handler) take a snapshot with a
//! sequence count; writers are serialised by `WRITE`.

use core::ffi::c_int;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::sys::lock::Locked;
use crate::sys::signal::{self as ksig, bit, KernelSigaction, INTERNAL, SYNCHRONOUS, UNBLOCKABLE};

/// Highest signal number.
pub const NSIG: c_int = 64;

/// One program action: `handler` is SIG_DFL (0), SIG_IGN (1) or a function.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Action {
    pub handler: usize,
    pub flags: u64,
    pub mask: u64,
    pub restorer: usize,
}

impl Action {
    pub const DEFAULT: Action = Action { handler: libc::SIG_DFL, flags: 0, mask: 0, restorer: 0 };

    pub fn is_handler(&self) -> bool {
        self.handler != libc::SIG_DFL && self.handler != libc::SIG_IGN
    }
}

struct Slot {
    seq: AtomicU32,
    handler: AtomicUsize,
    flags: AtomicU64,
    mask: AtomicU64,
    restorer: AtomicUsize,
}

static SLOTS: [Slot; NSIG as usize + 1] = [const {
    Slot { seq: AtomicU32::new(0), handler: AtomicUsize::new(0), flags: AtomicU64::new(0), mask: AtomicU64::new(0), restorer: AtomicUsize::new(0) }
}; NSIG as usize + 1];
static WRITE: Locked<()> = Locked::new(());

/// The program's action for `sig` (1..=64).
pub fn get(sig: c_int) -> Action {
    let s = &SLOTS[sig as usize];
    loop {
        let seq = s.seq.load(Ordering::Acquire);
        if seq & 1 == 0 {
            let a = Action {
                handler: s.handler.load(Ordering::Relaxed),
                flags: s.flags.load(Ordering::Relaxed),
                mask: s.mask.load(Ordering::Relaxed),
                restorer: s.restorer.load(Ordering::Relaxed),
            };
            core::sync::atomic::fence(Ordering::Acquire);
            if s.seq.load(Ordering::Relaxed) == seq {
                return a;
            }
        }
        core::hint::spin_loop();
    }
}

fn store(sig: c_int, a: &Action) {
    let s = &SLOTS[sig as usize];
    let seq = s.seq.load(Ordering::Relaxed);
    s.seq.store(seq + 1, Ordering::Relaxed);
    core::sync::atomic::fence(Ordering::Release);
    s.handler.store(a.handler, Ordering::Relaxed);
    s.flags.store(a.flags, Ordering::Relaxed);
    s.mask.store(a.mask & !(UNBLOCKABLE | INTERNAL), Ordering::Relaxed);
    s.restorer.store(a.restorer, Ordering::Relaxed);
    s.seq.store(seq + 2, Ordering::Release);
}

/// What the default action of `sig` does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Default {
    Terminate,
    Ignore,
    Stop,
    Continue,
}

pub fn default_of(sig: c_int) -> Default {
    match sig {
        libc::SIGCHLD | libc::SIGURG | libc::SIGWINCH => Default::Ignore,
        libc::SIGCONT => Default::Continue,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => Default::Stop,
        _ => Default::Terminate,
    }
}

/// Whether delivering `sig` now would do nothing (SIG_IGN, or a default
/// that ignores).
pub fn ignored(sig: c_int) -> bool {
    let a = get(sig);
    a.handler == libc::SIG_IGN || (a.handler == libc::SIG_DFL && matches!(default_of(sig), Default::Ignore | Default::Continue))
}

/// Whether a program may name `sig` in `sigaction` (`changing`) or look.
pub fn valid(sig: c_int, changing: bool) -> bool {
    (1..=NSIG).contains(&sig) && INTERNAL & bit(sig) == 0 && !(changing && UNBLOCKABLE & bit(sig) != 0)
}

/// Flags of the program's action the kernel must see.
const KERNEL_FLAGS: u64 = (libc::SA_NOCLDSTOP | libc::SA_NOCLDWAIT) as u64;

/// What the kernel gets for `sig` when the program's action is `a`.
fn kernel_action(sig: c_int, a: &Action) -> KernelSigaction {
    let mine = a.is_handler() || matches!(sig, libc::SIGSEGV | libc::SIGBUS);
    if !mine {
        return KernelSigaction { handler: a.handler, flags: a.flags & KERNEL_FLAGS, restorer: 0, mask: 0 };
    }
    // SA_RESTART, SA_NODEFER, SA_ONSTACK and the mask as the program asked:
    // they count for a kernel thread mnthread does not run (main before the
    // runtime starts, foreign threads), where the kernel delivers itself (blocking
    // the signal meanwhile keeps queued real-time signals in order).
    // Carriers block these signals (delivery to user threads applies the
    // program's mask in user space), except faults: their handlers never
    // block anything in the kernel, since one that parks would leave its
    // carrier's kernel mask changed for the next thread.
    let flags = a.flags & (KERNEL_FLAGS | (libc::SA_RESTART | libc::SA_NODEFER | libc::SA_ONSTACK) as u64);
    if SYNCHRONOUS & bit(sig) != 0 {
        // A fault may be a stack overflow: there is no stack left.
        let flags = (a.flags & (KERNEL_FLAGS | libc::SA_RESTART as u64)) | (libc::SA_ONSTACK | libc::SA_NODEFER) as u64;
        return ksig::handler_action(super::entry::handler_address(), flags, 0);
    }
    ksig::handler_action(super::entry::handler_address(), flags, a.mask & !(INTERNAL | UNBLOCKABLE | SYNCHRONOUS))
}

/// `sigaction` for a valid `sig`: records `new` (if any) and gives the
/// kernel what it needs; the previous action.
pub fn set(sig: c_int, new: Option<Action>) -> Action {
    WRITE.with(|_| {
        let old = get(sig);
        if let Some(a) = new {
            store(sig, &a);
            ksig::set_action(sig, Some(&kernel_action(sig, &a)), None);
        }
        old
    })
}

/// Resets `sig` to SIG_DFL as SA_RESETHAND asks before its handler runs.
pub fn reset_for_delivery(sig: c_int) {
    set(sig, Some(Action::DEFAULT));
}

/// The process id the table belongs to (see [`in_vfork_child`]).
static OWNER: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

/// Whether the caller is a `vfork` child (or a `clone` sharing our memory
/// but not our signal handlers): it shares this table with its parent but
/// has dispositions of its own in the kernel, which are all it may change
/// (CPython's child resets every handler before it execs).
pub fn in_vfork_child() -> bool {
    ksig::getpid() != OWNER.load(Ordering::Relaxed)
}

/// A fork child owns its copy of the table.
pub fn forked() {
    OWNER.store(ksig::getpid(), Ordering::Relaxed);
}

/// Adopts the dispositions the process has (inherited SIG_IGN, handlers
/// installed before this library's constructor): their handlers become the
/// program's actions, behind mnthread's entry point.
pub fn init() {
    forked();
    for sig in 1..=NSIG {
        if !valid(sig, true) {
            continue;
        }
        let k = ksig::action(sig);
        let a = Action { handler: k.handler, flags: k.flags & !ksig::SA_RESTORER, mask: k.mask, restorer: 0 };
        store(sig, &a);
        if a.is_handler() || matches!(sig, libc::SIGSEGV | libc::SIGBUS) {
            ksig::set_action(sig, Some(&kernel_action(sig, &a)), None);
        }
    }
}
