//! Process-wide credential changes (setuid, setgid, setgroups and kin).
//!
//! Linux keeps credentials per kernel thread, POSIX per process. glibc
//! bridges the gap by walking its own thread list, which does not know
//! mnthread's threads and relies on `%fs` naming the signalled thread, so
//! mnthread brings the change to every kernel thread itself — carriers, the
//! hibernating main kernel thread, offload workers, and kernel threads glibc
//! or the program started — through the kernel's own list of the process's
//! threads, `/proc/self/task`.
//!
//! Protocol, for one [`Op`] (a system call and its arguments), in [`apply`]:
//! 1. The caller lists `/proc/self/task`. If it is the only kernel thread,
//!    it makes the system call and is done: no lock, no shared state (so
//!    this also holds in a vfork child, which shares the parent's memory).
//! 2. Otherwise it takes `LOCK` (one change at a time, process-wide),
//!    installs the `SIGSETXID` handler, and makes the call on its own kernel
//!    thread. If that fails, the error is returned and nothing else changed.
//! 3. Rounds: list `/proc/self/task`; each tid not yet in `TABLE` gets an
//!    entry (Pending) and `LEN` is published; each new tid is sent
//!    `SIGSETXID` with `tgkill` (ESRCH: it ended, Gone). The caller waits on
//!    `WAKE` until no entry of the round is Pending; every few milliseconds
//!    it marks Gone the pending threads that ended or are zombies (they will
//!    never run a handler). A round that finds no new tid ends the change.
//! 4. The handler (on the signalled kernel thread) accepts only a
//!    `SI_TKILL` from its own process while `ACTIVE`, finds its own Pending
//!    entry, makes the same call, records Done or Failed(errno), bumps
//!    `WAKE` and wakes the caller. If any thread failed where the caller
//!    succeeded, the process's threads disagree about who they are: mnthread
//!    reports it and aborts, as glibc does.
//!
//! Invariants:
//! * Completeness: a thread created during the change copies its creator's
//!   credentials in `clone`, and a creator runs its handler only after its
//!   `clone` returned, when the new thread is already listed; so once a
//!   round finds every listed tid handled, every thread that exists has the
//!   new credentials. (The kernel hands out tids cyclically, so a tid in
//!   `TABLE` is not reused by a new thread within one change.)
//! * The handler makes raw system calls only: no errno, no TLS, no locks;
//!   it may interrupt anything. It runs on the alternate stack where there
//!   is one (carriers), and `SA_RESTART` resumes the system call it
//!   interrupted (a carrier's or worker's futex sleep continues as before).
//! * Every signal sent has been handled, or its thread has ended, before
//!   `LOCK` is released: no stale `SIGSETXID` of one change reaches the
//!   next, and `TABLE` is never written while a handler may read it except
//!   by appending behind `LEN` and by the handler's own entry.
//! * Every kernel thread mnthread starts leaves `SIGSETXID` unblocked
//!   ([`raw::block_all_signals`]); programs cannot block it through glibc.
//! * `LOCK` holds the pid of the process that holds it. A fork child
//!   inherits the word but not the holder: a value other than its own pid
//!   came from an ancestor and is taken over.

use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};

use super::fatal::{die, fmt_u64};
use super::raw::{self, syscall3, syscall6};
use super::real::real;
use super::signal::{self, getpid, gettid};
use super::time;

/// The signal glibc reserves for set*id broadcasts; programs cannot send,
/// block or catch it through glibc.
pub const SIGSETXID: c_int = 33;

/// One credential change: the system call and its arguments.
pub struct Op {
    /// The C function, for messages.
    pub name: &'static str,
    pub nr: i64,
    pub args: [usize; 3],
}

const PENDING: u32 = 0;
const DONE: u32 = 1;
const GONE: u32 = 2;
/// Failed with errno `state & !FAILED`.
const FAILED: u32 = 1 << 16;

#[repr(C)]
struct Entry {
    tid: AtomicI32,
    state: AtomicU32,
}

/// The most tids a process can have (the kernel's PID_MAX_LIMIT on 64-bit).
const MAX_TIDS: usize = 4 << 20;

/// Entries, in a reservation mapped on first need and never unmapped.
static TABLE: AtomicUsize = AtomicUsize::new(0);
/// Published entries (the handler looks only below it).
static LEN: AtomicUsize = AtomicUsize::new(0);
/// Non-zero while a change is being brought to the other threads.
static ACTIVE: AtomicU32 = AtomicU32::new(0);
/// The change in progress: system call number and arguments.
static OP: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];
/// Bumped by each handler that finished; the caller sleeps on it.
static WAKE: AtomicU32 = AtomicU32::new(0);
/// Pid of the process holding the lock, 0 when free.
static LOCK: AtomicU32 = AtomicU32::new(0);

/// How long the caller sleeps before checking that pending threads still live.
const CHECK_NS: u64 = 5_000_000;
/// How long `tgkill` may keep failing with EAGAIN (queued-signal limit).
const EAGAIN_LIMIT_NS: u64 = 5 * time::NS_PER_SEC;

fn syscall_op(nr: i64, a: [usize; 3]) -> isize {
    // SAFETY: `nr` is one of the credential calls of abi::setxid with its
    // arguments as the program passed them (setgroups' list is the caller's,
    // alive until the change is complete); they change only credentials.
    unsafe { syscall3(nr, a[0], a[1], a[2]) }
}

/// Makes `op` the credentials of every kernel thread of the process (see
/// the module docs). `Err(errno)` when the calling thread's call failed.
pub fn apply(op: &Op) -> Result<(), c_int> {
    let me = gettid();
    let mut alone = true;
    let listed = for_each_task(|tid| {
        alone = tid == me;
        alone
    });
    // SAFETY: libc's flag, a plain byte.
    let single = unsafe { *real().libc_single_threaded != 0 };
    if !listed && !single {
        die(&["cannot list /proc/self/task to apply ", op.name, " to every thread"]);
    }
    if !listed || alone {
        return check(syscall_op(op.nr, op.args));
    }
    let pid = getpid();
    lock(pid as u32);
    let r = broadcast(op, me, pid);
    unlock();
    r
}

fn check(r: isize) -> Result<(), c_int> {
    if r < 0 {
        Err(-r as c_int)
    } else {
        Ok(())
    }
}

fn lock(pid: u32) {
    loop {
        let v = LOCK.load(Ordering::Relaxed);
        if v != pid {
            // Free, or held in an ancestor process by a thread not copied here.
            if LOCK.compare_exchange(v, pid, Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return;
            }
            continue;
        }
        raw::futex_wait(&LOCK, v, None);
    }
}

fn unlock() {
    LOCK.store(0, Ordering::Release);
    raw::futex_wake(&LOCK, 1);
}

fn table() -> &'static [Entry] {
    let mut base = TABLE.load(Ordering::Acquire);
    if base == 0 {
        // SAFETY: a fresh private reservation; pages are committed when written.
        let p = unsafe {
            raw::mmap(
                0,
                MAX_TIDS * core::mem::size_of::<Entry>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            )
        };
        if p < 0 {
            die(&["out of memory for the set*id thread table"]);
        }
        base = p as usize;
        TABLE.store(base, Ordering::Release);
    }
    // SAFETY: the mapping holds MAX_TIDS zero-initialised entries (valid
    // atomics) and is never unmapped.
    unsafe { core::slice::from_raw_parts(base as *const Entry, MAX_TIDS) }
}

/// The caller's part, under the lock (module docs, steps 2-3).
fn broadcast(op: &Op, me: i32, pid: i32) -> Result<(), c_int> {
    let t = table();
    install_handler();
    check(syscall_op(op.nr, op.args))?;
    OP[0].store(op.nr as usize, Ordering::Relaxed);
    for (slot, &a) in OP[1..].iter().zip(op.args.iter()) {
        slot.store(a, Ordering::Relaxed);
    }
    t[0].tid.store(me, Ordering::Relaxed);
    t[0].state.store(DONE, Ordering::Relaxed);
    LEN.store(1, Ordering::Release);
    ACTIVE.store(1, Ordering::Release);
    loop {
        let start = LEN.load(Ordering::Relaxed);
        let mut len = start;
        let listed = for_each_task(|tid| {
            if !t[..len].iter().any(|e| e.tid.load(Ordering::Relaxed) == tid) {
                if len == MAX_TIDS {
                    die(&["more threads than tids while applying ", op.name]);
                }
                t[len].tid.store(tid, Ordering::Relaxed);
                t[len].state.store(PENDING, Ordering::Relaxed);
                len += 1;
            }
            true
        });
        if !listed {
            die(&["cannot list /proc/self/task to apply ", op.name, " to every thread"]);
        }
        if len == start {
            break;
        }
        LEN.store(len, Ordering::Release);
        for e in &t[start..len] {
            signal(e, pid, op);
        }
        wait_round(&t[start..len]);
        for e in &t[start..len] {
            let s = e.state.load(Ordering::Acquire);
            if s & FAILED != 0 {
                let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
                die(&[
                    op.name,
                    " succeeded on the calling thread but failed on kernel thread ",
                    fmt_u64(e.tid.load(Ordering::Relaxed) as u64, &mut a),
                    " (errno ",
                    fmt_u64((s & !FAILED) as u64, &mut b),
                    "): the process's threads no longer share their credentials",
                ]);
            }
        }
    }
    ACTIVE.store(0, Ordering::Release);
    Ok(())
}

/// Sends `SIGSETXID` to the entry's thread; marks it Gone if it has ended.
fn signal(e: &Entry, pid: i32, op: &Op) {
    let tid = e.tid.load(Ordering::Relaxed);
    let mut since = 0;
    loop {
        // SAFETY: tgkill to a thread of this process with our own signal.
        let r = unsafe { syscall3(libc::SYS_tgkill, pid as usize, tid as usize, SIGSETXID as usize) };
        if r == 0 {
            return;
        }
        if r == -(libc::ESRCH as isize) {
            e.state.store(GONE, Ordering::Relaxed);
            return;
        }
        if r == -(libc::EAGAIN as isize) {
            // The queued-signal limit: wait for queued signals to be taken.
            let now = time::now();
            if since == 0 {
                since = now;
            } else if now - since > EAGAIN_LIMIT_NS {
                die(&["cannot signal the process's threads to apply ", op.name, " (queued-signal limit reached)"]);
            }
            nap();
            continue;
        }
        die(&["cannot signal the process's threads to apply ", op.name]);
    }
}

fn nap() {
    let ts = libc::timespec { tv_sec: 0, tv_nsec: 1_000_000 };
    // SAFETY: a valid relative timespec; the remainder is not wanted.
    unsafe { syscall3(libc::SYS_nanosleep, &ts as *const libc::timespec as usize, 0, 0) };
}

/// Sleeps until no entry of `round` is Pending (module docs, step 3).
fn wait_round(round: &[Entry]) {
    loop {
        let seen = WAKE.load(Ordering::Acquire);
        if round.iter().all(|e| e.state.load(Ordering::Acquire) != PENDING) {
            return;
        }
        let r = raw::futex_wait(&WAKE, seen, Some(time::now() + CHECK_NS));
        if r == -(libc::ETIMEDOUT as isize) {
            for e in round {
                if e.state.load(Ordering::Acquire) == PENDING && !alive(e.tid.load(Ordering::Relaxed)) {
                    // A thread that ended runs no handler: only we change it.
                    let _ = e.state.compare_exchange(PENDING, GONE, Ordering::Relaxed, Ordering::Relaxed);
                }
            }
        }
    }
}

/// Whether thread `tid` of this process can still run a signal handler:
/// `/proc/self/task/<tid>/stat` exists and its state is not zombie or dead.
fn alive(tid: i32) -> bool {
    let mut path = [0u8; 48];
    let mut n = 0;
    let mut digits = [0u8; 20];
    for part in [b"/proc/self/task/" as &[u8], fmt_u64(tid as u64, &mut digits).as_bytes(), b"/stat\0"] {
        path[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    // SAFETY: a NUL-terminated path on this stack.
    let fd = unsafe { syscall6(libc::SYS_openat, libc::AT_FDCWD as usize, path.as_ptr() as usize, (libc::O_RDONLY | libc::O_CLOEXEC) as usize, 0, 0, 0) };
    if fd < 0 {
        return fd != -(libc::ENOENT as isize) && fd != -(libc::ESRCH as isize);
    }
    // "tid (comm) S ...": comm is at most 16 bytes, so the state fits.
    let mut buf = [0u8; 96];
    // SAFETY: reads into `buf`, then closes the descriptor we opened.
    let got = unsafe {
        let got = syscall3(libc::SYS_read, fd as usize, buf.as_mut_ptr() as usize, buf.len());
        syscall3(libc::SYS_close, fd as usize, 0, 0);
        got
    };
    if got <= 0 {
        return got != -(libc::ESRCH as isize) && got != 0;
    }
    let text = &buf[..got as usize];
    match text.iter().rposition(|&b| b == b')') {
        Some(i) => !matches!(text.get(i + 2), Some(b'Z') | Some(b'X') | Some(b'x')),
        None => true,
    }
}

/// Calls `f` with each tid in `/proc/self/task` until it returns false.
/// False when the directory cannot be read.
fn for_each_task(mut f: impl FnMut(i32) -> bool) -> bool {
    // SAFETY: a NUL-terminated path.
    let fd = unsafe {
        syscall6(
            libc::SYS_openat,
            libc::AT_FDCWD as usize,
            c"/proc/self/task".as_ptr() as usize,
            (libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) as usize,
            0,
            0,
            0,
        )
    };
    if fd < 0 {
        return false;
    }
    let mut buf = [0u64; 128];
    let ok = 'read: loop {
        // SAFETY: the kernel writes at most `size_of_val(&buf)` bytes of records.
        let n = unsafe { syscall3(libc::SYS_getdents64, fd as usize, buf.as_mut_ptr() as usize, core::mem::size_of_val(&buf)) };
        if n == -(libc::EINTR as isize) {
            continue;
        }
        if n <= 0 {
            break n == 0;
        }
        // SAFETY: the kernel filled `n` bytes of `buf`.
        let bytes = unsafe { core::slice::from_raw_parts(buf.as_ptr() as *const u8, n as usize) };
        let mut off = 0;
        // linux_dirent64: ino u64, off i64, reclen u16, type u8, name.
        while off + 19 < bytes.len() {
            let reclen = u16::from_ne_bytes([bytes[off + 16], bytes[off + 17]]) as usize;
            let name = &bytes[off + 19..off + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if let Some(tid) = parse_tid(name) {
                if !f(tid) {
                    break 'read true;
                }
            }
            off += reclen;
        }
    };
    // SAFETY: closing the descriptor we opened.
    unsafe { syscall3(libc::SYS_close, fd as usize, 0, 0) };
    ok
}

fn parse_tid(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 9 {
        return None;
    }
    let mut v: i32 = 0;
    for &b in name {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (b - b'0') as i32;
    }
    Some(v)
}

/// Installs the handler with the kernel directly (glibc's sigaction refuses
/// this signal). Done for every change: glibc installs its own handler when
/// it creates its first thread, which a fork child may do again.
fn install_handler() {
    let flags = (libc::SA_RESTART | libc::SA_ONSTACK) as u64;
    let act = signal::handler_action(on_setxid as *const () as usize, flags, 0);
    if signal::set_action(SIGSETXID, Some(&act), None) != 0 {
        die(&["cannot install the set*id signal handler"]);
    }
}

/// The signalled thread's part (module docs, step 4).
extern "C" fn on_setxid(_sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut core::ffi::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler;
    // si_pid is meaningful for SI_TKILL, checked first.
    let code = unsafe { (*info).si_code };
    if code != libc::SI_TKILL || ACTIVE.load(Ordering::Acquire) == 0 {
        return;
    }
    // SAFETY: as above, the kill fields of a SI_TKILL siginfo.
    if unsafe { (*info).si_pid() } != getpid() {
        return;
    }
    let base = TABLE.load(Ordering::Acquire);
    let len = LEN.load(Ordering::Acquire);
    if base == 0 {
        return;
    }
    // SAFETY: the table mapping is never unmapped; entries below LEN are published.
    let t = unsafe { core::slice::from_raw_parts(base as *const Entry, len) };
    let me = gettid();
    let Some(e) = t.iter().find(|e| e.tid.load(Ordering::Relaxed) == me && e.state.load(Ordering::Relaxed) == PENDING) else {
        return;
    };
    let nr = OP[0].load(Ordering::Relaxed) as i64;
    let args = [OP[1].load(Ordering::Relaxed), OP[2].load(Ordering::Relaxed), OP[3].load(Ordering::Relaxed)];
    let r = syscall_op(nr, args);
    let state = if r < 0 { FAILED | (-r) as u32 } else { DONE };
    e.state.store(state, Ordering::Release);
    WAKE.fetch_add(1, Ordering::Release);
    raw::futex_wake(&WAKE, 1);
}
