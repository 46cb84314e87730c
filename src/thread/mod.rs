//! Layer 7: threads — what `pthread_create` makes and what a thread owns.
//!
//! * [`runtime`] — initialisation, configuration read once, starting the
//!   carriers and moving the main thread onto them; the off-carrier identity.
//! * [`attr`] — attribute layout, process-wide defaults, what create makes of them.
//! * [`lifecycle`] — create, exit, join, detach.
//! * [`exit`] — the end-of-thread steps user and foreign threads share.
//! * [`pool`] — reaped descriptors kept with their TCB and stack for reuse.
//! * [`foreign`] — descriptors for kernel threads mnthread did not create.
//! * [`key`] — thread-specific data.
//! * [`unwind`] — `pthread_exit`'s forced unwinding and cleanup buffers.
//! * [`overflow`] — telling a stack overflow from any other fault.

pub mod affinity;
pub mod attr;
pub mod exit;
pub mod foreign;
pub mod key;
pub mod lifecycle;
pub mod overflow;
pub mod pool;
pub mod runtime;
pub mod unwind;
