//! `dlopen`/`dlmopen`/`dlclose`: glibc's, plus one repair, with the
//! caller's identity kept.
//!
//! **The repair.** When a library loaded now uses static (initial-exec)
//! TLS, glibc copies its TLS image into the threads *it* knows; after every
//! successful load mnthread copies it into every TCB it owns
//! ([`after_load`]), and after every successful unload re-reads the module
//! list. Neither touches errno (saved and restored) nor the dlerror state
//! (they make no dl* call that reports through dlerror).
//!
//! **Why the caller matters.** glibc's `dlopen`/`dlmopen` take the address
//! they will return to as "the caller": the object whose loaded segment
//! (PT_LOAD) holds that address supplies the RPATH/RUNPATH searched for a
//! bare name, the directory `$ORIGIN` stands for, and (dlopen) the
//! namespace the new object joins; an address in no object means the main
//! program. An export that simply called glibc from here would make
//! libmnthread the caller of every dlopen.
//!
//! **Protocol.** `dlopen` and `dlmopen` are bare stubs ([`dl_stub`]):
//! 1. save the arguments in rbx/r12/r13 (pushed first, restored last);
//! 2. ask [`gadget_for`] for a *gadget*: the address of a byte 0xC3 (`ret`)
//!    inside the same executable PT_LOAD segment as the program's return
//!    address — scanning forward from it, then backward — or, when that
//!    address lies in no object of libmnthread's namespace (JIT code), the
//!    `ret` byte of an anonymous executable page mapped once, in no object
//!    just like the real caller;
//! 3. push the stub's continuation, then the gadget, and jump to glibc:
//!    glibc sees the gadget as its return address, so it attributes the
//!    call to the very object the program's return address is in;
//! 4. glibc returns to the gadget, whose `ret` pops the continuation; the
//!    stub passes the handle to [`loaded`] (the repair when not null) and
//!    returns it to the program.
//!
//! Invariants: rsp is 8 mod 16 at glibc's entry and 0 mod 16 at each call
//! to a helper; glibc and the helpers preserve rbx/r12/r13, and the stub
//! restores them for the program; rax (the handle) is the only result.
//! Objects are listed with `dl_iterate_phdr`, which reports the namespace
//! of its caller — libmnthread's. That is the namespace of every caller of
//! these exports: code in another namespace binds `dlopen` to that
//! namespace's own libc. Shadow stacks must be off (a `ret` to an address
//! no `call` pushed): glibc 2.36 never enables them. If the caller's
//! object has no readable, executable `ret` byte at all (no compiler
//! emits such an object), the anonymous page stands in and glibc treats
//! the call as the main program's.
//!
//! **What an unwinder sees.** Inside glibc's dlopen (a constructor of the
//! loaded library, an audit hook, a signal handler during the load) the
//! frame above glibc's returns to the gadget, so a backtrace shows the
//! function of the caller's object that holds that byte, and its CFI does
//! not describe this stack: the walk stops there or goes astray beyond it
//! (an exception thrown out of a constructor cannot cross it). Once glibc
//! has returned, the stub's own CFI describes its frame exactly, so a
//! backtrace taken during the repair is right.
//!
//! **Alternatives rejected.** Resolving the search path ourselves (from
//! `dlinfo(RTLD_DI_SERINFO)` of the caller's object) and opening a full
//! path: glibc's search also consults the cache, LD_LIBRARY_PATH, hwcaps
//! subdirectories and the namespace rules, and the error message would
//! differ — not exact. Hooking ld.so's private `_dl_init_static_tls`:
//! exact timing, but a private symbol that is not exported. Tail-jumping
//! to glibc and repairing lazily (at the next scheduling point, or when
//! a thread first runs after the load): the caller could use the new
//! library's TLS on another thread before any repair runs — control is lost.

use core::ffi::{c_char, c_int, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::mem::{tcb, PAGE};
use crate::sys::fatal::die;
use crate::sys::real::real;
use crate::sys::{errno, raw};
use crate::thread::pool;

/// x86_64 `ret`.
const RET: u8 = 0xC3;

/// The TLS repair after a load; false when memory ran out for it (the
/// caller then undoes the load: a library whose TLS some threads lack
/// must not be used).
fn after_load() -> bool {
    let Some(added) = tcb::refresh_modules() else { return false };
    if !added.is_empty() {
        pool::for_each_owned_tcb(|tp| tcb::init_added(tp, &added));
    }
    true
}

/// What a stub needs to call glibc: the return address glibc records
/// (rax) and glibc's entry point (rdx).
#[repr(C)]
struct Call {
    gadget: usize,
    target: usize,
}

extern "C" fn dlopen_call(ret: usize) -> Call {
    Call { gadget: gadget_for(ret), target: real().dlopen as usize }
}

extern "C" fn dlmopen_call(ret: usize) -> Call {
    Call { gadget: gadget_for(ret), target: real().dlmopen as usize }
}

/// The stub's continuation after glibc returned handle `h`: the repair, or
/// the load undone (null) when memory for the repair ran out.
extern "C" fn loaded(h: *mut c_void) -> *mut c_void {
    if h.is_null() {
        return h;
    }
    let e = errno::get();
    let repaired = after_load();
    errno::set(e);
    if repaired {
        return h;
    }
    // SAFETY: the handle glibc just returned, not yet seen by the program.
    unsafe { (real().dlclose)(h) };
    core::ptr::null_mut()
}

/// The body of a stub for a glibc entry taking up to three integer
/// arguments; `$call` returns the [`Call`] for a return address. Stack
/// offsets are from the entry rsp (8 mod 16).
macro_rules! dl_stub {
    ($call:path) => {
        core::arch::naked_asm!(
            ".cfi_startproc",
            "push rbx",
            ".cfi_adjust_cfa_offset 8",
            ".cfi_offset rbx, -16",
            "push r12",
            ".cfi_adjust_cfa_offset 8",
            ".cfi_offset r12, -24",
            "push r13",
            ".cfi_adjust_cfa_offset 8",
            ".cfi_offset r13, -32",
            "mov rbx, rdi",
            "mov r12, rsi",
            "mov r13, rdx",
            // the program's return address; rsp is 0 mod 16 here
            "mov rdi, [rsp + 24]",
            "call {call}",
            "mov rdi, rbx",
            "mov rsi, r12",
            "mov r11, rdx",
            "mov rdx, r13",
            "lea rcx, [rip + 2f]",
            // pad, continuation, gadget: rsp is 8 mod 16 at glibc's entry
            "sub rsp, 8",
            ".cfi_adjust_cfa_offset 8",
            "push rcx",
            ".cfi_adjust_cfa_offset 8",
            "push rax",
            ".cfi_adjust_cfa_offset 8",
            "jmp r11",
            // reached from the gadget's `ret`: gadget and continuation popped
            ".cfi_adjust_cfa_offset -16",
            "2:",
            "add rsp, 8",
            ".cfi_adjust_cfa_offset -8",
            "mov rdi, rax",
            "call {loaded}",
            "pop r13",
            ".cfi_adjust_cfa_offset -8",
            ".cfi_restore r13",
            "pop r12",
            ".cfi_adjust_cfa_offset -8",
            ".cfi_restore r12",
            "pop rbx",
            ".cfi_adjust_cfa_offset -8",
            ".cfi_restore rbx",
            "ret",
            ".cfi_endproc",
            call = sym $call,
            loaded = sym loaded,
        )
    };
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn dlopen(file: *const c_char, mode: c_int) -> *mut c_void {
    dl_stub!(dlopen_call)
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn dlmopen(ns: libc::Lmid_t, file: *const c_char, mode: c_int) -> *mut c_void {
    dl_stub!(dlmopen_call)
}

#[no_mangle]
pub extern "C" fn dlclose(h: *mut c_void) -> c_int {
    // SAFETY: glibc's dlclose with the program's handle (glibc ignores its
    // caller here).
    let r = unsafe { (real().dlclose)(h) };
    if r == 0 {
        let e = errno::get();
        tcb::refresh_modules();
        crate::fork::atfork::forget_unloaded();
        errno::set(e);
    }
    r
}

/// A `ret` byte glibc attributes to the same object as `pc` (see the
/// module docs).
fn gadget_for(pc: usize) -> usize {
    let mut find = Find { pc, gadget: 0 };
    // SAFETY: find_in matches dl_iterate_phdr's callback contract and
    // `data` is our Find, alive for the call.
    unsafe { libc::dl_iterate_phdr(Some(find_in), &mut find as *mut Find as *mut c_void) };
    if find.gadget != 0 {
        find.gadget
    } else {
        anonymous_gadget()
    }
}

struct Find {
    pc: usize,
    gadget: usize,
}

/// Whether `seg` is a mapped, readable and executable PT_LOAD segment.
fn code_segment(seg: &libc::Elf64_Phdr) -> bool {
    seg.p_type == libc::PT_LOAD && seg.p_flags & libc::PF_X != 0 && seg.p_flags & libc::PF_R != 0
}

/// The first `ret` byte at or after `pc`, else the last one before it, in
/// the `len` bytes at `start` (`pc` may lie outside them).
///
/// # Safety
/// The `len` bytes at `start` are mapped and readable.
unsafe fn scan(start: usize, len: usize, pc: usize) -> Option<usize> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { core::slice::from_raw_parts(start as *const u8, len) };
    let split = pc.clamp(start, start + len) - start;
    if let Some(i) = bytes[split..].iter().position(|&b| b == RET) {
        return Some(start + split + i);
    }
    bytes[..split].iter().rposition(|&b| b == RET).map(|i| start + i)
}

unsafe extern "C" fn find_in(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
    // SAFETY: ld.so hands a valid dl_phdr_info whose program headers it
    // keeps mapped; `data` is our Find.
    unsafe {
        let info = &*info;
        let find = &mut *(data as *mut Find);
        let base = info.dlpi_addr as usize;
        let phdrs = core::slice::from_raw_parts(info.dlpi_phdr, info.dlpi_phnum as usize);
        let holds = |ph: &libc::Elf64_Phdr| {
            let start = base + ph.p_vaddr as usize;
            ph.p_type == libc::PT_LOAD && (start..start + ph.p_memsz as usize).contains(&find.pc)
        };
        let Some(own) = phdrs.iter().find(|ph| holds(ph)) else { return 0 };
        // The segment holding the return address first, then the object's
        // other code segments; the file-backed part of each is mapped.
        let candidates = core::iter::once(own).filter(|ph| code_segment(ph)).chain(phdrs.iter().filter(|ph| code_segment(ph) && !holds(ph)));
        for ph in candidates {
            let start = base + ph.p_vaddr as usize;
            if let Some(g) = scan(start, ph.p_filesz.min(ph.p_memsz) as usize, find.pc) {
                find.gadget = g;
                break;
            }
        }
        1
    }
}

/// The `ret` byte of mnthread's anonymous executable page (in no object).
static ANONYMOUS: AtomicUsize = AtomicUsize::new(0);

fn anonymous_gadget() -> usize {
    let g = ANONYMOUS.load(Ordering::Acquire);
    if g != 0 {
        return g;
    }
    // SAFETY: a fresh private anonymous page, written before it becomes
    // executable and published only then.
    unsafe {
        let p = raw::mmap(0, PAGE, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS);
        if p < 0 {
            die(&["cannot map a page for dlopen's return address"]);
        }
        let p = p as usize;
        *(p as *mut u8) = RET;
        if raw::mprotect(p, PAGE, libc::PROT_READ | libc::PROT_EXEC) < 0 {
            die(&["cannot make dlopen's return page executable"]);
        }
        match ANONYMOUS.compare_exchange(0, p, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => p,
            Err(first) => {
                raw::munmap(p, PAGE);
                first
            }
        }
    }
}
