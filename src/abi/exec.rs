//! exec, posix_spawn and system, so that a new program starts with the
//! calling thread's signal mask (`signal::exec`), not its carrier's.
//! (`execl`, `execlp` and `execle`, which are variadic, gather their
//! arguments in src/c/exec.c and end here.)

use core::ffi::{c_char, c_int};

use crate::signal::exec::{child_mask, with_thread_mask};
use crate::sys::real::real;

type Argv = *const *const c_char;

extern "C" {
    static environ: Argv;
    fn mnthread_execl(path: *const c_char, arg: *const c_char, ...) -> c_int;
    fn mnthread_execlp(file: *const c_char, arg: *const c_char, ...) -> c_int;
    fn mnthread_execle(path: *const c_char, arg: *const c_char, ...) -> c_int;
}

// The variadic exec calls: bare jumps into src/c/exec.c (the arguments,
// variadic ones included, pass untouched).

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn execl(path: *const c_char, arg: *const c_char) -> c_int {
    core::arch::naked_asm!("jmp {}", sym mnthread_execl)
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn execlp(file: *const c_char, arg: *const c_char) -> c_int {
    core::arch::naked_asm!("jmp {}", sym mnthread_execlp)
}

#[unsafe(naked)]
#[no_mangle]
pub extern "C" fn execle(path: *const c_char, arg: *const c_char) -> c_int {
    core::arch::naked_asm!("jmp {}", sym mnthread_execle)
}

#[no_mangle]
pub extern "C" fn execve(path: *const c_char, argv: Argv, envp: Argv) -> c_int {
    // SAFETY: glibc's execve with the program's arguments.
    with_thread_mask(|| unsafe { (real().execve)(path, argv, envp) })
}

#[no_mangle]
pub extern "C" fn execv(path: *const c_char, argv: Argv) -> c_int {
    // SAFETY: the process's environment.
    execve(path, argv, unsafe { environ })
}

#[no_mangle]
pub extern "C" fn execvp(file: *const c_char, argv: Argv) -> c_int {
    // SAFETY: glibc's execvp with the program's arguments.
    with_thread_mask(|| unsafe { (real().execvp)(file, argv) })
}

#[no_mangle]
pub extern "C" fn execvpe(file: *const c_char, argv: Argv, envp: Argv) -> c_int {
    // SAFETY: glibc's execvpe with the program's arguments.
    with_thread_mask(|| unsafe { (real().execvpe)(file, argv, envp) })
}

#[no_mangle]
pub extern "C" fn fexecve(fd: c_int, argv: Argv, envp: Argv) -> c_int {
    // SAFETY: glibc's fexecve with the program's arguments.
    with_thread_mask(|| unsafe { (real().fexecve)(fd, argv, envp) })
}

/// The program's spawn attributes, with the calling thread's mask for the
/// child unless they set one.
fn spawn_attr(attr: *const libc::posix_spawnattr_t, copy: &mut libc::posix_spawnattr_t) -> *const libc::posix_spawnattr_t {
    let Some(m) = child_mask() else { return attr };
    // SAFETY: the program's initialised attributes (a plain struct), or a
    // fresh one; the setters are glibc's.
    unsafe {
        if attr.is_null() {
            libc::posix_spawnattr_init(copy);
        } else {
            *copy = *attr;
        }
        let mut flags: libc::c_short = 0;
        libc::posix_spawnattr_getflags(copy, &mut flags);
        if flags as c_int & libc::POSIX_SPAWN_SETSIGMASK != 0 {
            return attr;
        }
        let mut set: libc::sigset_t = core::mem::zeroed();
        *(&mut set as *mut libc::sigset_t as *mut u64) = m;
        libc::posix_spawnattr_setsigmask(copy, &set);
        libc::posix_spawnattr_setflags(copy, (flags as c_int | libc::POSIX_SPAWN_SETSIGMASK) as libc::c_short);
    }
    copy
}

type Spawn = unsafe extern "C" fn(*mut libc::pid_t, *const c_char, *const libc::posix_spawn_file_actions_t, *const libc::posix_spawnattr_t, *const *mut c_char, *const *mut c_char) -> c_int;

/// glibc's `spawn` (posix_spawn or posix_spawnp) with the calling thread's
/// mask for the child (see `spawn_attr`).
fn spawn_with(
    spawn: Spawn,
    pid: *mut libc::pid_t,
    path: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *mut c_char,
    envp: *const *mut c_char,
) -> c_int {
    // SAFETY: all-zero is a valid (uninitialised) attribute object.
    let mut copy: libc::posix_spawnattr_t = unsafe { core::mem::zeroed() };
    let a = spawn_attr(attr, &mut copy);
    // SAFETY: glibc's function with the program's arguments.
    unsafe { spawn(pid, path, actions, a, argv, envp) }
}

#[no_mangle]
pub extern "C" fn posix_spawn(
    pid: *mut libc::pid_t,
    path: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *mut c_char,
    envp: *const *mut c_char,
) -> c_int {
    spawn_with(real().posix_spawn, pid, path, actions, attr, argv, envp)
}

#[no_mangle]
pub extern "C" fn posix_spawnp(
    pid: *mut libc::pid_t,
    file: *const c_char,
    actions: *const libc::posix_spawn_file_actions_t,
    attr: *const libc::posix_spawnattr_t,
    argv: *const *mut c_char,
    envp: *const *mut c_char,
) -> c_int {
    spawn_with(real().posix_spawnp, pid, file, actions, attr, argv, envp)
}
