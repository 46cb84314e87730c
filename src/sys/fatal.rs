//! What mnthread cannot continue from: one line on stderr, then abort.

/// Writes `mnthread: <parts...>` and a newline with one raw write, then
/// aborts the process. Usable from any context (no allocation, no locks).
pub fn die(parts: &[&str]) -> ! {
    let mut buf = [0u8; 512];
    let mut n = 0;
    for p in core::iter::once(&"mnthread: ").chain(parts.iter()).chain(core::iter::once(&"\n")) {
        for &b in p.as_bytes() {
            if n < buf.len() - 1 {
                buf[n] = b;
                n += 1;
            }
        }
    }
    if buf[n - 1] != b'\n' {
        buf[n] = b'\n';
        n += 1;
    }
    super::raw::write_stderr(&buf[..n]);
    // SAFETY: abort never returns; it raises SIGABRT on this kernel thread.
    unsafe { libc::abort() }
}

/// Formats a number in decimal into `buf`, returning the digits.
pub fn fmt_u64(mut v: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // SAFETY: only ASCII digits were written.
    unsafe { core::str::from_utf8_unchecked(&buf[i..]) }
}

/// Formats a number in hex (with 0x) into `buf`.
pub fn fmt_hex(mut v: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    i -= 2;
    buf[i] = b'0';
    buf[i + 1] = b'x';
    // SAFETY: only ASCII was written.
    unsafe { core::str::from_utf8_unchecked(&buf[i..]) }
}
