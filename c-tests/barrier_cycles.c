// Barriers: 64 threads x 1000 cycles, exactly one PTHREAD_BARRIER_SERIAL_THREAD
// per cycle and every thread sees every cycle's writes; count 1; init errors (0 and above glibc's
// maximum), barrierattr calls; destroy right after a wait returns, then
// re-init of the same memory.
#include "common.h"

#define THREADS 64
#define CYCLES 1000

static pthread_barrier_t bar;
static long serials;
static long cycle_marks[THREADS];
static volatile int failed_cycle = -1;

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int c = 0; c < CYCLES; c++) {
        cycle_marks[id] = c;
        int r = pthread_barrier_wait(&bar);
        CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD)
            __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
        /* Everyone has written this cycle's mark before anyone passes. */
        for (int j = 0; j < THREADS; j += 7)
            if (__atomic_load_n(&cycle_marks[j], __ATOMIC_RELAXED) < c)
                failed_cycle = c;
        /* Nobody writes the next mark before all have checked: second wait. */
        CHECK(pthread_barrier_wait(&bar) >= -1);
    }
    return NULL;
}

static void *once_then_destroy(void *arg)
{
    pthread_barrier_t *b = arg;
    if (pthread_barrier_wait(b) == PTHREAD_BARRIER_SERIAL_THREAD)
        return (void *)1;
    return NULL;
}

int main(void)
{
    CHECK_EQ(sizeof(pthread_barrier_t), 32);
    pthread_barrierattr_t a;
    int v = -1;
    CHECK_OK(pthread_barrierattr_init(&a));
    CHECK_OK(pthread_barrierattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_ERR(pthread_barrierattr_setpshared(&a, 2), EINVAL);
    CHECK_ERR(pthread_barrierattr_setpshared(&a, -1), EINVAL);
    CHECK_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_barrierattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_OK(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE));

    CHECK_ERR(pthread_barrier_init(&bar, NULL, 0), EINVAL);
    CHECK_ERR(pthread_barrier_init(&bar, &a, 0), EINVAL);
    CHECK_ERR(pthread_barrier_init(&bar, NULL, 2147483647u), EINVAL);
    CHECK_ERR(pthread_barrier_init(&bar, NULL, 0xffffffffu), EINVAL);
    CHECK_OK(pthread_barrier_init(&bar, NULL, 2147483646u));
    CHECK_OK(pthread_barrier_destroy(&bar));

    /* Count 1: every wait is its own cycle. */
    CHECK_OK(pthread_barrier_init(&bar, &a, 1));
    for (int i = 0; i < 10; i++)
        CHECK_ERR(pthread_barrier_wait(&bar), PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK_OK(pthread_barrier_destroy(&bar));
    CHECK_OK(pthread_barrierattr_destroy(&a));

    CHECK_OK(pthread_barrier_init(&bar, NULL, THREADS));
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, (void *)i));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(failed_cycle, -1);
    CHECK_EQ(serials, CYCLES);
    CHECK_OK(pthread_barrier_destroy(&bar));

    /* The serial thread (whoever it is) may destroy and reuse the memory
     * as soon as its wait returns. */
    for (int round = 0; round < 200; round++) {
        pthread_barrier_t *b = malloc(sizeof *b);
        CHECK_OK(pthread_barrier_init(b, NULL, 3));
        pthread_t x[2];
        for (int i = 0; i < 2; i++)
            CHECK_OK(pthread_create(&x[i], NULL, once_then_destroy, b));
        int mine = pthread_barrier_wait(b) == PTHREAD_BARRIER_SERIAL_THREAD;
        CHECK_OK(pthread_barrier_destroy(b));
        memset(b, 0xa5, sizeof *b);
        free(b);
        void *r0, *r1;
        CHECK_OK(pthread_join(x[0], &r0));
        CHECK_OK(pthread_join(x[1], &r1));
        CHECK_EQ(mine + (r0 != NULL) + (r1 != NULL), 1);
    }
    puts("barrier_cycles OK");
    return 0;
}
