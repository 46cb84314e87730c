// C11 <threads.h> mutexes and condition variables, with glibc's mapping of
// results (thrd_success, thrd_busy, thrd_timedout, thrd_error): mtx_init
// of every type (plain, timed, recursive combinations), trylock busy,
// recursion, timedlock timing out and rejecting a bad timespec, unlock of
// a recursive mutex not held (thrd_error), cnd signal/broadcast/wait and
// a timed wait timing out with the mutex held, on C11 threads.
#include "common.h"
#include <threads.h>

static mtx_t m;
static cnd_t c;
static int ready, go;

static int other_trylock(void *arg)
{
    return mtx_trylock(arg);
}

static int other_timedlock(void *arg)
{
    struct timespec ts = abs_in_ms(CLOCK_REALTIME, 20);
    return mtx_timedlock(arg, &ts);
}

static int other_unlock(void *arg)
{
    return mtx_unlock(arg);
}

static int in_thread(thrd_start_t fn, void *arg)
{
    thrd_t t;
    int r = -1;
    CHECK_EQ(thrd_create(&t, fn, arg), thrd_success);
    CHECK_EQ(thrd_join(t, &r), thrd_success);
    return r;
}

static int waiter(void *arg)
{
    (void)arg;
    CHECK_EQ(mtx_lock(&m), thrd_success);
    ready++;
    while (!go)
        CHECK_EQ(cnd_wait(&c, &m), thrd_success);
    CHECK_EQ(mtx_unlock(&m), thrd_success);
    return 7;
}

int main(void)
{
    int types[] = {mtx_plain, mtx_timed, mtx_plain | mtx_recursive, mtx_timed | mtx_recursive};
    for (int i = 0; i < 4; i++) {
        mtx_t x;
        int rec = types[i] & mtx_recursive;
        CHECK_EQ(mtx_init(&x, types[i]), thrd_success);
        CHECK_EQ(mtx_lock(&x), thrd_success);
        CHECK_EQ(in_thread(other_trylock, &x), thrd_busy);
        CHECK_EQ(in_thread(other_timedlock, &x), thrd_timedout);
        if (rec) {
            CHECK_EQ(mtx_trylock(&x), thrd_success);
            CHECK_EQ(mtx_lock(&x), thrd_success);
            CHECK_EQ(in_thread(other_unlock, &x), thrd_error);
            CHECK_EQ(mtx_unlock(&x), thrd_success);
            CHECK_EQ(mtx_unlock(&x), thrd_success);
        } else {
            CHECK_EQ(mtx_trylock(&x), thrd_busy);
        }
        struct timespec bad = abs_in_ms(CLOCK_REALTIME, 10);
        bad.tv_nsec = 1000000000L;
        CHECK_EQ(in_thread(other_timedlock, &x), thrd_timedout);
        CHECK_EQ(mtx_unlock(&x), thrd_success);
        if (rec)
            CHECK_EQ(mtx_unlock(&x), thrd_error);
        CHECK_EQ(mtx_timedlock(&x, &bad), thrd_success); /* free: taken */
        CHECK_EQ(mtx_unlock(&x), thrd_success);
        mtx_destroy(&x);
    }

    CHECK_EQ(mtx_init(&m, mtx_timed), thrd_success);
    CHECK_EQ(cnd_init(&c), thrd_success);
    CHECK_EQ(cnd_signal(&c), thrd_success);
    CHECK_EQ(cnd_broadcast(&c), thrd_success);

    /* A held mutex and a bad timespec: thrd_error. */
    CHECK_EQ(mtx_lock(&m), thrd_success);
    struct timespec ts = abs_in_ms(CLOCK_REALTIME, 15);
    CHECK_EQ(cnd_timedwait(&c, &m, &ts), thrd_timedout);
    CHECK_EQ(mtx_trylock(&m), thrd_busy); /* held again */
    ts.tv_nsec = -1;
    CHECK_EQ(cnd_timedwait(&c, &m, &ts), thrd_error);
    CHECK_EQ(mtx_unlock(&m), thrd_success);

    thrd_t t[5];
    for (int i = 0; i < 5; i++)
        CHECK_EQ(thrd_create(&t[i], waiter, NULL), thrd_success);
    for (;;) {
        CHECK_EQ(mtx_lock(&m), thrd_success);
        int n = ready;
        CHECK_EQ(mtx_unlock(&m), thrd_success);
        if (n == 5)
            break;
        thrd_yield();
    }
    CHECK_EQ(mtx_lock(&m), thrd_success);
    go = 1;
    CHECK_EQ(cnd_signal(&c), thrd_success);
    CHECK_EQ(cnd_broadcast(&c), thrd_success);
    CHECK_EQ(mtx_unlock(&m), thrd_success);
    for (int i = 0; i < 5; i++) {
        int r = 0;
        CHECK_EQ(thrd_join(t[i], &r), thrd_success);
        CHECK_EQ(r, 7);
    }
    cnd_destroy(&c);
    mtx_destroy(&m);
    puts("ok");
    return 0;
}
