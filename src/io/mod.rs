//! Layer 8: blocking calls that park only the calling user thread.
//!
//! A user thread that calls a function the kernel would block in must not
//! take its carrier (and every thread queued there) down with it. The calls
//! mnthread can see are served here by parking the thread until what it
//! waits for happens; everything else — threads mnthread did not create,
//! clocks and descriptors there is nothing to wait on for — goes to glibc's
//! own function unchanged.
//!
//! * [`sleep`] — nanosleep, clock_nanosleep, usleep, sleep: a deadline on
//!   the timer heap (`park::sleep_until`).
//! * [`rw`] — reads, writes, sends and receives: a non-blocking attempt,
//!   then a wait for readiness in the [`poller`] (one epoll set, waited in
//!   by an idle carrier), per descriptor state in [`fdtab`]; positioned
//!   reads, splice and sendfile too; [`mmsg`] — recvmmsg and sendmmsg, in
//!   batches that cannot block with parked waits between them.
//! * [`readiness`] — poll of one descriptor, epoll_wait, accept and
//!   waitpid of one child: a look without blocking, then a wait in the
//!   poller (on the epoll descriptor itself, on the child's pidfd).
//! * [`waits`] — the rest of poll, select, connect, the wait family, and
//!   calls with nothing to poll for (fsync, file locks, FIFO opens, SysV
//!   IPC, message queues): made in the kernel by an offload worker while
//!   the caller parks.

pub mod fdtab;
pub mod mmsg;
pub mod poller;
pub mod readiness;
pub mod rw;
pub mod sleep;
pub mod waits;
