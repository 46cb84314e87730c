//! Layer 3: memory for user threads.
//!
//! * [`stack`] — stacks: default-size stacks carved from large lazily
//!   committed reservations with in-place guard pages; other sizes mapped
//!   one by one; user-supplied stacks borrowed.
//! * [`tcb`] — glibc-compatible thread control blocks (static TLS +
//!   `struct pthread`) built through ld.so and recycled without leaking.
//! * [`heap`] — the runtime's own allocator (Rust's global allocator here):
//!   anonymous mappings, never the program's `malloc`.
//! * [`slab`] — type-stable memory for thread descriptors: never returned to
//!   the system, so a stale pointer always reads a descriptor.
//! * [`uthread`] — the thread descriptor itself, plain data every layer
//!   above keeps its per-thread state in.

pub mod heap;
pub mod slab;
pub mod stack;
pub mod tcb;
pub mod uthread;

pub const PAGE: usize = 4096;

pub fn page_round_up(n: usize) -> usize {
    (n + PAGE - 1) & !(PAGE - 1)
}
