// LINK: -lrt
// Spinlocks: init (any pshared value accepted, as glibc), trylock EBUSY,
// and mutual exclusion among many threads whose critical sections yield
// while holding the lock: under M:N with one carrier (MNTHREAD_CARRIERS=1)
// a spinner must yield to the descheduled holder instead of spinning for
// ever. A foreign thread (SIGEV_THREAD timer callback) takes it too.
#include "common.h"
#include <signal.h>

#define THREADS 16
#define ITERS 1000

static pthread_spinlock_t sl;
static volatile long counter;
static int inside;
static volatile long foreign_ops;

static void critical(void)
{
    CHECK_OK(pthread_spin_lock(&sl));
    CHECK_EQ(__atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL), 1);
    long c = counter;
    if ((c & 255) == 0)
        sched_yield(); /* deschedule the holder now and then */
    counter = c + 1;
    __atomic_sub_fetch(&inside, 1, __ATOMIC_ACQ_REL);
    CHECK_OK(pthread_spin_unlock(&sl));
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++)
        critical();
    return NULL;
}

static void callback(union sigval sv)
{
    (void)sv;
    for (int i = 0; i < 100; i++)
        critical();
    __atomic_add_fetch(&foreign_ops, 100, __ATOMIC_RELEASE);
}

int main(void)
{
    CHECK_OK(pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE));
    CHECK_OK(pthread_spin_destroy(&sl));
    CHECK_OK(pthread_spin_init(&sl, 5));
    CHECK_OK(pthread_spin_trylock(&sl));
    CHECK_ERR(pthread_spin_trylock(&sl), EBUSY);
    CHECK_OK(pthread_spin_unlock(&sl));
    CHECK_OK(pthread_spin_destroy(&sl));
    CHECK_OK(pthread_spin_init(&sl, PTHREAD_PROCESS_SHARED));

    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = callback;
    timer_t timer;
    CHECK_SYS(timer_create(CLOCK_MONOTONIC, &sev, &timer));
    struct itimerspec its = {.it_value = {0, 1000000}, .it_interval = {0, 0}};
    CHECK_SYS(timer_settime(timer, 0, &its, NULL));

    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_create(&t[i], NULL, worker, NULL));
    for (int i = 0; i < THREADS; i++)
        CHECK_OK(pthread_join(t[i], NULL));
    wait_count(&foreign_ops, 100, 20, "timer callback");
    CHECK_SYS(timer_delete(timer));
    CHECK_OK(pthread_spin_lock(&sl));
    CHECK_EQ(counter, THREADS * ITERS + 100);
    CHECK_OK(pthread_spin_unlock(&sl));
    CHECK_OK(pthread_spin_destroy(&sl));
    puts("spin_carrier OK");
    return 0;
}
