//! Layer 8a: signals for user threads, routed in user space.
//!
//! The kernel sends signals to kernel threads; a program's threads are user
//! threads. So the kernel's view is kept constant and simple, and POSIX's
//! view is built here:
//!
//! * **Kernel masks never change.** A carrier blocks every signal of the
//!   program except faults (which the kernel forces on the faulting thread)
//!   and the runtime's own `SIGMN`; helper kernel threads block everything
//!   but the runtime's signals (`sys::signal`). No context switch touches a
//!   kernel mask. A user thread's mask is a word in its descriptor
//!   (`pthread_sigmask` is a store, no system call).
//! * **Dispositions are the program's.** `sigaction` records the program's
//!   action ([`action`]); the kernel gets mnthread's entry point for every
//!   signal with a handler (so faults and signals a carrier sends itself —
//!   glibc's `abort` — still run it), and SIG_DFL/SIG_IGN as given.
//! * **Process-directed signals** (kill, alarm, timers, SIGCHLD, terminal
//!   signals) stay pending in the kernel, since every kernel thread blocks
//!   them, until the router ([`route`]), a kernel thread in
//!   `rt_sigtimedwait`, takes one: it goes to a thread waiting for it in
//!   `sigwait`, else to a user thread that does not block it (the main
//!   thread first, as the kernel prefers). A default action that ends or
//!   stops the process is carried out at once. If every thread blocks it,
//!   the router queues it for the process again and stops waiting for that
//!   signal (its bit in `PARKED`), so it stays pending in the kernel —
//!   where `sigpending`, `sigwait` and a `signalfd` find it — until a
//!   thread unblocks it or waits for it, which clears the bit.
//! * **Thread-directed signals** (`pthread_kill`, `pthread_sigqueue`,
//!   `raise`, and what the router hands out) go to the thread's own queue
//!   ([`queue`]) and the thread is made to notice ([`deliver::post`]):
//!   unparked if it waits (a parked wait then sees the handler run: EINTR
//!   or restart), or, if it runs on a carrier, that carrier gets `SIGMN`.
//! * **Delivery** ([`deliver`]) happens on the thread itself, on its own
//!   stack, at three kinds of points: as it resumes after a park or a
//!   yield or at its start (`park::on_resume`), in a `SIGMN` handler on its
//!   carrier if the interrupted code is the program's own (not mnthread,
//!   glibc or ld.so, which may hold locks: then the router retries soon,
//!   [`entry`]), and synchronously after a call that unblocks or sends to
//!   itself. The handler runs with the action's mask added to the thread's,
//!   as the kernel would, and may `siglongjmp` out ([`jmp`] keeps
//!   `sigsetjmp`'s saved mask the user thread's).
//!
//! Invariants: (1) a pending signal a thread does not block is delivered
//! before the thread next runs the program's code after a park or yield,
//! or within the router's retry period while it computes; (2) a signal no
//! thread can take stays pending for the process in the kernel (the router
//! re-checks the masks after marking it parked, and a thread unblocking it
//! — with `pthread_sigmask`, or by the return of a handler whose mask held
//! it — checks the mark after storing its mask: both SeqCst, so one of them
//! sees the other); (3) a process signal routing gave a thread is the
//! process's again if that thread blocks it or ends before taking it (the
//! router re-reads the mask after queueing, the thread reads its queue
//! after its mask store); (4) a thread that sends a signal to its own
//! process through the kernel (`kill(0)`, `pidfd_send_signal`) returns only
//! once the router has routed what the kernel held (`route::drain`), so a
//! signal only it takes is delivered before the call returns; (5) no
//! kernel thread's mask changes while a user thread runs on it, except the
//! moment before an `exec` or a fatal default action.
//!
//! Rejected: switching kernel masks on every context switch (a system call
//! per switch, the ucontext cost); one signal handler thread that runs the
//! program's handlers itself (wrong thread, wrong `pthread_self`, no EINTR).

pub mod action;
pub mod altstack;
pub mod deliver;
pub mod entry;
pub mod exec;
pub mod jmp;
pub mod mask;
pub mod queue;
pub mod route;
pub mod wait;

/// Library constructor work: records the dispositions the process started
/// with and puts mnthread's entry point in front of every handler.
pub fn init() {
    action::init();
    entry::init();
    jmp::init();
    crate::thread::runtime::register_start_hook(route::start);
    crate::thread::lifecycle::register_exit_hook(route::on_exit);
}
