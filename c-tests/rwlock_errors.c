// Every rwlock and rwlockattr error code glibc 2.36 returns, the static
// initialisers, the timed and clock variants on both clocks, and the
// kinds: under PREFER_WRITER_NONRECURSIVE_NP (attribute or static
// initialiser) a waiting writer makes tryrdlock fail with EBUSY; under the
// default kind (and PREFER_WRITER_NP, which glibc treats as reader-
// preferring) new and recursive readers still get in.
#include "common.h"

static void check_attr(void)
{
    pthread_rwlockattr_t a;
    int v = -1;
    CHECK_OK(pthread_rwlockattr_init(&a));
    CHECK_OK(pthread_rwlockattr_getkind_np(&a, &v));
    CHECK_EQ(v, PTHREAD_RWLOCK_PREFER_READER_NP);
    CHECK_OK(pthread_rwlockattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_PRIVATE);
    CHECK_ERR(pthread_rwlockattr_setkind_np(&a, 3), EINVAL);
    CHECK_ERR(pthread_rwlockattr_setkind_np(&a, -1), EINVAL);
    CHECK_ERR(pthread_rwlockattr_setpshared(&a, 2), EINVAL);
    CHECK_ERR(pthread_rwlockattr_setpshared(&a, -1), EINVAL);
    int kinds[] = {PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NP,
                   PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(pthread_rwlockattr_setkind_np(&a, kinds[i]));
        CHECK_OK(pthread_rwlockattr_getkind_np(&a, &v));
        CHECK_EQ(v, kinds[i]);
    }
    CHECK_OK(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_OK(pthread_rwlockattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    /* Bad values left the attribute alone. */
    CHECK_ERR(pthread_rwlockattr_setpshared(&a, 7), EINVAL);
    CHECK_OK(pthread_rwlockattr_getpshared(&a, &v));
    CHECK_EQ(v, PTHREAD_PROCESS_SHARED);
    CHECK_OK(pthread_rwlockattr_destroy(&a));
}

static void check_errors(pthread_rwlock_t *l)
{
    struct timespec bad1 = {0, -1}, bad2 = {0, 1000000000}, neg = {-1, 0};
    struct timespec rt = abs_in_ns(CLOCK_REALTIME, 20000000);
    struct timespec mono = abs_in_ns(CLOCK_MONOTONIC, 20000000);

    /* Free lock: the timespec and clock are checked first... */
    CHECK_ERR(pthread_rwlock_timedrdlock(l, &bad1), EINVAL);
    CHECK_ERR(pthread_rwlock_timedrdlock(l, &bad2), EINVAL);
    CHECK_ERR(pthread_rwlock_timedwrlock(l, &bad1), EINVAL);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &bad2), EINVAL);
    CHECK_ERR(pthread_rwlock_clockrdlock(l, CLOCK_PROCESS_CPUTIME_ID, &mono), EINVAL);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, CLOCK_BOOTTIME, &mono), EINVAL);
    CHECK_ERR(pthread_rwlock_clockrdlock(l, 99, &mono), EINVAL);
    /* ...but a past time does not matter when the lock is free. */
    CHECK_OK(pthread_rwlock_timedrdlock(l, &neg));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_timedwrlock(l, &neg));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &mono));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_clockwrlock(l, CLOCK_REALTIME, &rt));
    CHECK_OK(pthread_rwlock_unlock(l));

    /* Write-locked by this thread. */
    CHECK_OK(pthread_rwlock_wrlock(l));
    CHECK_ERR(pthread_rwlock_rdlock(l), EDEADLK);
    CHECK_ERR(pthread_rwlock_wrlock(l), EDEADLK);
    CHECK_ERR(pthread_rwlock_tryrdlock(l), EBUSY);
    CHECK_ERR(pthread_rwlock_trywrlock(l), EBUSY);
    CHECK_ERR(pthread_rwlock_timedrdlock(l, &neg), EDEADLK);
    CHECK_ERR(pthread_rwlock_timedwrlock(l, &rt), EDEADLK);
    CHECK_ERR(pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &mono), EDEADLK);
    CHECK_ERR(pthread_rwlock_timedrdlock(l, &bad1), EINVAL);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, 99, &mono), EINVAL);
    CHECK_OK(pthread_rwlock_unlock(l));

    /* Read-locked by this thread: writers time out, readers get in. */
    CHECK_OK(pthread_rwlock_rdlock(l));
    CHECK_ERR(pthread_rwlock_trywrlock(l), EBUSY);
    CHECK_ERR(pthread_rwlock_timedwrlock(l, &neg), ETIMEDOUT);
    rt = abs_in_ns(CLOCK_REALTIME, 20000000);
    CHECK_ERR(pthread_rwlock_timedwrlock(l, &rt), ETIMEDOUT);
    mono = abs_in_ns(CLOCK_MONOTONIC, 20000000);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &mono), ETIMEDOUT);
    rt = abs_in_ns(CLOCK_REALTIME, 20000000);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, CLOCK_REALTIME, &rt), ETIMEDOUT);
    CHECK_OK(pthread_rwlock_tryrdlock(l));
    CHECK_OK(pthread_rwlock_rdlock(l));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_rwlock_trywrlock(l));
    CHECK_OK(pthread_rwlock_unlock(l));
}

struct holder {
    pthread_rwlock_t *l;
    int write; /* take a write lock (else read) */
    long long timeout_ns; /* > 0: clock variant with this timeout */
    clockid_t clock;
    volatile int started;
    int result;
};

static void *taker(void *arg)
{
    struct holder *h = arg;
    set_flag(&h->started);
    if (h->timeout_ns > 0) {
        struct timespec ts = abs_in_ns(h->clock, h->timeout_ns);
        h->result = h->write ? pthread_rwlock_clockwrlock(h->l, h->clock, &ts)
                             : pthread_rwlock_clockrdlock(h->l, h->clock, &ts);
    } else {
        h->result = h->write ? pthread_rwlock_wrlock(h->l) : pthread_rwlock_rdlock(h->l);
    }
    if (h->result == 0)
        CHECK_OK(pthread_rwlock_unlock(h->l));
    return NULL;
}

/* Another thread's write lock times out this thread's readers and writers. */
static void check_timeouts_against_writer(pthread_rwlock_t *l)
{
    CHECK_OK(pthread_rwlock_wrlock(l));
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    for (int c = 0; c < 2; c++) {
        for (int w = 0; w < 2; w++) {
            struct holder h = {.l = l, .write = w, .timeout_ns = 30000000, .clock = clocks[c]};
            pthread_t t;
            CHECK_OK(pthread_create(&t, NULL, taker, &h));
            CHECK_OK(pthread_join(t, NULL));
            CHECK_ERR(h.result, ETIMEDOUT);
        }
    }
    /* A timed waiter that does get the lock in time. */
    struct holder h = {.l = l, .write = 0, .timeout_ns = 20000000000LL, .clock = CLOCK_MONOTONIC};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, taker, &h));
    wait_flag(&h.started, 10, "taker start");
    usleep(20000);
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_OK(h.result);
}

/* Reader holds, writer waits: does a new reader get in? */
static void check_preference(pthread_rwlock_t *l, int writer_preferring)
{
    CHECK_OK(pthread_rwlock_rdlock(l));
    struct holder h = {.l = l, .write = 1};
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, taker, &h));
    wait_flag(&h.started, 10, "writer start");
    if (writer_preferring) {
        /* Once the writer waits, readers are kept out. */
        long long deadline = now_ns() + 10000000000LL;
        int r;
        while ((r = pthread_rwlock_tryrdlock(l)) == 0) {
            CHECK_OK(pthread_rwlock_unlock(l));
            CHECK_MSG(now_ns() < deadline, "writer never seen waiting");
            usleep(1000);
        }
        CHECK_ERR(r, EBUSY);
        struct timespec ts = abs_in_ns(CLOCK_MONOTONIC, 10000000);
        CHECK_ERR(pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    } else {
        /* Whether or not the writer waits yet, readers (recursive ones
         * too) get in. */
        usleep(20000);
        CHECK_OK(pthread_rwlock_tryrdlock(l));
        CHECK_OK(pthread_rwlock_rdlock(l));
        CHECK_OK(pthread_rwlock_unlock(l));
        CHECK_OK(pthread_rwlock_unlock(l));
    }
    CHECK_OK(pthread_rwlock_unlock(l));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_OK(h.result);
    CHECK_OK(pthread_rwlock_trywrlock(l));
    CHECK_OK(pthread_rwlock_unlock(l));
}

static pthread_rwlock_t static_default = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t static_writer = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;

int main(void)
{
    CHECK_EQ(sizeof(pthread_rwlock_t), 56);
    check_attr();

    check_errors(&static_default);
    check_errors(&static_writer);
    check_timeouts_against_writer(&static_default);
    check_preference(&static_default, 0);
    check_preference(&static_writer, 1);

    pthread_rwlock_t zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    check_errors(&zeroed);
    check_preference(&zeroed, 0);

    int kinds[] = {PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NP,
                   PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP};
    for (int pshared = 0; pshared < 2; pshared++) {
        for (int k = 0; k < 3; k++) {
            pthread_rwlockattr_t a;
            pthread_rwlock_t l;
            CHECK_OK(pthread_rwlockattr_init(&a));
            CHECK_OK(pthread_rwlockattr_setkind_np(&a, kinds[k]));
            CHECK_OK(pthread_rwlockattr_setpshared(&a, pshared));
            CHECK_OK(pthread_rwlock_init(&l, &a));
            CHECK_OK(pthread_rwlockattr_destroy(&a));
            check_errors(&l);
            check_timeouts_against_writer(&l);
            check_preference(&l, kinds[k] == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
            CHECK_OK(pthread_rwlock_destroy(&l));
        }
    }
    CHECK_OK(pthread_rwlock_init(&zeroed, NULL));
    check_errors(&zeroed);
    CHECK_OK(pthread_rwlock_destroy(&zeroed));
    puts("rwlock_errors OK");
    return 0;
}
