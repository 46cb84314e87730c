/* sleep_storm: N threads (default 10000) each sleep 1 ms in nanosleep ten
 * times, all at once.  The threads are created first and wait for a start
 * signal; from then on the process CPU time per sleep (getrusage: what the
 * sleeps and their wake-ups cost the machine) and the wall time until every
 * thread finished its sleeps (ideal: ten sleeps, ~10 ms) are measured.
 * usage: sleep_storm [threads] [sleeps]
 * RESULT sleep_storm_cpu_per_sleep <ns> ns
 * RESULT sleep_storm_wall <ms> ms */
#include "bench.h"

static long rounds, ready, finished;
static int go;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static void *sleeper(void *arg)
{
    pthread_mutex_lock(&m);
    ready++;
    while (!go)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    struct timespec ts = {0, 1000 * 1000};
    for (long i = 0; i < rounds; i++)
        nanosleep(&ts, NULL);
    pthread_mutex_lock(&m);
    if (++finished == ready)
        pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&m);
    return arg;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 10000);
    rounds = bench_arg(argc, argv, 2, 10);
    pthread_t *t = malloc(n * sizeof *t);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (long i = 0; i < n; i++) {
        int rc = pthread_create(&t[i], &a, sleeper, NULL);
        if (rc)
            bench_die("pthread_create", rc);
    }
    for (;;) {
        pthread_mutex_lock(&m);
        long r = ready;
        pthread_mutex_unlock(&m);
        if (r == n)
            break;
        sched_yield();
    }
    long long c0 = bench_cpu_ns(), t0 = bench_now_ns();
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_broadcast(&cv);
    while (finished < n)
        pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    long long c1 = bench_cpu_ns(), t1 = bench_now_ns();
    for (long i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    printf("%ld threads x %ld sleeps of 1 ms: %.1f ms wall, %.1f ms CPU\n", n, rounds, (t1 - t0) / 1e6, (c1 - c0) / 1e6);
    printf("RESULT sleep_storm_cpu_per_sleep %.0f ns\n", (double)(c1 - c0) / (n * rounds));
    printf("RESULT sleep_storm_wall %.1f ms\n", (t1 - t0) / 1e6);
    return 0;
}
