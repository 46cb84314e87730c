//! Layer 8: blocking calls that park only the calling user thread.
//!
//! A user thread that calls a function the kernel would block in must not
//! take its carrier (and every thread queued there) down with it. The calls
//! mnthread can see are served here by parking the thread until what it
//! waits for happens; everything else — threads mnthread did not create,
//! clocks and descriptors there is nothing to wait on for — goes to glibc's
//! own function unchanged.
//!
//! * [`sleep`] — nanosleep, clock_nanosleep, usleep, sleep: a deadline on
//!   the timer heap (`park::sleep_until`).

pub mod sleep;
