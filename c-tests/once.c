// pthread_once: among 50 racing threads the routine runs exactly once, and
// every caller returns only after it completed; nested once controls;
// later calls (main, new threads) do not run it again.
#include "common.h"

#define N 50
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_once_t inner_once = PTHREAD_ONCE_INIT;
static volatile int go;
static volatile long ready;
static volatile long init_calls, inner_calls;
static volatile int init_done, inner_done;

static void inner_init(void)
{
    __atomic_fetch_add(&inner_calls, 1, __ATOMIC_ACQ_REL);
    set_flag(&inner_done);
}

static void init(void)
{
    __atomic_fetch_add(&init_calls, 1, __ATOMIC_ACQ_REL);
    /* take a while so that the other threads really have to wait */
    long long until = now_ns() + 50000000LL;
    while (now_ns() < until)
        sched_yield();
    CHECK_OK(pthread_once(&inner_once, inner_init));
    set_flag(&init_done);
}

static void *racer(void *arg)
{
    (void)arg;
    __atomic_fetch_add(&ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    CHECK_OK(pthread_once(&once, init));
    /* must have completed before pthread_once returned */
    int done = __atomic_load_n(&init_done, __ATOMIC_ACQUIRE);
    int inner = __atomic_load_n(&inner_done, __ATOMIC_ACQUIRE);
    return (void *)(intptr_t)(done && inner);
}

static int late_calls;
static void late_init(void) { late_calls++; }

int main(void)
{
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        CHECK_OK(pthread_create(&t[i], NULL, racer, NULL));
    wait_count(&ready, N, 20, "racers ready");
    set_flag(&go);
    for (int i = 0; i < N; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_MSG((intptr_t)r == 1, "thread %d returned from pthread_once "
                  "before the init routine completed", i);
    }
    CHECK_EQ(init_calls, 1);
    CHECK_EQ(inner_calls, 1);

    /* main and fresh threads: no second call */
    CHECK_OK(pthread_once(&once, init));
    CHECK_EQ(init_calls, 1);
    pthread_t t2;
    void *r;
    CHECK_OK(pthread_create(&t2, NULL, racer, NULL));
    CHECK_OK(pthread_join(t2, &r));
    CHECK_EQ((intptr_t)r, 1);
    CHECK_EQ(init_calls, 1);

    /* a control first used by main */
    static pthread_once_t o2 = PTHREAD_ONCE_INIT;
    CHECK_OK(pthread_once(&o2, late_init));
    CHECK_OK(pthread_once(&o2, late_init));
    CHECK_EQ(late_calls, 1);

    puts("once OK");
    return 0;
}
