/* yield_pingpong: two threads each call sched_yield in a loop.
 * usage: yield_pingpong [yields per thread]   (default 500000)
 * Set BENCH_ONE_CPU=1 to pin to one CPU (run.py does, and runs mnthread with
 * MNTHREAD_CARRIERS=1) so every yield hands the CPU to the other thread.
 * BENCH_HANDLER=1: a SIGUSR1 handler is installed first (bench.h).
 * RESULT yield_pingpong <ns per yield> ns */
#include "bench.h"

static long per_thread;
static volatile int go;
static volatile long ready;

static void *yielder(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    for (long i = 0; i < per_thread; i++)
        sched_yield();
    return NULL;
}

int main(int argc, char **argv)
{
    per_thread = bench_arg(argc, argv, 1, 500000);
    bench_maybe_pin();
    bench_maybe_handler();
    pthread_t a, b;
    int rc;
    if ((rc = pthread_create(&a, NULL, yielder, NULL)))
        bench_die("pthread_create", rc);
    if ((rc = pthread_create(&b, NULL, yielder, NULL)))
        bench_die("pthread_create", rc);
    while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < 2)
        sched_yield();
    long long t0 = bench_now_ns();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    long long el = bench_now_ns() - t0;
    printf("%ld yields in %.3f s\n", 2 * per_thread, el / 1e9);
    printf("RESULT yield_pingpong %.1f ns\n", (double)el / (2.0 * per_thread));
    return 0;
}
