// ONE-CARRIER
// TIMEOUT: 60
// Per-thread CPU time: clock_gettime(CLOCK_THREAD_CPUTIME_ID), the clock of
// pthread_getcpuclockid (read by the thread itself and by another thread),
// clock_getres on it, and getrusage(RUSAGE_THREAD) report the calling
// thread's own CPU time — not its carrier's, which under mnthread other
// threads share. A busy thread computes until its own clock shows 100 ms;
// an idle one sleeps 10 x 10 ms meanwhile and shows (almost) none, even on
// the same carrier; a thread's CPU time never exceeds the wall time it had.
#include "common.h"
#include <semaphore.h>
#include <sys/resource.h>

#define BUSY_NS 100000000LL

static long long clock_read(clockid_t c)
{
    struct timespec ts;
    CHECK_EQ(clock_gettime(c, &ts), 0);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long rusage_thread_ns(void)
{
    struct rusage ru;
    CHECK_EQ(getrusage(RUSAGE_THREAD, &ru), 0);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static sem_t busy_done;
static volatile int may_exit;
static long long busy_cpu, busy_wall, busy_rusage;
static clockid_t busy_clock;

static void *busy(void *arg)
{
    (void)arg;
    CHECK_EQ(pthread_getcpuclockid(pthread_self(), &busy_clock), 0);
    long long w0 = now_ns(), c0 = clock_read(CLOCK_THREAD_CPUTIME_ID);
    long long last = c0, spins = 0;
    volatile double x = 1;
    for (;;) {
        for (int i = 0; i < 1000; i++)
            x = x * 1.0000001 + 1e-9;
        long long c = clock_read(CLOCK_THREAD_CPUTIME_ID);
        CHECK_MSG(c >= last, "the thread's CPU clock went back: %lld after %lld", c, last);
        last = c;
        spins++;
        if (c - c0 >= BUSY_NS)
            break;
    }
    busy_wall = now_ns() - w0;
    busy_cpu = last - c0;
    /* The same clock by its id, and by getrusage. */
    long long by_id = clock_read(busy_clock);
    CHECK_MSG(by_id >= last, "pthread_getcpuclockid's clock %lld behind CLOCK_THREAD_CPUTIME_ID %lld", by_id, last);
    busy_rusage = rusage_thread_ns();
    CHECK_EQ(sem_post(&busy_done), 0);
    while (!__atomic_load_n(&may_exit, __ATOMIC_ACQUIRE))
        usleep(1000);
    return NULL;
}

static long long idle_cpu, idle_rusage;

static void *idle(void *arg)
{
    (void)arg;
    long long c0 = clock_read(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < 10; i++)
        usleep(10000);
    idle_cpu = clock_read(CLOCK_THREAD_CPUTIME_ID) - c0;
    idle_rusage = rusage_thread_ns();
    return NULL;
}

int main(void)
{
    pthread_t b, i;
    CHECK_EQ(sem_init(&busy_done, 0, 0), 0);
    CHECK_EQ(pthread_create(&b, NULL, busy, NULL), 0);
    CHECK_EQ(pthread_create(&i, NULL, idle, NULL), 0);
    CHECK_EQ(pthread_join(i, NULL), 0);
    CHECK_EQ(sem_wait(&busy_done), 0); /* blocked: main uses no CPU meanwhile */

    CHECK_MSG(busy_cpu >= BUSY_NS, "busy thread: %lld ns of CPU", busy_cpu);
    CHECK_MSG(busy_cpu <= busy_wall + 1000000, "busy thread: %lld ns of CPU in %lld ns of wall time", busy_cpu, busy_wall);
    CHECK_MSG(busy_rusage >= BUSY_NS - 10000000, "busy thread: getrusage says %lld ns", busy_rusage);
    CHECK_MSG(idle_cpu < 20000000, "idle thread: %lld ns of CPU", idle_cpu);
    CHECK_MSG(idle_rusage < 20000000, "idle thread: getrusage says %lld ns", idle_rusage);

    /* Another thread reads the busy thread's clock (it sleeps now). */
    long long seen = clock_read(busy_clock);
    CHECK_MSG(seen >= busy_cpu, "main reads %lld ns on the busy thread's clock, it saw %lld", seen, busy_cpu);
    CHECK_MSG(seen < busy_cpu + 50000000, "main reads %lld ns on the busy thread's clock, it saw %lld", seen, busy_cpu);
    struct timespec res;
    CHECK_EQ(clock_getres(busy_clock, &res), 0);
    CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);

    /* Main's own clock is its own too. */
    clockid_t mine;
    CHECK_EQ(pthread_getcpuclockid(pthread_self(), &mine), 0);
    long long m1 = clock_read(mine), m2 = clock_read(CLOCK_THREAD_CPUTIME_ID);
    CHECK_MSG(m2 >= m1, "main: %lld then %lld", m1, m2);
    CHECK_MSG(m2 < busy_cpu, "main (which waited) shows %lld ns, the busy thread %lld", m2, busy_cpu);

    set_flag(&may_exit);
    CHECK_EQ(pthread_join(b, NULL), 0);
    printf("ok: busy %lld ms CPU in %lld ms, idle %lld us, main %lld us\n", busy_cpu / 1000000, busy_wall / 1000000,
           idle_cpu / 1000, m2 / 1000);
    return 0;
}
