//! Stacks.
//!
//! A default-size stack is a *slot* in an arena: `guard + size` bytes of a
//! big `MAP_NORESERVE` reservation, its lowest `guard` bytes made a guard
//! with `MADV_GUARD_INSTALL` (one VMA for any number of stacks, so a million
//! stacks stay far below `vm.max_map_count`; `mprotect` is the fallback on
//! kernels before 6.13, at two VMAs per stack). Pages are committed only when
//! the thread touches them. Slots are never unmapped: a reaped thread's slot
//! stays with its pooled descriptor (`thread::give_back`), or, when that
//! descriptor is reused for another kind of stack, goes on a LIFO free list;
//! beyond the first `WARM` cached slots, a slot's pages go back to the kernel.
//!
//! Stacks of another size or guard are mapped one by one and unmapped when
//! the thread is reaped. User-supplied stacks (`pthread_attr_setstack`) are
//! borrowed: never guarded, never freed.

use core::sync::atomic::{AtomicBool, Ordering};

use super::page_round_up;
use crate::sys::lock::Locked;
use crate::sys::raw;

const MADV_GUARD_INSTALL: i32 = 102;

/// (Zeroed memory reads as `Native` with no range: `Stack::NONE`.)
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum StackKind {
    /// A stack mnthread did not make (the main thread's, a foreign thread's),
    /// or none.
    Native = 0,
    /// A slot of the default-size arena.
    Arena,
    /// Its own mapping, unmapped on release.
    Mapped,
    /// Supplied by the program.
    User,
}

/// `[base, base + guard)` is the guard, `[base + guard, top)` the usable stack.
#[derive(Clone, Copy, Debug)]
pub struct Stack {
    pub base: usize,
    pub guard: usize,
    pub top: usize,
    pub kind: StackKind,
}

impl Stack {
    pub const NONE: Stack = Stack { base: 0, guard: 0, top: 0, kind: StackKind::Native };

    pub fn size(&self) -> usize {
        self.top - self.base - self.guard
    }

    /// The addresses a thread running on this stack can read and write
    /// (empty for a stack mnthread does not know).
    pub fn usable(&self) -> core::ops::Range<usize> {
        if self.top == 0 {
            return 0..0;
        }
        self.base + self.guard..self.top
    }

    /// Whether a fault at `addr` with stack pointer `sp` is this stack
    /// overflowing: the address lies in the guard (or just below the stack,
    /// for frames larger than the guard), or the stack pointer already does.
    pub fn overflowed(&self, addr: usize, sp: usize) -> bool {
        if self.top == 0 {
            return false;
        }
        let low = self.base.saturating_sub(64 * 1024);
        let limit = self.base + self.guard;
        (addr >= low && addr < limit) || (sp >= low && sp < limit)
    }
}

struct Arena {
    /// Next unused slot and the end of the current reservation.
    next: usize,
    end: usize,
    /// Slots to reserve next time (doubles up to a cap).
    chunk_slots: usize,
}

static ARENA: Locked<Arena> = Locked::new(Arena { next: 0, end: 0, chunk_slots: 16 });
/// Bases of cached slots, most recently freed last.
static CACHE: Locked<Vec<usize>> = Locked::new(Vec::new());
/// Cached slots beyond this many give their pages back.
const WARM: usize = 256;
static GUARD_MADVISE_WORKS: AtomicBool = AtomicBool::new(true);

/// Uses `mprotect` guards from now on, as on kernels before 6.13
/// (MNTHREAD_FALLBACKS, so that this path is tested).
pub fn use_mprotect_guards() {
    GUARD_MADVISE_WORKS.store(false, Ordering::Relaxed);
}

/// Largest reservation made at once (in slots).
const MAX_CHUNK_SLOTS: usize = 16 * 1024;

fn map_noreserve(len: usize) -> Option<usize> {
    // SAFETY: a fresh anonymous mapping at an address the kernel picks.
    let r = unsafe {
        raw::mmap(0, len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK)
    };
    if r < 0 {
        return None;
    }
    // SAFETY: advice on our own fresh mapping. Stacks must never be backed by
    // huge pages: one touched byte would cost 2 MiB.
    unsafe { raw::madvise(r as usize, len, libc::MADV_NOHUGEPAGE) };
    Some(r as usize)
}

fn install_guard(base: usize, guard: usize) -> bool {
    if guard == 0 {
        return true;
    }
    if GUARD_MADVISE_WORKS.load(Ordering::Relaxed) {
        // SAFETY: the range is the start of a stack that no one uses yet.
        if unsafe { raw::madvise(base, guard, MADV_GUARD_INSTALL) } == 0 {
            return true;
        }
        GUARD_MADVISE_WORKS.store(false, Ordering::Relaxed);
    }
    // SAFETY: as above.
    unsafe { raw::mprotect(base, guard, libc::PROT_NONE) == 0 }
}

/// A default-size stack: `size` usable bytes over a `guard`-byte guard,
/// from the arena. Both are page multiples and the same on every call.
/// `None` when memory runs out.
pub fn alloc_arena(size: usize, guard: usize) -> Option<Stack> {
    let slot = size + guard;
    if let Some(base) = CACHE.with(|c| c.pop()) {
        return Some(Stack { base, guard, top: base + slot, kind: StackKind::Arena });
    }
    let base = ARENA.with(|a| {
        if a.next + slot > a.end {
            let slots = a.chunk_slots;
            let start = map_noreserve(slots * slot)?;
            a.next = start;
            a.end = start + slots * slot;
            a.chunk_slots = (slots * 2).min(MAX_CHUNK_SLOTS);
        }
        let b = a.next;
        a.next += slot;
        Some(b)
    })?;
    if !install_guard(base, guard) {
        return None;
    }
    Some(Stack { base, guard, top: base + slot, kind: StackKind::Arena })
}

/// A stack of its own mapping (any size/guard).
pub fn alloc_mapped(size: usize, guard: usize) -> Option<Stack> {
    let size = page_round_up(size);
    let guard = page_round_up(guard);
    let base = map_noreserve(size + guard)?;
    if !install_guard(base, guard) {
        // SAFETY: our own mapping, unused.
        unsafe { raw::munmap(base, size + guard) };
        return None;
    }
    Some(Stack { base, guard, top: base + guard + size, kind: StackKind::Mapped })
}

/// Gives a stack back: arena slots to the slot cache, own mappings to the
/// kernel; borrowed stacks stay with their owners.
pub fn release(s: &Stack) {
    match s.kind {
        StackKind::Arena => {
            if CACHE.with(|c| c.len()) >= WARM {
                discard(s);
            }
            // Out of memory for the cache's own growth: the slot's pages go
            // back and its address range stays unused (a rare, small leak of
            // address space, not of memory).
            if !CACHE.with(|c| c.try_reserve(1).is_ok() && { c.push(s.base); true }) {
                discard(s);
            }
        }
        StackKind::Mapped => {
            // SAFETY: the thread that used it is gone and nothing refers to it.
            unsafe { raw::munmap(s.base, s.top - s.base) };
        }
        StackKind::User | StackKind::Native => {}
    }
}

/// Returns an unused arena slot's pages to the kernel (guards survive).
pub fn discard(s: &Stack) {
    // SAFETY: the stack belongs to no thread.
    unsafe { raw::madvise(s.base + s.guard, s.size(), libc::MADV_DONTNEED) };
}
