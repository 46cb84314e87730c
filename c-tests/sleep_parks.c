// ONE-CARRIER
// TIMEOUT: 60
// A thread asleep in nanosleep, clock_nanosleep, usleep, sleep or
// thrd_sleep lets the others run meanwhile: each sleeper keeps sleeping
// until a partner thread — which can only run while the sleeper sleeps on a
// single carrier — has marked it. A sleep that blocked its carrier would
// never see the mark and gives up after its rounds (or the harness's
// timeout catches it). Then a storm: 1000 threads sleeping concurrently,
// each measured to have slept at least what it asked for.
#include "common.h"
#include <stdatomic.h>
#include <threads.h>

enum { NANOSLEEP, CLOCK_REL, CLOCK_ABS_MONO, CLOCK_ABS_REAL, USLEEP, SLEEP, THRD_SLEEP, KINDS };
static const char *kind_name[KINDS] = {"nanosleep", "clock_nanosleep", "clock_nanosleep(ABSTIME, MONOTONIC)",
                                       "clock_nanosleep(ABSTIME, REALTIME)", "usleep", "sleep", "thrd_sleep"};

static atomic_int asleep[KINDS], marked[KINDS];

static void sleep_once(int kind, long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    switch (kind) {
    case NANOSLEEP: CHECK_SYS(nanosleep(&ts, NULL)); break;
    case CLOCK_REL: CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL)); break;
    case CLOCK_ABS_MONO: ts = abs_in_ms(CLOCK_MONOTONIC, ms); CHECK_OK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)); break;
    case CLOCK_ABS_REAL: ts = abs_in_ms(CLOCK_REALTIME, ms); CHECK_OK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL)); break;
    case USLEEP: CHECK_SYS(usleep(ms * 1000)); break;
    case SLEEP: CHECK_EQ(sleep((ms + 999) / 1000), 0u); break;
    case THRD_SLEEP: CHECK_EQ(thrd_sleep(&ts, NULL), 0); break;
    }
}

static void *sleeper(void *arg) {
    int kind = (int)(long)arg;
    long ms = kind == SLEEP ? 1000 : 50;
    atomic_store(&asleep[kind], 1);
    for (int round = 0; !atomic_load(&marked[kind]); round++) {
        CHECK_MSG(round < 20, "%s: the partner never ran while this thread slept (the sleep blocked its carrier)",
                  kind_name[kind]);
        sleep_once(kind, ms);
    }
    return NULL;
}

static void *partner(void *arg) {
    int kind = (int)(long)arg;
    while (!atomic_load(&asleep[kind]))
        sched_yield();
    atomic_store(&marked[kind], 1);
    return NULL;
}

#define STORM 1000
static void *storm(void *arg) {
    long ms = 1 + (long)arg % 7;
    for (int i = 0; i < 3; i++) {
        long long t0 = now_ns();
        sleep_once((int)(long)arg % 2 ? NANOSLEEP : CLOCK_ABS_MONO, ms);
        long long slept = now_ns() - t0;
        CHECK_MSG(slept >= ms * 1000000LL, "asked %ld ms, slept %lld ns", ms, slept);
    }
    return NULL;
}

int main(void) {
    for (int kind = 0; kind < KINDS; kind++) {
        pthread_t s, p;
        CHECK_OK(pthread_create(&s, NULL, sleeper, (void *)(long)kind));
        CHECK_OK(pthread_create(&p, NULL, partner, (void *)(long)kind));
        CHECK_OK(pthread_join(s, NULL));
        CHECK_OK(pthread_join(p, NULL));
    }
    /* Elapsed time covers the request, for every kind. */
    for (int kind = 0; kind < KINDS; kind++) {
        if (kind == SLEEP)
            continue;
        long long t0 = now_ns();
        sleep_once(kind, 20);
        CHECK_MSG(now_ns() - t0 >= 20 * 1000000LL, "%s(20 ms) returned after %lld ns", kind_name[kind], now_ns() - t0);
    }
    /* An absolute REALTIME sleep ends only once that clock reached it. */
    struct timespec target = abs_in_ms(CLOCK_REALTIME, 30), now;
    CHECK_OK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &target, NULL));
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK(now.tv_sec > target.tv_sec || (now.tv_sec == target.tv_sec && now.tv_nsec >= target.tv_nsec));

    pthread_t t[STORM];
    for (long i = 0; i < STORM; i++)
        CHECK_OK(pthread_create(&t[i], NULL, storm, (void *)i));
    for (int i = 0; i < STORM; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    printf("sleep_parks OK\n");
    return 0;
}
