//! rust_pingpong: Rust std Mutex + Condvar ping-pong between two threads
//! made with std::thread::spawn.  A round trip is main -> partner -> main,
//! each leg waking a thread blocked in Condvar::wait.  std parks through the
//! futex syscall (libc's syscall()), which mnthread emulates under LD_PRELOAD.
//! usage: rust_pingpong [ms per repetition [repetitions]]   (default 150 5)
//! The round trips per repetition are calibrated (doubled until one
//! repetition takes the given time); no timer thread runs meanwhile.
//! Prints "RESULT rust_pingpong <ns per round trip> ns" (median).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

struct Court {
    /// true: the partner's turn; false: main's turn.  `None`: game over.
    ball: Mutex<Option<bool>>,
    cv: [Condvar; 2],
}

/// One repetition of `trips` round trips; returns the elapsed ns.
fn rep(trips: u64) -> u128 {
    let court = Arc::new(Court { ball: Mutex::new(Some(false)), cv: [Condvar::new(), Condvar::new()] });
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
    let t0 = Instant::now();
    let mut g = court.ball.lock().unwrap();
    for _ in 0..trips {
        *g = Some(true);
        court.cv[1].notify_one();
        while *g == Some(true) {
            g = court.cv[0].wait(g).unwrap();
        }
    }
    *g = None;
    court.cv[1].notify_one();
    drop(g);
    let el = t0.elapsed();
    partner.join().unwrap();
    el.as_nanos()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).filter(|&v| v > 0).unwrap_or(d);
    let ms = arg(1, 150);
    let reps = arg(2, 5) as usize;
    let mut trips: u64 = 250;
    while rep(trips) < ms as u128 * 1_000_000 && trips < 1 << 40 {
        trips *= 2;
    }
    let mut v: Vec<f64> = (0..reps)
        .map(|i| {
            let x = rep(trips) as f64 / trips as f64;
            println!("rust_pingpong rep {i}: {x:.1} ns per round trip");
            x
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let med = if reps % 2 == 1 { v[reps / 2] } else { (v[reps / 2 - 1] + v[reps / 2]) / 2.0 };
    println!("RESULT rust_pingpong {med:.1} ns");
}
