//! Type-stable storage: objects carved from anonymous mappings that are
//! never unmapped. A pointer to a slab object stays a pointer to *some*
//! object of that type forever, which is what lets wakers touch a thread
//! descriptor after the thread may have exited (a stale wake-up is then
//! merely spurious, never a use-after-free).
//!
//! `Slab<T>` hands out zero-initialised `T`s (callers initialise them) and
//! can visit every object ever handed out.

use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::sys::lock::Locked;
use crate::sys::raw;

const CHUNK_BYTES: usize = 1 << 20;
const MAX_CHUNKS: usize = 1 << 16;

pub struct Slab<T> {
    /// Chunk base addresses, in order; `chunks_len` of them are published.
    chunks: [AtomicPtr<T>; MAX_CHUNKS],
    chunks_len: AtomicUsize,
    /// Lowest chunk address and highest chunk end, for a cheap validity test.
    low: AtomicUsize,
    high: AtomicUsize,
    /// Objects handed out from the newest chunk.
    carve: Locked<Carve>,
}

struct Carve {
    next: usize,
    left: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    pub const PER_CHUNK: usize = CHUNK_BYTES / core::mem::size_of::<T>();

    pub const fn new() -> Self {
        Slab {
            chunks: [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CHUNKS],
            chunks_len: AtomicUsize::new(0),
            low: AtomicUsize::new(usize::MAX),
            high: AtomicUsize::new(0),
            carve: Locked::new(Carve { next: 0, left: 0 }),
        }
    }

    /// A never-used, zeroed object, or `None` when memory runs out.
    pub fn alloc(&self) -> Option<*mut T> {
        self.carve.with(|c| {
            if c.left == 0 {
                let n = self.chunks_len.load(Ordering::Relaxed);
                if n == MAX_CHUNKS {
                    return None;
                }
                // SAFETY: a fresh private anonymous mapping (zero-filled).
                let base = unsafe {
                    raw::mmap(0, CHUNK_BYTES, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS)
                };
                if base < 0 {
                    return None;
                }
                self.chunks[n].store(base as *mut T, Ordering::Relaxed);
                self.low.fetch_min(base as usize, Ordering::Relaxed);
                self.high.fetch_max(base as usize + CHUNK_BYTES, Ordering::Relaxed);
                c.next = base as usize;
                c.left = Self::PER_CHUNK;
                self.chunks_len.store(n + 1, Ordering::Release);
            }
            let p = c.next as *mut T;
            c.next += core::mem::size_of::<T>();
            c.left -= 1;
            Some(p)
        })
    }

    /// Whether `p` may be an object of this slab: inside the span of its
    /// chunks and aligned for `T`. Rejects null, small integers and most
    /// stray pointers without a lookup (a pointer into a gap between chunks
    /// of the span can still pass).
    pub fn plausible(&self, p: *const T) -> bool {
        let a = p as usize;
        a >= self.low.load(Ordering::Relaxed)
            && a + core::mem::size_of::<T>() <= self.high.load(Ordering::Relaxed)
            && a.is_multiple_of(core::mem::align_of::<T>())
    }

    /// The position of object `p` of this slab among all its objects (chunk
    /// by chunk), a small number that [`Slab::at`] turns back into `p`.
    pub fn index_of(&self, p: *const T) -> Option<usize> {
        let size = core::mem::size_of::<T>();
        let a = p as usize;
        (0..self.chunks_len.load(Ordering::Acquire)).find_map(|i| {
            let base = self.chunks[i].load(Ordering::Relaxed) as usize;
            let off = a.wrapping_sub(base);
            (off < Self::PER_CHUNK * size && off.is_multiple_of(size)).then_some(i * Self::PER_CHUNK + off / size)
        })
    }

    /// The object at position `index` (see [`Slab::index_of`]), if its chunk
    /// exists (it may not have been handed out yet: then it is zeroed).
    pub fn at(&self, index: usize) -> Option<*mut T> {
        let (chunk, slot) = (index / Self::PER_CHUNK, index % Self::PER_CHUNK);
        if chunk >= self.chunks_len.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: within the chunk mapping, which is never unmapped.
        Some(unsafe { self.chunks[chunk].load(Ordering::Relaxed).add(slot) })
    }

    /// Visits every object handed out so far (and possibly some zeroed ones
    /// not yet handed out from the newest chunk: `f` must accept those).
    pub fn for_each(&self, mut f: impl FnMut(*mut T)) {
        let n = self.chunks_len.load(Ordering::Acquire);
        for i in 0..n {
            let base = self.chunks[i].load(Ordering::Relaxed);
            for j in 0..Self::PER_CHUNK {
                // SAFETY: within the chunk mapping, which is never unmapped.
                f(unsafe { base.add(j) });
            }
        }
    }
}
