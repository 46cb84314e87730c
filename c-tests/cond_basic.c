// Condition variables: condattr calls in glibc's encoding (clock REALTIME
// by default, MONOTONIC settable, other clocks EINVAL; pshared values),
// timed waits on both clocks and clockwait returning ETIMEDOUT with the
// mutex re-acquired, EINVAL for bad timespecs/clocks, EPERM for a wait on an
// errorcheck mutex not held; signal and broadcast with many waiters; a
// bounded producer/consumer whose counts must add up (signal per item, some
// consumers waiting with timeouts); and a two-thread turn handoff that
// hangs if a wake-up is lost.
// TIMEOUT: 120
#include "common.h"

static pthread_cond_t c_static = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void attrs(void)
{
    pthread_condattr_t a;
    clockid_t clk = -1;
    int ps = -1;
    CHECK_OK(pthread_condattr_init(&a));
    CHECK_OK(pthread_condattr_getclock(&a, &clk));
    CHECK_EQ(clk, CLOCK_REALTIME);
    CHECK_OK(pthread_condattr_getpshared(&a, &ps));
    CHECK_EQ(ps, PTHREAD_PROCESS_PRIVATE);
    CHECK_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    CHECK_OK(pthread_condattr_getclock(&a, &clk));
    CHECK_EQ(clk, CLOCK_MONOTONIC);
    CHECK_ERR(pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
    CHECK_ERR(pthread_condattr_setclock(&a, CLOCK_THREAD_CPUTIME_ID), EINVAL);
    CHECK_ERR(pthread_condattr_setclock(&a, 77), EINVAL);
    CHECK_OK(pthread_condattr_getclock(&a, &clk));
    CHECK_EQ(clk, CLOCK_MONOTONIC);
    CHECK_OK(pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_condattr_getpshared(&a, &ps));
    CHECK_EQ(ps, PTHREAD_PROCESS_SHARED);
    CHECK_ERR(pthread_condattr_setpshared(&a, 2), EINVAL);
    CHECK_OK(pthread_condattr_getpshared(&a, &ps));
    CHECK_EQ(ps, PTHREAD_PROCESS_SHARED);
    CHECK_OK(pthread_condattr_getclock(&a, &clk));
    CHECK_EQ(clk, CLOCK_MONOTONIC);
    CHECK_OK(pthread_condattr_setclock(&a, CLOCK_REALTIME));
    CHECK_OK(pthread_condattr_getclock(&a, &clk));
    CHECK_EQ(clk, CLOCK_REALTIME);
    CHECK_OK(pthread_condattr_destroy(&a));
}

static void timeouts(void)
{
    pthread_mutexattr_t ma;
    pthread_mutex_t em;
    CHECK_OK(pthread_mutexattr_init(&ma));
    CHECK_OK(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
    CHECK_OK(pthread_mutex_init(&em, &ma));

    pthread_condattr_t a;
    pthread_cond_t mono, real;
    CHECK_OK(pthread_condattr_init(&a));
    CHECK_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    CHECK_OK(pthread_cond_init(&mono, &a));
    CHECK_OK(pthread_cond_init(&real, NULL));

    struct timespec ts;
    CHECK_ERR(pthread_cond_wait(&real, &em), EPERM);
    ts = abs_in_ms(CLOCK_REALTIME, 10);
    CHECK_ERR(pthread_cond_timedwait(&real, &em, &ts), EPERM);

    CHECK_OK(pthread_mutex_lock(&em));
    ts = abs_in_ms(CLOCK_MONOTONIC, 20);
    CHECK_ERR(pthread_cond_timedwait(&mono, &em, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_lock(&em), EDEADLK); /* held again */
    ts = abs_in_ms(CLOCK_REALTIME, 20);
    CHECK_ERR(pthread_cond_timedwait(&real, &em, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_lock(&em), EDEADLK);
    ts = abs_in_ms(CLOCK_MONOTONIC, 20);
    CHECK_ERR(pthread_cond_clockwait(&real, &em, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_REALTIME, 20);
    CHECK_ERR(pthread_cond_clockwait(&mono, &em, CLOCK_REALTIME, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_cond_clockwait(&mono, &em, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    struct timespec bad = {.tv_sec = time(NULL) + 10, .tv_nsec = 1000000000L};
    CHECK_ERR(pthread_cond_timedwait(&real, &em, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_ERR(pthread_cond_clockwait(&real, &em, CLOCK_MONOTONIC, &bad), EINVAL);
    struct timespec past = {.tv_sec = -1, .tv_nsec = 0};
    CHECK_ERR(pthread_cond_timedwait(&real, &em, &past), ETIMEDOUT);
    CHECK_ERR(pthread_cond_timedwait(&mono, &em, &past), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_lock(&em), EDEADLK);
    CHECK_OK(pthread_mutex_unlock(&em));
    CHECK_OK(pthread_cond_signal(&mono)); /* no waiters: nothing to do */
    CHECK_OK(pthread_cond_broadcast(&mono));
    CHECK_OK(pthread_cond_destroy(&mono));
    CHECK_OK(pthread_cond_destroy(&real));
}

/* Broadcast: every waiter of a generation returns. */
#define NW 24
static long gen, woke;
static void *gen_waiter(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_mutex_lock(&m));
    long my = gen;
    __atomic_add_fetch(&woke, 1, __ATOMIC_ACQ_REL); /* counted as waiting */
    while (gen == my)
        CHECK_OK(pthread_cond_wait(&c_static, &m));
    CHECK_OK(pthread_mutex_unlock(&m));
    return NULL;
}

static void broadcast_all(void)
{
    for (int round = 0; round < 3; round++) {
        pthread_t t[NW];
        woke = 0;
        for (int i = 0; i < NW; i++)
            CHECK_OK(pthread_create(&t[i], NULL, gen_waiter, NULL));
        wait_count(&woke, NW, 30, "waiters");
        CHECK_OK(pthread_mutex_lock(&m));
        gen++;
        if (round == 1)
            CHECK_OK(pthread_mutex_unlock(&m)); /* broadcast without the mutex */
        CHECK_OK(pthread_cond_broadcast(&c_static));
        if (round != 1)
            CHECK_OK(pthread_mutex_unlock(&m));
        for (int i = 0; i < NW; i++)
            CHECK_OK(pthread_join(t[i], NULL));
    }
}

/* Signal: one token per signal; every token is taken by a waiter. */
static long tokens, taken;
static void *token_waiter(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_mutex_lock(&m));
    __atomic_add_fetch(&woke, 1, __ATOMIC_ACQ_REL);
    while (tokens == 0)
        CHECK_OK(pthread_cond_wait(&c_static, &m));
    tokens--;
    taken++;
    CHECK_OK(pthread_mutex_unlock(&m));
    return NULL;
}

static void signal_each(void)
{
    pthread_t t[NW];
    woke = tokens = taken = 0;
    for (int i = 0; i < NW; i++)
        CHECK_OK(pthread_create(&t[i], NULL, token_waiter, NULL));
    wait_count(&woke, NW, 30, "waiters");
    for (int i = 0; i < NW; i++) {
        CHECK_OK(pthread_mutex_lock(&m));
        tokens++;
        CHECK_OK(pthread_cond_signal(&c_static));
        if (i & 1)
            CHECK_OK(pthread_mutex_unlock(&m));
        else {
            CHECK_OK(pthread_mutex_unlock(&m));
            sched_yield();
        }
    }
    for (int i = 0; i < NW; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    CHECK_EQ(taken, NW);
    CHECK_EQ(tokens, 0);
}

/* Bounded buffer. */
#define CAP 8
#define PRODUCERS 3
#define CONSUMERS 4
#define ITEMS 20000
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty;
static long buf[CAP];
static int head, count, producers_left;
static long consumed_sum, consumed_n, timeouts_seen;

static void *producer(void *arg)
{
    long base = (long)(intptr_t)arg * ITEMS;
    for (long i = 1; i <= ITEMS; i++) {
        CHECK_OK(pthread_mutex_lock(&m));
        while (count == CAP)
            CHECK_OK(pthread_cond_wait(&not_full, &m));
        buf[(head + count) % CAP] = base + i;
        count++;
        CHECK_OK(pthread_cond_signal(&not_empty));
        CHECK_OK(pthread_mutex_unlock(&m));
    }
    CHECK_OK(pthread_mutex_lock(&m));
    producers_left--;
    CHECK_OK(pthread_cond_broadcast(&not_empty));
    CHECK_OK(pthread_mutex_unlock(&m));
    return NULL;
}

static void *consumer(void *arg)
{
    int timed = (int)(intptr_t)arg & 1;
    CHECK_OK(pthread_mutex_lock(&m));
    for (;;) {
        while (count == 0 && producers_left > 0) {
            if (timed) {
                /* 20 us: timeouts race with signals */
                struct timespec ts = abs_in_ns(CLOCK_MONOTONIC, 20000);
                int r = pthread_cond_timedwait(&not_empty, &m, &ts);
                CHECK(r == 0 || r == ETIMEDOUT);
                if (r == ETIMEDOUT)
                    timeouts_seen++;
            } else {
                CHECK_OK(pthread_cond_wait(&not_empty, &m));
            }
        }
        if (count == 0)
            break;
        long v = buf[head];
        head = (head + 1) % CAP;
        count--;
        consumed_sum += v;
        consumed_n++;
        CHECK_OK(pthread_cond_signal(&not_full));
    }
    CHECK_OK(pthread_mutex_unlock(&m));
    return NULL;
}

static void producer_consumer(void)
{
    pthread_condattr_t a;
    CHECK_OK(pthread_condattr_init(&a));
    CHECK_OK(pthread_condattr_setclock(&a, CLOCK_MONOTONIC));
    CHECK_OK(pthread_cond_init(&not_empty, &a));
    producers_left = PRODUCERS;
    pthread_t p[PRODUCERS], c[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_OK(pthread_create(&c[i], NULL, consumer, (void *)(intptr_t)i));
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_OK(pthread_create(&p[i], NULL, producer, (void *)(intptr_t)i));
    for (int i = 0; i < PRODUCERS; i++)
        CHECK_OK(pthread_join(p[i], NULL));
    for (int i = 0; i < CONSUMERS; i++)
        CHECK_OK(pthread_join(c[i], NULL));
    long n = (long)PRODUCERS * ITEMS, expect = 0;
    for (long p = 0; p < PRODUCERS; p++)
        expect += p * ITEMS * ITEMS + (long)ITEMS * (ITEMS + 1) / 2;
    CHECK_EQ(consumed_n, n);
    CHECK_EQ(consumed_sum, expect);
    CHECK_EQ(count, 0);
}

/* Turn handoff: each side waits for its turn, flips it, signals. It uses
 * the cond the timed consumers used: a miscount of its waiters there
 * would lose a wake-up here. */
#define TURNS 20000
#define turn_cv not_empty
static int turn;
static void *turn_taker(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < TURNS; i++) {
        CHECK_OK(pthread_mutex_lock(&m));
        while (turn != me)
            CHECK_OK(pthread_cond_wait(&turn_cv, &m));
        turn = !me;
        CHECK_OK(pthread_cond_signal(&turn_cv));
        CHECK_OK(pthread_mutex_unlock(&m));
    }
    return NULL;
}

static void handoff(void)
{
    pthread_t a, b;
    CHECK_OK(pthread_create(&a, NULL, turn_taker, (void *)0));
    CHECK_OK(pthread_create(&b, NULL, turn_taker, (void *)1));
    CHECK_OK(pthread_join(a, NULL));
    CHECK_OK(pthread_join(b, NULL));
}

int main(void)
{
    CHECK_EQ(sizeof(pthread_cond_t), 48);
    attrs();
    timeouts();
    broadcast_all();
    signal_each();
    producer_consumer();
    handoff();
    printf("ok (%ld consumer timeouts)\n", timeouts_seen);
    return 0;
}
