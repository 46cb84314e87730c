//! `MNTHREAD_STATS=1`: one line per carrier and a total on stderr at exit —
//! switches, steals, times it went to sleep — plus threads created, and
//! what the monitor did (rescues of blocked carriers, spares started,
//! retirements, rescues refused at MNTHREAD_MAX_CARRIERS). Nothing is
//! printed unless asked.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::monitor::{AT_CAP, RESCUES, RETIREMENTS, SPARES_MADE};
use crate::sys::fatal::fmt_u64;
use crate::sys::raw::write_stderr;

static THREADS_CREATED: AtomicU64 = AtomicU64::new(0);
/// Whether MNTHREAD_STATS asked for the report: the shared creation counter
/// is only touched then, to keep its cache line off the create path.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Counts a created thread (when the report was asked for).
#[inline]
pub fn count_created() {
    if ENABLED.load(Ordering::Relaxed) {
        THREADS_CREATED.fetch_add(1, Ordering::Relaxed);
    }
}

/// Registers the exit report if MNTHREAD_STATS is set to a non-zero value.
pub fn init() {
    // SAFETY: getenv with a NUL-terminated name.
    let v = unsafe { libc::getenv(c"MNTHREAD_STATS".as_ptr()) };
    // SAFETY: a non-null getenv result is a NUL-terminated string.
    if !v.is_null() && unsafe { *v } != 0 && unsafe { *v } != b'0' as libc::c_char {
        ENABLED.store(true, Ordering::Relaxed);
        // SAFETY: registering a plain extern "C" fn.
        unsafe { libc::atexit(report) };
    }
}

fn line(parts: &[&str]) {
    for p in parts {
        write_stderr(p.as_bytes());
    }
    write_stderr(b"\n");
}

extern "C" fn report() {
    let (mut a, mut b, mut c, mut d) = ([0u8; 20], [0u8; 20], [0u8; 20], [0u8; 20]);
    let mut total = (0u64, 0u64, 0u64);
    for k in super::carriers() {
        // Read racily at exit: statistics, not state.
        let (sw, st, sl) = (k.ticks.load(Ordering::Relaxed), k.steals.get(), k.sleeps.get());
        total = (total.0 + sw, total.1 + st, total.2 + sl);
        line(&[
            "mnthread: carrier ",
            fmt_u64(k.id as u64, &mut a),
            ": switches ",
            fmt_u64(sw, &mut b),
            ", steals ",
            fmt_u64(st, &mut c),
            ", sleeps ",
            fmt_u64(sl, &mut d),
        ]);
    }
    line(&[
        "mnthread: total: threads created ",
        fmt_u64(THREADS_CREATED.load(Ordering::Relaxed), &mut a),
        ", switches ",
        fmt_u64(total.0, &mut b),
        ", steals ",
        fmt_u64(total.1, &mut c),
        ", sleeps ",
        fmt_u64(total.2, &mut d),
    ]);

    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    line(&[
        "mnthread: monitor: rescues ",
        fmt_u64(load(&RESCUES), &mut a),
        ", spares started ",
        fmt_u64(load(&SPARES_MADE), &mut b),
        ", retirements ",
        fmt_u64(load(&RETIREMENTS), &mut c),
        ", at the carrier cap ",
        fmt_u64(load(&AT_CAP), &mut d),
    ]);
}
