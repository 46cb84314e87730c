/* The remaining thread calls of glibc's list: pthread_cleanup_push_defer_np
 * / pthread_cleanup_pop_restore_np (cancellation deferred inside, the old
 * type restored after; a cancellation inside acts at a cancellation point
 * and runs the handler), pthread_kill_other_threads_np (does nothing), and
 * pthread_getconcurrency/setconcurrency. */
#include "common.h"

static int current_type(void)
{
    int t, dummy;
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &t));
    CHECK_OK(pthread_setcanceltype(t, &dummy));
    return t;
}

static void note(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
}

static void *restores(void *arg)
{
    (void)arg;
    int ran = 0;
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    pthread_cleanup_push_defer_np(note, &ran);
    CHECK_EQ(current_type(), PTHREAD_CANCEL_DEFERRED);
    pthread_cleanup_pop_restore_np(0);
    CHECK_EQ(current_type(), PTHREAD_CANCEL_ASYNCHRONOUS);
    CHECK_EQ(ran, 0);
    pthread_cleanup_push_defer_np(note, &ran);
    pthread_cleanup_pop_restore_np(1);
    CHECK_EQ(ran, 1);
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL));
    return (void *)7;
}

static volatile int inside, cancelled_sent, handler_ran;

static void *cancelled(void *arg)
{
    (void)arg;
    CHECK_OK(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL));
    pthread_cleanup_push_defer_np(note, (void *)&handler_ran);
    set_flag(&inside);
    /* Deferred here: the request waits for the cancellation point. */
    while (!__atomic_load_n(&cancelled_sent, __ATOMIC_ACQUIRE))
        ;
    for (volatile int i = 0; i < 1000000; i++)
        ;
    pthread_testcancel();
    CHECK_MSG(0, "pthread_testcancel returned with a cancellation pending");
    pthread_cleanup_pop_restore_np(0);
    return NULL;
}

int main(void)
{
    pthread_t t;
    void *ret;
    CHECK_OK(pthread_create(&t, NULL, restores, NULL));
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, (void *)7);

    CHECK_OK(pthread_create(&t, NULL, cancelled, NULL));
    wait_flag(&inside, 10, "the thread inside its deferred region");
    CHECK_OK(pthread_cancel(t));
    set_flag(&cancelled_sent);
    CHECK_OK(pthread_join(t, &ret));
    CHECK_PTR_EQ(ret, PTHREAD_CANCELED);
    CHECK_EQ(handler_ran, 1);

    /* A compatibility symbol in glibc 2.36 (not linkable): reach it as an
     * old binary would. */
    void (*kill_others)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "pthread_kill_other_threads_np");
    if (!kill_others)
        kill_others = (void (*)(void))dlvsym(RTLD_DEFAULT, "pthread_kill_other_threads_np", "GLIBC_2.2.5");
    CHECK(kill_others != NULL);
    kill_others();

    CHECK_EQ(pthread_getconcurrency(), 0);
    CHECK_OK(pthread_setconcurrency(5));
    CHECK_EQ(pthread_getconcurrency(), 5);
    CHECK_ERR(pthread_setconcurrency(-1), EINVAL);
    CHECK_EQ(pthread_getconcurrency(), 5);
    CHECK_OK(pthread_setconcurrency(0));
    puts("ok");
    return 0;
}
