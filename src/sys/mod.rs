//! Layer 1: the only ways the runtime talks to the kernel and to glibc.
//!
//! * [`raw`] — system calls through inline asm. They never touch `errno` and
//!   never pass through a libc entry point that mnthread might interpose.
//! * [`real`] — glibc/ld.so entry points resolved once by name in libc's own
//!   handle, so a call can never land on one of mnthread's exports.
//! * [`lock`] — the runtime's internal lock (spin, then futex).
//! * [`time`] — monotonic nanoseconds and timespec conversions.
//! * [`atomic`] — the atomics shim the lock-free protocols are generic over
//!   (`core`'s atomics, or loom's in the models).
//! * [`errno`] — the calling thread's libc `errno`.
//! * [`user`] — reading the program's memory with EFAULT for bad pointers.
//! * [`setxid`] — credential changes brought to every kernel thread.
//! * [`signal`] — dispositions, kernel masks, tgkill and sigtimedwait, raw.
//! * [`fatal`] — the one-line `mnthread: ...` report and abort.

pub mod atomic;
pub mod errno;
pub mod fatal;
pub mod lock;
pub mod raw;
pub mod real;
pub mod setxid;
pub mod signal;
pub mod time;
pub mod user;
