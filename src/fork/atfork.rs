//! Fork handlers: mnthread's own registry behind `__register_atfork` and
//! `pthread_atfork`, run by mnthread's `fork` on the forking thread, in that
//! thread's own context.
//!
//! Why mnthread keeps them: a program's `pthread_atfork` is linked into it
//! statically and hands the handlers to libc's `__register_atfork` together
//! with the registering object's `__dso_handle`. glibc would run them inside
//! its own fork, which mnthread calls on the carrier's glibc TCB (see
//! `fork::protocol`): a handler would see the carrier's identity in
//! `pthread_self()`, and one that waits for a lock held by another user
//! thread would park — or block the carrier — with `%fs` pointing at the
//! wrong TCB and glibc's fork lock held. So mnthread exports
//! `__register_atfork` (and `pthread_atfork`, for callers that reach it
//! through libc's old compat symbol) and glibc's own list stays empty.
//!
//! # Registry
//! One `Vec` of entries `{id, prepare, parent, child, owner}` from the
//! runtime's own heap (`mem::heap`), never `malloc` (an allocator registers
//! its handlers while it initialises itself: a registry that used it would
//! recurse into it); growth that cannot be had is `ENOMEM`, as glibc
//! answers when its own list cannot grow. Every
//! registration takes the next id (ids start at 1, grow, are never reused),
//! so the vector is sorted by id and registration order is id order. The
//! one lock ([`Locked`]) guards the vector and the id counter.
//!
//! # Protocol of a fork
//! 1. [`prepare`]: note `limit`, the next id not yet given out; then the
//!    prepare handlers from the newest entry down. Each step takes the lock,
//!    finds the entry with the greatest id below the previous one's, drops
//!    the lock and calls the handler — on the calling thread, which may park
//!    in it, register more handlers, or let others register or dlclose.
//! 2. [`hold`]: the lock, held across glibc's fork, so the child never
//!    inherits it taken by a thread that does not exist there, nor the
//!    vector in the middle of a registration or a removal. The forking
//!    thread, the one that survives, drops it in both processes.
//! 3. [`after`]: the parent (or child) handlers from the oldest entry up,
//!    stepping by id the same way, of the entries with an id below `limit`.
//!
//! Stepping by id rather than by index makes any registration or removal
//! between two handler calls harmless: the walk resumes at the right entry
//! wherever the vector moved it.
//!
//! # Invariants
//! * The lock is never held across a handler call (a handler may register
//!   or park), nor across a call into ld.so (`dladdr` takes ld.so's lock,
//!   under which a library's constructor may be registering: see
//!   [`forget_unloaded`]). It is held across glibc's fork only.
//! * A fork runs parent/child handlers only of entries that existed when its
//!   prepare walk began and still exist: handlers registered during a fork
//!   run from the next one on (as glibc: its walk uses the list it had).
//! * An entry's `owner` is an address inside the object whose code the
//!   entry calls: the `dso_handle` given to `__register_atfork` (NULL: never
//!   removed), or for `pthread_atfork` the first handler itself. After a
//!   `dlclose`, entries whose owner lies in no loaded object are removed
//!   (glibc's dlclose tells only its own list).
//!
//! # Alternatives rejected
//! * Letting glibc keep the handlers and running its fork on the user TCB:
//!   glibc's fork walks its thread lists through the TCB (`fork::protocol`).
//! * A linked list of nodes: the walk by id needs a sorted array to search.
//! * Holding the lock across the whole fork, handlers included: a handler
//!   that registers would deadlock, and a parked holder would make every
//!   registering thread block its carrier.
//! * Resetting the lock in the child instead of holding it across glibc's
//!   fork: a registration caught half way (a vector being copied) would be
//!   inherited half done.

use core::ffi::c_void;

use crate::sys::lock::{Locked, LockedGuard};

/// A fork handler as C declares it.
pub type Handler = Option<unsafe extern "C" fn()>;

#[derive(Clone, Copy)]
struct Entry {
    id: u64,
    prepare: Handler,
    parent: Handler,
    child: Handler,
    owner: usize,
}

struct Registry {
    entries: Vec<Entry>,
    next_id: u64,
}

static REGISTRY: Locked<Registry> = Locked::new(Registry { entries: Vec::new(), next_id: 1 });

impl Registry {
    /// Appends an entry; false if no memory could be had for it.
    fn push(&mut self, prepare: Handler, parent: Handler, child: Handler, owner: usize) -> bool {
        if self.entries.try_reserve(1).is_err() {
            return false;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.entries.push(Entry { id, prepare, parent, child, owner });
        true
    }

    /// The entry with the greatest id below `id`.
    fn last_before(&self, id: u64) -> Option<Entry> {
        let s = &self.entries;
        let i = s.partition_point(|e| e.id < id);
        i.checked_sub(1).map(|i| s[i])
    }

    /// The entry with the smallest id above `id`.
    fn first_after(&self, id: u64) -> Option<Entry> {
        let s = &self.entries;
        s.get(s.partition_point(|e| e.id <= id)).copied()
    }

    /// Removes every entry owned by `owner`, keeping the others' order.
    fn remove_owner(&mut self, owner: usize) {
        self.entries.retain(|e| e.owner != owner);
    }
}

/// Registers a handler triple owned by `owner` (see the module doc): 0 or
/// `ENOMEM`.
pub fn register(prepare: Handler, parent: Handler, child: Handler, owner: usize) -> i32 {
    if REGISTRY.with(|r| r.push(prepare, parent, child, owner)) {
        0
    } else {
        libc::ENOMEM
    }
}

/// What a fork's prepare walk saw: the handlers its other walk may run.
pub struct Snapshot {
    limit: u64,
}

/// Step 1 of a fork: the prepare handlers, newest first, on the caller.
pub fn prepare() -> Snapshot {
    let limit = REGISTRY.with(|r| r.next_id);
    let mut cursor = limit;
    while let Some(e) = REGISTRY.with(|r| r.last_before(cursor)) {
        cursor = e.id;
        if let Some(f) = e.prepare {
            // SAFETY: a handler the program registered, called as C's
            // fork would call it, with no runtime lock held.
            unsafe { f() };
        }
    }
    Snapshot { limit }
}

/// The registry's lock, held across glibc's fork (step 2); dropping it
/// releases the lock, in the parent and in the child alike.
pub struct Hold {
    _lock: LockedGuard<'static, Registry>,
}

/// Step 2: takes the registry's lock to hold across glibc's fork.
pub fn hold() -> Hold {
    Hold { _lock: REGISTRY.lock() }
}

/// Step 3: the parent's (or the child's) handlers, oldest first, of the
/// entries `snap` saw.
pub fn after(snap: Snapshot, in_child: bool) {
    let mut cursor = 0;
    while let Some(e) = REGISTRY.with(|r| r.first_after(cursor)) {
        if e.id >= snap.limit {
            break;
        }
        cursor = e.id;
        if let Some(f) = if in_child { e.child } else { e.parent } {
            // SAFETY: as in `prepare`.
            unsafe { f() };
        }
    }
}

/// Does `addr` lie in an object that is loaded now?
fn loaded(addr: usize) -> bool {
    let mut info = core::mem::MaybeUninit::<libc::Dl_info>::uninit();
    // SAFETY: dladdr only looks the address up and fills `info`.
    unsafe { libc::dladdr(addr as *const c_void, info.as_mut_ptr()) != 0 }
}

/// After a `dlclose`: removes the entries whose owner was unloaded. The
/// lock is dropped around each `dladdr` (see the invariants).
pub fn forget_unloaded() {
    let mut cursor = 0;
    let mut known_loaded = 0;
    while let Some(e) = REGISTRY.with(|r| r.first_after(cursor)) {
        cursor = e.id;
        if e.owner == 0 || e.owner == known_loaded {
            continue;
        }
        if loaded(e.owner) {
            known_loaded = e.owner;
        } else {
            REGISTRY.with(|r| r.remove_owner(e.owner));
        }
    }
}
