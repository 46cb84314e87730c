// pthread_self / pthread_equal, pthread_setname_np / pthread_getname_np
// (round trip for self and for another thread, ERANGE for long names and
// small buffers), sched_yield and pthread_yield return 0.
#include "common.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
extern int pthread_yield(void);

struct info {
    pthread_t self_seen;
    volatile int step;     /* handshake between main and the thread */
    char name_seen[32];
    int yield_rc, pyield_rc;
};

static void wait_step(volatile int *step, int want)
{
    long long deadline = now_ns() + 20000000000LL;
    while (__atomic_load_n(step, __ATOMIC_ACQUIRE) < want) {
        CHECK_MSG(now_ns() < deadline, "handshake stuck waiting for step %d", want);
        sched_yield();
    }
}

static void *thread_fn(void *arg)
{
    struct info *in = arg;
    in->self_seen = pthread_self();
    in->yield_rc = sched_yield();
    in->pyield_rc = pthread_yield();
    __atomic_store_n(&in->step, 1, __ATOMIC_RELEASE);
    /* main names us */
    wait_step(&in->step, 2);
    CHECK_OK(pthread_getname_np(pthread_self(), in->name_seen, sizeof in->name_seen));
    CHECK_OK(pthread_setname_np(pthread_self(), "t-self-named"));
    __atomic_store_n(&in->step, 3, __ATOMIC_RELEASE);
    /* wait until main has read our name */
    wait_step(&in->step, 4);
    return NULL;
}

int main(void)
{
    pthread_t me = pthread_self();
    CHECK(pthread_equal(me, pthread_self()));
    CHECK(pthread_equal(me, me));
    CHECK_EQ(sched_yield(), 0);
    CHECK_EQ(pthread_yield(), 0);

    char buf[64];

    /* own name */
    CHECK_OK(pthread_setname_np(me, "main-thr"));
    CHECK_OK(pthread_getname_np(me, buf, sizeof buf));
    CHECK_STR_EQ(buf, "main-thr");
    CHECK_OK(pthread_setname_np(me, "exactly15chars_"));
    CHECK_OK(pthread_getname_np(me, buf, 16));
    CHECK_STR_EQ(buf, "exactly15chars_");
    CHECK_ERR(pthread_setname_np(me, "sixteen-chars-xx"), ERANGE);
    CHECK_ERR(pthread_setname_np(me, "a much much longer thread name"), ERANGE);
    CHECK_OK(pthread_getname_np(me, buf, sizeof buf));
    CHECK_STR_EQ(buf, "exactly15chars_"); /* unchanged */
    CHECK_ERR(pthread_getname_np(me, buf, 15), ERANGE);
    CHECK_ERR(pthread_getname_np(me, buf, 1), ERANGE);

    /* another thread */
    struct info in;
    memset(&in, 0, sizeof in);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, thread_fn, &in));
    wait_step(&in.step, 1);
    CHECK(pthread_equal(in.self_seen, t));
    CHECK(!pthread_equal(in.self_seen, me));
    CHECK(!pthread_equal(t, me));
    CHECK_EQ(in.yield_rc, 0);
    CHECK_EQ(in.pyield_rc, 0);

    CHECK_OK(pthread_setname_np(t, "t-remote"));
    CHECK_OK(pthread_getname_np(t, buf, sizeof buf));
    CHECK_STR_EQ(buf, "t-remote");
    CHECK_ERR(pthread_setname_np(t, "0123456789abcdefg"), ERANGE);
    CHECK_ERR(pthread_getname_np(t, buf, 8), ERANGE);
    __atomic_store_n(&in.step, 2, __ATOMIC_RELEASE);
    wait_step(&in.step, 3);
    CHECK_STR_EQ(in.name_seen, "t-remote");
    CHECK_OK(pthread_getname_np(t, buf, sizeof buf));
    CHECK_STR_EQ(buf, "t-self-named");
    /* main's own name unaffected */
    CHECK_OK(pthread_getname_np(me, buf, sizeof buf));
    CHECK_STR_EQ(buf, "exactly15chars_");
    __atomic_store_n(&in.step, 4, __ATOMIC_RELEASE);
    CHECK_OK(pthread_join(t, NULL));

    puts("self_name OK");
    return 0;
}
