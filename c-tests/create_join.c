// create/join: values returned through pthread_join, pthread_exit values,
// 1000 threads alive at once, threads creating threads.
#include "common.h"

static void *ret_double(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static void exit_deep(int depth, intptr_t v)
{
    if (depth == 0)
        pthread_exit((void *)(v + 1000));
    exit_deep(depth - 1, v);
}

static void *use_pthread_exit(void *arg)
{
    exit_deep(5, (intptr_t)arg);
    return (void *)-1; /* not reached */
}

/* ---- 1000 concurrent threads ---- */
#define NCONC 1000
static volatile int go;
static volatile long started;
static long results[NCONC];

static void *conc_worker(void *arg)
{
    intptr_t i = (intptr_t)arg;
    __atomic_fetch_add(&started, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    long s = 0;
    for (long k = 0; k <= i; k++)
        s += k;
    results[i] = s;
    return (void *)(intptr_t)(i + 1);
}

/* ---- tree of threads ---- */
struct node { int depth; };

static void *tree(void *arg)
{
    int depth = (int)(intptr_t)arg;
    if (depth == 0)
        return (void *)1;
    pthread_t kids[3];
    for (int i = 0; i < 3; i++)
        CHECK_OK(pthread_create(&kids[i], NULL, tree, (void *)(intptr_t)(depth - 1)));
    intptr_t total = 1;
    for (int i = 0; i < 3; i++) {
        void *r;
        CHECK_OK(pthread_join(kids[i], &r));
        total += (intptr_t)r;
    }
    return (void *)total;
}

static void *child_arg_check(void *arg)
{
    int *p = arg;
    return (void *)(intptr_t)(*p == 0x5eed ? 77 : 0);
}

int main(void)
{
    printf("under mnthread: %d\n", under_mnthread());

    /* return value through join */
    for (intptr_t i = 0; i < 20; i++) {
        pthread_t t;
        void *r = NULL;
        CHECK_OK(pthread_create(&t, NULL, ret_double, (void *)i));
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 2 * i);
    }

    /* join with NULL retval pointer */
    {
        pthread_t t;
        CHECK_OK(pthread_create(&t, NULL, ret_double, (void *)1));
        CHECK_OK(pthread_join(t, NULL));
    }

    /* pthread_exit from a nested call */
    {
        pthread_t t;
        void *r = NULL;
        CHECK_OK(pthread_create(&t, NULL, use_pthread_exit, (void *)42));
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 1042);
    }

    /* argument pointer passed unchanged, explicit default attr */
    {
        pthread_attr_t a;
        CHECK_OK(pthread_attr_init(&a));
        int v = 0x5eed;
        pthread_t t;
        void *r;
        CHECK_OK(pthread_create(&t, &a, child_arg_check, &v));
        CHECK_OK(pthread_attr_destroy(&a));
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 77);
    }

    /* 1000 concurrent threads, all alive before any finishes */
    {
        static pthread_t th[NCONC];
        for (intptr_t i = 0; i < NCONC; i++)
            CHECK_OK(pthread_create(&th[i], NULL, conc_worker, (void *)i));
        wait_count(&started, NCONC, 30, "all threads started");
        set_flag(&go);
        for (intptr_t i = 0; i < NCONC; i++) {
            void *r;
            CHECK_OK(pthread_join(th[i], &r));
            CHECK_EQ((intptr_t)r, i + 1);
            CHECK_EQ(results[i], i * (i + 1) / 2);
        }
        /* distinct thread ids */
        for (int i = 1; i < NCONC; i++)
            CHECK(!pthread_equal(th[i], th[0]) || i == 0);
    }

    /* threads creating threads: 1 + 3 + 9 + 27 + 81 = 121 */
    {
        pthread_t t;
        void *r;
        CHECK_OK(pthread_create(&t, NULL, tree, (void *)4));
        CHECK_OK(pthread_join(t, &r));
        CHECK_EQ((intptr_t)r, 121);
    }

    puts("create_join OK");
    return 0;
}
