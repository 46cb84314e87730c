// pthread_join error cases and the non-blocking / timed join variants:
// EDEADLK on self-join, EINVAL for detached threads and double detach,
// pthread_tryjoin_np EBUSY then 0, pthread_timedjoin_np and
// pthread_clockjoin_np ETIMEDOUT then success, invalid clock -> EINVAL.
#include "common.h"

struct gate {
    volatile int running;
    volatile int release;
    intptr_t ret;
};

static void *gated(void *arg)
{
    struct gate *g = arg;
    set_flag(&g->running);
    while (!__atomic_load_n(&g->release, __ATOMIC_ACQUIRE))
        sched_yield();
    return (void *)g->ret;
}

static void *self_join(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)pthread_join(pthread_self(), NULL);
}

static void start(pthread_t *t, struct gate *g, intptr_t ret, const pthread_attr_t *a)
{
    memset(g, 0, sizeof *g);
    g->ret = ret;
    CHECK_OK(pthread_create(t, a, gated, g));
    wait_flag(&g->running, 20, "thread start");
}

int main(void)
{
    pthread_t t;
    struct gate g;
    void *r;

    /* join self -> EDEADLK, in main and in a new thread */
    CHECK_ERR(pthread_join(pthread_self(), NULL), EDEADLK);
    CHECK_OK(pthread_create(&t, NULL, self_join, NULL));
    CHECK_OK(pthread_join(t, &r));
    CHECK_EQ((intptr_t)r, EDEADLK);

    /* detach a running thread, then join -> EINVAL, detach again -> EINVAL */
    {
        static struct gate g1;
        start(&t, &g1, 1, NULL);
        CHECK_OK(pthread_detach(t));
        CHECK_ERR(pthread_join(t, NULL), EINVAL);
        CHECK_ERR(pthread_detach(t), EINVAL);
        set_flag(&g1.release);
    }
    /* created detached: join -> EINVAL, detach -> EINVAL */
    {
        static struct gate g2;
        pthread_attr_t a;
        CHECK_OK(pthread_attr_init(&a));
        CHECK_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
        start(&t, &g2, 1, &a);
        CHECK_OK(pthread_attr_destroy(&a));
        CHECK_ERR(pthread_join(t, NULL), EINVAL);
        CHECK_ERR(pthread_detach(t), EINVAL);
        set_flag(&g2.release);
    }

    /* tryjoin: EBUSY while running, 0 with the value once it ended */
    {
        start(&t, &g, 11, NULL);
        CHECK_ERR(pthread_tryjoin_np(t, &r), EBUSY);
        CHECK_ERR(pthread_tryjoin_np(t, &r), EBUSY);
        set_flag(&g.release);
        long long deadline = now_ns() + 20000000000LL;
        int rc;
        r = NULL;
        while ((rc = pthread_tryjoin_np(t, &r)) == EBUSY) {
            CHECK(now_ns() < deadline);
            sched_yield();
        }
        CHECK_ERR(rc, 0);
        CHECK_EQ((intptr_t)r, 11);
    }

    /* timedjoin: ETIMEDOUT after ~50 ms, past deadline -> ETIMEDOUT at once,
     * then success */
    {
        start(&t, &g, 22, NULL);
        struct timespec ts = abs_in_ns(CLOCK_REALTIME, 50000000);
        long long t0 = now_ns();
        CHECK_ERR(pthread_timedjoin_np(t, &r, &ts), ETIMEDOUT);
        long long el = now_ns() - t0;
        CHECK_MSG(el >= 40000000LL, "timed out too early: %lld ns", el);
        CHECK_MSG(el < 5000000000LL, "timed out too late: %lld ns", el);
        ts = abs_in_ns(CLOCK_REALTIME, -1000000000LL);
        CHECK_ERR(pthread_timedjoin_np(t, &r, &ts), ETIMEDOUT);
        CHECK_ERR(pthread_tryjoin_np(t, &r), EBUSY); /* still joinable */
        set_flag(&g.release);
        ts = abs_in_ns(CLOCK_REALTIME, 20000000000LL);
        r = NULL;
        CHECK_OK(pthread_timedjoin_np(t, &r, &ts));
        CHECK_EQ((intptr_t)r, 22);
    }

    /* timedjoin with NULL abstime waits like pthread_join */
    {
        start(&t, &g, 23, NULL);
        set_flag(&g.release);
        r = NULL;
        CHECK_OK(pthread_timedjoin_np(t, &r, NULL));
        CHECK_EQ((intptr_t)r, 23);
    }

    /* clockjoin with CLOCK_MONOTONIC and CLOCK_REALTIME */
    {
        start(&t, &g, 33, NULL);
        struct timespec ts = abs_in_ns(CLOCK_MONOTONIC, 30000000);
        long long t0 = now_ns();
        CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
        CHECK_GE(now_ns() - t0, 25000000LL);
        ts = abs_in_ns(CLOCK_REALTIME, 30000000);
        t0 = now_ns();
        CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_REALTIME, &ts), ETIMEDOUT);
        CHECK_GE(now_ns() - t0, 25000000LL);
        /* invalid clocks */
        ts = abs_in_ns(CLOCK_MONOTONIC, 30000000);
        CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
        CHECK_ERR(pthread_clockjoin_np(t, &r, CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
        CHECK_ERR(pthread_tryjoin_np(t, &r), EBUSY); /* still joinable */
        set_flag(&g.release);
        ts = abs_in_ns(CLOCK_MONOTONIC, 20000000000LL);
        r = NULL;
        CHECK_OK(pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &ts));
        CHECK_EQ((intptr_t)r, 33);

        start(&t, &g, 34, NULL);
        set_flag(&g.release);
        ts = abs_in_ns(CLOCK_REALTIME, 20000000000LL);
        r = NULL;
        CHECK_OK(pthread_clockjoin_np(t, &r, CLOCK_REALTIME, &ts));
        CHECK_EQ((intptr_t)r, 34);
    }

    /* (Two threads joining the same thread at once is undefined; glibc
     * 2.36 does not detect it -- its joinid compare-and-swap has the
     * arguments the other way round -- so it is not tested.) */

    /* detaching a thread that already finished releases it: returns 0 */
    {
        static struct gate g3;
        start(&t, &g3, 1, NULL);
        set_flag(&g3.release);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        CHECK_OK(pthread_detach(t));
    }

    /* joining a thread that finished long ago still yields its value */
    {
        start(&t, &g, 44, NULL);
        set_flag(&g.release);
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        r = NULL;
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 44);
    }

    puts("join_errors OK");
    return 0;
}
