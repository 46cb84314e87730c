// Rust std synchronisation on mnthread: std's Mutex, Condvar, RwLock,
// Once, mpsc channels, Barrier and thread::park all block through libc's
// syscall(SYS_futex) — mnthread's futex emulation — so this checks real
// results of each: Mutex counters, a Condvar queue and ping-pong,
// wait_timeout both timing out and being notified, RwLock readers never
// seeing a half-done write, mpsc with many producers, a rendezvous
// sync_channel and recv_timeout, a Barrier with one leader per round,
// park/unpark and park_timeout, Once, scoped threads. With
// MNTHREAD_CARRIERS=1 every blocked thread must park, not hold the carrier.
use std::collections::VecDeque;
use std::ffi::{c_char, c_void};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Condvar, Mutex, Once, RwLock};
use std::thread;
use std::time::{Duration, Instant};

extern "C" {
    fn pthread_self() -> usize;
    fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
}

/// Under mnthread, spawned threads are user threads.
fn check_user_thread() {
    let f = unsafe { dlsym(std::ptr::null_mut(), c"mnthread_is_user_thread".as_ptr()) };
    if !f.is_null() {
        let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(f) };
        assert_eq!(f(), 1, "a std thread is not a user thread");
    }
}

fn mutex_counter() {
    let m = Arc::new(Mutex::new(0u64));
    let hs: Vec<_> = (0..8)
        .map(|_| {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                check_user_thread();
                for _ in 0..5000 {
                    *m.lock().unwrap() += 1;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(*m.lock().unwrap(), 40_000);
}

fn condvar_queue() {
    let q = Arc::new((Mutex::new((VecDeque::new(), false)), Condvar::new()));
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let (m, cv) = &*q;
                let mut sum = 0u64;
                loop {
                    let mut g = m.lock().unwrap();
                    while g.0.is_empty() && !g.1 {
                        g = cv.wait(g).unwrap();
                    }
                    match g.0.pop_front() {
                        Some(v) => sum += v,
                        None => return sum,
                    }
                }
            })
        })
        .collect();
    let (m, cv) = &*q;
    for i in 1..=10_000u64 {
        m.lock().unwrap().0.push_back(i);
        cv.notify_one();
    }
    m.lock().unwrap().1 = true;
    cv.notify_all();
    let total: u64 = consumers.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 10_000 * 10_001 / 2);
}

fn condvar_ping_pong() {
    let s = Arc::new((Mutex::new(0u32), Condvar::new()));
    let s2 = Arc::clone(&s);
    let h = thread::spawn(move || {
        let (m, cv) = &*s2;
        let mut g = m.lock().unwrap();
        for i in 0..2000 {
            while *g != 2 * i + 1 {
                g = cv.wait(g).unwrap();
            }
            *g += 1;
            cv.notify_one();
        }
    });
    let (m, cv) = &*s;
    let mut g = m.lock().unwrap();
    for i in 0..2000 {
        while *g != 2 * i {
            g = cv.wait(g).unwrap();
        }
        *g += 1;
        cv.notify_one();
    }
    while *g != 4000 {
        g = cv.wait(g).unwrap();
    }
    drop(g);
    h.join().unwrap();
}

fn condvar_timeouts() {
    let m = Mutex::new(());
    let cv = Condvar::new();
    let t0 = Instant::now();
    let (_g, r) = cv.wait_timeout(m.lock().unwrap(), Duration::from_millis(30)).unwrap();
    assert!(r.timed_out());
    assert!(t0.elapsed() >= Duration::from_millis(30));

    let s = Arc::new((Mutex::new(false), Condvar::new()));
    let s2 = Arc::clone(&s);
    let h = thread::spawn(move || {
        let (m, cv) = &*s2;
        let g = m.lock().unwrap();
        let (g, r) = cv.wait_timeout_while(g, Duration::from_secs(30), |ready| !*ready).unwrap();
        assert!(*g);
        !r.timed_out()
    });
    thread::sleep(Duration::from_millis(5));
    *s.0.lock().unwrap() = true;
    s.1.notify_all();
    assert!(h.join().unwrap(), "notified wait_timeout reported a time-out");
}

fn rwlock() {
    let l = Arc::new(RwLock::new((0u64, 0u64)));
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let l = Arc::clone(&l);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) || reads == 0 {
                    let g = l.read().unwrap();
                    assert_eq!(g.0, g.1, "a reader saw a half-done write");
                    reads += 1;
                    drop(g);
                    thread::yield_now();
                }
                reads
            })
        })
        .collect();
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let l = Arc::clone(&l);
            thread::spawn(move || {
                for _ in 0..2000 {
                    let mut g = l.write().unwrap();
                    g.0 += 1;
                    thread::yield_now();
                    g.1 += 1;
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    assert_eq!(*l.read().unwrap(), (4000, 4000));
}

fn channels() {
    let (tx, rx) = mpsc::channel::<u64>();
    let hs: Vec<_> = (0..8u64)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..1000 {
                    tx.send(p * 1000 + i).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let mut seen = vec![false; 8000];
    let mut n = 0;
    for v in rx {
        assert!(!seen[v as usize]);
        seen[v as usize] = true;
        n += 1;
    }
    assert_eq!(n, 8000);
    for h in hs {
        h.join().unwrap();
    }

    // Rendezvous channel: every send waits for its receive.
    let (tx, rx) = mpsc::sync_channel::<u32>(0);
    let h = thread::spawn(move || (0..500).map(|_| rx.recv().unwrap()).sum::<u32>());
    for i in 0..500 {
        tx.send(i).unwrap();
    }
    assert_eq!(h.join().unwrap(), 499 * 500 / 2);

    let (tx, rx) = mpsc::channel::<u32>();
    assert_eq!(rx.recv_timeout(Duration::from_millis(20)), Err(mpsc::RecvTimeoutError::Timeout));
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        tx.send(9).unwrap();
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(9));
    h.join().unwrap();
}

fn barrier() {
    const N: usize = 8;
    const ROUNDS: usize = 50;
    let b = Arc::new(Barrier::new(N));
    let leaders = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..N)
        .map(|_| {
            let (b, leaders, arrived) = (Arc::clone(&b), Arc::clone(&leaders), Arc::clone(&arrived));
            thread::spawn(move || {
                for r in 0..ROUNDS {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    if b.wait().is_leader() {
                        leaders.fetch_add(1, Ordering::SeqCst);
                    }
                    // Nobody passes round r before all N arrived in it.
                    assert!(arrived.load(Ordering::SeqCst) >= (r + 1) * N);
                    b.wait();
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert_eq!(leaders.load(Ordering::SeqCst), ROUNDS);
}

fn park_unpark() {
    let flag = Arc::new(AtomicBool::new(false));
    let f2 = Arc::clone(&flag);
    let h = thread::spawn(move || {
        while !f2.load(Ordering::Acquire) {
            thread::park();
        }
        42
    });
    thread::sleep(Duration::from_millis(5));
    flag.store(true, Ordering::Release);
    h.thread().unpark();
    assert_eq!(h.join().unwrap(), 42);

    // A token left before park makes it return at once.
    thread::current().unpark();
    thread::park();
    // No token: returns after the time-out (or spuriously), never hangs.
    thread::park_timeout(Duration::from_millis(20));
}

fn once_and_scope() {
    static ONCE: Once = Once::new();
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let mut data = vec![1u64; 1000];
    thread::scope(|s| {
        for chunk in data.chunks_mut(100) {
            s.spawn(move || {
                ONCE.call_once(|| {
                    RUNS.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(2));
                });
                for v in chunk.iter_mut() {
                    *v += 1;
                }
            });
        }
    });
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert!(data.iter().all(|&v| v == 2));
}

fn main() {
    assert_ne!(unsafe { pthread_self() }, 0);
    mutex_counter();
    condvar_queue();
    condvar_ping_pong();
    condvar_timeouts();
    rwlock();
    channels();
    barrier();
    park_unpark();
    once_and_scope();
    println!("rust_sync OK");
}
