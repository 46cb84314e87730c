//! Thread-specific data (`pthread_key_*`).
//!
//! A global table of `PTHREAD_KEYS_MAX` keys, each with a sequence number
//! (odd = in use) and a destructor. Each thread stores `(seq, value)` pairs:
//! the first 32 keys inline in its descriptor, the rest in 31 blocks of 32
//! allocated on first use. A value counts only while its stored sequence
//! equals the key's current one, so values of a deleted key vanish from
//! every thread at once without visiting them (glibc's scheme).
//!
//! At thread exit, destructors run for non-null values, up to
//! `PTHREAD_DESTRUCTOR_ITERATIONS` rounds while values keep reappearing.

use core::ffi::c_void;
use core::sync::atomic::{AtomicUsize, Ordering};

pub use crate::mem::uthread::KEYS_MAX;
pub const DESTRUCTOR_ITERATIONS: usize = 4;
use crate::mem::uthread::{KeyData, KeyEntry as Entry, KEY_BLOCK as BLOCK};

pub type Destructor = unsafe extern "C" fn(*mut c_void);

struct KeySlot {
    seq: AtomicUsize,
    destructor: AtomicUsize,
}

static KEYS: [KeySlot; KEYS_MAX] = [const { KeySlot { seq: AtomicUsize::new(0), destructor: AtomicUsize::new(0) } }; KEYS_MAX];

/// Creates a key; `None` when all are in use (EAGAIN).
pub fn create(destructor: Option<Destructor>) -> Option<usize> {
    for (k, slot) in KEYS.iter().enumerate() {
        let seq = slot.seq.load(Ordering::Relaxed);
        if seq % 2 == 0 && slot.seq.compare_exchange(seq, seq + 1, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            slot.destructor.store(destructor.map_or(0, |d| d as usize), Ordering::Release);
            return Some(k);
        }
    }
    None
}

/// Deletes a key; false if it is not in use (EINVAL).
pub fn delete(key: usize) -> bool {
    let Some(slot) = KEYS.get(key) else { return false };
    let seq = slot.seq.load(Ordering::Relaxed);
    seq % 2 == 1 && slot.seq.compare_exchange(seq, seq + 1, Ordering::AcqRel, Ordering::Relaxed).is_ok()
}

fn entry(d: &mut KeyData, key: usize, alloc: bool) -> Option<&mut Entry> {
    if key < BLOCK {
        return Some(&mut d.first[key]);
    }
    let b = key / BLOCK - 1;
    if d.rest[b].is_null() {
        if !alloc {
            return None;
        }
        // SAFETY: calloc gives zeroed entries (seq 0 = never valid); freed in `release`.
        let p = unsafe { libc::calloc(1, core::mem::size_of::<[Entry; BLOCK]>()) } as *mut [Entry; BLOCK];
        if p.is_null() {
            return None;
        }
        d.rest[b] = p;
    }
    // SAFETY: a block allocated above, owned by this thread's data.
    Some(unsafe { &mut (*d.rest[b])[key % BLOCK] })
}

pub fn get(d: &mut KeyData, key: usize) -> *mut c_void {
    let Some(slot) = KEYS.get(key) else { return core::ptr::null_mut() };
    let seq = slot.seq.load(Ordering::Acquire);
    match entry(d, key, false) {
        Some(e) if e.seq == seq && seq % 2 == 1 => e.value,
        _ => core::ptr::null_mut(),
    }
}

/// Sets a value: `Err(EINVAL)` for a key not in use, `Err(ENOMEM)`.
pub fn set(d: &mut KeyData, key: usize, value: *mut c_void) -> Result<(), i32> {
    let Some(slot) = KEYS.get(key) else { return Err(libc::EINVAL) };
    let seq = slot.seq.load(Ordering::Acquire);
    if seq % 2 == 0 {
        return Err(libc::EINVAL);
    }
    d.used = true;
    let e = entry(d, key, true).ok_or(libc::ENOMEM)?;
    e.seq = seq;
    e.value = value;
    Ok(())
}

/// Runs destructors for the thread's values (at thread exit).
pub fn run_destructors(d: &mut KeyData) {
    if !d.used {
        return;
    }
    for _ in 0..DESTRUCTOR_ITERATIONS {
        let mut any = false;
        for (k, slot) in KEYS.iter().enumerate() {
            let seq = slot.seq.load(Ordering::Acquire);
            if seq % 2 == 0 {
                continue;
            }
            let Some(e) = entry(d, k, false) else { continue };
            if e.seq != seq || e.value.is_null() {
                continue;
            }
            let value = core::mem::replace(&mut e.value, core::ptr::null_mut());
            let dtor = slot.destructor.load(Ordering::Acquire);
            if dtor != 0 {
                any = true;
                // SAFETY: the program registered this destructor for this key.
                unsafe { core::mem::transmute::<usize, Destructor>(dtor)(value) };
            }
        }
        if !any {
            return;
        }
    }
}

/// Forgets every value and frees the blocks (the thread is gone).
pub fn release(d: &mut KeyData) {
    if !d.used {
        return;
    }
    d.used = false;
    for e in d.first.iter_mut() {
        *e = Entry { seq: 0, value: core::ptr::null_mut() };
    }
    for b in d.rest.iter_mut() {
        if !b.is_null() {
            // SAFETY: allocated by calloc in `entry`.
            unsafe { libc::free(*b as *mut c_void) };
            *b = core::ptr::null_mut();
        }
    }
}
