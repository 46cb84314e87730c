// C11 <threads.h> thread, thread-specific storage and call_once functions
// (glibc's own call its internals, so mnthread exports them): thrd_create/
// join with int results (negative too), thrd_exit from a nested call with
// tss destructors run (as on return), thrd_detach, thrd_current/equal,
// thrd_sleep (0 on success, -2 for an invalid time; many sleepers at once,
// which with MNTHREAD_CARRIERS=1 must all park), thrd_yield, tss_create/
// get/set/delete (thrd_error for a bad key), call_once run exactly once by
// racing threads. Under mnthread the C11 threads are user threads.
// LINK: -ldl
#include "common.h"
#include <threads.h>

static int (*is_user_thread)(void);

static int ret_arg(void *arg)
{
    if (is_user_thread)
        CHECK(is_user_thread());
    return (int)(long)arg;
}

static tss_t key;
static int dtor_calls;
static void dtor(void *v)
{
    CHECK_EQ((long)v, 42);
    __atomic_fetch_add(&dtor_calls, 1, __ATOMIC_RELAXED);
}

static _Noreturn void nested_exit(int code)
{
    thrd_exit(code);
}

static int exits_early(void *arg)
{
    CHECK_EQ(tss_get(key), NULL);
    CHECK_EQ(tss_set(key, (void *)42), thrd_success);
    CHECK_PTR_EQ(tss_get(key), (void *)42);
    if (arg)
        nested_exit(-7);
    return 3;
}

static thrd_t main_thrd;
static int compares(void *arg)
{
    (void)arg;
    CHECK(thrd_equal(thrd_current(), thrd_current()));
    CHECK(!thrd_equal(thrd_current(), main_thrd));
    thrd_yield();
    return 0;
}

static int sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 50 * 1000000L};
    long long t0 = now_ns();
    CHECK_EQ(thrd_sleep(&ts, NULL), 0);
    CHECK_GE(now_ns() - t0, 50 * 1000000LL);
    return 1;
}

static once_flag once = ONCE_FLAG_INIT;
static int once_runs;
static void once_fn(void)
{
    __atomic_fetch_add(&once_runs, 1, __ATOMIC_RELAXED);
    thrd_yield();
}

static int calls_once(void *arg)
{
    (void)arg;
    call_once(&once, once_fn);
    CHECK_EQ(__atomic_load_n(&once_runs, __ATOMIC_RELAXED), 1);
    return 0;
}

static volatile int detached_ran;
static int detached(void *arg)
{
    (void)arg;
    set_flag(&detached_ran);
    return 0;
}

int main(void)
{
    if (under_mnthread())
        CHECK_DLSYM(RTLD_DEFAULT, is_user_thread, "mnthread_is_user_thread");
    main_thrd = thrd_current();
    CHECK(thrd_equal(main_thrd, thrd_current()));
    CHECK(thrd_equal(main_thrd, (thrd_t)pthread_self()));

    /* Results. */
    int vals[] = {0, 1, 255, -1, -5, INT32_MAX, INT32_MIN};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        thrd_t t;
        int res = 12345;
        CHECK_EQ(thrd_create(&t, ret_arg, (void *)(long)vals[i]), thrd_success);
        CHECK_EQ(thrd_join(t, &res), thrd_success);
        CHECK_EQ(res, vals[i]);
    }
    thrd_t t;
    CHECK_EQ(thrd_create(&t, ret_arg, (void *)7L), thrd_success);
    CHECK_EQ(thrd_join(t, NULL), thrd_success);
    CHECK_EQ(thrd_create(&t, compares, NULL), thrd_success);
    CHECK_EQ(thrd_join(t, NULL), thrd_success);

    /* TSS: destructors on return and on thrd_exit. */
    CHECK_EQ(tss_create(&key, dtor), thrd_success);
    int res;
    CHECK_EQ(thrd_create(&t, exits_early, NULL), thrd_success);
    CHECK_EQ(thrd_join(t, &res), thrd_success);
    CHECK_EQ(res, 3);
    CHECK_EQ(dtor_calls, 1);
    CHECK_EQ(thrd_create(&t, exits_early, (void *)1), thrd_success);
    CHECK_EQ(thrd_join(t, &res), thrd_success);
    CHECK_EQ(res, -7);
    CHECK_EQ(dtor_calls, 2);
    CHECK_EQ(tss_get(key), NULL);
    CHECK_EQ(tss_set(key, (void *)5), thrd_success);
    CHECK_PTR_EQ(tss_get(key), (void *)5);
    CHECK_EQ(tss_set(key, NULL), thrd_success);
    tss_delete(key);
    CHECK_EQ(tss_set(key, (void *)5), thrd_error);
    CHECK_EQ(tss_get(key), NULL);
    CHECK_EQ(tss_set(key + 5000, (void *)5), thrd_error);
    CHECK_EQ(tss_get(key + 5000), NULL);
    tss_t k2;
    CHECK_EQ(tss_create(&k2, NULL), thrd_success);
    tss_delete(k2);

    /* Detach. */
    CHECK_EQ(thrd_create(&t, detached, NULL), thrd_success);
    CHECK_EQ(thrd_detach(t), thrd_success);
    wait_flag(&detached_ran, 20, "detached thread");

    /* Sleep. */
    struct timespec bad = {0, -1}, bad2 = {0, 1000000000}, neg = {-1, 0}, zero = {0, 0};
    CHECK_EQ(thrd_sleep(&bad, NULL), -2);
    CHECK_EQ(thrd_sleep(&bad2, NULL), -2);
    CHECK_EQ(thrd_sleep(&neg, NULL), -2);
    CHECK_EQ(thrd_sleep(&zero, NULL), 0);
    enum { SLEEPERS = 50 };
    thrd_t s[SLEEPERS];
    for (int i = 0; i < SLEEPERS; i++)
        CHECK_EQ(thrd_create(&s[i], sleeper, NULL), thrd_success);
    for (int i = 0; i < SLEEPERS; i++) {
        CHECK_EQ(thrd_join(s[i], &res), thrd_success);
        CHECK_EQ(res, 1);
    }
    CHECK_EQ(sleeper(NULL), 1);

    /* call_once. */
    enum { RACERS = 16 };
    thrd_t r[RACERS];
    for (int i = 0; i < RACERS; i++)
        CHECK_EQ(thrd_create(&r[i], calls_once, NULL), thrd_success);
    for (int i = 0; i < RACERS; i++)
        CHECK_EQ(thrd_join(r[i], NULL), thrd_success);
    call_once(&once, once_fn);
    CHECK_EQ(once_runs, 1);

    printf("c11_threads ok\n");
    return 0;
}
