//! The futex system call's decoding and routing (what `syscall(SYS_futex,
//! ...)` does under mnthread; the entry point of syscall interception).
//!
//! Private operations (FUTEX_PRIVATE_FLAG) become operations of the
//! emulated futex ([`crate::sync::futex`]), so a user thread parks instead
//! of blocking its carrier; shared ones go to the kernel, a user thread's
//! shared wait on an offload worker while it is parked.
//!
//! Emulated operations decode and check their arguments as the kernel does
//! (kernel/futex): timeouts must be valid (EINVAL), FUTEX_WAIT's is
//! relative on CLOCK_MONOTONIC, FUTEX_WAIT_BITSET's absolute on MONOTONIC
//! or (FUTEX_CLOCK_REALTIME) REALTIME; a zero bitset is EINVAL; the address
//! must be 4-aligned (EINVAL) and, where the word is read, not in the
//! first page (EFAULT — the only fault checked); a wake of n <= 0 wakes
//! one; FUTEX_WAKE_OP applies its operation to the second word even when
//! its comparison code is unknown (ENOSYS), as the kernel does.

use core::ffi::{c_int, c_long};
use core::sync::atomic::{AtomicU32, Ordering};

use crate::park::offload;
use crate::sched;
use crate::sync::futex::{self, Scope};
use crate::sys::raw;
use crate::sys::time;

const FUTEX_CMD_MASK: c_int = !(libc::FUTEX_PRIVATE_FLAG | libc::FUTEX_CLOCK_REALTIME);

/// `futex(uaddr, op, val, timeout_or_val2, uaddr2, val3)`: the result, or
/// `-errno`. Only the low 32 bits of the int arguments are meaningful.
pub fn call(uaddr: usize, op: c_int, val: c_long, timeout: usize, uaddr2: usize, val3: c_long) -> c_long {
    if op & libc::FUTEX_PRIVATE_FLAG != 0 {
        private(uaddr, op, val as u32, timeout, uaddr2, val3 as u32)
    } else {
        shared(uaddr, op, val, timeout, uaddr2, val3)
    }
}

/// A non-private futex call, done by the kernel (by an offload worker for
/// a user thread's wait).
fn shared(uaddr: usize, op: c_int, val: c_long, timeout: usize, uaddr2: usize, val3: c_long) -> c_long {
    let call = move || {
        // SAFETY: the program's futex call, unchanged; the kernel checks it.
        unsafe { raw::syscall6(libc::SYS_futex, uaddr, op as usize, val as usize, timeout, uaddr2, val3 as usize) as c_long }
    };
    let cmd = op & FUTEX_CMD_MASK;
    let waits = cmd == libc::FUTEX_WAIT || cmd == libc::FUTEX_WAIT_BITSET;
    if waits && sched::current_user().is_some() {
        offload::run(call)
    } else {
        call()
    }
}

fn neg(e: c_int) -> c_long {
    -(e as c_long)
}

/// The futex word at `uaddr`, checked as the kernel checks it: 4-aligned
/// (else EINVAL). Only its address is used: a wake never reads the word.
fn address(uaddr: usize) -> Result<*const AtomicU32, c_long> {
    if !uaddr.is_multiple_of(4) {
        return Err(neg(libc::EINVAL));
    }
    Ok(uaddr as *const AtomicU32)
}

/// The futex word at `uaddr`, to be read: also not in the first page
/// (EFAULT; the only bad address checked).
fn word<'a>(uaddr: usize) -> Result<&'a AtomicU32, c_long> {
    let p = address(uaddr)?;
    if uaddr < 4096 {
        return Err(neg(libc::EFAULT));
    }
    // SAFETY: the program's futex word, aligned and (we trust) mapped, as
    // the kernel would read it.
    Ok(unsafe { &*p })
}

/// A valid timeout from the program, or EINVAL/EFAULT.
fn timespec(p: usize) -> Result<libc::timespec, c_long> {
    if p < 4096 {
        return Err(neg(libc::EFAULT));
    }
    // SAFETY: the program's timespec.
    let ts = unsafe { *(p as *const libc::timespec) };
    if ts.tv_sec < 0 || !time::valid_timespec(&ts) {
        return Err(neg(libc::EINVAL));
    }
    Ok(ts)
}

/// The monotonic deadline of a wait's timeout argument (null: none).
fn deadline(cmd: c_int, op: c_int, timeout: usize) -> Result<Option<u64>, c_long> {
    if timeout == 0 {
        return Ok(None);
    }
    let ts = timespec(timeout)?;
    if cmd == libc::FUTEX_WAIT {
        let rel = ts.tv_sec as u64 * time::NS_PER_SEC + ts.tv_nsec as u64;
        return Ok(Some(time::now().saturating_add(rel)));
    }
    let clock = if op & libc::FUTEX_CLOCK_REALTIME != 0 { libc::CLOCK_REALTIME } else { libc::CLOCK_MONOTONIC };
    Ok(time::deadline_from_abs(clock, &ts))
}

/// A wake count as the kernel reads it: n <= 0 still wakes one.
fn count(n: u32) -> usize {
    (n as i32).max(1) as usize
}

fn private(uaddr: usize, op: c_int, val: u32, timeout: usize, uaddr2: usize, val3: u32) -> c_long {
    let cmd = op & FUTEX_CMD_MASK;
    if op & libc::FUTEX_CLOCK_REALTIME != 0 && cmd != libc::FUTEX_WAIT_BITSET {
        return neg(libc::ENOSYS);
    }
    let r = match cmd {
        libc::FUTEX_WAIT => wait(uaddr, op, cmd, val, timeout, futex::ALL_BITS),
        libc::FUTEX_WAIT_BITSET => wait(uaddr, op, cmd, val, timeout, val3),
        libc::FUTEX_WAKE => wake(uaddr, val, futex::ALL_BITS),
        libc::FUTEX_WAKE_BITSET => wake(uaddr, val, val3),
        libc::FUTEX_REQUEUE => requeue(uaddr, val, timeout as u32, uaddr2, None),
        libc::FUTEX_CMP_REQUEUE => requeue(uaddr, val, timeout as u32, uaddr2, Some(val3)),
        libc::FUTEX_WAKE_OP => wake_op(uaddr, val, timeout as u32, uaddr2, val3),
        // PI futexes and anything newer: the kernel's business.
        _ => {
            // SAFETY: the program's futex call, unchanged.
            return unsafe { raw::syscall6(libc::SYS_futex, uaddr, op as usize, val as usize, timeout, uaddr2, val3 as usize) as c_long };
        }
    };
    r.unwrap_or_else(|e| e)
}

fn wait(uaddr: usize, op: c_int, cmd: c_int, val: u32, timeout: usize, bits: u32) -> Result<c_long, c_long> {
    let deadline = deadline(cmd, op, timeout)?;
    if bits == 0 {
        return Err(neg(libc::EINVAL));
    }
    let w = word(uaddr)?;
    match futex::wait_bits(w, val, bits, deadline, Scope::Private) {
        0 => Ok(0),
        e => Err(neg(e)),
    }
}

fn wake(uaddr: usize, n: u32, bits: u32) -> Result<c_long, c_long> {
    if bits == 0 {
        return Err(neg(libc::EINVAL));
    }
    let w = address(uaddr)?;
    Ok(futex::wake_bits(w, count(n), bits, Scope::Private) as c_long)
}

fn requeue(uaddr: usize, nwake: u32, nmove: u32, uaddr2: usize, expected: Option<u32>) -> Result<c_long, c_long> {
    if (nwake as i32) < 0 || (nmove as i32) < 0 {
        return Err(neg(libc::EINVAL));
    }
    let to = address(uaddr2)?;
    address(uaddr)?;
    if expected.is_none() && uaddr < 4096 {
        return Ok(0); // nobody can wait there (their wait is EFAULT)
    }
    let from = word(uaddr)?;
    futex::requeue_private(from, to, nwake as usize, nmove as usize, expected)
        .map(|n| n as c_long)
        .map_err(neg)
}

/// FUTEX_WAKE_OP's operations and comparisons (linux/futex.h).
const OP_SET: u32 = 0;
const OP_ADD: u32 = 1;
const OP_OR: u32 = 2;
const OP_ANDN: u32 = 3;
const OP_XOR: u32 = 4;
const OPARG_SHIFT: u32 = 8;

/// Applies `op` with `arg` to `w`; returns the old value.
fn apply(w: &AtomicU32, op: u32, arg: u32) -> u32 {
    match op {
        OP_SET => w.swap(arg, Ordering::AcqRel),
        OP_ADD => w.fetch_add(arg, Ordering::AcqRel),
        OP_OR => w.fetch_or(arg, Ordering::AcqRel),
        OP_ANDN => w.fetch_and(!arg, Ordering::AcqRel),
        _ => w.fetch_xor(arg, Ordering::AcqRel),
    }
}

/// Compares the old value as the kernel does (signed); `None` for an
/// unknown comparison code.
fn compare(cmp: u32, old: i32, arg: i32) -> Option<bool> {
    Some(match cmp {
        0 => old == arg,
        1 => old != arg,
        2 => old < arg,
        3 => old <= arg,
        4 => old > arg,
        5 => old >= arg,
        _ => return None,
    })
}

/// Sign-extends the low 12 bits.
fn sext12(v: u32) -> i32 {
    ((v << 20) as i32) >> 20
}

fn wake_op(uaddr: usize, n1: u32, n2: u32, uaddr2: usize, encoded: u32) -> Result<c_long, c_long> {
    let w1 = address(uaddr)?;
    let w2 = word(uaddr2)?;
    let mut op = (encoded >> 28) & 0xf;
    let cmp = (encoded >> 24) & 0xf;
    let mut arg = sext12(encoded >> 12);
    let cmparg = sext12(encoded);
    if op & OPARG_SHIFT != 0 {
        op &= !OPARG_SHIFT;
        // The kernel masks an out-of-range shift (and logs about it).
        arg = 1 << (arg & 31);
    }
    if op > OP_XOR {
        return Err(neg(libc::ENOSYS));
    }
    if compare(cmp, 0, 0).is_none() {
        apply(w2, op, arg as u32);
        return Err(neg(libc::ENOSYS));
    }
    let woken = futex::wake_op_private(w1, count(n1), w2, count(n2), || {
        let old = apply(w2, op, arg as u32) as i32;
        compare(cmp, old, cmparg) == Some(true)
    });
    Ok(woken as c_long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_bit_fields_are_signed() {
        assert_eq!(sext12(0x7ff), 2047);
        assert_eq!(sext12(0x800), -2048);
        assert_eq!(sext12(0xfff), -1);
        assert_eq!(sext12(0x1005), 5);
    }

    #[test]
    fn comparisons_are_signed_and_checked() {
        assert_eq!(compare(2, -1, 0), Some(true)); // LT
        assert_eq!(compare(4, -1, 0), Some(false)); // GT
        assert_eq!(compare(5, 3, 3), Some(true)); // GE
        assert_eq!(compare(6, 0, 0), None);
    }

    #[test]
    fn operations() {
        let w = AtomicU32::new(0b1100);
        assert_eq!(apply(&w, OP_ANDN, 0b0100), 0b1100);
        assert_eq!(w.load(Ordering::Relaxed), 0b1000);
        assert_eq!(apply(&w, OP_XOR, 0b1001), 0b1000);
        assert_eq!(w.load(Ordering::Relaxed), 0b0001);
        apply(&w, OP_ADD, -2i32 as u32);
        assert_eq!(w.load(Ordering::Relaxed), u32::MAX);
    }

    #[test]
    fn wake_counts_follow_the_kernel() {
        assert_eq!(count(0), 1);
        assert_eq!(count(-5i32 as u32), 1);
        assert_eq!(count(7), 7);
    }
}
