//! Named semaphores: the file `/dev/shm/sem.NAME` holding one [`Sem`],
//! mapped `MAP_SHARED` — the same files and layout as glibc, so processes
//! with and without mnthread share them.
//!
//! Creation is atomic: the 32 initial bytes are written to a fresh
//! temporary file, which is then `link`ed to the final name (failing with
//! EEXIST if someone else got there first), so no process ever maps a
//! half-initialised semaphore.
//!
//! Repeated opens of one semaphore in a process return the same address:
//! `TABLE` lists each mapping with the name it was opened by (as given, like
//! glibc: "x" and "/x" are two mappings), the file's device and inode and a
//! reference count; `close` unmaps at zero. The table lock is held only
//! around list work and the mmap/munmap of an entry, never across a wait.
//! Only libc's file calls (which take no pthread locks) and raw syscalls are
//! used.

use core::ffi::{c_char, c_int, c_void, CStr};

use super::sem::{Sem, VALUE_MAX};
use crate::sys::errno;
use crate::sys::lock::Locked;
use crate::sys::raw;

const DIR: &[u8] = b"/dev/shm/sem.";
/// Longest name (after leading slashes) glibc accepts; longer is EINVAL.
const NAME_MAX: usize = 255;
const PATH_LEN: usize = DIR.len() + NAME_MAX + 1;
/// Attempts at a fresh temporary name before giving up with EAGAIN.
const TEMP_TRIES: usize = 50;
const SEM_SIZE: usize = core::mem::size_of::<Sem>();

struct Mapping {
    next: *mut Mapping,
    /// The name as the program passed it (malloc'd copy).
    name: *mut c_char,
    dev: u64,
    ino: u64,
    refs: usize,
    addr: *mut Sem,
}

struct List(*mut Mapping);

// SAFETY: the nodes are only followed under the table lock.
unsafe impl Send for List {}

static TABLE: Locked<List> = Locked::new(List(core::ptr::null_mut()));

/// `/dev/shm/sem.NAME`, NUL-terminated, or `None` for a name glibc rejects
/// (empty, too long, or with a '/' after the leading ones).
fn path_of(name: &CStr) -> Option<[u8; PATH_LEN]> {
    let bytes = name.to_bytes();
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let n = &bytes[start..];
    if n.is_empty() || n.len() > NAME_MAX || n.contains(&b'/') {
        return None;
    }
    let mut p = [0u8; PATH_LEN];
    p[..DIR.len()].copy_from_slice(DIR);
    p[DIR.len()..DIR.len() + n.len()].copy_from_slice(n);
    Some(p)
}

fn close_keep_errno(fd: c_int) {
    let e = errno::get();
    raw::close(fd);
    errno::set(e);
}

/// sem_open. `Err(errno)` on failure.
pub fn open(name: &CStr, oflag: c_int, mode: libc::mode_t, value: u32) -> Result<*mut Sem, c_int> {
    let path = path_of(name).ok_or(libc::EINVAL)?;
    let creat = oflag & libc::O_CREAT != 0;
    let excl = oflag & libc::O_EXCL != 0;
    let mut try_existing = !(creat && excl);
    loop {
        if try_existing {
            let flags = (oflag & !(libc::O_CREAT | libc::O_ACCMODE)) | libc::O_NOFOLLOW | libc::O_RDWR | libc::O_CLOEXEC;
            // SAFETY: a NUL-terminated path.
            let fd = unsafe { libc::open(path.as_ptr() as *const c_char, flags) };
            if fd >= 0 {
                let r = add_mapping(name, fd, None);
                close_keep_errno(fd);
                return r;
            }
            if !(creat && errno::get() == libc::ENOENT) {
                return Err(errno::get());
            }
        }
        if value > VALUE_MAX {
            return Err(libc::EINVAL);
        }
        match create(name, &path, mode, value) {
            Err(libc::EEXIST) if !excl => try_existing = true,
            r => return r,
        }
    }
}

/// Fills a temporary file, maps it and links it to `path`.
fn create(name: &CStr, path: &[u8; PATH_LEN], mode: libc::mode_t, value: u32) -> Result<*mut Sem, c_int> {
    let (fd, temp) = temp_file(mode)?;
    let init = Sem::initial_bytes(value);
    let result = (|| {
        match raw::write(fd, &init[..]) {
            n if n == SEM_SIZE as isize => {}
            n if n < 0 => return Err(-n as c_int),
            _ => return Err(libc::ENOSPC),
        }
        let addr = map(fd)?;
        // SAFETY: NUL-terminated paths.
        if unsafe { libc::link(temp.as_ptr() as *const c_char, path.as_ptr() as *const c_char) } != 0 {
            let e = errno::get();
            // SAFETY: our own fresh mapping, not published.
            unsafe { libc::munmap(addr as *mut c_void, SEM_SIZE) };
            return Err(e);
        }
        add_mapping(name, fd, Some(addr))
    })();
    let e = errno::get();
    // SAFETY: our temporary name and descriptor.
    unsafe {
        libc::unlink(temp.as_ptr() as *const c_char);
    }
    raw::close(fd);
    errno::set(e);
    result
}

/// Creates `/dev/shm/sem.XXXXXX` (random suffix) exclusively with `mode`.
fn temp_file(mode: libc::mode_t) -> Result<(c_int, [u8; PATH_LEN]), c_int> {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut temp = [0u8; PATH_LEN];
    temp[..DIR.len()].copy_from_slice(DIR);
    for _ in 0..TEMP_TRIES {
        let mut rnd = [0u8; 6];
        // SAFETY: the kernel fills our 6-byte buffer.
        let got = unsafe { raw::syscall3(libc::SYS_getrandom, rnd.as_mut_ptr() as usize, rnd.len(), libc::GRND_NONBLOCK as usize) };
        if got != rnd.len() as isize {
            let t = crate::sys::time::now();
            rnd = [t as u8, (t >> 8) as u8, (t >> 16) as u8, (t >> 24) as u8, (t >> 32) as u8, (t >> 40) as u8];
        }
        for (i, r) in rnd.iter().enumerate() {
            temp[DIR.len() + i] = CHARS[*r as usize % CHARS.len()];
        }
        let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated path.
        let fd = unsafe { libc::open(temp.as_ptr() as *const c_char, flags, mode as libc::c_uint) };
        if fd >= 0 {
            return Ok((fd, temp));
        }
        if errno::get() != libc::EEXIST {
            return Err(errno::get());
        }
    }
    Err(libc::EAGAIN)
}

fn map(fd: c_int) -> Result<*mut Sem, c_int> {
    // SAFETY: a new shared mapping of the file; nothing else is replaced.
    let p = unsafe { libc::mmap(core::ptr::null_mut(), SEM_SIZE, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd, 0) };
    if p == libc::MAP_FAILED {
        Err(errno::get())
    } else {
        Ok(p as *mut Sem)
    }
}

/// Returns the process's mapping of `fd`'s file under `name`, counting one
/// more reference: an existing one (unmapping `fresh`, if given, as not
/// needed), else `fresh` or a new mapping.
fn add_mapping(name: &CStr, fd: c_int, fresh: Option<*mut Sem>) -> Result<*mut Sem, c_int> {
    // SAFETY: `st` is a valid out-buffer for fstat.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(errno::get());
    }
    let (dev, ino) = (st.st_dev, st.st_ino);
    let mut table = TABLE.lock();
    let mut m = table.0;
    while !m.is_null() {
        // SAFETY: listed nodes are alive while listed; we hold the lock.
        let e = unsafe { &mut *m };
        // SAFETY: both NUL-terminated.
        if e.dev == dev && e.ino == ino && unsafe { libc::strcmp(e.name, name.as_ptr()) } == 0 {
            e.refs += 1;
            if let Some(f) = fresh {
                // SAFETY: our own fresh mapping, never handed out.
                unsafe { libc::munmap(f as *mut c_void, SEM_SIZE) };
            }
            return Ok(e.addr);
        }
        m = e.next;
    }
    let addr = match fresh {
        Some(f) => f,
        None => map(fd)?,
    };
    // SAFETY: malloc'd node and name copy, freed in `close`.
    let (node, copy) = unsafe { (libc::malloc(core::mem::size_of::<Mapping>()) as *mut Mapping, libc::strdup(name.as_ptr())) };
    if node.is_null() || copy.is_null() {
        // SAFETY: freeing what was allocated; the mapping is not handed out.
        unsafe {
            libc::free(node as *mut c_void);
            libc::free(copy as *mut c_void);
            libc::munmap(addr as *mut c_void, SEM_SIZE);
        }
        return Err(libc::ENOMEM);
    }
    // SAFETY: `node` is fresh memory of the right size.
    unsafe { node.write(Mapping { next: table.0, name: copy, dev, ino, refs: 1, addr }) };
    table.0 = node;
    Ok(addr)
}

/// sem_close: drops one reference; `Err(EINVAL)` if `sem` is not a mapping
/// sem_open returned.
pub fn close(sem: *mut Sem) -> Result<(), c_int> {
    let mut table = TABLE.lock();
    let mut link: *mut *mut Mapping = &mut table.0;
    // SAFETY: `link` points at the list head or a listed node's `next`;
    // listed nodes are alive while listed and we hold the lock.
    unsafe {
        while !(*link).is_null() {
            let m = *link;
            if (*m).addr == sem {
                (*m).refs -= 1;
                if (*m).refs == 0 {
                    *link = (*m).next;
                    libc::munmap(sem as *mut c_void, SEM_SIZE);
                    libc::free((*m).name as *mut c_void);
                    libc::free(m as *mut c_void);
                }
                return Ok(());
            }
            link = &mut (*m).next;
        }
    }
    Err(libc::EINVAL)
}

/// sem_unlink: removes the name (ENOENT for a name sem_open would reject,
/// EACCES where the kernel says EPERM, as glibc).
pub fn unlink(name: &CStr) -> Result<(), c_int> {
    let path = path_of(name).ok_or(libc::ENOENT)?;
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::unlink(path.as_ptr() as *const c_char) } == 0 {
        return Ok(());
    }
    match errno::get() {
        libc::EPERM => Err(libc::EACCES),
        e => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &CStr) -> Option<String> {
        path_of(name).map(|p| CStr::from_bytes_until_nul(&p).unwrap().to_str().unwrap().to_owned())
    }

    #[test]
    fn names_as_glibc_takes_them() {
        assert_eq!(path(c"x").as_deref(), Some("/dev/shm/sem.x"));
        assert_eq!(path(c"///x").as_deref(), Some("/dev/shm/sem.x"));
        assert_eq!(path(c""), None);
        assert_eq!(path(c"//"), None);
        assert_eq!(path(c"a/b"), None);
        let long = std::ffi::CString::new(vec![b'n'; 255]).unwrap();
        assert!(path(&long).is_some());
        let too_long = std::ffi::CString::new(vec![b'n'; 256]).unwrap();
        assert_eq!(path(&too_long), None);
    }
}
