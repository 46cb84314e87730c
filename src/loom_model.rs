//! The loom model runner shared by the model tests of the lock-free
//! protocols (`park_state`, `sched::runq`). Built only for
//! `RUSTFLAGS="--cfg loom" cargo test`.

/// Explores every execution of `f` with at most `preemptions` forced
/// thread switches (None: all executions; set here, not by
/// `LOOM_MAX_PREEMPTIONS`), and tells how many there were (seen with
/// `--nocapture`).
pub fn model<F: Fn() + Sync + Send + 'static>(preemptions: Option<usize>, f: F) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let mut b = loom::model::Builder::new();
    b.preemption_bound = preemptions;
    let counted = runs.clone();
    b.check(move || {
        counted.fetch_add(1, Ordering::Relaxed);
        f()
    });
    eprintln!("{} executions (preemption bound {preemptions:?})", runs.load(Ordering::Relaxed));
}
