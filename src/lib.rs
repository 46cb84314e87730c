//! # mnthread — M:N POSIX threads for Linux x86_64 / glibc
//!
//! Loaded with `LD_PRELOAD` or linked with `-lmnthread`, mnthread replaces
//! glibc's pthreads: every thread a program creates is a *user thread* (its
//! own stack and glibc-compatible TCB, so errno, `__thread` and C++
//! `thread_local` are its own) run by a few kernel *carrier* threads.
//! Blocking in join (and, in later milestones, in locks and I/O) parks only
//! the user thread; the carrier runs another.
//!
//! Layers, each using only those above it (see ../shared/design/ARCHITECTURE.md):
//! 1. [`sys`] — raw syscalls, resolved glibc entry points, the internal lock.
//! 2. [`arch`] — context switch, `%fs`/`%gs` bases.
//! 3. [`mem`] — stacks, TCBs, type-stable descriptor storage.
//! 4. [`sched`] — carriers, run queues, stealing, idle sleep, timers.
//! 5. [`park`], [`lot`] — the waiting primitive and address-keyed wait queues.
//! 6. [`sync`], [`offload`] — synchronisation objects, blocking work done
//!    by kernel threads for parked user threads.
//! 7. [`thread`], [`lifecycle`], [`key`], [`foreign`], [`runtime`] — threads;
//!    [`atfork`] — the fork-handler registry.
//! 8. [`abi`] — the exported C symbols.
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
pub mod arch;
pub mod fork;
#[cfg(all(test, loom))]
mod loom_model;
pub mod mem;
pub mod park;
pub mod sched;
pub mod sync;
pub mod sys;
pub mod thread;

#[ctor::ctor]
fn mnthread_init() {
    thread::runtime::init();
}
