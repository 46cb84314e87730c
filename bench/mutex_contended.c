/* mutex_contended: T threads hammer one mutex.  Each iteration:
 *   lock; a short critical section (updates shared state: a few ns);
 *   unlock; a little work outside the lock.
 * A repetition is a fixed total of operations split evenly between the
 * threads, timed from the start signal until all are joined (the main
 * thread waits in pthread_join: no timer thread takes a CPU or a carrier).
 * Reports the throughput (median of the repetitions) for each thread
 * count; HIGHER is better.  The shared counter is checked afterwards.
 * usage: mutex_contended [total ops per repetition [repetitions [T ...]]]
 *        (default 5000000 5, T = 2 4 16 64)
 * RESULT mutex_contended_T<T> <Mops/s> Mops/s
 */
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

static int go, ready;
static long per_thread; /* operations each thread does in a repetition */

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    unsigned long local = (unsigned long)id * 2654435761UL + 1, ops = 0;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    for (long n = 0; n < per_thread; n++) {
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

/* One repetition with t threads, about `total` operations; returns Mops/s. */
static double rep(int t, long total, int verbose)
{
    pthread_t th[MAX_T];
    int rc;
    __atomic_store_n(&go, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&ready, 0, __ATOMIC_RELAXED);
    per_thread = total / t;
    shared.count = 0;
    for (int i = 0; i < t; i++)
        if ((rc = pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i)))
            bench_die("pthread_create", rc);
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < t)
        sched_yield();
    long long t0 = bench_now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    unsigned long done = 0;
    for (int i = 0; i < t; i++) {
        pthread_join(th[i], NULL);
        done += per[i].ops;
    }
    long long el = bench_now_ns() - t0;
    if (done != shared.count || done != (unsigned long)(per_thread * t)) {
        fprintf(stderr, "T=%d: shared counter %lu, %lu operations done, %ld expected: mutex broken\n",
                t, shared.count, done, per_thread * t);
        exit(1);
    }
    double mops = (double)done / (double)el * 1000.0;
    if (verbose)
        printf("T=%d: %.2f Mops/s (%lu ops in %.3f s)\n", t, mops, done, el / 1e9);
    return mops;
}

int main(int argc, char **argv)
{
    long total = bench_arg(argc, argv, 1, 5000000);
    int reps = (int)bench_arg(argc, argv, 2, 5);
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
            v[i] = rep(ts[j], total, 1);
        printf("RESULT mutex_contended_T%d %.2f Mops/s\n", ts[j], bench_median(v, reps));
        fflush(stdout);
    }
    return 0;
}
