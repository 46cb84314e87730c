//! `fork`, and the fork-handler registration it runs (`__register_atfork`,
//! `pthread_atfork`): exports of the `fork` layer (registry in
//! `fork::atfork`, protocol in `fork::protocol`).

use core::ffi::{c_int, c_void};

use crate::fork::atfork::{self, Handler};

#[no_mangle]
pub extern "C" fn __register_atfork(prepare: Handler, parent: Handler, child: Handler, dso_handle: *mut c_void) -> c_int {
    atfork::register(prepare, parent, child, dso_handle as usize)
}

#[no_mangle]
pub extern "C" fn pthread_atfork(prepare: Handler, parent: Handler, child: Handler) -> c_int {
    // No dso_handle comes this way: the handlers' own code tells which
    // object the entry belongs to.
    let owner = prepare.or(parent).or(child).map_or(0, |f| f as usize);
    atfork::register(prepare, parent, child, owner)
}

#[no_mangle]
pub extern "C" fn fork() -> libc::pid_t {
    crate::fork::protocol::fork()
}
