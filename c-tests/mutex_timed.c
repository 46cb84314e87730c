// Timed and clock locks: pthread_mutex_timedlock (CLOCK_REALTIME) and
// pthread_mutex_clocklock (REALTIME, MONOTONIC; any other clock EINVAL).
// A free mutex is taken whatever the timespec (as glibc); a held one times
// out with ETIMEDOUT, rejects tv_nsec outside [0, 1e9) with EINVAL, and a
// negative tv_sec times out at once. Own errorcheck: EDEADLK; own
// recursive: a deeper lock. A waiter gets the lock once the holder lets go
// before its deadline.
#include "common.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile int holding, release_it;

static void *holder(void *arg)
{
    pthread_mutex_t *mx = arg;
    CHECK_OK(pthread_mutex_lock(mx));
    set_flag(&holding);
    wait_flag(&release_it, 30, "release");
    CHECK_OK(pthread_mutex_unlock(mx));
    return NULL;
}

static void held_elsewhere(pthread_mutex_t *mx)
{
    pthread_t t;
    holding = release_it = 0;
    CHECK_OK(pthread_create(&t, NULL, holder, mx));
    wait_flag(&holding, 30, "holder");

    struct timespec ts = abs_in_ms(CLOCK_REALTIME, 30);
    CHECK_ERR(pthread_mutex_timedlock(mx, &ts), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_MONOTONIC, 30);
    CHECK_ERR(pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_REALTIME, 30);
    CHECK_ERR(pthread_mutex_clocklock(mx, CLOCK_REALTIME, &ts), ETIMEDOUT);
    CHECK_ERR(pthread_mutex_trylock(mx), EBUSY);

    struct timespec bad = {.tv_sec = time(NULL) + 10, .tv_nsec = 1000000000L};
    CHECK_ERR(pthread_mutex_timedlock(mx, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_ERR(pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &bad), EINVAL);
    struct timespec past = {.tv_sec = -1, .tv_nsec = 0};
    CHECK_ERR(pthread_mutex_timedlock(mx, &past), ETIMEDOUT);
    past.tv_sec = 0;
    CHECK_ERR(pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &past), ETIMEDOUT);
    ts = abs_in_ms(CLOCK_REALTIME, 10);
    CHECK_ERR(pthread_mutex_clocklock(mx, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);

    /* The holder lets go while we wait: we get it. */
    set_flag(&release_it);
    ts = abs_in_ms(CLOCK_MONOTONIC, 20000);
    CHECK_OK(pthread_mutex_clocklock(mx, CLOCK_MONOTONIC, &ts));
    CHECK_OK(pthread_mutex_unlock(mx));
    CHECK_OK(pthread_join(t, NULL));
}

int main(void)
{
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000L};
    struct timespec ts;

    /* Free mutex: taken, even with an invalid or past timespec. */
    CHECK_OK(pthread_mutex_timedlock(&m, &bad));
    CHECK_OK(pthread_mutex_unlock(&m));
    ts = abs_in_ms(CLOCK_REALTIME, 100);
    CHECK_OK(pthread_mutex_clocklock(&m, CLOCK_REALTIME, &ts));
    CHECK_OK(pthread_mutex_unlock(&m));
    CHECK_ERR(pthread_mutex_clocklock(&m, CLOCK_THREAD_CPUTIME_ID, &ts), EINVAL);
    CHECK_ERR(pthread_mutex_clocklock(&m, 12345, &ts), EINVAL);

    held_elsewhere(&m);

    pthread_mutexattr_t a;
    pthread_mutex_t e, r;
    CHECK_OK(pthread_mutexattr_init(&a));
    CHECK_OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    CHECK_OK(pthread_mutex_init(&e, &a));
    CHECK_OK(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    CHECK_OK(pthread_mutex_init(&r, &a));

    ts = abs_in_ms(CLOCK_REALTIME, 100);
    CHECK_OK(pthread_mutex_timedlock(&e, &ts));
    CHECK_ERR(pthread_mutex_timedlock(&e, &ts), EDEADLK);
    CHECK_ERR(pthread_mutex_timedlock(&e, &bad), EDEADLK);
    CHECK_ERR(pthread_mutex_clocklock(&e, CLOCK_MONOTONIC, &ts), EDEADLK);
    CHECK_OK(pthread_mutex_unlock(&e));
    held_elsewhere(&e);

    CHECK_OK(pthread_mutex_timedlock(&r, &ts));
    CHECK_OK(pthread_mutex_timedlock(&r, &bad));
    CHECK_OK(pthread_mutex_unlock(&r));
    CHECK_OK(pthread_mutex_unlock(&r));
    CHECK_ERR(pthread_mutex_unlock(&r), EPERM);
    held_elsewhere(&r);

    puts("ok");
    return 0;
}
