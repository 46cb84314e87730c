// Unnamed semaphores: every call and every error glibc 2.36 reports
// (sem_init EINVAL above SEM_VALUE_MAX, sem_trywait EAGAIN, sem_post
// EOVERFLOW at SEM_VALUE_MAX, sem_timedwait/clockwait EINVAL for a bad
// tv_nsec even when a token is there, EINVAL for an unsupported clock,
// ETIMEDOUT on both clocks, a past deadline still taking a token), the
// glibc layout (32 bytes, value in the first word, the pshared word), a
// zero-filled sem_t, producer/consumer token counts, timed waits that are
// then posted, and many threads blocked in sem_wait at once (with
// MNTHREAD_CARRIERS=1 they must all park, not block the carrier).
#include "common.h"
#include <semaphore.h>
#include <limits.h>

static void test_calls(void)
{
    sem_t s;
    int v = -1;
    CHECK_EQ(sizeof(sem_t), 32);
    CHECK_FAILS(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1u), EINVAL);
    CHECK_FAILS(sem_init(&s, 1, UINT_MAX), EINVAL);

    CHECK_OK(sem_init(&s, 0, 2));
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 2);
    CHECK_EQ(((unsigned *)&s)[0], 2); /* glibc: value in the low word */
    CHECK_EQ(((int *)&s)[2], 0);      /* process-private */
    CHECK_OK(sem_trywait(&s));
    CHECK_OK(sem_wait(&s));
    CHECK_FAILS(sem_trywait(&s), EAGAIN);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1);
    CHECK_OK(sem_destroy(&s));

    CHECK_OK(sem_init(&s, 7, 0)); /* any non-zero pshared is shared */
    CHECK_EQ(((int *)&s)[2], 128);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_wait(&s));
    CHECK_OK(sem_destroy(&s));

    /* SEM_VALUE_MAX */
    CHECK_OK(sem_init(&s, 0, SEM_VALUE_MAX));
    CHECK_FAILS(sem_post(&s), EOVERFLOW);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, SEM_VALUE_MAX);
    CHECK_OK(sem_trywait(&s));
    CHECK_OK(sem_post(&s));
    CHECK_FAILS(sem_post(&s), EOVERFLOW);
    CHECK_OK(sem_destroy(&s));

    /* Timed waits: argument checks come first. */
    struct timespec bad_lo = {0, -1}, bad_hi = {0, 1000000000}, past = {-1, 0}, zero = {0, 0};
    CHECK_OK(sem_init(&s, 0, 1));
    CHECK_FAILS(sem_timedwait(&s, &bad_lo), EINVAL);
    CHECK_FAILS(sem_timedwait(&s, &bad_hi), EINVAL);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_MONOTONIC, &bad_hi), EINVAL);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &zero), EINVAL);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_BOOTTIME, &zero), EINVAL);
    CHECK_FAILS(sem_clockwait(&s, 12345, &zero), EINVAL);
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 1); /* none of those took the token */
    CHECK_OK(sem_timedwait(&s, &past)); /* a token: taken though past */
    CHECK_FAILS(sem_timedwait(&s, &past), ETIMEDOUT);
    CHECK_FAILS(sem_timedwait(&s, &zero), ETIMEDOUT);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_MONOTONIC, &past), ETIMEDOUT);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_REALTIME, &zero), ETIMEDOUT);
    struct timespec ts;
    long long t0 = now_ns();
    ts = abs_in_ms(CLOCK_REALTIME, 30);
    CHECK_FAILS(sem_timedwait(&s, &ts), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_MONOTONIC, 30);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_REALTIME, 30);
    CHECK_FAILS(sem_clockwait(&s, CLOCK_REALTIME, &ts), ETIMEDOUT);
    CHECK_GE(now_ns() - t0, 85 * 1000000LL); /* each waited its time out */
    CHECK_OK(sem_getvalue(&s, &v));
    CHECK_EQ(v, 0); /* timed-out waiters left no registration behind */
    CHECK_EQ(((unsigned *)&s)[1], 0);
    CHECK_OK(sem_destroy(&s));

    /* A zero-filled sem_t is a private semaphore of value 0. */
    memset(&s, 0, sizeof s);
    CHECK_FAILS(sem_trywait(&s), EAGAIN);
    CHECK_OK(sem_post(&s));
    CHECK_OK(sem_wait(&s));
}

/* Producer/consumer: every token is consumed exactly once. */
enum { PRODUCERS = 4, CONSUMERS = 4, PER_PRODUCER = 5000 };
static sem_t items, slots;
static long produced_sum, consumed_sum, consumed_count;

static void *producer(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < PER_PRODUCER; i++) {
        CHECK_OK(sem_wait(&slots));
        __atomic_fetch_add(&produced_sum, id * PER_PRODUCER + i, __ATOMIC_RELAXED);
        CHECK_OK(sem_post(&items));
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        CHECK_OK(sem_wait(&items));
        long n = __atomic_add_fetch(&consumed_count, 1, __ATOMIC_RELAXED);
        if (n > (long)PRODUCERS * PER_PRODUCER)
            return NULL; /* a stop token */
        __atomic_fetch_add(&consumed_sum, n, __ATOMIC_RELAXED);
        CHECK_OK(sem_post(&slots));
    }
}

static void test_producer_consumer(void)
{
    pthread_t p[PRODUCERS], c[CONSUMERS];
    CHECK_OK(sem_init(&items, 0, 0));
    CHECK_OK(sem_init(&slots, 0, 8));
    for (long i = 0; i < CONSUMERS; i++)
        CHECK_OK(pthread_create(&c[i], NULL, consumer, NULL));
    for (long i = 0; i < PRODUCERS; i++)
        CHECK_OK(pthread_create(&p[i], NULL, producer, (void *)i));
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_OK(pthread_join(p[i], NULL));
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_OK(sem_post(&items)); /* stop tokens */
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_OK(pthread_join(c[i], NULL));
    long n = (long)PRODUCERS * PER_PRODUCER;
    CHECK_EQ(produced_sum, n * (n - 1) / 2);
    CHECK_EQ(consumed_sum, n * (n + 1) / 2);
    CHECK_EQ(consumed_count, n + CONSUMERS);
    int v;
    CHECK_OK(sem_getvalue(&items, &v));
    CHECK_EQ(v, 0);
    CHECK_OK(sem_getvalue(&slots, &v));
    CHECK_EQ(v, 8);
}

/* Timed waits that get their token before the deadline, on both clocks. */
static sem_t timed_sem;
static void *timed_waiter(void *arg)
{
    clockid_t clock = (clockid_t)(long)arg;
    struct timespec ts;
    ts = abs_in_ms(clock, 20000);
    int r = clock == CLOCK_REALTIME ? sem_timedwait(&timed_sem, &ts)
                                    : sem_clockwait(&timed_sem, clock, &ts);
    return (void *)(long)(r == 0 ? 0 : errno);
}

static void test_timed_posted(void)
{
    CHECK_OK(sem_init(&timed_sem, 0, 0));
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        CHECK_OK(pthread_create(&t[i], NULL, timed_waiter,
                                (void *)(long)(i % 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME)));
    for (int i = 0; i < 4; i++)
        CHECK_OK(sem_post(&timed_sem));
    for (int i = 0; i < 4; i++) {
        void *r;
        CHECK_OK(pthread_join(t[i], &r));
        CHECK_EQ((long)r, 0);
    }
}

/* Many threads blocked at once, released one by one then all. */
enum { WAITERS = 200 };
static sem_t gate, done_sem;
static long passed;
static void *gate_waiter(void *arg)
{
    (void)arg;
    CHECK_OK(sem_wait(&gate));
    __atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);
    CHECK_OK(sem_post(&done_sem));
    return NULL;
}

static void test_many_waiters(void)
{
    pthread_t t[WAITERS];
    CHECK_OK(sem_init(&gate, 0, 0));
    CHECK_OK(sem_init(&done_sem, 0, 0));
    for (int i = 0; i < WAITERS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, gate_waiter, NULL));
    for (int i = 0; i < WAITERS / 2; i++) {
        CHECK_OK(sem_post(&gate));
        CHECK_OK(sem_wait(&done_sem));
        CHECK_EQ(__atomic_load_n(&passed, __ATOMIC_RELAXED), i + 1);
    }
    for (int i = WAITERS / 2; i < WAITERS; i++)
        CHECK_OK(sem_post(&gate));
    for (int i = 0; i < WAITERS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(passed, WAITERS);
    int v;
    CHECK_OK(sem_getvalue(&gate, &v));
    CHECK_EQ(v, 0);
    CHECK_EQ(((unsigned *)&gate)[1], 0); /* no waiter still registered */
}

int main(void)
{
    test_calls();
    test_producer_consumer();
    test_timed_posted();
    test_many_waiters();
    printf("sem_basic ok\n");
    return 0;
}
