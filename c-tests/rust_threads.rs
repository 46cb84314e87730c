// Rust std threads on top of the pthread API: many spawn+join with results,
// thread_local! values with a Drop impl counted at thread exit (glibc's
// __cxa_thread_atexit_impl path), thread::Builder with a name and a stack
// size (the name is visible through pthread_getname_np, the stack is
// usable), scoped threads borrowing local data, yield_now.
// Only join, atomics and yield are used (no Mutex/Condvar in this
// milestone); thread::scope itself waits with thread::park (a futex).
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

static DROPS: AtomicUsize = AtomicUsize::new(0);
static CREATED: AtomicUsize = AtomicUsize::new(0);

struct Counted {
    value: Cell<u64>,
}

impl Counted {
    fn new() -> Counted {
        CREATED.fetch_add(1, Ordering::SeqCst);
        Counted { value: Cell::new(7) }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static COUNTED: Counted = Counted::new();
    static PLAIN: Cell<u32> = const { Cell::new(11) };
}

extern "C" {
    fn pthread_self() -> usize;
    fn pthread_getname_np(t: usize, buf: *mut u8, len: usize) -> i32;
}

fn os_thread_name() -> String {
    let mut buf = [0u8; 32];
    let rc = unsafe { pthread_getname_np(pthread_self(), buf.as_mut_ptr(), buf.len()) };
    assert_eq!(rc, 0, "pthread_getname_np failed");
    let n = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[inline(never)]
fn recurse(depth: u32) -> u64 {
    let mut pad = [0u8; 1024];
    pad[(depth as usize) % 1024] = depth as u8;
    let pad = std::hint::black_box(pad);
    if depth == 0 {
        return pad[0] as u64;
    }
    recurse(depth - 1) + pad[(depth as usize) % 1024] as u64
}

fn main() {
    // many threads with results
    let handles: Vec<_> = (0..200u64)
        .map(|i| thread::spawn(move || (0..=i * 100).sum::<u64>()))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let i = i as u64;
        assert_eq!(h.join().unwrap(), (i * 100) * (i * 100 + 1) / 2);
    }

    // thread_local! with Drop
    let before = DROPS.load(Ordering::SeqCst);
    let n = 32;
    let handles: Vec<_> = (0..n)
        .map(|i| {
            thread::spawn(move || {
                let fresh = COUNTED.with(|c| c.value.get()) == 7 && PLAIN.with(|p| p.get()) == 11;
                COUNTED.with(|c| c.value.set(i));
                PLAIN.with(|p| p.set(i as u32));
                for _ in 0..10 {
                    thread::yield_now();
                }
                fresh && COUNTED.with(|c| c.value.get()) == i && PLAIN.with(|p| p.get()) == i as u32
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap(), "thread_local not fresh or not private");
    }
    assert_eq!(DROPS.load(Ordering::SeqCst) - before, n as usize, "thread_local drops");
    // threads that never touch it drop nothing
    let created = CREATED.load(Ordering::SeqCst);
    thread::spawn(|| thread::yield_now()).join().unwrap();
    assert_eq!(CREATED.load(Ordering::SeqCst), created);
    assert_eq!(DROPS.load(Ordering::SeqCst) - before, n as usize);

    // Builder: name + stack size
    let h = thread::Builder::new()
        .name("rs-worker-1".into())
        .stack_size(256 * 1024)
        .spawn(|| {
            let name = thread::current().name().map(|s| s.to_string());
            let os = os_thread_name();
            let deep = recurse(60); // ~100 KiB of stack
            (name, os, deep)
        })
        .expect("spawn with builder");
    let (name, os, deep) = h.join().unwrap();
    assert_eq!(name.as_deref(), Some("rs-worker-1"));
    assert_eq!(os, "rs-worker-1");
    assert_eq!(deep, expected_recurse(60));

    let h = thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(|| recurse(1500)) // a few MiB
        .unwrap();
    assert_eq!(h.join().unwrap(), expected_recurse(1500));

    // scoped threads
    let mut data: Vec<u64> = (0..10_000).collect();
    let total = AtomicUsize::new(0);
    thread::scope(|s| {
        for chunk in data.chunks_mut(1000) {
            let total = &total;
            s.spawn(move || {
                for v in chunk.iter_mut() {
                    *v *= 2;
                }
                total.fetch_add(chunk.iter().sum::<u64>() as usize, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(total.load(Ordering::SeqCst), 2 * (9_999 * 10_000 / 2));
    assert!(data.iter().enumerate().all(|(i, &v)| v == 2 * i as u64));
    let r = thread::scope(|s| {
        let a = s.spawn(|| data[10] + 1);
        let b = s.spawn(|| data[20] + 2);
        a.join().unwrap() + b.join().unwrap()
    });
    assert_eq!(r, 21 + 42);

    // yield ping-pong via atomics
    let turn = Arc::new(AtomicUsize::new(0));
    let t2 = Arc::clone(&turn);
    let h = thread::spawn(move || {
        for i in 0..200 {
            while t2.load(Ordering::Acquire) != 2 * i + 1 {
                thread::yield_now();
            }
            t2.store(2 * i + 2, Ordering::Release);
        }
    });
    for i in 0..200 {
        while turn.load(Ordering::Acquire) != 2 * i {
            thread::yield_now();
        }
        turn.store(2 * i + 1, Ordering::Release);
    }
    h.join().unwrap();
    assert_eq!(turn.load(Ordering::SeqCst), 400);

    // a panic in a thread is reported through join
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = thread::spawn(|| -> u32 { panic!("expected panic") }).join();
    std::panic::set_hook(prev);
    assert!(r.is_err());

    println!("rust_threads OK");
}

fn expected_recurse(d: u32) -> u64 {
    (1..=d).map(|k| (k % 256) as u64).sum()
}
