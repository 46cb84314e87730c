//! Thread control blocks that glibc cannot tell from its own.
//!
//! x86_64 glibc places `struct pthread` at the thread pointer (`%fs` base)
//! and the static TLS blocks of all initially loaded modules below it. ld.so
//! builds that memory for us (`_dl_allocate_tls`: dtv + static TLS images);
//! we then fill in what glibc's own thread start would (docs/DESIGN.md lists
//! each field and the crash it prevents):
//!
//! * `tcb`/`self` point at the TCB; `multiple_threads`, `sysinfo`, the stack
//!   and pointer guards and `feature_1` are copied from the process's values
//!   (a zero pointer guard breaks `atexit` and `setjmp`).
//! * `tid` is unique and non-zero — glibc's recursive locks use it as the
//!   owner — and above `PID_MAX_LIMIT`, so it never equals a kernel tid.
//! * the rseq `cpu_id` is -2 so `sched_getcpu` asks the vDSO, the resolver
//!   state pointer `__resp` points at the TCB's own `res`, and
//!   `stackblock`/`stackblock_size` describe the thread's stack.
//! * `__ctype_init` runs on the thread itself when it starts.
//!
//! Recycling: a TCB is reused with its descriptor. Re-running ld.so's TLS
//! init would also reset libc's own TLS and leak malloc's per-thread cache
//! (tcache) each time, so instead we restore the TLS image of every *other*
//! static-TLS module, free the dynamic TLS blocks through the dtv (as glibc
//! does for its cached stacks), and reset errno. libc's locale pointer is
//! reset when the thread exits (`uselocale(LC_GLOBAL_LOCALE)`).
//!
//! Modules with static TLS are listed from ld.so's link maps; the list is
//! rebuilt after every `dlopen`, and a module that appeared then (an
//! initial-exec TLS library loaded late) gets its image copied into every
//! TCB mnthread owns, live or cached — glibc does that only for its own
//! threads.

use core::ffi::{c_int, c_void};
use core::sync::atomic::{AtomicI32, AtomicPtr, Ordering};

use crate::sys::fatal::die;
use crate::sys::lock::Locked;
use crate::sys::real::real;

/// Offsets in glibc 2.36's `struct pthread` that libthread_db does not
/// export (from debug info; checked against the glibc version at init).
const OFF_STACKBLOCK: usize = 1680;
const OFF_STACKBLOCK_SIZE: usize = 1688;
const OFF_RES: usize = 1720;
/// tcbhead_t (ABI-stable).
const OFF_MULTIPLE_THREADS: usize = 24;
const OFF_SYSINFO: usize = 32;
const OFF_STACK_GUARD: usize = 0x28;
const OFF_POINTER_GUARD: usize = 0x30;
const OFF_FEATURE_1: usize = 0x48;

/// First synthetic tid: above Linux's PID_MAX_LIMIT (4,194,304).
const FIRST_TID: i32 = 0x4000_0000;
static NEXT_TID: AtomicI32 = AtomicI32::new(FIRST_TID);

/// Whether `tid` is one of the synthetic ids of user threads.
pub fn is_synthetic_tid(tid: i32) -> bool {
    tid >= FIRST_TID
}

/// The synthetic id the next user thread's TCB gets.
pub fn next_tid() -> i32 {
    NEXT_TID.load(Ordering::Relaxed)
}

/// A new synthetic id: every thread gets its own (a recycled TCB too), in
/// increasing order — a fork child tells its own threads from the parent's
/// by it — wrapping to the first after 2^30 of them.
fn new_tid() -> i32 {
    let prev = NEXT_TID.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| Some(if n == i32::MAX { FIRST_TID } else { n + 1 }));
    prev.unwrap_or(FIRST_TID)
}

struct Layout {
    sysinfo: usize,
    stack_guard: usize,
    pointer_guard: usize,
    feature_1: u32,
    /// errno and `__resp` as offsets from the thread pointer.
    errno_off: isize,
    resp_off: isize,
    /// Whether the private `struct pthread` offsets above are known good.
    private_offsets: bool,
    /// Offsets of `l_tls_modid`/`l_tls_offset` in `struct link_map`.
    lm_modid_off: usize,
    lm_offset_off: usize,
}

static mut LAYOUT: Layout = Layout {
    sysinfo: 0,
    stack_guard: 0,
    pointer_guard: 0,
    feature_1: 0,
    errno_off: 0,
    resp_off: 0,
    private_offsets: false,
    lm_modid_off: 0,
    lm_offset_off: 0,
};

fn layout() -> &'static Layout {
    // SAFETY: written once by `init` before any TCB is built; read-only after.
    unsafe { &*core::ptr::addr_of!(LAYOUT) }
}

#[inline]
unsafe fn field<T>(tp: usize, off: usize) -> *mut T {
    (tp + off) as *mut T
}

/// Reads the process-wide values from the calling (glibc-made) thread.
/// Runs once, from the library constructor.
pub fn init() {
    let tp = crate::arch::thread_pointer();
    let r = real();
    // SAFETY: `tp` is the caller's glibc TCB; the offsets are tcbhead_t's.
    // gnu_get_libc_version returns a static string. __errno_location and
    // `resp_addr` are addresses in the caller's static TLS.
    unsafe {
        let version = core::ffi::CStr::from_ptr(libc::gnu_get_libc_version());
        let l = &mut *core::ptr::addr_of_mut!(LAYOUT);
        l.sysinfo = *field::<usize>(tp, OFF_SYSINFO);
        l.stack_guard = *field::<usize>(tp, OFF_STACK_GUARD);
        l.pointer_guard = *field::<usize>(tp, OFF_POINTER_GUARD);
        l.feature_1 = *field::<u32>(tp, OFF_FEATURE_1);
        l.errno_off = libc::__errno_location() as isize - tp as isize;
        l.resp_off = r.resp_addr as isize - tp as isize;
        l.private_offsets = version.to_bytes() == b"2.36" && r.sizeof_pthread == 2368;
        l.lm_modid_off = thread_db_offset(c"_thread_db_link_map_l_tls_modid");
        l.lm_offset_off = thread_db_offset(c"_thread_db_link_map_l_tls_offset");
    }
    if refresh_modules().is_none() {
        die(&["out of memory at start-up"]);
    }
}

fn thread_db_offset(name: &core::ffi::CStr) -> usize {
    // SAFETY: libc exports libthread_db descriptors as {bits, count, offset}.
    unsafe {
        let p = libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) as *const u32;
        if p.is_null() {
            die(&["glibc lacks ", name.to_str().unwrap_or("?")]);
        }
        *p.add(2) as usize
    }
}

/// Builds a fresh TCB. Runs on any thread with a valid TCB (it mallocs).
/// Returns its thread pointer, or `None` when memory runs out.
pub fn build() -> Option<usize> {
    let r = real();
    let l = layout();
    // SAFETY: _dl_allocate_tls(NULL) allocates dtv + static TLS + a zeroed
    // struct pthread and returns the thread pointer; we then write fields of
    // that struct at offsets valid for this glibc.
    unsafe {
        let tp = (r.dl_allocate_tls)(core::ptr::null_mut()) as usize;
        if tp == 0 {
            return None;
        }
        *field::<usize>(tp, 0) = tp;
        *field::<usize>(tp, 16) = tp;
        *field::<c_int>(tp, OFF_MULTIPLE_THREADS) = 1;
        *field::<usize>(tp, OFF_SYSINFO) = l.sysinfo;
        *field::<usize>(tp, OFF_STACK_GUARD) = l.stack_guard;
        *field::<usize>(tp, OFF_POINTER_GUARD) = l.pointer_guard;
        *field::<u32>(tp, OFF_FEATURE_1) = l.feature_1;
        *field::<i32>(tp, r.pthread_tid_offset) = new_tid();
        // rseq area: cpu_id_start (u32) then cpu_id (i32).
        *field::<i32>(tp, (r.rseq_offset + 4) as usize) = -2;
        if l.private_offsets {
            *((tp as isize + l.resp_off) as *mut usize) = tp + OFF_RES;
        }
        init_static_modules(tp, modules());
        // Its contexts count their runtime locks in it (`sys::lock`).
        crate::sys::lock::mark_context(tp);
        Some(tp)
    }
}

/// The process's pointer guard (glibc mangles saved pointers with it).
pub fn pointer_guard() -> usize {
    layout().pointer_guard
}

/// Records the thread's stack where glibc looks for it (alloca cut-off).
pub fn set_stack(tp: usize, low: usize, size: usize) {
    if layout().private_offsets {
        // SAFETY: offsets verified for this glibc at init.
        unsafe {
            *field::<usize>(tp, OFF_STACKBLOCK) = low;
            *field::<usize>(tp, OFF_STACKBLOCK_SIZE) = size;
        }
    }
}

/// Makes a recycled TCB look fresh to a new thread (see module docs).
pub fn recycle(tp: usize) {
    // SAFETY: the TCB belongs to no running thread; the dtv layout is glibc's
    // (`dtv[-1].counter` = length, entries {val, to_free}).
    unsafe {
        *field::<i32>(tp, real().pthread_tid_offset) = new_tid();
        let dtv = *field::<*mut [usize; 2]>(tp, 8);
        let len = (*dtv.sub(1))[0];
        for i in 1..=len {
            let e = &mut *dtv.add(i);
            if e[1] != 0 {
                libc::free(e[1] as *mut c_void);
                e[0] = usize::MAX; // TLS_DTV_UNALLOCATED
                e[1] = 0;
            }
        }
        *((tp as isize + layout().errno_off) as *mut c_int) = 0;
    }
    init_static_modules(tp, modules());
}

/// One module with static TLS (not libc), as ld.so laid it out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TlsModule {
    modid: usize,
    /// The block lies at `tp - offset`.
    offset: usize,
    image: usize,
    filesz: usize,
    memsz: usize,
}

struct ModuleList {
    mods: Vec<TlsModule>,
}

static MODULES: AtomicPtr<ModuleList> = AtomicPtr::new(core::ptr::null_mut());
static REFRESH: Locked<()> = Locked::new(());

fn modules() -> &'static [TlsModule] {
    let p = MODULES.load(Ordering::Acquire);
    if p.is_null() {
        return &[];
    }
    // SAFETY: lists are leaked, never freed (dlopen is rare; a few hundred
    // bytes each), so the reference stays valid.
    unsafe { &(*p).mods }
}

/// Copies every listed module's TLS image into the TCB at `tp`.
fn init_static_modules(tp: usize, mods: &[TlsModule]) {
    for m in mods {
        let dst = tp - m.offset;
        // SAFETY: ld.so reserved `memsz` bytes at `tp - offset` in every TCB's
        // static TLS area for this module; `image` holds `filesz` bytes.
        unsafe {
            core::ptr::copy_nonoverlapping(m.image as *const u8, dst as *mut u8, m.filesz);
            core::ptr::write_bytes((dst + m.filesz) as *mut u8, 0, m.memsz - m.filesz);
        }
    }
}

struct PhdrScan {
    mods: Vec<TlsModule>,
    /// Memory ran out while listing.
    failed: bool,
}

unsafe extern "C" fn scan_one(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
    // SAFETY: ld.so hands a valid dl_phdr_info; `data` is our PhdrScan.
    unsafe {
        let info = &*info;
        let scan = &mut *(data as *mut PhdrScan);
        if info.dlpi_tls_modid == 0 {
            return 0;
        }
        for i in 0..info.dlpi_phnum as usize {
            let ph = &*info.dlpi_phdr.add(i);
            if ph.p_type == libc::PT_TLS {
                if scan.mods.try_reserve(1).is_err() {
                    scan.failed = true;
                    return 1;
                }
                scan.mods.push(TlsModule {
                    modid: info.dlpi_tls_modid,
                    offset: 0,
                    image: info.dlpi_addr as usize + ph.p_vaddr as usize,
                    filesz: ph.p_filesz as usize,
                    memsz: ph.p_memsz as usize,
                });
            }
        }
    }
    0
}

#[repr(C)]
struct RDebug {
    r_version: c_int,
    r_map: *mut LinkMapHead,
}

#[repr(C)]
struct LinkMapHead {
    l_addr: usize,
    l_name: *const u8,
    l_ld: usize,
    l_next: *mut LinkMapHead,
    l_prev: *mut LinkMapHead,
}

/// The static TLS offset ld.so gave module `modid`, if it has one.
fn static_offset_of(modid: usize) -> Option<usize> {
    let l = layout();
    // SAFETY: `_r_debug` is ld.so's exported debugger interface (resolved
    // once, so no dl* call here disturbs the program's dlerror state); the
    // private field offsets come from libthread_db descriptors.
    unsafe {
        let rd = real().r_debug as *const RDebug;
        let mut lm = (*rd).r_map;
        while !lm.is_null() {
            if *((lm as usize + l.lm_modid_off) as *const usize) == modid {
                let off = *((lm as usize + l.lm_offset_off) as *const isize);
                // 0 = NO_TLS_OFFSET, -1 = FORCED_DYNAMIC_TLS_OFFSET.
                return if off > 0 { Some(off as usize) } else { None };
            }
            lm = (*lm).l_next;
        }
    }
    None
}

/// Re-reads ld.so's modules. Returns the modules that gained static TLS
/// since the previous list (to be initialised in existing TCBs), or `None`
/// when memory ran out (the previous list is kept).
pub fn refresh_modules() -> Option<Vec<TlsModule>> {
    REFRESH.with(|_| {
        let mut scan = PhdrScan { mods: Vec::new(), failed: false };
        // SAFETY: scan_one matches dl_iterate_phdr's callback contract.
        unsafe { libc::dl_iterate_phdr(Some(scan_one), &mut scan as *mut PhdrScan as *mut c_void) };
        if scan.failed {
            return None;
        }
        let errno_off = -layout().errno_off;
        let mut mods = Vec::new();
        mods.try_reserve_exact(scan.mods.len()).ok()?;
        for mut m in scan.mods {
            let Some(off) = static_offset_of(m.modid) else { continue };
            m.offset = off;
            // libc's own block (it holds errno) keeps its state: see module docs.
            let holds_errno = errno_off > 0 && (errno_off as usize) <= off && (errno_off as usize) > off - m.memsz;
            if !holds_errno {
                mods.push(m);
            }
        }
        let old = modules();
        let mut added = Vec::new();
        added.try_reserve_exact(mods.len()).ok()?;
        added.extend(mods.iter().filter(|m| !old.contains(m)).copied());
        if old.len() != mods.len() || !added.is_empty() {
            let layout = core::alloc::Layout::new::<ModuleList>();
            // SAFETY: a non-zero-sized layout; a null result is checked.
            let list = unsafe { std::alloc::alloc(layout) } as *mut ModuleList;
            if list.is_null() {
                return None;
            }
            // SAFETY: fresh memory for one ModuleList; leaked on purpose (see `modules`).
            unsafe { list.write(ModuleList { mods }) };
            MODULES.store(list, Ordering::Release);
        }
        Some(added)
    })
}

/// Copies `added` modules' images into the TCB at `tp` (late IE-TLS fix).
pub fn init_added(tp: usize, added: &[TlsModule]) {
    init_static_modules(tp, added);
}
