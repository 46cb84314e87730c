//! `setuid`, `setgid`, `seteuid`, `setegid`, `setreuid`, `setregid`,
//! `setresuid`, `setresgid`, `setgroups` and `initgroups`: each changes the
//! credentials of the whole process, every kernel thread of it
//! (`sys::setxid`), with glibc's results and errno. (`setfsuid`/`setfsgid`
//! are per thread by design and stay glibc's.) `initgroups` is here because
//! glibc's calls its own setgroups internally, which would not reach
//! mnthread's.

use core::ffi::{c_char, c_int, c_void};

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
    effective_only("seteuid", libc::SYS_setresuid, uid)
}

/// As [`seteuid`], for the effective group id.
#[no_mangle]
pub extern "C" fn setegid(gid: libc::gid_t) -> c_int {
    effective_only("setegid", libc::SYS_setresgid, gid)
}

/// A `setres*id(nr)` call that changes only the effective id (`uid_t` and
/// `gid_t` are both u32).
fn effective_only(name: &'static str, nr: i64, id: u32) -> c_int {
    if id == u32::MAX {
        errno::set(libc::EINVAL);
        return -1;
    }
    let keep = u32::MAX as usize;
    run(name, nr, [keep, id as usize, keep])
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

/// The user's groups from the group database (glibc's `getgrouplist`, so
/// the same sources and order, `group` first), at most `NGROUPS_MAX` of
/// them as glibc takes, made the process's supplementary groups. ENOMEM if
/// the list cannot be allocated; setgroups' errors otherwise.
#[no_mangle]
pub extern "C" fn initgroups(user: *const c_char, group: libc::gid_t) -> c_int {
    // SAFETY: sysconf has no preconditions.
    let limit = unsafe { libc::sysconf(libc::_SC_NGROUPS_MAX) }.max(1) as usize;
    let mut cap: usize = 64;
    loop {
        // SAFETY: a plain allocation, freed below on every path.
        let list = unsafe { libc::malloc(cap * core::mem::size_of::<libc::gid_t>()) } as *mut libc::gid_t;
        if list.is_null() {
            errno::set(libc::ENOMEM);
            return -1;
        }
        let mut n = cap as c_int;
        // SAFETY: `user` is the program's string; `list` holds `n` entries.
        let r = unsafe { libc::getgrouplist(user, group, list, &mut n) };
        if r >= 0 || cap >= limit {
            let count = if r >= 0 { n as usize } else { cap };
            let res = setgroups(count.min(limit), list);
            // SAFETY: allocated above, no longer used.
            unsafe { libc::free(list as *mut c_void) };
            return res;
        }
        // SAFETY: as above.
        unsafe { libc::free(list as *mut c_void) };
        cap = (n.max(0) as usize).max(cap * 2).min(limit);
    }
}
