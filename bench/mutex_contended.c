/* mutex_contended: T threads hammer one mutex.  Each iteration:
 *   lock; a short critical section (updates shared state: a few ns);
 *   unlock; a little work outside the lock.
 * Runs for a fixed time per repetition and reports the total throughput
 * (median of the repetitions) for each thread count; HIGHER is better.
 * The shared counter is checked against the per-thread counts afterwards.
 * usage: mutex_contended [ms per repetition [repetitions [T ...]]]
 *        (default 150 3, T = 2 4 16 64)
 * RESULT mutex_contended_T<T> <Mops/s> Mops/s
 * Also prints the spread of per-thread operation counts (fairness). */
#include "bench.h"

#define MAX_REPS 15
#define MAX_T 1024

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned long count; /* protected by mu */
    unsigned long state; /* protected by mu: a little LCG work */
} shared __attribute__((aligned(64)));

static struct {
    unsigned long ops;
    char pad[56];
} per[MAX_T] __attribute__((aligned(64)));

static int go, stop, ready;

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    unsigned long local = (unsigned long)id * 2654435761UL + 1, ops = 0;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&mu);
        shared.count++;
        for (int k = 0; k < 4; k++)
            shared.state = shared.state * 6364136223846793005UL + 1442695040888963407UL;
        pthread_mutex_unlock(&mu);
        for (int k = 0; k < 16; k++) {
            local = local * 6364136223846793005UL + 1;
            __asm__ __volatile__("" : "+r"(local));
        }
        ops++;
    }
    per[id].ops = ops;
    return NULL;
}

/* One repetition with t threads; returns Mops/s. */
static double rep(int t, long ms, int verbose)
{
    pthread_t th[MAX_T];
    int rc;
    __atomic_store_n(&go, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&ready, 0, __ATOMIC_RELAXED);
    shared.count = 0;
    for (int i = 0; i < t; i++)
        if ((rc = pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)))
            bench_die("pthread_create", rc);
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < t)
        sched_yield();
    long long t0 = bench_now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    bench_sleep_ns(ms * 1000000LL);
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    long long el = bench_now_ns() - t0;
    unsigned long total = 0, mn = ~0UL, mx = 0;
    for (int i = 0; i < t; i++) {
        pthread_join(th[i], NULL);
        total += per[i].ops;
        if (per[i].ops < mn)
            mn = per[i].ops;
        if (per[i].ops > mx)
            mx = per[i].ops;
    }
    if (total != shared.count) {
        fprintf(stderr, "T=%d: shared counter %lu != %lu operations: mutex broken\n",
                t, shared.count, total);
        exit(1);
    }
    double mops = (double)total / (double)el * 1000.0;
    if (verbose)
        printf("T=%d: %.2f Mops/s, per-thread ops min %lu max %lu\n", t, mops, mn, mx);
    return mops;
}

int main(int argc, char **argv)
{
    long ms = bench_arg(argc, argv, 1, 150);
    int reps = (int)bench_arg(argc, argv, 2, 3);
    int ts[64], nt = 0;
    if (reps > MAX_REPS)
        reps = MAX_REPS;
    for (int i = 3; i < argc && nt < 64; i++) {
        long v = bench_arg(argc, argv, i, 0);
        if (v > 0 && v <= MAX_T)
            ts[nt++] = (int)v;
    }
    if (nt == 0) {
        ts[nt++] = 2;
        ts[nt++] = 4;
        ts[nt++] = 16;
        ts[nt++] = 64;
    }
    for (int j = 0; j < nt; j++) {
        double v[MAX_REPS];
        for (int i = 0; i < reps; i++)
            v[i] = rep(ts[j], ms, 1);
        printf("RESULT mutex_contended_T%d %.2f Mops/s\n", ts[j], bench_median(v, reps));
        fflush(stdout);
    }
    return 0;
}
