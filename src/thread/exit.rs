//! The end of a thread, the part every thread runs, user or foreign.
//!
//! A user thread runs it from `lifecycle::exit_current` (after its C++/Rust
//! `thread_local` destructors, which glibc runs itself for a foreign
//! thread), a foreign kernel thread from the exit hook glibc calls for it
//! (`foreign`). Order, as glibc's thread exit: key destructors first (they
//! may still lock robust mutexes), then every robust mutex still held is
//! released owner-dead, so a waiter gets EOWNERDEAD.

use crate::mem::uthread::UThread;

/// Runs the calling thread's end-of-thread steps on its own descriptor `t`.
pub(crate) fn release_thread_state(t: *mut UThread) {
    // SAFETY: `t` is the exiting caller's own descriptor; only it touches its keys.
    unsafe { crate::thread::key::run_destructors(&mut (*t).keys) };
    crate::sync::mutex_robust::release_all(t);
}
