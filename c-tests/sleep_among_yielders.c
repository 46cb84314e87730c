// ONE-CARRIER
// TIMEOUT: 60
// A sleeper wakes up even when every carrier is kept busy by threads that
// never stop yielding to each other (their queues never drain): sleep ends
// within a bounded time, then the sleeper tells the yielders to stop. Each
// sleep must last at least what it asked for. A runtime that only looks at
// due timers when it has nothing else to run never wakes the sleeper (the
// harness's timeout catches it).
#include "common.h"

#define YIELDERS 6
static volatile int stop;
static volatile long yields;

static void *yielder(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_add(&yields, 1, __ATOMIC_RELAXED);
        sched_yield();
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        long long t0 = now_ns();
        struct timespec ts = {0, 2000000};
        CHECK_SYS(nanosleep(&ts, NULL));
        CHECK(now_ns() - t0 >= 2000000);
        CHECK_SYS(usleep(1000));
    }
    set_flag(&stop);
    return NULL;
}

int main(void)
{
    pthread_t y[YIELDERS], s;
    for (int i = 0; i < YIELDERS; i++)
        CHECK_OK(pthread_create(&y[i], NULL, yielder, NULL));
    wait_count(&yields, 1000, 20, "yielders running");
    CHECK_OK(pthread_create(&s, NULL, sleeper, NULL));
    CHECK_OK(pthread_join(s, NULL));
    for (int i = 0; i < YIELDERS; i++)
        CHECK_OK(pthread_join(y[i], NULL));
    puts("sleep_among_yielders OK");
    return 0;
}
