/* rescue: how long a runnable thread waits behind a carrier blocked in a
 * call nobody can intercept (the `syscall` instruction itself).  A worker
 * thread yields in a loop, always runnable; a blocker sleeps 2 ms (a parked
 * nanosleep), then stamps the time and makes a raw nanosleep system call of
 * 5 ms.  The worker's first run after the stamp gives the wait.  Under
 * mnthread with one carrier only a spare carrier brought in by the monitor
 * runs the worker; under glibc the worker is a kernel thread of its own.
 * usage: rescue [rounds]
 * RESULT rescue_p50 <us> us, rescue_p99, rescue_max */
#include "bench.h"
#include <stdatomic.h>
#include <sys/syscall.h>

static atomic_llong stamp;
static atomic_int stop;
static long long waits[100000];
static atomic_long nwaits;

static void raw_nanosleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_nanosleep), "D"(&ts), "S"(0L) : "rcx", "r11", "memory");
    (void)r;
}

static void *worker(void *arg)
{
    while (!atomic_load(&stop)) {
        long long s = atomic_exchange(&stamp, 0);
        if (s) {
            long i = atomic_load(&nwaits);
            waits[i] = bench_now_ns() - s;
            atomic_store(&nwaits, i + 1);
        }
        sched_yield();
    }
    return arg;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 300;
    if (rounds > 100000)
        rounds = 100000;
    pthread_t w;
    pthread_create(&w, NULL, worker, NULL);
    struct timespec gap = {0, 2 * 1000 * 1000};
    for (long i = 0; i < rounds; i++) {
        nanosleep(&gap, NULL);
        long before = atomic_load(&nwaits);
        atomic_store(&stamp, bench_now_ns());
        raw_nanosleep_ns(5 * 1000 * 1000);
        /* The worker saw the stamp while we were blocked, or sees it now. */
        while (atomic_load(&nwaits) == before)
            sched_yield();
    }
    atomic_store(&stop, 1);
    pthread_join(w, NULL);
    long n = atomic_load(&nwaits);
    qsort(waits, n, sizeof waits[0], cmp);
    printf("RESULT rescue_p50 %.1f us\n", waits[n / 2] / 1e3);
    printf("RESULT rescue_p99 %.1f us\n", waits[n * 99 / 100] / 1e3);
    printf("RESULT rescue_max %.1f us\n", waits[n - 1] / 1e3);
    return 0;
}
