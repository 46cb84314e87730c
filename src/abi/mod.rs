//! Layer 9: the exported C symbols. Thin, checked conversions from C types
//! into the runtime's Rust API, one file per family. Every export works
//! from any thread, created by mnthread or not, before or after the runtime
//! starts; bad input gets glibc's error code, never a crash.

pub mod affinity;
pub mod attr;
pub mod barrier;
pub mod blocking;
pub mod cancel;
pub mod exec;
pub mod jmp;
pub mod kstate;
pub mod restart;
pub mod signal;
pub mod c11_sync;
pub mod c11_thread;
pub mod cond;
pub mod cputime;
pub mod dl;
pub mod ext;
pub mod fork;
pub mod io;
pub mod waits;
pub mod key;
pub mod mutex;
pub mod mutexattr;
pub mod once;
pub mod rwlock;
pub mod sem;
pub mod setxid;
pub mod sleep;
pub mod spin;
pub mod syscall;
pub mod thread;
pub mod unwind;
pub mod yield_;
