//! The runtime's own heap: the Rust global allocator of libmnthread, backed
//! by anonymous mappings, never by the program's `malloc`.
//!
//! Why: a program's allocator (jemalloc, tcmalloc, or glibc's malloc) calls
//! pthread functions while it initialises itself — `pthread_self`,
//! `pthread_mutex_lock`, `pthread_atfork`, keys — and those are mnthread's
//! exports. If mnthread allocated through `malloc` there, it would re-enter
//! an allocator that is half-initialised and holding its own init lock
//! (redis-server under jemalloc parked forever that way). With this heap no
//! allocator ever sees mnthread call back into it.
//!
//! Protocol:
//! * Small requests (size and alignment up to [`MAX_SMALL`]) round up to a
//!   power-of-two class of at least 16 bytes. Each class keeps a free list
//!   of blocks under its own `RawLock` (a `Locked` head); an empty list is refilled by
//!   carving a fresh [`CHUNK`]-byte mapping into blocks of that class.
//!   Blocks of size `s` lie at multiples of `s` inside a page-aligned chunk,
//!   so they are aligned to their size. Small blocks go back to their free
//!   list, never to the kernel (the runtime's small objects — run-queue
//!   spill, module lists, registries — are few and long-lived).
//! * Larger requests get a mapping of their own, page-rounded, unmapped on
//!   free; alignment above a page is refused (null), which Rust reports as
//!   an allocation failure.
//! * Out of memory returns null. Runtime code never uses an infallible
//!   allocation on a path that can fail for the program: it calls
//!   `try_reserve` (or preallocates) and turns the failure into EAGAIN or
//!   ENOMEM, as glibc would.
//!
//! Invariants: a class lock is held only while a free list is popped,
//! pushed or refilled — never across a call into user code or a context
//! switch (the `RawLock` rule). A fork copies them free, the lists whole
//! (`sys::lock`'s fork gate).
//!
//! Rejected: a lock-free Treiber stack per class (needs ABA tags and buys
//! nothing here: the runtime allocates rarely, off its hot paths); one lock
//! for all classes (needless contention between carriers); falling back to
//! glibc's `mmap` wrapper (a raw syscall touches no errno).

use core::alloc::{GlobalAlloc, Layout};
use crate::sys::lock::Locked;
use crate::sys::raw;

use super::{page_round_up, PAGE};

/// Largest size (and alignment) served from a size class.
pub const MAX_SMALL: usize = 2048;
const MIN_CLASS_SHIFT: u32 = 4;
const CLASSES: usize = (MAX_SMALL.trailing_zeros() - MIN_CLASS_SHIFT + 1) as usize;
/// Bytes mapped at once to refill a class.
const CHUNK: usize = 64 * 1024;

/// One size class: the head of its free list (0 = empty); each free block
/// holds the address of the next.
struct Class {
    free: Locked<usize>,
}

pub struct Heap {
    classes: [Class; CLASSES],
}

impl Heap {
    pub const fn new() -> Self {
        Heap { classes: [const { Class { free: Locked::new(0) } }; CLASSES] }
    }
}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

/// The class index for a small layout, or `None` for a large one.
fn class_of(layout: Layout) -> Option<usize> {
    let need = layout.size().max(layout.align());
    if need > MAX_SMALL {
        return None;
    }
    let shift = need.max(1 << MIN_CLASS_SHIFT).next_power_of_two().trailing_zeros();
    Some((shift - MIN_CLASS_SHIFT) as usize)
}

fn block_size(class: usize) -> usize {
    1 << (class as u32 + MIN_CLASS_SHIFT)
}

fn map(len: usize) -> *mut u8 {
    // SAFETY: a fresh private anonymous mapping; nothing else is affected.
    let p = unsafe { raw::mmap(0, len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) };
    if p < 0 {
        core::ptr::null_mut()
    } else {
        p as *mut u8
    }
}

impl Class {
    fn pop(&self, size: usize) -> *mut u8 {
        self.free.with(|head| {
            if *head == 0 {
                let chunk = map(CHUNK);
                if chunk.is_null() {
                    return chunk;
                }
                // Thread every block but the first onto the free list.
                let base = chunk as usize;
                for b in (base + size..base + CHUNK).step_by(size).rev() {
                    // SAFETY: `b` is a block-aligned address inside the new chunk.
                    unsafe { *(b as *mut usize) = *head };
                    *head = b;
                }
                return chunk;
            }
            let b = *head;
            // SAFETY: a free block holds the address of the next free block.
            *head = unsafe { *(b as *const usize) };
            b as *mut u8
        })
    }

    fn push(&self, b: *mut u8) {
        self.free.with(|head| {
            // SAFETY: `b` is a block of this class that its owner gave back.
            unsafe { *(b as *mut usize) = *head };
            *head = b as usize;
        })
    }
}

// SAFETY: every block handed out is at least `layout.size()` bytes, aligned
// to `layout.align()`, and owned by the caller until `dealloc`; a block is
// never on a free list and in use at once.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(c) => self.classes[c].pop(block_size(c)),
            None if layout.align() <= PAGE => map(page_round_up(layout.size())),
            None => core::ptr::null_mut(),
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class_of(layout) {
            Some(_) => {
                // SAFETY: forwarded; a small block may be reused, so clear it.
                let p = unsafe { self.alloc(layout) };
                if !p.is_null() {
                    // SAFETY: `p` holds at least `layout.size()` bytes.
                    unsafe { core::ptr::write_bytes(p, 0, layout.size()) };
                }
                p
            }
            // Fresh mappings are zero-filled by the kernel.
            // SAFETY: forwarded.
            None => unsafe { self.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(c) => self.classes[c].push(p),
            None => {
                // SAFETY: `p` is a mapping of this length made by `alloc`.
                unsafe { raw::munmap(p as usize, page_round_up(layout.size())) };
            }
        }
    }
}

#[cfg(not(test))]
#[global_allocator]
pub static HEAP: Heap = Heap::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_sizes_and_alignments() {
        assert_eq!(class_of(Layout::from_size_align(1, 1).unwrap()), Some(0));
        assert_eq!(class_of(Layout::from_size_align(16, 8).unwrap()), Some(0));
        assert_eq!(class_of(Layout::from_size_align(17, 8).unwrap()), Some(1));
        assert_eq!(class_of(Layout::from_size_align(8, 64).unwrap()), Some(2));
        assert_eq!(class_of(Layout::from_size_align(MAX_SMALL, 8).unwrap()), Some(CLASSES - 1));
        assert_eq!(class_of(Layout::from_size_align(MAX_SMALL + 1, 8).unwrap()), None);
    }

    #[test]
    fn blocks_are_aligned_distinct_and_reused() {
        let h = Heap::new();
        for c in 0..CLASSES {
            let size = block_size(c);
            let l = Layout::from_size_align(size, size).unwrap();
            // SAFETY: matched alloc/dealloc with the same layout.
            unsafe {
                let mut got = Vec::new();
                for _ in 0..(2 * CHUNK / size + 3) {
                    let p = h.alloc_zeroed(l);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % size, 0);
                    assert!((0..size).all(|i| *p.add(i) == 0));
                    core::ptr::write_bytes(p, 0xa5, size);
                    got.push(p as usize);
                }
                let mut sorted = got.clone();
                sorted.sort();
                sorted.dedup();
                assert_eq!(sorted.len(), got.len(), "a block handed out twice");
                let last = *got.last().unwrap();
                h.dealloc(last as *mut u8, l);
                assert_eq!(h.alloc(l) as usize, last);
                for p in got {
                    h.dealloc(p as *mut u8, l);
                }
            }
        }
    }

    #[test]
    fn large_blocks_are_mapped_and_unmapped() {
        let h = Heap::new();
        let l = Layout::from_size_align(100_000, 4096).unwrap();
        // SAFETY: matched alloc/dealloc with the same layout.
        unsafe {
            let p = h.alloc_zeroed(l);
            assert!(!p.is_null());
            assert_eq!(p as usize % 4096, 0);
            *p.add(99_999) = 1;
            h.dealloc(p, l);
        }
        // SAFETY: a valid layout; a null result is the expected answer.
        assert!(unsafe { h.alloc(Layout::from_size_align(8192, 8192).unwrap()) }.is_null());
    }
}
