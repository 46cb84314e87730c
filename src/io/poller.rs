//! The poller: one epoll instance through which parked threads wait for
//! their descriptors to become ready.
//!
//! Protocol, for a thread whose non-blocking attempt said EAGAIN:
//! 1. `wait` locks the descriptor's slot, reads its direction's event
//!    counter, counts itself in, and arms the descriptor for every direction
//!    somebody waits on — `EPOLL_CTL_MOD` with `EPOLLONESHOT`, or `ADD` when
//!    the kernel does not know this (descriptor, file) pair yet. Arming is
//!    level-triggered, so readiness that came before it is reported at once.
//! 2. It parks in the lot on the slot's key while the counter is unchanged.
//! 3. Whoever receives the event (`dispatch`) bumps the counters of the
//!    directions it reports, re-arms the directions still waited on that it
//!    did not report (a one-shot event disarms them all), then wakes the
//!    reported directions' waiters, who retry their call.
//!
//! Arming on every wait (one `epoll_ctl`) rather than registering a
//! descriptor once keeps the poller right about descriptors closed behind
//! its back (glibc's internal `close`, another library's raw syscall): the
//! kernel drops the registration with the file, and a number reused for a
//! new file is unknown to `MOD` (ENOENT), so the next wait `ADD`s it. A
//! stale registration of a file still open elsewhere can only report one
//! spurious event (it is one-shot), which costs a retry.
//!
//! Who polls: the idle carrier holding the scheduler's idle poll blocks in
//! `epoll_pwait2` until an event, its timer deadline or an interrupt (an
//! eventfd in the same set); carriers that look for work with empty queues
//! also poll without blocking, at most every `POLL_EVERY_NS`. Nothing polls
//! while nobody waits. Descriptors that epoll refuses (regular files,
//! directories: EPERM) are not pollable: their calls go to the kernel.
//!
//! Both descriptors are close-on-exec; a fork child makes its own
//! (`forget_in_child`), since the parent's epoll set is shared otherwise.

use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

use super::fdtab::{self, Dir, Slot};
use crate::park::lot::{self, WaitResult, ALL_BITS};
use crate::sched::{self, idle::IdlePoll};
use crate::sys::lock::Locked;
use crate::sys::{raw, time};

/// The epoll and eventfd descriptors, -1 until first needed.
static EPOLL: AtomicI32 = AtomicI32::new(-1);
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
static SETUP: Locked<()> = Locked::new(());
/// Threads armed on some descriptor right now.
static ARMED: AtomicUsize = AtomicUsize::new(0);
static LAST_POLL: AtomicU64 = AtomicU64::new(0);

/// The event data that marks the interrupting eventfd.
const WAKE_TOKEN: u64 = u64::MAX;
/// Shortest gap between two non-blocking polls by carriers looking for work:
/// short, since a spinning carrier is usually the one to notice readiness
/// first (20 us here made a pipe round trip cost 40 us; 1 us, 6 us), yet
/// enough that carriers do not queue on the epoll lock.
const POLL_EVERY_NS: u64 = 1_000;
const MAX_EVENTS: usize = 64;

static IDLE_POLL: IdlePoll = IdlePoll { active: has_waiters, wait: wait_in_idle, interrupt };

/// How a [`wait`] ended.
#[derive(PartialEq, Eq, Debug)]
pub enum Ready {
    /// An event came (or a close): retry the call.
    Retry,
    /// epoll cannot watch this descriptor (or out of memory): make the plain
    /// blocking call.
    NotPollable,
    TimedOut,
    /// A signal handler ran, or a cancellation came (see `park::on_resume`).
    Interrupted,
}

fn has_waiters() -> bool {
    ARMED.load(Ordering::Relaxed) != 0
}

/// The epoll descriptor, made (with the eventfd, and registered with the
/// scheduler) on first use; `None` if the kernel refuses.
fn epoll() -> Option<i32> {
    let ep = EPOLL.load(Ordering::Acquire);
    if ep >= 0 {
        return Some(ep);
    }
    setup()
}

#[cold]
fn setup() -> Option<i32> {
    SETUP.with(|_| {
        let ep = EPOLL.load(Ordering::Acquire);
        if ep >= 0 {
            return Some(ep);
        }
        // SAFETY: plain descriptor-creating system calls.
        let ep = unsafe { raw::syscall3(libc::SYS_epoll_create1, libc::EPOLL_CLOEXEC as usize, 0, 0) };
        if ep < 0 {
            return None;
        }
        // SAFETY: as above.
        let wfd = unsafe { raw::syscall3(libc::SYS_eventfd2, 0, (libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) as usize, 0) };
        let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: WAKE_TOKEN };
        // SAFETY: `ev` is a valid event for the duration of the call.
        if wfd < 0 || unsafe { raw::syscall6(libc::SYS_epoll_ctl, ep as usize, libc::EPOLL_CTL_ADD as usize, wfd as usize, &mut ev as *mut _ as usize, 0, 0) } < 0 {
            raw::close(ep as i32);
            if wfd >= 0 {
                raw::close(wfd as i32);
            }
            return None;
        }
        WAKE_FD.store(wfd as i32, Ordering::Release);
        EPOLL.store(ep as i32, Ordering::Release);
        sched::register_source(poll_now);
        sched::idle::register_idle_poll(&IDLE_POLL);
        Some(ep as i32)
    })
}

fn interest(count: &[u32; 2]) -> u32 {
    let mut ev = 0;
    if count[Dir::Read as usize] != 0 {
        ev |= (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
    }
    if count[Dir::Write as usize] != 0 {
        ev |= libc::EPOLLOUT as u32;
    }
    ev
}

/// Arms `fd` for `events` (one-shot): MOD, or ADD for a pair the kernel
/// does not know. The kernel's result.
fn arm(ep: i32, fd: i32, events: u32) -> isize {
    let mut ev = libc::epoll_event { events: events | libc::EPOLLONESHOT as u32, u64: fd as u64 };
    let ctl = |op: i32, ev: &mut libc::epoll_event| {
        // SAFETY: `ev` is a valid event for the duration of the call.
        unsafe { raw::syscall6(libc::SYS_epoll_ctl, ep as usize, op as usize, fd as usize, ev as *mut _ as usize, 0, 0) }
    };
    let r = ctl(libc::EPOLL_CTL_MOD, &mut ev);
    if r == -(libc::ENOENT as isize) {
        return ctl(libc::EPOLL_CTL_ADD, &mut ev);
    }
    r
}

/// Parks the calling user thread until `fd` may be ready for `dir`, or
/// until `deadline` (monotonic ns).
pub fn wait(fd: i32, dir: Dir, deadline: Option<u64>) -> Ready {
    let (Some(slot), Some(ep)) = (fdtab::slot(fd), epoll()) else { return Ready::NotPollable };
    let d = dir as usize;
    let armed = slot.waiting.with(|w| {
        let seen = slot.events[d].load(Ordering::Acquire);
        w.count[d] += 1;
        if arm(ep, fd, interest(&w.count)) < 0 {
            // EPERM (a regular file), EBADF (closed meanwhile: the retried
            // call reports it), ENOMEM, ENOSPC (max_user_watches).
            w.count[d] -= 1;
            return None;
        }
        ARMED.fetch_add(1, Ordering::Relaxed);
        Some(seen)
    });
    let Some(seen) = armed else { return Ready::NotPollable };
    let r = lot::wait(slot.key(dir), ALL_BITS, || slot.events[d].load(Ordering::Acquire) == seen, deadline);
    slot.waiting.with(|w| w.count[d] -= 1);
    ARMED.fetch_sub(1, Ordering::Relaxed);
    match r {
        WaitResult::TimedOut => Ready::TimedOut,
        WaitResult::Interrupted => Ready::Interrupted,
        _ => Ready::Retry,
    }
}

/// Wakes every thread waiting on `fd` (it is being closed or replaced):
/// they retry, and get what the kernel says of the descriptor then.
pub fn wake_all(fd: i32) {
    let Some(slot) = fdtab::existing(fd) else { return };
    if slot.waiting.with(|w| w.count == [0, 0]) {
        return;
    }
    fire(slot, [true, true]);
}

/// Bumps the counters of the `fired` directions and wakes their waiters.
fn fire(slot: &Slot, fired: [bool; 2]) -> usize {
    let mut woken = 0;
    for dir in [Dir::Read, Dir::Write] {
        if fired[dir as usize] {
            slot.events[dir as usize].fetch_add(1, Ordering::Release);
            woken += lot::wake(slot.key(dir), usize::MAX, ALL_BITS);
        }
    }
    woken
}

/// Handles the events epoll reported; how many threads were woken. Only the
/// idle carrier's blocking poll (`holder`) drains the interrupting eventfd:
/// a non-blocking poll that drained it could leave the holder asleep, woken
/// by the write only to find nothing readable.
fn dispatch(ep: i32, events: &[libc::epoll_event], holder: bool) -> usize {
    let mut woken = 0;
    for ev in events {
        let (mask, data) = (ev.events, ev.u64);
        if data == WAKE_TOKEN {
            if !holder {
                continue;
            }
            let mut buf = 0u64;
            // SAFETY: reads 8 bytes into `buf` (non-blocking eventfd).
            unsafe { raw::syscall3(libc::SYS_read, WAKE_FD.load(Ordering::Relaxed) as usize, &mut buf as *mut u64 as usize, 8) };
            continue;
        }
        let fd = data as i32;
        let Some(slot) = fdtab::existing(fd) else { continue };
        let fail = (libc::EPOLLERR | libc::EPOLLHUP) as u32;
        let fired = [
            mask & ((libc::EPOLLIN | libc::EPOLLRDHUP) as u32 | fail) != 0,
            mask & (libc::EPOLLOUT as u32 | fail) != 0,
        ];
        slot.waiting.with(|w| {
            let rest = [w.count[0] * u32::from(!fired[0]), w.count[1] * u32::from(!fired[1])];
            let events = interest(&rest);
            if events != 0 {
                arm(ep, fd, events);
            }
        });
        woken += fire(slot, fired);
    }
    woken
}

/// Polls without blocking (a work source: carriers with empty queues call
/// it); at most every `POLL_EVERY_NS`, and only while somebody waits.
fn poll_now() -> usize {
    if !has_waiters() {
        return 0;
    }
    let now = time::now();
    let last = LAST_POLL.load(Ordering::Relaxed);
    if now < last + POLL_EVERY_NS || LAST_POLL.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
        return 0;
    }
    poll(Some(0), false)
}

/// The idle carrier's blocking poll (see `sched::idle::IdlePoll`).
fn wait_in_idle(deadline: Option<u64>) {
    poll(deadline.map(|d| d.saturating_sub(time::now())), true);
}

/// One epoll wait of at most `timeout` ns (None: no limit), then dispatch
/// (`holder`: this is the idle carrier's blocking poll).
fn poll(timeout: Option<u64>, holder: bool) -> usize {
    let Some(ep) = epoll() else { return 0 };
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
    let ts = timeout.map(time::timespec_from_ns);
    let tsp = ts.as_ref().map_or(0, |t| t as *const libc::timespec as usize);
    // SAFETY: `events` has room for MAX_EVENTS; `ts` outlives the call; no
    // signal mask is passed.
    let mut n = unsafe { raw::syscall6(libc::SYS_epoll_pwait2, ep as usize, events.as_mut_ptr() as usize, MAX_EVENTS, tsp, 0, 8) };
    if n == -(libc::ENOSYS as isize) {
        let ms = timeout.map_or(-1, |ns| ns.div_ceil(1_000_000).min(i32::MAX as u64) as i64);
        // SAFETY: as above.
        n = unsafe { raw::syscall6(libc::SYS_epoll_wait, ep as usize, events.as_mut_ptr() as usize, MAX_EVENTS, ms as usize, 0, 0) };
    }
    if n <= 0 {
        return 0;
    }
    LAST_POLL.store(time::now(), Ordering::Relaxed);
    dispatch(ep, &events[..n as usize], holder)
}

/// Makes the idle carrier's poll return.
fn interrupt() {
    let one = 1u64;
    // SAFETY: writes 8 bytes from `one` to the poller's eventfd.
    unsafe { raw::syscall3(libc::SYS_write, WAKE_FD.load(Ordering::Relaxed) as usize, &one as *const u64 as usize, 8) };
}

/// In a fork child: the parent's epoll set would be shared with it, so the
/// child forgets the parent's descriptors and makes its own on first use.
///
/// # Safety
/// Only one thread may exist in the process.
pub unsafe fn forget_in_child() {
    for fd in [EPOLL.swap(-1, Ordering::Relaxed), WAKE_FD.swap(-1, Ordering::Relaxed)] {
        if fd >= 0 {
            raw::close(fd);
        }
    }
    ARMED.store(0, Ordering::Relaxed);
    // SAFETY: forwarded.
    unsafe { fdtab::forget_all() };
}
