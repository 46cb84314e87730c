// Every pthread_attr_* getter returns what its setter stored: stacksize,
// stack, guardsize, detachstate, scope, inheritsched, schedpolicy,
// schedparam, affinity_np, sigmask_np; the defaults of a fresh attr; an
// attr used for pthread_create can be destroyed right after.
#include "common.h"
#include <signal.h>

static void *ret_arg(void *p) { return p; }

int main(void)
{
    pthread_attr_t a;
    int v;
    size_t sz;
    void *addr;
    long page = sysconf(_SC_PAGESIZE);

    CHECK_OK(pthread_attr_init(&a));

    /* defaults */
    CHECK_OK(pthread_attr_getdetachstate(&a, &v));
    CHECK_EQ(v, PTHREAD_CREATE_JOINABLE);
    /* glibc's threads are all kernel threads; mnthread's are user threads
     * unless PTHREAD_SCOPE_SYSTEM asks for a bound one. */
    CHECK_OK(pthread_attr_getscope(&a, &v));
    CHECK_EQ(v, under_mnthread() ? PTHREAD_SCOPE_PROCESS : PTHREAD_SCOPE_SYSTEM);
    CHECK_OK(pthread_attr_getinheritsched(&a, &v));
    CHECK_EQ(v, PTHREAD_INHERIT_SCHED);
    CHECK_OK(pthread_attr_getschedpolicy(&a, &v));
    CHECK_EQ(v, SCHED_OTHER);
    struct sched_param sp = {.sched_priority = 99};
    CHECK_OK(pthread_attr_getschedparam(&a, &sp));
    CHECK_EQ(sp.sched_priority, 0);
    CHECK_OK(pthread_attr_getguardsize(&a, &sz));
    CHECK_EQ(sz, page);
    {
        /* a fresh attr reports the process default stack size */
        pthread_attr_t d;
        size_t dsz;
        CHECK_OK(pthread_getattr_default_np(&d));
        CHECK_OK(pthread_attr_getstacksize(&d, &dsz));
        CHECK_OK(pthread_attr_getstacksize(&a, &sz));
        CHECK_EQ(sz, dsz);
        CHECK_GE(sz, PTHREAD_STACK_MIN);
        CHECK_OK(pthread_attr_destroy(&d));
    }
    {
        sigset_t ss;
        CHECK_ERR(pthread_attr_getsigmask_np(&a, &ss), PTHREAD_ATTR_NO_SIGMASK_NP);
    }

    /* stacksize */
    CHECK_OK(pthread_attr_setstacksize(&a, 1 << 20));
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, 1 << 20);
    CHECK_OK(pthread_attr_setstacksize(&a, 3 * PTHREAD_STACK_MIN));
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, 3 * PTHREAD_STACK_MIN);

    /* stack */
    static char mem[256 * 1024] __attribute__((aligned(4096)));
    CHECK_OK(pthread_attr_setstack(&a, mem, sizeof mem));
    CHECK_OK(pthread_attr_getstack(&a, &addr, &sz));
    CHECK_PTR_EQ(addr, mem);
    CHECK_EQ(sz, sizeof mem);
    CHECK_OK(pthread_attr_getstacksize(&a, &sz));
    CHECK_EQ(sz, sizeof mem);

    /* guardsize */
    CHECK_OK(pthread_attr_setguardsize(&a, 0));
    CHECK_OK(pthread_attr_getguardsize(&a, &sz));
    CHECK_EQ(sz, 0);
    CHECK_OK(pthread_attr_setguardsize(&a, 2 * page));
    CHECK_OK(pthread_attr_getguardsize(&a, &sz));
    CHECK_EQ(sz, 2 * page);
    CHECK_OK(pthread_attr_setguardsize(&a, 12345));
    CHECK_OK(pthread_attr_getguardsize(&a, &sz));
    CHECK_EQ(sz, 12345);

    /* detachstate */
    CHECK_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    CHECK_OK(pthread_attr_getdetachstate(&a, &v));
    CHECK_EQ(v, PTHREAD_CREATE_DETACHED);
    CHECK_OK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_JOINABLE));
    CHECK_OK(pthread_attr_getdetachstate(&a, &v));
    CHECK_EQ(v, PTHREAD_CREATE_JOINABLE);

    /* scope */
    CHECK_OK(pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
    CHECK_OK(pthread_attr_getscope(&a, &v));
    CHECK_EQ(v, PTHREAD_SCOPE_SYSTEM);

    /* inheritsched */
    CHECK_OK(pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    CHECK_OK(pthread_attr_getinheritsched(&a, &v));
    CHECK_EQ(v, PTHREAD_EXPLICIT_SCHED);
    CHECK_OK(pthread_attr_setinheritsched(&a, PTHREAD_INHERIT_SCHED));
    CHECK_OK(pthread_attr_getinheritsched(&a, &v));
    CHECK_EQ(v, PTHREAD_INHERIT_SCHED);

    /* schedpolicy + schedparam */
    CHECK_OK(pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    CHECK_OK(pthread_attr_getschedpolicy(&a, &v));
    CHECK_EQ(v, SCHED_FIFO);
    sp.sched_priority = 10;
    CHECK_OK(pthread_attr_setschedparam(&a, &sp));
    sp.sched_priority = -1;
    CHECK_OK(pthread_attr_getschedparam(&a, &sp));
    CHECK_EQ(sp.sched_priority, 10);
    CHECK_OK(pthread_attr_setschedpolicy(&a, SCHED_RR));
    CHECK_OK(pthread_attr_getschedpolicy(&a, &v));
    CHECK_EQ(v, SCHED_RR);
    CHECK_OK(pthread_attr_setschedpolicy(&a, SCHED_OTHER));
    sp.sched_priority = 0;
    CHECK_OK(pthread_attr_setschedparam(&a, &sp));
    CHECK_OK(pthread_attr_getschedpolicy(&a, &v));
    CHECK_EQ(v, SCHED_OTHER);

    /* affinity */
    {
        cpu_set_t set, got;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        CHECK_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
        memset(&got, 0xff, sizeof got);
        CHECK_OK(pthread_attr_getaffinity_np(&a, sizeof got, &got));
        CHECK(CPU_EQUAL(&set, &got));
        CHECK_EQ(CPU_COUNT(&got), 1);
        CPU_SET(1, &set);
        CHECK_OK(pthread_attr_setaffinity_np(&a, sizeof set, &set));
        CHECK_OK(pthread_attr_getaffinity_np(&a, sizeof got, &got));
        CHECK(CPU_EQUAL(&set, &got));
        CHECK_EQ(CPU_COUNT(&got), 2);
        /* a dynamically sized, larger set: the tail comes back zeroed */
        size_t big = CPU_ALLOC_SIZE(4096);
        cpu_set_t *bs = CPU_ALLOC(4096);
        memset(bs, 0xff, big);
        CHECK_OK(pthread_attr_getaffinity_np(&a, big, bs));
        CHECK_EQ(CPU_COUNT_S(big, bs), 2);
        CHECK(CPU_ISSET_S(0, big, bs) && CPU_ISSET_S(1, big, bs));
        CPU_FREE(bs);
    }

    /* sigmask */
    {
        sigset_t ss, got;
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        sigaddset(&ss, SIGTERM);
        CHECK_OK(pthread_attr_setsigmask_np(&a, &ss));
        sigemptyset(&got);
        CHECK_OK(pthread_attr_getsigmask_np(&a, &got));
        CHECK(sigismember(&got, SIGUSR1) == 1);
        CHECK(sigismember(&got, SIGTERM) == 1);
        CHECK(sigismember(&got, SIGUSR2) == 0);
        CHECK_OK(pthread_attr_setsigmask_np(&a, NULL));
        CHECK_ERR(pthread_attr_getsigmask_np(&a, &got), PTHREAD_ATTR_NO_SIGMASK_NP);
    }

    CHECK_OK(pthread_attr_destroy(&a));

    /* an attr can be destroyed as soon as pthread_create returned */
    {
        pthread_attr_t *heap = malloc(sizeof *heap);
        CHECK_OK(pthread_attr_init(heap));
        CHECK_OK(pthread_attr_setstacksize(heap, 256 * 1024));
        pthread_t t;
        void *r;
        CHECK_OK(pthread_create(&t, heap, ret_arg, (void *)9));
        CHECK_OK(pthread_attr_destroy(heap));
        memset(heap, 0xa5, sizeof *heap);
        free(heap);
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 9);
    }

    puts("attr_roundtrip OK");
    return 0;
}
