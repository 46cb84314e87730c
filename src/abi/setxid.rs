//! `setuid`, `setgid`, `seteuid`, `setegid`, `setreuid`, `setregid`,
//! `setresuid`, `setresgid` and `setgroups`: each changes the credentials of
//! the whole process, every kernel thread of it (`sys::setxid`), with
//! glibc's results and errno. (`setfsuid`/`setfsgid` are per thread by
//! design and stay glibc's.)

use core::ffi::c_int;

use crate::sys::errno;
use crate::sys::setxid::{apply, Op};

fn run(name: &'static str, nr: i64, args: [usize; 3]) -> c_int {
    match apply(&Op { name, nr, args }) {
        Ok(()) => 0,
        Err(e) => {
            errno::set(e);
            -1
        }
    }
}

#[no_mangle]
pub extern "C" fn setuid(uid: libc::uid_t) -> c_int {
    run("setuid", libc::SYS_setuid, [uid as usize, 0, 0])
}

#[no_mangle]
pub extern "C" fn setgid(gid: libc::gid_t) -> c_int {
    run("setgid", libc::SYS_setgid, [gid as usize, 0, 0])
}

/// As glibc: -1 ("no change") is refused with EINVAL; otherwise a
/// setresuid that changes only the effective id.
#[no_mangle]
pub extern "C" fn seteuid(uid: libc::uid_t) -> c_int {
    if uid == libc::uid_t::MAX {
        errno::set(libc::EINVAL);
        return -1;
    }
    let keep = libc::uid_t::MAX as usize;
    run("seteuid", libc::SYS_setresuid, [keep, uid as usize, keep])
}

/// As [`seteuid`], for the effective group id.
#[no_mangle]
pub extern "C" fn setegid(gid: libc::gid_t) -> c_int {
    if gid == libc::gid_t::MAX {
        errno::set(libc::EINVAL);
        return -1;
    }
    let keep = libc::gid_t::MAX as usize;
    run("setegid", libc::SYS_setresgid, [keep, gid as usize, keep])
}

#[no_mangle]
pub extern "C" fn setreuid(ruid: libc::uid_t, euid: libc::uid_t) -> c_int {
    run("setreuid", libc::SYS_setreuid, [ruid as usize, euid as usize, 0])
}

#[no_mangle]
pub extern "C" fn setregid(rgid: libc::gid_t, egid: libc::gid_t) -> c_int {
    run("setregid", libc::SYS_setregid, [rgid as usize, egid as usize, 0])
}

#[no_mangle]
pub extern "C" fn setresuid(ruid: libc::uid_t, euid: libc::uid_t, suid: libc::uid_t) -> c_int {
    run("setresuid", libc::SYS_setresuid, [ruid as usize, euid as usize, suid as usize])
}

#[no_mangle]
pub extern "C" fn setresgid(rgid: libc::gid_t, egid: libc::gid_t, sgid: libc::gid_t) -> c_int {
    run("setresgid", libc::SYS_setresgid, [rgid as usize, egid as usize, sgid as usize])
}

/// The size goes to the kernel as the program passed it (it validates it:
/// EINVAL above NGROUPS_MAX), as glibc does.
#[no_mangle]
pub extern "C" fn setgroups(size: libc::size_t, list: *const libc::gid_t) -> c_int {
    run("setgroups", libc::SYS_setgroups, [size, list as usize, 0])
}
