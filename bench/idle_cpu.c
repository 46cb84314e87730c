/* idle_cpu: 8 threads blocked in pthread_join while a ninth sleeps ~1 s in
 * nanosleep; measures the CPU time (getrusage, whole process) burnt during
 * the wait.  The 8 form a chain (thread 1 joins the sleeper, thread i joins
 * thread i-1) since a thread can have only one joiner.
 * usage: idle_cpu [sleep ms]   (default 1000)
 * RESULT idle_cpu <ms of CPU> ms */
#include "bench.h"

#define NW 8
static long sleep_ms;
static volatile long waiting;
static pthread_t th[NW + 1];

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    return NULL;
}

static void *waiter(void *arg)
{
    long i = (long)(intptr_t)arg;
    __atomic_fetch_add(&waiting, 1, __ATOMIC_ACQ_REL);
    int rc = pthread_join(th[i - 1], NULL);
    if (rc)
        bench_die("pthread_join", rc);
    return NULL;
}

int main(int argc, char **argv)
{
    sleep_ms = bench_arg(argc, argv, 1, 1000);
    int rc;
    long long c0 = bench_cpu_ns(), t0 = bench_now_ns();
    if ((rc = pthread_create(&th[0], NULL, sleeper, NULL)))
        bench_die("pthread_create", rc);
    for (long i = 1; i <= NW; i++)
        if ((rc = pthread_create(&th[i], NULL, waiter, (void *)(intptr_t)i)))
            bench_die("pthread_create", rc);
    /* main joins the last link: nine threads blocked, one sleeping */
    if ((rc = pthread_join(th[NW], NULL)))
        bench_die("pthread_join", rc);
    long long c1 = bench_cpu_ns(), t1 = bench_now_ns();
    printf("waited %.3f s wall, %.3f ms CPU\n", (t1 - t0) / 1e9, (c1 - c0) / 1e6);
    printf("RESULT idle_cpu %.2f ms\n", (c1 - c0) / 1e6);
    return 0;
}
