// LINK: -lrt
// Robust mutexes: when the holder exits (returning from its start routine,
// calling pthread_exit, or being a kernel thread the program did not create
// — a SIGEV_THREAD timer callback's thread — that returns), the next
// locker gets EOWNERDEAD and holds the mutex; pthread_mutex_consistent
// makes it usable again; unlocking it without that leaves it
// ENOTRECOVERABLE for good. A thread blocked in lock when the holder dies
// gets EOWNERDEAD too. Robust errorcheck/recursive keep their checks.
#include "common.h"

static pthread_mutex_t rm;
static volatile int locked, may_exit;

static void make_robust(pthread_mutex_t *m, int type)
{
    pthread_mutexattr_t a;
    int r = -1;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_getrobust(&a, &r));
    CHECK_EQ(r, PTHREAD_MUTEX_STALLED);
    CHECK_OK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
    CHECK_OK(pthread_mutexattr_getrobust(&a, &r));
    CHECK_EQ(r, PTHREAD_MUTEX_ROBUST);
    CHECK_OK(pthread_mutexattr_settype(&a, type));
    CHECK_OK(pthread_mutex_init(m, &a));
    CHECK_OK(pthread_mutexattr_destroy(&a));
}

static void *lock_and_return(void *arg)
{
    CHECK_OK(pthread_mutex_lock(arg));
    return NULL;
}

static void *lock_dead_and_return(void *arg)
{
    CHECK_ERR(pthread_mutex_lock(arg), EOWNERDEAD);
    return NULL;
}

static void *lock_and_exit(void *arg)
{
    pthread_mutex_t other;
    make_robust(&other, PTHREAD_MUTEX_NORMAL);
    CHECK_OK(pthread_mutex_lock(&other)); /* released before exit: not listed */
    CHECK_OK(pthread_mutex_lock(arg));
    CHECK_OK(pthread_mutex_unlock(&other));
    set_flag(&locked);
    wait_flag(&may_exit, 30, "may_exit");
    pthread_exit(NULL);
}

static void *blocked_locker(void *arg)
{
    int r = pthread_mutex_lock(arg);
    if (r == EOWNERDEAD) {
        CHECK_OK(pthread_mutex_consistent(arg));
    }
    CHECK_OK(pthread_mutex_unlock(arg));
    return (void *)(intptr_t)r;
}

static void dies_holding(pthread_mutex_t *m, void *(*fn)(void *))
{
    pthread_t t;
    locked = may_exit = 0;
    CHECK_OK(pthread_create(&t, NULL, fn, m));
    if (fn == lock_and_exit) {
        wait_flag(&locked, 30, "locked");
        set_flag(&may_exit);
    }
    CHECK_OK(pthread_join(t, NULL));
}

static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int cv_waiting;
static void *signal_and_die(void *arg)
{
    CHECK_OK(pthread_mutex_lock(arg)); /* the waiter is in cond_wait */
    CHECK(cv_waiting);
    CHECK_OK(pthread_cond_signal(&cv));
    return NULL; /* exits holding it */
}

static void timer_cb(void *arg)
{
    pthread_mutex_lock(arg); /* and the thread ends holding it */
}

int main(void)
{
    /* Owner returns: EOWNERDEAD, consistent, usable. */
    make_robust(&rm, PTHREAD_MUTEX_NORMAL);
    CHECK_ERR(pthread_mutex_consistent(&rm), EINVAL);
    dies_holding(&rm, lock_and_return);
    CHECK_ERR(pthread_mutex_lock(&rm), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&rm));
    CHECK_ERR(pthread_mutex_consistent(&rm), EINVAL);
    CHECK_OK(pthread_mutex_unlock(&rm));
    CHECK_OK(pthread_mutex_lock(&rm));
    CHECK_OK(pthread_mutex_unlock(&rm));

    /* Owner calls pthread_exit; trylock sees it too; no consistent:
     * ENOTRECOVERABLE from then on. */
    dies_holding(&rm, lock_and_exit);
    CHECK_ERR(pthread_mutex_trylock(&rm), EOWNERDEAD);
    CHECK_OK(pthread_mutex_unlock(&rm));
    CHECK_ERR(pthread_mutex_lock(&rm), ENOTRECOVERABLE);
    CHECK_ERR(pthread_mutex_trylock(&rm), ENOTRECOVERABLE);
    CHECK_OK(pthread_mutex_destroy(&rm));

    /* Dies twice without consistent: each next locker is told. */
    make_robust(&rm, PTHREAD_MUTEX_NORMAL);
    dies_holding(&rm, lock_and_return);
    pthread_t t;
    CHECK_OK(pthread_create(&t, NULL, lock_dead_and_return, &rm));
    CHECK_OK(pthread_join(t, NULL));
    CHECK_ERR(pthread_mutex_lock(&rm), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&rm));
    CHECK_OK(pthread_mutex_unlock(&rm));

    /* A thread blocked in lock when the holder dies gets EOWNERDEAD. */
    locked = may_exit = 0;
    pthread_t holder, waiter;
    CHECK_OK(pthread_create(&holder, NULL, lock_and_exit, &rm));
    wait_flag(&locked, 30, "locked");
    CHECK_OK(pthread_create(&waiter, NULL, blocked_locker, &rm));
    usleep(20000);
    set_flag(&may_exit);
    void *res;
    CHECK_OK(pthread_join(holder, NULL));
    CHECK_OK(pthread_join(waiter, &res));
    CHECK_EQ((intptr_t)res, EOWNERDEAD);
    CHECK_OK(pthread_mutex_lock(&rm));
    CHECK_OK(pthread_mutex_unlock(&rm));

    /* Robust errorcheck and recursive. */
    pthread_mutex_t re, rr;
    make_robust(&re, PTHREAD_MUTEX_ERRORCHECK);
    CHECK_ERR(pthread_mutex_unlock(&re), EPERM);
    CHECK_OK(pthread_mutex_lock(&re));
    CHECK_ERR(pthread_mutex_lock(&re), EDEADLK);
    CHECK_ERR(pthread_mutex_trylock(&re), EDEADLK);
    CHECK_OK(pthread_mutex_unlock(&re));
    dies_holding(&re, lock_and_exit);
    CHECK_ERR(pthread_mutex_lock(&re), EOWNERDEAD);
    CHECK_ERR(pthread_mutex_lock(&re), EDEADLK);
    CHECK_OK(pthread_mutex_consistent(&re));
    CHECK_OK(pthread_mutex_unlock(&re));

    make_robust(&rr, PTHREAD_MUTEX_RECURSIVE);
    CHECK_ERR(pthread_mutex_unlock(&rr), EPERM);
    CHECK_OK(pthread_mutex_lock(&rr));
    CHECK_OK(pthread_mutex_lock(&rr));
    CHECK_OK(pthread_mutex_unlock(&rr));
    CHECK_OK(pthread_mutex_unlock(&rr));
    CHECK_ERR(pthread_mutex_unlock(&rr), EPERM);
    dies_holding(&rr, lock_and_return);
    CHECK_ERR(pthread_mutex_lock(&rr), EOWNERDEAD);
    CHECK_OK(pthread_mutex_lock(&rr));
    CHECK_OK(pthread_mutex_consistent(&rr));
    CHECK_OK(pthread_mutex_unlock(&rr));
    CHECK_OK(pthread_mutex_unlock(&rr));
    CHECK_ERR(pthread_mutex_unlock(&rr), EPERM);

    /* The holder dies while we wait on a cond: the wait returns
     * EOWNERDEAD with the mutex held. */
    CHECK_OK(pthread_mutex_lock(&rm));
    cv_waiting = 1;
    CHECK_OK(pthread_create(&t, NULL, signal_and_die, &rm));
    CHECK_ERR(pthread_cond_wait(&cv, &rm), EOWNERDEAD);
    CHECK_OK(pthread_mutex_consistent(&rm));
    CHECK_OK(pthread_mutex_unlock(&rm));
    CHECK_OK(pthread_join(t, NULL));

    /* A kernel thread the program did not create dies holding it. */
    pthread_mutex_t fm;
    make_robust(&fm, PTHREAD_MUTEX_NORMAL);
    static struct foreign_run fr;
    run_on_foreign_thread(&fr, timer_cb, &fm);
    foreign_wait(&fr, 1, 20, "timer callback");
    CHECK_ERR(pthread_mutex_lock(&fm), EOWNERDEAD); /* waits for its exit */
    CHECK_OK(pthread_mutex_consistent(&fm));
    CHECK_OK(pthread_mutex_unlock(&fm));
    foreign_stop(&fr);

    puts("ok");
    return 0;
}
