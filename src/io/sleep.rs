//! Sleeps that park: a deadline on the timer heap instead of a kernel sleep.
//!
//! Relative sleeps end at `now + duration` on CLOCK_MONOTONIC, which is what
//! the kernel measures them with on every clock. Absolute (`TIMER_ABSTIME`)
//! sleeps convert the target on their clock into a monotonic deadline, park
//! until then, and read their clock again: a clock that was set back in the
//! meantime gets another park for what is left, so the sleep never ends
//! before its clock reached the target. (A clock set *forward* is noticed at
//! the monotonic deadline, not at once as the kernel would.)
//!
//! Only the clocks the kernel sleeps on by wall or monotonic time park:
//! REALTIME, MONOTONIC, BOOTTIME and TAI. The rest (CPU-time clocks, alarm
//! clocks, clocks the kernel refuses) go to glibc, which reports their
//! errors exactly.
//!
//! A signal handler or a cancellation ends a parked sleep early
//! ([`Slept::Interrupted`] with the time left of a relative sleep): sleeps
//! are never restarted (signal(7)), the caller reports EINTR.

use core::ffi::c_int;

use crate::park;
use crate::sys::time;

/// Whether a sleep on `clock` parks (see the module doc).
pub fn parks_on(clock: libc::clockid_t) -> bool {
    matches!(clock, libc::CLOCK_REALTIME | libc::CLOCK_MONOTONIC | libc::CLOCK_BOOTTIME | libc::CLOCK_TAI)
}

/// How a sleep ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slept {
    Done,
    /// By a signal handler or a cancellation, with this many ns left (0 for
    /// an absolute sleep, which has nothing to report).
    Interrupted(u64),
}

/// Sleeps the calling user thread for `req`, or until `clock` reads `req`
/// when `absolute`. EINVAL for a negative or malformed time, as the kernel.
/// The caller is a user thread and `parks_on(clock)`.
pub fn clock_sleep(clock: libc::clockid_t, absolute: bool, req: &libc::timespec) -> Result<Slept, c_int> {
    if req.tv_sec < 0 || !time::valid_timespec(req) {
        return Err(libc::EINVAL);
    }
    let ns = time::timespec_ns(req);
    if !absolute {
        return Ok(sleep_ns(ns));
    }
    loop {
        let now = time::clock_ns(clock);
        if now >= ns {
            return Ok(Slept::Done);
        }
        if !park::sleep_until(time::now().saturating_add(ns - now)) {
            return Ok(Slept::Interrupted(0));
        }
    }
}

/// Sleeps the calling user thread for `ns` nanoseconds.
pub fn sleep_ns(ns: u64) -> Slept {
    if ns == 0 {
        return Slept::Done;
    }
    let end = time::now().saturating_add(ns);
    if park::sleep_until(end) {
        Slept::Done
    } else {
        Slept::Interrupted(end.saturating_sub(time::now()))
    }
}
