//! rust_pingpong: Rust std Mutex + Condvar ping-pong between two threads
//! made with std::thread::spawn.  A round trip is main -> partner -> main,
//! each leg waking a thread blocked in Condvar::wait.  std parks through the
//! futex syscall (libc's syscall()), which mnthread emulates under LD_PRELOAD.
//! usage: rust_pingpong [ms per repetition [repetitions]]   (default 200 5)
//! Prints "RESULT rust_pingpong <ns per round trip> ns" (median).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

struct Court {
    /// true: the partner's turn; false: main's turn.  `None`: game over.
    ball: Mutex<Option<bool>>,
    cv: [Condvar; 2],
}

fn rep(ms: u64) -> f64 {
    let court = Arc::new(Court { ball: Mutex::new(Some(false)), cv: [Condvar::new(), Condvar::new()] });
    let stop = Arc::new(AtomicBool::new(false));
    let c2 = Arc::clone(&court);
    let partner = std::thread::spawn(move || {
        let mut g = c2.ball.lock().unwrap();
        loop {
            while *g == Some(false) {
                g = c2.cv[1].wait(g).unwrap();
            }
            if g.is_none() {
                return;
            }
            *g = Some(false);
            c2.cv[0].notify_one();
        }
    });
    let s2 = Arc::clone(&stop);
    let timer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        s2.store(true, Ordering::Relaxed);
    });
    let t0 = Instant::now();
    let mut trips: u64 = 0;
    let mut g = court.ball.lock().unwrap();
    while !stop.load(Ordering::Relaxed) {
        *g = Some(true);
        court.cv[1].notify_one();
        while *g == Some(true) {
            g = court.cv[0].wait(g).unwrap();
        }
        trips += 1;
    }
    *g = None;
    court.cv[1].notify_one();
    drop(g);
    let el = t0.elapsed();
    partner.join().unwrap();
    timer.join().unwrap();
    assert!(trips > 0);
    el.as_nanos() as f64 / trips as f64
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).filter(|&v| v > 0).unwrap_or(d);
    let ms = arg(1, 200);
    let reps = arg(2, 5) as usize;
    let mut v: Vec<f64> = (0..reps)
        .map(|i| {
            let x = rep(ms);
            println!("rust_pingpong rep {i}: {x:.1} ns per round trip");
            x
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = if reps % 2 == 1 { v[reps / 2] } else { (v[reps / 2 - 1] + v[reps / 2]) / 2.0 };
    println!("RESULT rust_pingpong {med:.1} ns");
}
