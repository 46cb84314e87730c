//! Per-descriptor wait state, indexed by descriptor number.
//!
//! A slot holds, under its lock, how many threads wait to read and to
//! write on the descriptor (the interest the poller arms), and per
//! direction an event counter the poller bumps before waking that
//! direction's waiters: a waiter parks only while the counter still has the
//! value it read when it armed, so an event between arming and parking is
//! never lost (the lot's rule: change the condition, then wake).
//!
//! Slots come in chunks of `CHUNK` mapped on first use (all-zero memory is
//! an idle slot) and are never freed, so a slot's address is stable and
//! serves as the lot key of its waiters. Descriptors at or above
//! `MAX_FDS` have no slot: their calls block in the kernel.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

use crate::sys::lock::Locked;
use crate::sys::raw;

const CHUNK: usize = 1024;
const CHUNKS: usize = 1024;
/// Descriptors with a slot: 0 .. MAX_FDS.
pub const MAX_FDS: usize = CHUNK * CHUNKS;

/// A direction of readiness.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Read = 0,
    Write = 1,
}

#[derive(Default)]
pub struct Waiting {
    /// Threads waiting per direction.
    pub count: [u32; 2],
}

pub struct Slot {
    pub waiting: Locked<Waiting>,
    /// Readiness events seen per direction (see the module doc).
    pub events: [AtomicU32; 2],
}

impl Slot {
    /// The lot key of the waiters of `dir`.
    pub fn key(&self, dir: Dir) -> usize {
        &self.events[dir as usize] as *const AtomicU32 as usize
    }
}

static TABLE: [AtomicPtr<Slot>; CHUNKS] = [const { AtomicPtr::new(core::ptr::null_mut()) }; CHUNKS];

/// The slot of `fd`, made if need be; `None` for a descriptor out of range
/// or when memory runs out (the caller then blocks in the kernel).
pub fn slot(fd: i32) -> Option<&'static Slot> {
    let fd = usize::try_from(fd).ok().filter(|&f| f < MAX_FDS)?;
    let (c, i) = (fd / CHUNK, fd % CHUNK);
    let mut chunk = TABLE[c].load(Ordering::Acquire);
    if chunk.is_null() {
        chunk = map_chunk(&TABLE[c])?;
    }
    // SAFETY: a published chunk holds CHUNK slots and is never unmapped.
    Some(unsafe { &*chunk.add(i) })
}

/// The slot of `fd` if it was ever made (no allocation).
pub fn existing(fd: i32) -> Option<&'static Slot> {
    let fd = usize::try_from(fd).ok().filter(|&f| f < MAX_FDS)?;
    let chunk = TABLE[fd / CHUNK].load(Ordering::Acquire);
    // SAFETY: as in `slot`.
    (!chunk.is_null()).then(|| unsafe { &*chunk.add(fd % CHUNK) })
}

#[cold]
fn map_chunk(entry: &AtomicPtr<Slot>) -> Option<*mut Slot> {
    let len = CHUNK * core::mem::size_of::<Slot>();
    // SAFETY: a fresh private anonymous mapping; nothing else is touched.
    let p = unsafe { raw::mmap(0, len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) };
    if p < 0 {
        return None;
    }
    // Zeroed memory is CHUNK idle slots: unlocked locks, zero counts.
    match entry.compare_exchange(core::ptr::null_mut(), p as *mut Slot, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Some(p as *mut Slot),
        Err(winner) => {
            // SAFETY: our own mapping, never published.
            unsafe { raw::munmap(p as usize, len) };
            Some(winner)
        }
    }
}

/// Forgets every waiter in a fork child (the waiting threads did not
/// survive), keeping the chunks.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_all() {
    for entry in &TABLE {
        let chunk = entry.load(Ordering::Relaxed);
        if chunk.is_null() {
            continue;
        }
        for i in 0..CHUNK {
            // SAFETY: a published chunk; per the contract nobody else runs.
            unsafe { (*chunk.add(i)).waiting.reset_to(Waiting::default()) };
        }
    }
}
