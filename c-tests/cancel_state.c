// ONE-CARRIER
// TIMEOUT: 30
// Cancelability state and type: a new thread starts ENABLE/DEFERRED;
// pthread_setcancelstate and pthread_setcanceltype return the old value
// (NULL for it is accepted) and EINVAL for a bad argument, leaving the
// setting alone. A cancel request made while the state is DISABLE does
// not act at cancellation points (usleep, a 30 ms nanosleep that the
// request arrives during and that completes, read, pthread_testcancel);
// after PTHREAD_CANCEL_ENABLE (which itself does not act on a deferred
// request) the next pthread_testcancel does. A DEFERRED thread in a loop
// without cancellation points (sched_yield is not one) is not cancelled
// and returns its own value; an ASYNCHRONOUS one in a loop
// `counter++` that yields every 1000 rounds (so that with one carrier the
// canceller gets to run) is cancelled. On cancellation the cleanup
// handlers run most recent first (3 pushed, in nested frames), after the
// one that pthread_cleanup_pop(1) ran at once and without the one
// pthread_cleanup_pop(0) dropped; thread-specific data destructors run
// after them.
#include "common.h"

static char order[32];
static volatile int pos;
static pthread_key_t key;

static void record(void *arg)
{
    order[pos++] = *(const char *)arg;
    order[pos] = 0;
}

static void key_dtor(void *v)
{
    (void)v;
    order[pos++] = 'K';
    order[pos] = 0;
}

/* ---- states and types, errors ---- */

static void *check_defaults(void *arg)
{
    int old = -1;
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_ENABLE);
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DEFERRED);

    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_ENABLE);
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DISABLE);
    old = -1;
    CHECK_ERR(pthread_setcancelstate(12345, &old), EINVAL);
    CHECK_ERR(pthread_setcancelstate(-1, NULL), EINVAL);
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DISABLE); /* the bad calls changed nothing */
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL));

    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DEFERRED);
    CHECK_ERR(pthread_setcanceltype(12345, &old), EINVAL);
    CHECK_ERR(pthread_setcanceltype(-1, NULL), EINVAL);
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_ASYNCHRONOUS);
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL));
    return arg;
}

/* ---- DISABLE holds a request back ---- */

static volatile int disabled, cancelled, in_sleep, reached_enable, past_testcancel;
static int pfd[2];

static void *disabled_thread(void *arg)
{
    int old;
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_ENABLE);
    set_flag(&disabled);
    /* The request comes during this sleep, which completes. */
    struct timespec ts = {0, 30 * 1000000};
    set_flag(&in_sleep);
    long long t0 = now_ns();
    CHECK_SYS(nanosleep(&ts, NULL));
    CHECK_GE(now_ns() - t0, 25LL * 1000000);
    wait_flag(&cancelled, 20, "the cancel request");
    for (int i = 0; i < 5; i++) {
        CHECK_SYS(usleep(1000));
        pthread_testcancel();
    }
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 1);
    CHECK_EQ(c, 'd');
    sleep(0);
    pthread_testcancel();
    CHECK_OK(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DISABLE);
    set_flag(&reached_enable);
    pthread_testcancel();
    set_flag(&past_testcancel);
    return arg;
}

static void disable_enable(void)
{
    CHECK_SYS(pipe(pfd));
    CHECK_EQ(write(pfd[1], "d", 1), 1);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, disabled_thread, NULL));
    wait_flag(&in_sleep, 20, "the thread to disable cancellation");
    usleep(10000);
    CHECK_OK(pthread_cancel(t));
    CHECK_OK(pthread_cancel(t)); /* a second request: still 0 */
    set_flag(&cancelled);
    void *ret;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
    CHECK_EQ(reached_enable, 1);
    CHECK_EQ(past_testcancel, 0);
    close(pfd[0]);
    close(pfd[1]);
}

/* ---- DEFERRED and ASYNCHRONOUS loops ---- */

static volatile long counter;
static volatile int looping, stop;
static volatile int async_cleanup;

static void *deferred_loop(void *arg)
{
    set_flag(&looping);
    while (!stop) {
        counter++;
        if (counter % 1000 == 0)
            sched_yield();
    }
    return arg;
}

static void async_cleanup_fn(void *arg)
{
    (void)arg;
    async_cleanup++;
}

static void *async_loop(void *arg)
{
    int old;
    pthread_cleanup_push(async_cleanup_fn, NULL);
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old));
    CHECK_EQ(old, PTHREAD_CANCEL_DEFERRED);
    set_flag(&looping);
    for (;;) {
        counter++;
        if (counter % 1000 == 0)
            sched_yield();
    }
    pthread_cleanup_pop(0);
    return arg;
}

static void loops(void)
{
    pthread_t t;
    void *ret;
    counter = 0;
    CHECK_OK(pthread_create(&t, NULL, deferred_loop, (void *)(intptr_t)7));
    wait_flag(&looping, 20, "the deferred loop");
    CHECK_OK(pthread_cancel(t));
    long at_cancel = counter;
    usleep(30000);
    CHECK_GT(counter, at_cancel); /* still running */
    stop = 1;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, (void *)(intptr_t)7);

    looping = 0;
    counter = 0;
    CHECK_OK(pthread_create(&t, NULL, async_loop, NULL));
    wait_flag(&looping, 20, "the asynchronous loop");
    usleep(5000);
    CHECK_OK(pthread_cancel(t));
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
    CHECK_GT(counter, 0);
    CHECK_EQ(async_cleanup, 1);
}

/* ---- cleanup order and key destructors ---- */

static volatile int parked;
static const char A = 'A', B = 'B', C = 'C', D = 'D', E = 'E';

static void level3(void)
{
    pthread_cleanup_push(record, (void *)&C);
    pthread_cleanup_push(record, (void *)&D);
    pthread_cleanup_pop(1); /* runs D now */
    pthread_cleanup_push(record, (void *)&E);
    pthread_cleanup_pop(0); /* E dropped */
    set_flag(&parked);
    for (;;)
        pause();
    pthread_cleanup_pop(0);
}

static void level2(void)
{
    pthread_cleanup_push(record, (void *)&B);
    level3();
    pthread_cleanup_pop(0);
}

static void *nested(void *arg)
{
    CHECK_OK(pthread_setspecific(key, (void *)1));
    pthread_cleanup_push(record, (void *)&A);
    level2();
    pthread_cleanup_pop(0);
    return arg;
}

static void cleanup_order(void)
{
    CHECK_OK(pthread_key_create(&key, key_dtor));
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, nested, NULL));
    wait_flag(&parked, 20, "the nested thread to park");
    usleep(10000);
    CHECK_STR_EQ(order, "D");
    CHECK_OK(pthread_cancel(t));
    void *ret;
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
    CHECK_STR_EQ(order, "DCBAK");
    CHECK_OK(pthread_key_delete(key));
}

int main(void)
{
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, check_defaults, NULL));
    CHECK_OK(pthread_join(t, NULL));
    check_defaults(NULL); /* main too */
    disable_enable();
    loops();
    cleanup_order();
    return 0;
}
