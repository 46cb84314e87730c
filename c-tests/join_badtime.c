// MNTHREAD-ONLY
// Timed joins with an invalid timespec (tv_nsec outside [0, 1e9)) must
// fail with EINVAL and leave the thread joinable.  Marked MNTHREAD-ONLY
// because glibc 2.36 does not validate tv_nsec here: on a running thread
// pthread_clockjoin_np/pthread_timedjoin_np spin forever on the futex's
// EINVAL (checked by hand: it hangs at 100% CPU).
#include "common.h"

static volatile int release;
static volatile int running;

static void *gated(void *arg)
{
    set_flag(&running);
    while (!__atomic_load_n(&release, __ATOMIC_ACQUIRE))
        sched_yield();
    return arg;
}

int main(void)
{
    pthread_t t;
    void *r;
    CHECK_OK(pthread_create(&t, NULL, gated, (void *)55));
    wait_flag(&running, 20, "thread start");

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += 1;
    ts.tv_nsec = 1000000000L;
    CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), EINVAL);
    CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_REALTIME, &ts), EINVAL);
    CHECK_ERR(pthread_timedjoin_np(t, &r, &ts), EINVAL);
    ts.tv_nsec = -1;
    CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), EINVAL);
    CHECK_ERR(pthread_timedjoin_np(t, &r, &ts), EINVAL);

    CHECK_ERR(pthread_tryjoin_np(t, &r), EBUSY);
    set_flag(&release);
    r = NULL;
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, 55);
    puts("join_badtime OK");
    return 0;
}
