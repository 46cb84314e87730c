// Stress: many threads at once creating, joining and detaching children,
// with keys, yields, and timed joins that time out and are retried.
// Every thread that ever ran is counted exactly once; every key destructor
// runs exactly once per value; joins return their child's value.
// TIMEOUT: 120
#include "common.h"
#include <stdatomic.h>

#define WORKERS 64
#define ROUNDS 200

static atomic_long ran, dtors, detached_done;
static pthread_key_t key;

static void dtor(void *v) {
    (void)v;
    atomic_fetch_add(&dtors, 1);
}

static void *leaf(void *arg) {
    atomic_fetch_add(&ran, 1);
    CHECK_EQ(pthread_setspecific(key, (void *)1), 0);
    if ((long)arg % 3 == 0)
        sched_yield();
    return arg;
}

static void *detached_leaf(void *arg) {
    atomic_fetch_add(&ran, 1);
    CHECK_EQ(pthread_setspecific(key, (void *)2), 0);
    atomic_fetch_add(&detached_done, 1);
    return arg;
}

static void *worker(void *arg) {
    long id = (long)arg;
    atomic_fetch_add(&ran, 1);
    unsigned seed = (unsigned)id * 2654435761u;
    for (int r = 0; r < ROUNDS; r++) {
        seed = seed * 1103515245u + 12345u;
        pthread_t t;
        long v = id * 100000 + r;
        switch (seed >> 28) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
            CHECK_EQ(pthread_create(&t, NULL, leaf, (void *)v), 0);
            void *res;
            CHECK_EQ(pthread_join(t, &res), 0);
            CHECK_EQ((long)res, v);
            break;
        }
        case 8: case 9: case 10: case 11:
            CHECK_EQ(pthread_create(&t, NULL, detached_leaf, NULL), 0);
            CHECK_EQ(pthread_detach(t), 0);
            break;
        case 12: case 13: {
            CHECK_EQ(pthread_create(&t, NULL, leaf, (void *)v), 0);
            struct timespec past;
            clock_gettime(CLOCK_REALTIME, &past);
            int e = pthread_timedjoin_np(t, NULL, &past);
            CHECK(e == 0 || e == ETIMEDOUT);
            if (e == ETIMEDOUT)
                CHECK_EQ(pthread_join(t, NULL), 0);
            break;
        }
        default: {
            pthread_attr_t a;
            pthread_attr_init(&a);
            pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
            CHECK_EQ(pthread_create(&t, &a, detached_leaf, NULL), 0);
            pthread_attr_destroy(&a);
            sched_yield();
        }
        }
    }
    return arg;
}

int main(void) {
    CHECK_EQ(pthread_key_create(&key, dtor), 0);
    pthread_t w[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        CHECK_EQ(pthread_create(&w[i], NULL, worker, (void *)i), 0);
    for (long i = 0; i < WORKERS; i++) {
        void *r;
        CHECK_EQ(pthread_join(w[i], &r), 0);
        CHECK_EQ((long)r, i);
    }
    long total = WORKERS + (long)WORKERS * ROUNDS;
    /* detached leaves may still be finishing */
    for (int spin = 0; atomic_load(&ran) < total || atomic_load(&dtors) < total - WORKERS; spin++) {
        CHECK_LT(spin, 100000000);
        sched_yield();
    }
    CHECK_EQ(atomic_load(&ran), total);
    /* every leaf set a value: one destructor each (workers set none) */
    while (atomic_load(&dtors) < total - WORKERS)
        sched_yield();
    CHECK_EQ(atomic_load(&dtors), total - WORKERS);
    printf("churn OK: %ld threads\n", total);
    return 0;
}
