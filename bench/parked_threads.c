/* parked_threads: N threads that all stay parked in pthread_join.
 * usage: parked_threads [N [exit]]   (default N = 10000)
 * Thread 0 joins a "sleeper" thread (which naps in 10 ms nanosleeps until
 * released), thread i joins thread i-1: a chain, since POSIX allows only one
 * joiner per thread.  Reports the VmRSS growth per parked thread and the
 * creation time per thread, then releases the chain (each thread wakes the
 * next as it exits) and joins the last, reporting the time per thread.
 * With "exit" as second argument the chain is not released: the process
 * just exits with all threads still parked.
 * RESULT parked_rss_per_thread <KiB> KiB
 * RESULT parked_create_per_thread <ns> ns
 * RESULT parked_release_per_thread <ns> ns   (unless "exit") */
#include "bench.h"

static volatile int release;
static volatile long parked;
static pthread_t *ts;

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts10 = {0, 10000000};
    while (!__atomic_load_n(&release, __ATOMIC_ACQUIRE))
        nanosleep(&ts10, NULL);
    return NULL;
}

static void *link_fn(void *arg)
{
    pthread_t prev = *(pthread_t *)arg;
    __atomic_fetch_add(&parked, 1, __ATOMIC_ACQ_REL);
    int rc = pthread_join(prev, NULL);
    if (rc)
        bench_die("pthread_join (chain)", rc);
    return NULL;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 10000);
    ts = malloc(sizeof *ts * (n + 1));
    if (!ts)
        bench_die("malloc", ENOMEM);
    memset(ts, 0, sizeof *ts * (n + 1));
    int rc;
    if ((rc = pthread_create(&ts[0], NULL, sleeper, NULL)))
        bench_die("pthread_create", rc);
    long rss0 = bench_rss_kib();
    long long t0 = bench_now_ns();
    for (long i = 1; i <= n; i++) {
        rc = pthread_create(&ts[i], NULL, link_fn, &ts[i - 1]);
        if (rc) {
            fprintf(stderr, "pthread_create #%ld: %s\n", i, strerror(rc));
            return 1;
        }
    }
    long long t1 = bench_now_ns();
    long long deadline = t1 + 600LL * 1000000000LL;
    while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < n) {
        if (bench_now_ns() > deadline) {
            fprintf(stderr, "only %ld of %ld threads parked\n", parked, n);
            return 1;
        }
        sched_yield();
    }
    long long t2 = bench_now_ns();
    /* give the last ones a moment to really block */
    struct timespec ms50 = {0, 50000000};
    nanosleep(&ms50, NULL);
    long rss1 = bench_rss_kib();
    printf("N=%ld: created in %.3f s, all parked after %.3f s, RSS %ld -> %ld KiB\n",
           n, (t1 - t0) / 1e9, (t2 - t0) / 1e9, rss0, rss1);
    printf("RESULT parked_rss_per_thread %.2f KiB\n", (double)(rss1 - rss0) / n);
    printf("RESULT parked_create_per_thread %.1f ns\n", (double)(t1 - t0) / n);
    fflush(stdout);
    if (argc > 2 && strcmp(argv[2], "exit") == 0)
        exit(0); /* leave them parked */
    long long c0 = bench_cpu_ns();
    long long t3 = bench_now_ns();
    __atomic_store_n(&release, 1, __ATOMIC_RELEASE);
    rc = pthread_join(ts[n], NULL);
    if (rc)
        bench_die("pthread_join", rc);
    long long t4 = bench_now_ns();
    printf("chain released and joined in %.3f s (cpu %.3f s)\n", (t4 - t3) / 1e9,
           (bench_cpu_ns() - c0) / 1e9);
    printf("RESULT parked_release_per_thread %.1f ns\n", (double)(t4 - t3) / n);
    free(ts);
    return 0;
}
