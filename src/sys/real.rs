//! glibc and ld.so entry points, resolved once with `dlsym(RTLD_NEXT, ..)`.
//!
//! RTLD_NEXT searches the objects after libmnthread in the lookup order —
//! libc.so.6 and ld.so both under LD_PRELOAD and when linked — so a pointer
//! here never lands on one of mnthread's own exports. [`resolve`] runs from
//! the library constructor (and from any export reached before it).

use core::ffi::{c_char, c_int, c_void};
use core::sync::atomic::{AtomicBool, Ordering};

use super::fatal::die;

pub type StartRoutine = extern "C" fn(*mut c_void) -> *mut c_void;

pub struct Real {
    pub pthread_create: unsafe extern "C" fn(*mut libc::pthread_t, *const libc::pthread_attr_t, StartRoutine, *mut c_void) -> c_int,
    pub pthread_getattr_np: unsafe extern "C" fn(libc::pthread_t, *mut libc::pthread_attr_t) -> c_int,
    pub pthread_exit: unsafe extern "C" fn(*mut c_void) -> !,
    pub dlopen: unsafe extern "C" fn(*const c_char, c_int) -> *mut c_void,
    pub dlmopen: unsafe extern "C" fn(libc::Lmid_t, *const c_char, c_int) -> *mut c_void,
    pub dlclose: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub fork: unsafe extern "C" fn() -> libc::pid_t,
    /// stdio's list lock (recursive, owned by a TCB), which glibc's fork takes.
    pub io_list_lock: unsafe extern "C" fn(),
    pub io_list_unlock: unsafe extern "C" fn(),
    pub register_cancel: unsafe extern "C" fn(*mut c_void),
    pub unregister_cancel: unsafe extern "C" fn(*mut c_void),
    pub unwind_next: unsafe extern "C" fn(*mut c_void) -> !,
    pub read: unsafe extern "C" fn(c_int, *mut c_void, usize) -> isize,
    pub write: unsafe extern "C" fn(c_int, *const c_void, usize) -> isize,
    pub readv: unsafe extern "C" fn(c_int, *const libc::iovec, c_int) -> isize,
    pub writev: unsafe extern "C" fn(c_int, *const libc::iovec, c_int) -> isize,
    pub recvfrom: unsafe extern "C" fn(c_int, *mut c_void, usize, c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> isize,
    pub recvmsg: unsafe extern "C" fn(c_int, *mut libc::msghdr, c_int) -> isize,
    pub sendto: unsafe extern "C" fn(c_int, *const c_void, usize, c_int, *const libc::sockaddr, libc::socklen_t) -> isize,
    pub sendmsg: unsafe extern "C" fn(c_int, *const libc::msghdr, c_int) -> isize,
    pub pread64: unsafe extern "C" fn(c_int, *mut c_void, usize, i64) -> isize,
    pub preadv64: unsafe extern "C" fn(c_int, *const libc::iovec, c_int, i64) -> isize,
    pub preadv64v2: unsafe extern "C" fn(c_int, *const libc::iovec, c_int, i64, c_int) -> isize,
    pub pwritev64v2: unsafe extern "C" fn(c_int, *const libc::iovec, c_int, i64, c_int) -> isize,
    pub recvmmsg: unsafe extern "C" fn(c_int, *mut libc::mmsghdr, libc::c_uint, c_int, *mut libc::timespec) -> c_int,
    pub sendmmsg: unsafe extern "C" fn(c_int, *mut libc::mmsghdr, libc::c_uint, c_int) -> c_int,
    pub splice: unsafe extern "C" fn(c_int, *mut i64, c_int, *mut i64, usize, libc::c_uint) -> isize,
    pub sendfile64: unsafe extern "C" fn(c_int, c_int, *mut i64, usize) -> isize,
    pub fsync: unsafe extern "C" fn(c_int) -> c_int,
    pub fdatasync: unsafe extern "C" fn(c_int) -> c_int,
    pub sync_file_range: unsafe extern "C" fn(c_int, i64, i64, libc::c_uint) -> c_int,
    pub flock: unsafe extern "C" fn(c_int, c_int) -> c_int,
    /// Variadic in C: called with the program's third argument as a word.
    pub fcntl64: unsafe extern "C" fn(c_int, c_int, ...) -> c_int,
    pub lockf64: unsafe extern "C" fn(c_int, c_int, i64) -> c_int,
    pub open64: unsafe extern "C" fn(*const c_char, c_int, ...) -> c_int,
    pub openat64: unsafe extern "C" fn(c_int, *const c_char, c_int, ...) -> c_int,
    pub open_2: unsafe extern "C" fn(*const c_char, c_int) -> c_int,
    pub openat_2: unsafe extern "C" fn(c_int, *const c_char, c_int) -> c_int,
    pub msgrcv: unsafe extern "C" fn(c_int, *mut c_void, usize, libc::c_long, c_int) -> isize,
    pub msgsnd: unsafe extern "C" fn(c_int, *const c_void, usize, c_int) -> c_int,
    pub semtimedop: unsafe extern "C" fn(c_int, *mut libc::sembuf, usize, *const libc::timespec) -> c_int,
    pub mq_timedreceive: unsafe extern "C" fn(libc::mqd_t, *mut c_char, usize, *mut libc::c_uint, *const libc::timespec) -> isize,
    pub mq_timedsend: unsafe extern "C" fn(libc::mqd_t, *const c_char, usize, libc::c_uint, *const libc::timespec) -> c_int,
    pub close: unsafe extern "C" fn(c_int) -> c_int,
    pub dup2: unsafe extern "C" fn(c_int, c_int) -> c_int,
    pub dup3: unsafe extern "C" fn(c_int, c_int, c_int) -> c_int,
    pub chk_fail: unsafe extern "C" fn() -> !,
    pub poll: unsafe extern "C" fn(*mut libc::pollfd, libc::nfds_t, c_int) -> c_int,
    pub ppoll: unsafe extern "C" fn(*mut libc::pollfd, libc::nfds_t, *const libc::timespec, *const libc::sigset_t) -> c_int,
    pub select: unsafe extern "C" fn(c_int, *mut libc::fd_set, *mut libc::fd_set, *mut libc::fd_set, *mut libc::timeval) -> c_int,
    pub pselect: unsafe extern "C" fn(c_int, *mut libc::fd_set, *mut libc::fd_set, *mut libc::fd_set, *const libc::timespec, *const libc::sigset_t) -> c_int,
    pub epoll_wait: unsafe extern "C" fn(c_int, *mut libc::epoll_event, c_int, c_int) -> c_int,
    pub epoll_pwait: unsafe extern "C" fn(c_int, *mut libc::epoll_event, c_int, c_int, *const libc::sigset_t) -> c_int,
    pub epoll_pwait2: unsafe extern "C" fn(c_int, *mut libc::epoll_event, c_int, *const libc::timespec, *const libc::sigset_t) -> c_int,
    pub accept: unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> c_int,
    pub accept4: unsafe extern "C" fn(c_int, *mut libc::sockaddr, *mut libc::socklen_t, c_int) -> c_int,
    pub connect: unsafe extern "C" fn(c_int, *const libc::sockaddr, libc::socklen_t) -> c_int,
    pub wait4: unsafe extern "C" fn(libc::pid_t, *mut c_int, c_int, *mut libc::rusage) -> libc::pid_t,
    pub waitid: unsafe extern "C" fn(libc::idtype_t, libc::id_t, *mut libc::siginfo_t, c_int) -> c_int,
    pub nanosleep: unsafe extern "C" fn(*const libc::timespec, *mut libc::timespec) -> c_int,
    pub clock_nanosleep: unsafe extern "C" fn(libc::clockid_t, c_int, *const libc::timespec, *mut libc::timespec) -> c_int,
    pub usleep: unsafe extern "C" fn(libc::useconds_t) -> c_int,
    pub sleep: unsafe extern "C" fn(libc::c_uint) -> libc::c_uint,
    pub pthread_kill: unsafe extern "C" fn(libc::pthread_t, c_int) -> c_int,
    pub pthread_getcpuclockid: unsafe extern "C" fn(libc::pthread_t, *mut libc::clockid_t) -> c_int,
    pub clock_gettime: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> c_int,
    pub clock_getres: unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> c_int,
    pub getrusage: unsafe extern "C" fn(c_int, *mut libc::rusage) -> c_int,
    pub pthread_sigqueue: unsafe extern "C" fn(libc::pthread_t, c_int, libc::sigval) -> c_int,
    pub pthread_cancel: unsafe extern "C" fn(libc::pthread_t) -> c_int,
    pub pthread_setcancelstate: unsafe extern "C" fn(c_int, *mut c_int) -> c_int,
    pub pthread_setcanceltype: unsafe extern "C" fn(c_int, *mut c_int) -> c_int,
    pub pthread_testcancel: unsafe extern "C" fn(),
    pub raise: unsafe extern "C" fn(c_int) -> c_int,
    pub sigaction: unsafe extern "C" fn(c_int, *const libc::sigaction, *mut libc::sigaction) -> c_int,
    pub pause: unsafe extern "C" fn() -> c_int,
    pub sigsuspend: unsafe extern "C" fn(*const libc::sigset_t) -> c_int,
    pub sigtimedwait: unsafe extern "C" fn(*const libc::sigset_t, *mut libc::siginfo_t, *const libc::timespec) -> c_int,
    pub sigwait: unsafe extern "C" fn(*const libc::sigset_t, *mut c_int) -> c_int,
    pub sigsetjmp: usize,
    pub siglongjmp: unsafe extern "C" fn(*mut c_void, c_int) -> !,
    pub longjmp_chk: unsafe extern "C" fn(*mut c_void, c_int) -> !,
    pub execve: unsafe extern "C" fn(*const c_char, *const *const c_char, *const *const c_char) -> c_int,
    pub execvp: unsafe extern "C" fn(*const c_char, *const *const c_char) -> c_int,
    pub execvpe: unsafe extern "C" fn(*const c_char, *const *const c_char, *const *const c_char) -> c_int,
    pub fexecve: unsafe extern "C" fn(c_int, *const *const c_char, *const *const c_char) -> c_int,
    pub posix_spawn: unsafe extern "C" fn(*mut libc::pid_t, *const c_char, *const libc::posix_spawn_file_actions_t, *const libc::posix_spawnattr_t, *const *mut c_char, *const *mut c_char) -> c_int,
    pub posix_spawnp: unsafe extern "C" fn(*mut libc::pid_t, *const c_char, *const libc::posix_spawn_file_actions_t, *const libc::posix_spawnattr_t, *const *mut c_char, *const *mut c_char) -> c_int,
    pub ctype_init: unsafe extern "C" fn(),
    pub call_tls_dtors: unsafe extern "C" fn(),
    pub cxa_thread_atexit_impl: unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, *mut c_void) -> c_int,
    pub dl_allocate_tls: unsafe extern "C" fn(*mut c_void) -> *mut c_void,
    /// ld.so's `__rseq_offset`: the rseq area's offset from the thread pointer.
    pub rseq_offset: isize,
    /// Offset of `tid` in `struct pthread` (`_thread_db_pthread_tid`).
    pub pthread_tid_offset: usize,
    /// `sizeof(struct pthread)` (`_thread_db_sizeof_pthread`).
    pub sizeof_pthread: usize,
    /// Address of libc's `__resp` in the resolving thread (a TLS variable).
    pub resp_addr: usize,
    /// libc's `__libc_single_threaded`.
    pub libc_single_threaded: *mut c_char,
    /// ld.so's `_r_debug` (the debugger interface: the link-map list).
    pub r_debug: *const c_void,
}

static mut REAL: core::mem::MaybeUninit<Real> = core::mem::MaybeUninit::uninit();
static RESOLVED: AtomicBool = AtomicBool::new(false);

fn sym(name: &core::ffi::CStr) -> *mut c_void {
    // SAFETY: dlsym with a NUL-terminated name; glibc's dlsym is not interposed.
    let p = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
    if p.is_null() {
        die(&["cannot resolve ", name.to_str().unwrap_or("?"), " in glibc (is this glibc 2.35 or newer?)"]);
    }
    p
}

/// The `offset` word of a libthread_db field descriptor (`{bits, count, offset}`).
fn thread_db_offset(name: &core::ffi::CStr) -> usize {
    // SAFETY: libc exports each descriptor as three u32s.
    unsafe { *(sym(name) as *const u32).add(2) as usize }
}

/// Resolves every entry point. Idempotent; the first caller does the work
/// (the constructor, before any thread exists).
#[allow(clippy::missing_transmute_annotations)] // each target type is the field's declared type
pub fn resolve() {
    if RESOLVED.load(Ordering::Acquire) {
        return;
    }
    // SAFETY: each pointer comes from dlsym for the named symbol, whose C type
    // is the one declared in the field; the statics are written before
    // RESOLVED is published.
    unsafe {
        let r = Real {
            pthread_create: core::mem::transmute(sym(c"pthread_create")),
            pthread_getattr_np: core::mem::transmute(sym(c"pthread_getattr_np")),
            pthread_exit: core::mem::transmute(sym(c"pthread_exit")),
            dlopen: core::mem::transmute(sym(c"dlopen")),
            dlmopen: core::mem::transmute(sym(c"dlmopen")),
            dlclose: core::mem::transmute(sym(c"dlclose")),
            fork: core::mem::transmute(sym(c"fork")),
            io_list_lock: core::mem::transmute(sym(c"_IO_list_lock")),
            io_list_unlock: core::mem::transmute(sym(c"_IO_list_unlock")),
            register_cancel: core::mem::transmute(sym(c"__pthread_register_cancel")),
            unregister_cancel: core::mem::transmute(sym(c"__pthread_unregister_cancel")),
            unwind_next: core::mem::transmute(sym(c"__pthread_unwind_next")),
            read: core::mem::transmute(sym(c"read")),
            write: core::mem::transmute(sym(c"write")),
            readv: core::mem::transmute(sym(c"readv")),
            writev: core::mem::transmute(sym(c"writev")),
            recvfrom: core::mem::transmute(sym(c"recvfrom")),
            recvmsg: core::mem::transmute(sym(c"recvmsg")),
            sendto: core::mem::transmute(sym(c"sendto")),
            sendmsg: core::mem::transmute(sym(c"sendmsg")),
            pread64: core::mem::transmute(sym(c"pread64")),
            preadv64: core::mem::transmute(sym(c"preadv64")),
            preadv64v2: core::mem::transmute(sym(c"preadv64v2")),
            pwritev64v2: core::mem::transmute(sym(c"pwritev64v2")),
            recvmmsg: core::mem::transmute(sym(c"recvmmsg")),
            sendmmsg: core::mem::transmute(sym(c"sendmmsg")),
            splice: core::mem::transmute(sym(c"splice")),
            sendfile64: core::mem::transmute(sym(c"sendfile64")),
            fsync: core::mem::transmute(sym(c"fsync")),
            fdatasync: core::mem::transmute(sym(c"fdatasync")),
            sync_file_range: core::mem::transmute(sym(c"sync_file_range")),
            flock: core::mem::transmute(sym(c"flock")),
            fcntl64: core::mem::transmute(sym(c"fcntl64")),
            lockf64: core::mem::transmute(sym(c"lockf64")),
            open64: core::mem::transmute(sym(c"open64")),
            openat64: core::mem::transmute(sym(c"openat64")),
            open_2: core::mem::transmute(sym(c"__open_2")),
            openat_2: core::mem::transmute(sym(c"__openat_2")),
            msgrcv: core::mem::transmute(sym(c"msgrcv")),
            msgsnd: core::mem::transmute(sym(c"msgsnd")),
            semtimedop: core::mem::transmute(sym(c"semtimedop")),
            mq_timedreceive: core::mem::transmute(sym(c"mq_timedreceive")),
            mq_timedsend: core::mem::transmute(sym(c"mq_timedsend")),
            close: core::mem::transmute(sym(c"close")),
            dup2: core::mem::transmute(sym(c"dup2")),
            dup3: core::mem::transmute(sym(c"dup3")),
            chk_fail: core::mem::transmute(sym(c"__chk_fail")),
            poll: core::mem::transmute(sym(c"poll")),
            ppoll: core::mem::transmute(sym(c"ppoll")),
            select: core::mem::transmute(sym(c"select")),
            pselect: core::mem::transmute(sym(c"pselect")),
            epoll_wait: core::mem::transmute(sym(c"epoll_wait")),
            epoll_pwait: core::mem::transmute(sym(c"epoll_pwait")),
            epoll_pwait2: core::mem::transmute(sym(c"epoll_pwait2")),
            accept: core::mem::transmute(sym(c"accept")),
            accept4: core::mem::transmute(sym(c"accept4")),
            connect: core::mem::transmute(sym(c"connect")),
            wait4: core::mem::transmute(sym(c"wait4")),
            waitid: core::mem::transmute(sym(c"waitid")),
            nanosleep: core::mem::transmute(sym(c"nanosleep")),
            clock_nanosleep: core::mem::transmute(sym(c"clock_nanosleep")),
            usleep: core::mem::transmute(sym(c"usleep")),
            sleep: core::mem::transmute(sym(c"sleep")),
            pthread_kill: core::mem::transmute(sym(c"pthread_kill")),
            pthread_getcpuclockid: core::mem::transmute(sym(c"pthread_getcpuclockid")),
            clock_gettime: core::mem::transmute(sym(c"clock_gettime")),
            clock_getres: core::mem::transmute(sym(c"clock_getres")),
            getrusage: core::mem::transmute(sym(c"getrusage")),
            pthread_sigqueue: core::mem::transmute(sym(c"pthread_sigqueue")),
            pthread_cancel: core::mem::transmute(sym(c"pthread_cancel")),
            pthread_setcancelstate: core::mem::transmute(sym(c"pthread_setcancelstate")),
            pthread_setcanceltype: core::mem::transmute(sym(c"pthread_setcanceltype")),
            pthread_testcancel: core::mem::transmute(sym(c"pthread_testcancel")),
            raise: core::mem::transmute(sym(c"raise")),
            sigaction: core::mem::transmute(sym(c"sigaction")),
            pause: core::mem::transmute(sym(c"pause")),
            sigsuspend: core::mem::transmute(sym(c"sigsuspend")),
            sigtimedwait: core::mem::transmute(sym(c"sigtimedwait")),
            sigwait: core::mem::transmute(sym(c"sigwait")),
            sigsetjmp: sym(c"__sigsetjmp") as usize,
            siglongjmp: core::mem::transmute(sym(c"siglongjmp")),
            longjmp_chk: core::mem::transmute(sym(c"__longjmp_chk")),
            execve: core::mem::transmute(sym(c"execve")),
            execvp: core::mem::transmute(sym(c"execvp")),
            execvpe: core::mem::transmute(sym(c"execvpe")),
            fexecve: core::mem::transmute(sym(c"fexecve")),
            posix_spawn: core::mem::transmute(sym(c"posix_spawn")),
            posix_spawnp: core::mem::transmute(sym(c"posix_spawnp")),
            ctype_init: core::mem::transmute(sym(c"__ctype_init")),
            call_tls_dtors: core::mem::transmute(sym(c"__call_tls_dtors")),
            cxa_thread_atexit_impl: core::mem::transmute(sym(c"__cxa_thread_atexit_impl")),
            dl_allocate_tls: core::mem::transmute(sym(c"_dl_allocate_tls")),
            rseq_offset: *(sym(c"__rseq_offset") as *const isize),
            pthread_tid_offset: thread_db_offset(c"_thread_db_pthread_tid"),
            sizeof_pthread: *(sym(c"_thread_db_sizeof_pthread") as *const u32) as usize,
            resp_addr: sym(c"__resp") as usize,
            libc_single_threaded: sym(c"__libc_single_threaded") as *mut c_char,
            r_debug: sym(c"_r_debug"),
        };
        let clock_gettime = r.clock_gettime;
        if r.pthread_tid_offset != PTHREAD_TID_OFFSET {
            die(&["glibc's struct pthread keeps tid elsewhere than this build of mnthread expects"]);
        }
        (*core::ptr::addr_of_mut!(REAL)).write(r);
        super::time::use_glibc_clock_gettime(clock_gettime);
    }
    RESOLVED.store(true, Ordering::Release);
}

/// Where `struct pthread` keeps `tid` in every glibc this library runs on
/// (x86_64 2.35 and later; checked against libthread_db's descriptor as
/// glibc is resolved): the lock fast paths read it at this fixed offset.
pub const PTHREAD_TID_OFFSET: usize = 0x2d0;

/// The resolved entry points.
#[inline]
pub fn real() -> &'static Real {
    if !RESOLVED.load(Ordering::Acquire) {
        resolve();
    }
    // SAFETY: written once by `resolve` before RESOLVED was set; never changed.
    unsafe { (*core::ptr::addr_of!(REAL)).assume_init_ref() }
}
