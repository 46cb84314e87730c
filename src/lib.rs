//! # mnthread — M:N POSIX threads for Linux x86_64 / glibc
//!
//! Loaded with `LD_PRELOAD` or linked with `-lmnthread`, mnthread replaces
//! glibc's pthreads: every thread a program creates is a *user thread* (its
//! own stack and glibc-compatible TCB, so errno, `__thread` and C++
//! `thread_local` are its own) run by a few kernel *carrier* threads.
//! Blocking in join, locks, sleeps and I/O parks only the user thread; the
//! carrier runs another. Signals, masks and cancellation are per user
//! thread, as POSIX says.
//!
//! The folder tree is the layer diagram. Each layer uses only the ones
//! listed before it (`make test` checks it with `tools/check_layers.py`);
//! lower layers reach higher ones only through what those register with
//! them — continuations handed to a switch, work sources polled by the
//! scheduler, the off-carrier identity, the resume check:
//! 1. [`sys`] — raw syscalls, resolved glibc entry points, locks, time,
//!    errno, fatal errors, the set*id broadcast.
//! 2. [`arch`] — context switch, `%fs`/`%gs` bases, floating-point state.
//! 3. [`mem`] — the runtime's heap, stacks, TCBs, the type-stable slab and
//!    the thread descriptor (plain data every layer above keeps state in).
//! 4. [`sched`] — carriers, run queues, stealing, idle sleep, the timer
//!    heap; "who am I" ([`sched::current`]).
//! 5. [`park`] — the park state word, parking, the address-keyed lot,
//!    offload of blocking kernel calls.
//! 6. [`sync`] — mutexes, conds, rwlocks, barriers, spinlocks, semaphores,
//!    the futex emulation and its syscall decoding.
//! 7. [`thread`] — initialisation and start-up, attributes and defaults,
//!    create/exit/join, the descriptor pool, foreign threads, keys,
//!    unwinding, stack-overflow reports.
//! 8. [`io`] — blocking calls that park only the caller: sleeps, reads and
//!    writes on the poller, the waits offload workers make in the kernel.
//! 9. [`signal`] — per-thread masks and pending signals, dispositions, the
//!    router of process-directed signals, delivery, `sigwait`.
//! 10. [`cancel`] — cancellation requests and points, through the unwinder.
//! 11. [`fork`] — the fork-handler registry and the fork protocol.
//! 12. [`abi`] — the exported C symbols: checked conversions, nothing else.
//!
//! The design — the picture, the rules, each protocol's invariants, the
//! alternatives rejected and the glibc facts relied on — is docs/DESIGN.md.
//!
//! Rules: the runtime keeps no state in `%fs` TLS (no Rust thread-locals), never
//! calls libc's pthread or futex entry points (they are mnthread's own
//! exports), and never holds a `RawLock` across a context switch.

// Thread descriptors (`*mut UThread`) live in type-stable slab memory (see
// `mem::slab`): any such pointer may be dereferenced, which is the point of
// that design, so functions taking one are not `unsafe fn`.
#![allow(clippy::not_unsafe_ptr_arg_deref)]
// Every unsafe block says why it holds, also inside unsafe fns.
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod abi;
pub(crate) mod arch;
pub(crate) mod cancel;
pub(crate) mod fork;
pub(crate) mod io;
#[cfg(all(test, loom))]
mod loom_model;
pub(crate) mod mem;
pub(crate) mod park;
pub(crate) mod sched;
pub(crate) mod signal;
pub(crate) mod sync;
pub(crate) mod sys;
pub(crate) mod thread;

#[ctor::ctor]
fn mnthread_init() {
    thread::runtime::init();
    signal::init();
    cancel::init();
}
